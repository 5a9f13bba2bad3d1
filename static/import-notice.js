// What a zip import left out, carried from the home page to the editor it opens: the import
// answers with a sentence for each thing skipped (docs/api.md), and the person should read them
// where they will work on the app.

const KEY = "toolsmith:import-notice";

export function keepImportNotice(appId, skipped) {
  if (!skipped.length) return;
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ app: appId, skipped }));
  } catch {
    // Our storage is off: the editor opens without the note.
  }
}

// The sentences kept for `appId`, once: a reload of the editor does not say them again.
export function takeImportNotice(appId) {
  let kept = null;
  try {
    kept = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (kept?.app === appId) sessionStorage.removeItem(KEY);
  } catch {
    return [];
  }
  return kept?.app === appId && Array.isArray(kept.skipped) ? kept.skipped.map(String) : [];
}
