// The editor's saved-data panel: what the app keeps in localStorage for its owner, and a way to clear it.
import { showError } from "./api.js";
import { h } from "./dom.js";
import { relativeTime } from "./format.js";

const $ = (id) => document.getElementById(id);
const SHOWN_KEYS = 200;
const SHOWN_CHARS = 200;

const clip = (text) => (text.length > SHOWN_CHARS ? text.slice(0, SHOWN_CHARS - 1) + "…" : text);

// `saved` is the editor's SavedData; `onCleared()` reloads the preview with nothing kept.
export function setupDataPanel({ saved, opener, onCleared }) {
  const dialog = $("data-dialog");
  const summary = $("data-summary");
  const list = $("data-list");
  const clear = $("data-clear");
  let updatedAt = null;

  function render() {
    const entries = Object.entries(saved.local);
    const chars = entries.reduce((sum, [k, v]) => sum + k.length + v.length, 0);
    summary.textContent = entries.length
      ? `${entries.length} ${entries.length === 1 ? "key" : "keys"}, ${chars.toLocaleString()} of ${saved.quota.toLocaleString()} characters` +
        (updatedAt ? `, saved ${relativeTime(updatedAt)}.` : ".")
      : "This app keeps nothing for you yet.";
    list.replaceChildren(
      ...entries.slice(0, SHOWN_KEYS).map(([key, value]) =>
        h("li", { class: "data-item", "data-testid": "data-item" }, h("code", { title: clip(key) }, clip(key)), h("code", { class: "muted" }, clip(value))),
      ),
    );
    clear.disabled = entries.length === 0;
  }

  saved.onSaved = () => {
    updatedAt = new Date().toISOString();
    if (dialog.open) render();
  };

  clear.addEventListener("click", async () => {
    showError(clear.parentElement, "");
    try {
      await saved.replace({});
      render();
      onCleared();
    } catch (error) {
      showError(clear.parentElement, error.message);
    }
  });

  opener.addEventListener("click", () => {
    render();
    dialog.showModal();
  });
  $("data-close").addEventListener("click", () => dialog.close());
  return { setUpdated: (when) => (updatedAt = when) };
}
