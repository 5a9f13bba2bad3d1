// Home page: the prompt box, example chips, and importing a page.
import { ApiError, postJSON, showError } from "./api.js";
import { keepRelativeTimesFresh } from "./format.js";
import { keepImportNotice } from "./import-notice.js";

const form = document.getElementById("create-form");
const prompt = document.getElementById("prompt");
const model = document.getElementById("model");
const submit = form.querySelector('[type="submit"]');

function setBusy(button, busy, label) {
  button.disabled = busy;
  button.classList.toggle("is-busy", busy);
  button.setAttribute("aria-busy", String(busy));
  const text = button.querySelector(".button-label") || button;
  if (busy) {
    button.dataset.idleLabel = text.textContent;
    text.textContent = label;
  } else if (button.dataset.idleLabel) {
    text.textContent = button.dataset.idleLabel;
  }
}

async function create(event) {
  event.preventDefault();
  const text = prompt.value.trim();
  if (!text) {
    showError(form, "Describe the tool you want first, for example “a tip calculator that splits the bill”.");
    prompt.focus();
    return;
  }
  showError(form, "");
  setBusy(submit, true, "Starting…");
  try {
    const answer = await postJSON("/api/apps", { prompt: text, model: model.value });
    window.location.assign(answer.editor_url);
  } catch (error) {
    setBusy(submit, false);
    showError(form, error instanceof ApiError ? error.message : String(error));
    prompt.focus();
  }
}

form.addEventListener("submit", create);
prompt.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    form.requestSubmit();
  }
});
prompt.addEventListener("input", () => showError(form, ""));

for (const chip of document.querySelectorAll("[data-example]")) {
  chip.addEventListener("click", () => {
    prompt.value = chip.dataset.example;
    showError(form, "");
    prompt.focus();
    prompt.setSelectionRange(prompt.value.length, prompt.value.length);
  });
}

// Import: a chosen file wins over pasted text; an empty title means the page's own <title>.
const importForm = document.getElementById("import-form");
const importFile = document.getElementById("import-file");
const importHtml = document.getElementById("import-html");
const importTitle = document.getElementById("import-title");
const importSubmit = importForm.querySelector('[type="submit"]');

importFile.addEventListener("change", () => showError(importForm, ""));

async function importPage(event) {
  event.preventDefault();
  const file = importFile.files[0];
  const title = importTitle.value.trim();
  if (file && /\.zip$/i.test(file.name)) {
    // A zip of a page and its files (docs/api.md, "Importing a folder or a zip").
    await sendImport(title ? `/api/import?title=${encodeURIComponent(title)}` : "/api/import", new Blob([file], { type: "application/zip" }));
    return;
  }
  let html;
  try {
    html = file ? await file.text() : importHtml.value;
  } catch {
    showError(importForm, "That file could not be read. Pick it again, or paste its HTML instead.");
    return;
  }
  if (!html.trim()) {
    showError(importForm, "Choose an HTML file or paste a page's HTML to import.");
    return;
  }
  const exported = file && /\.json$/i.test(file.name) ? parseExport(html) : null;
  if (file && /\.json$/i.test(file.name) && !exported) {
    showError(importForm, "That .json file is not a Toolsmith export: export an app from its editor, or pick an HTML file.");
    return;
  }
  await sendImport("/api/import", exported ? { export: exported } : { html, title });
}

// Sends an import and opens its editor. What a zip import left out is said there, so the
// person knows before the app misses it.
async function sendImport(url, body) {
  showError(importForm, "");
  setBusy(importSubmit, true, "Importing…");
  try {
    const answer = await postJSON(url, body);
    keepImportNotice(answer.app.id, answer.skipped || []);
    window.location.assign(answer.editor_url);
  } catch (error) {
    setBusy(importSubmit, false);
    showError(importForm, error instanceof ApiError ? error.message : String(error));
  }
}

// A Toolsmith export (GET /api/apps/ID/export) restores an app with its history.
function parseExport(text) {
  try {
    const data = JSON.parse(text);
    if (data && data.format === "toolsmith.app") return data;
  } catch {
    // Not JSON at all.
  }
  return null;
}

importForm.addEventListener("submit", importPage);

// Coming back with the Back button restores this page as it was left: busy. Undo that.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    setBusy(submit, false);
    setBusy(importSubmit, false);
  }
});
keepRelativeTimesFresh();
