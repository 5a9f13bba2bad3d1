// The arena's start page: one prompt, two models (drawn at random unless picked), then the match page.
import { ApiError, postJSON, showError } from "./api.js";

const form = document.getElementById("arena-form");
const prompt = document.getElementById("arena-prompt");
const submit = form.querySelector('[type="submit"]');
const label = submit.querySelector(".button-label");

async function start(event) {
  event.preventDefault();
  const text = prompt.value.trim();
  if (!text) {
    showError(form, "Describe the tool both models should build first, for example “a tip calculator”.");
    prompt.focus();
    return;
  }
  const models = [1, 2].map((n) => document.getElementById(`arena-model-${n}`).value).filter(Boolean);
  showError(form, "");
  submit.disabled = true;
  label.textContent = "Starting…";
  try {
    const answer = await postJSON("/api/arena", { prompt: text, models });
    window.location.assign(answer.match.url);
  } catch (error) {
    submit.disabled = false;
    label.textContent = "Start the match";
    showError(form, error instanceof ApiError ? error.message : String(error));
  }
}

form.addEventListener("submit", start);
prompt.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    form.requestSubmit();
  }
});
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    submit.disabled = false;
    label.textContent = "Start the match";
  }
});
