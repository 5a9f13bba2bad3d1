// localStorage an app keeps, saved by Toolsmith's server for the signed-in person (the store of a
// SavedData, static/saved-data.js): the editor's owner, a share link's signed-in viewer.
import { request } from "./api.js";

// `url` is /api/apps/ID/data or /api/shares/TOKEN/data.
export function serverStore(url) {
  const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content || "";
  return {
    async save(items) {
      await request("PUT", url, { local: items });
    },
    saveNow(items) {
      const text = JSON.stringify({ local: items });
      // keepalive requests are limited to 64 KB; a larger last change waits for the next visit.
      if (text.length > 60_000) return;
      fetch(url, { method: "PUT", keepalive: true, body: text, headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken } });
    },
  };
}
