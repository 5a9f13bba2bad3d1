// Files an app made, saved by the page around it once the person says so: the editor, the share
// view and the top-level view of an app's raw address (served there by the sandbox host). The app
// itself may not download anything (its sandbox has no allow-downloads; docs/security.md says why):
// its bridge (sandbox/bridge.js) posts the file here as a "save" message, and this module shows its
// name and size with a Save button. Nothing is written without that click, and a name that could
// run when opened (a web page, a script, a program) is saved as text.
//
// Where nobody sees the editor's problem strip (the share view, the top-level view), the bar also
// says what the sandbox stopped (a bridge "blocked" message, in static/stopped.js's words).
//
// It imports only stopped.js: the top-level view loads both from the sandbox host.
import { STOPPED_ACTIONS, describeBlocked } from "./stopped.js";

export const MAX_SAVE_BYTES = 20 * 1024 * 1024;
const MAX_NAME = 200;
// Files that only hold data when opened: anything else gets ".txt" added to its name.
export const SAFE_EXTENSIONS = new Set([
  "txt", "csv", "tsv", "json", "md", "markdown", "log", "ics", "vcf", "yaml", "yml", "toml", "ini", "sql", "srt", "vtt",
  "gpx", "png", "jpg", "jpeg", "gif", "webp", "avif", "bmp", "pdf", "mp3", "wav", "ogg", "oga", "flac", "m4a", "webm",
  "mp4", "zip", "xlsx", "docx", "pptx", "odt", "ods", "odp", "epub",
]);

// The message with only its known fields, or null when `data` is not exactly a bridge "save".
export function validateSave(data) {
  if (typeof data !== "object" || data === null || data.source !== "toolsmith-bridge" || data.v !== 1 || data.type !== "save") return null;
  const { name, mime, bytes } = data;
  if (typeof name !== "string" || name.length > MAX_NAME || typeof mime !== "string" || mime.length > 200) return null;
  if (!(bytes instanceof ArrayBuffer) || bytes.byteLength > MAX_SAVE_BYTES) return null;
  return { name, mime, bytes };
}

// The name the file is saved under: no folders, no control characters, and a data extension.
export function safeName(name) {
  let clean = String(name).replace(/[\u0000-\u001f\u007f-\u009f/\\:*?"<>|]+/g, "_").replace(/^[\s.]+|[\s.]+$/g, "").slice(0, 120);
  if (!clean) clean = "download";
  const dot = clean.lastIndexOf(".");
  const extension = dot > 0 ? clean.slice(dot + 1).toLowerCase() : "";
  return SAFE_EXTENSIONS.has(extension) ? clean : `${clean}.txt`;
}

export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function button(text, testid, primary) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.dataset.testid = testid;
  b.className = primary ? "button button-small button-primary" : "button button-small";
  return b;
}

// A bridge "blocked" message, checked: {action, target} or null.
export function validateStopped(data) {
  if (typeof data !== "object" || data === null || data.source !== "toolsmith-bridge" || data.v !== 1 || data.type !== "blocked") return null;
  const { action, target } = data;
  if (typeof action !== "string" || !STOPPED_ACTIONS.includes(action) || typeof target !== "string" || target.length > 2000) return null;
  return { action, target };
}

// Listens for the files of the iframes `getFrames()` returns and offers the newest in `bar`
// (an element, shown while an offer stands); with `notices`, also says there what was stopped.
// Returns a function that stops listening.
export function listenForSaves(getFrames, bar, { notices = false } = {}) {
  let offering = false;

  function notice(stopped) {
    if (offering) return; // a file waiting to be saved matters more
    const text = document.createElement("span");
    text.className = "save-offer-text";
    text.dataset.testid = "stopped-notice";
    text.textContent = describeBlocked(stopped);
    const dismiss = button("Dismiss", "stopped-notice-dismiss", false);
    dismiss.addEventListener("click", () => {
      bar.hidden = true;
      bar.replaceChildren();
    });
    bar.replaceChildren(text, dismiss);
    bar.hidden = false;
  }

  function offer(file) {
    offering = true;
    const name = safeName(file.name);
    const text = document.createElement("span");
    text.className = "save-offer-text";
    text.dataset.testid = "save-offer-text";
    text.textContent = `This app made a file: ${name} (${formatSize(file.bytes.byteLength)}).`;
    const save = button("Save file", "save-offer-save", true);
    const dismiss = button("Dismiss", "save-offer-dismiss", false);
    const close = () => {
      offering = false;
      bar.hidden = true;
      bar.replaceChildren();
    };
    save.addEventListener("click", () => {
      // Saved from this page's origin, as bytes with no type a browser would act on.
      const url = URL.createObjectURL(new Blob([file.bytes], { type: "application/octet-stream" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      close();
    });
    dismiss.addEventListener("click", close);
    bar.replaceChildren(text, save, dismiss);
    bar.hidden = false;
  }

  function onMessage(event) {
    if (event.origin !== "null" || event.source === null) return; // apps' frames are always opaque
    if (!getFrames().some((f) => f.contentWindow !== null && f.contentWindow === event.source)) return;
    const file = validateSave(event.data);
    if (file) offer(file);
    const stopped = notices ? validateStopped(event.data) : null;
    if (stopped) notice(stopped);
  }
  window.addEventListener("message", onMessage);
  return () => window.removeEventListener("message", onMessage);
}

// The share view and the top-level view mark their bar with data-save-offers: they start here.
const auto = document.querySelector("[data-save-offers]");
if (auto) listenForSaves(() => Array.from(document.querySelectorAll("iframe")), auto, { notices: true });
