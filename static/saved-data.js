// What an app keeps in localStorage and sessionStorage, on our side of its frame (docs/bridge.md
// "Saved data"). Each load hands the frame its data as the frame's name; each change comes back as
// a bridge "storage" message with everything kept. localStorage goes to `store` (the server,
// static/server-store.js; or this browser: a share link's anonymous viewer, and the top-level view
// of a raw address); sessionStorage to this tab's sessionStorage.
//
// It imports no API code: the top-level view loads it from the sandbox host, which has no API.
import { dataName, itemsOf } from "./bridge-host.js";

const SAVE_DELAY_MS = 250;

export class SavedData {
  // `store.save(items)` keeps localStorage's items (a promise); `sessionKey` names this app's
  // sessionStorage in ours; `onSaved(items)` hears of each save that worked; `onError(error)`.
  constructor({ quota, local, store, sessionKey, onSaved = () => {}, onError = () => {} }) {
    this.quota = quota;
    this.local = { ...local };
    this.store = store;
    this.sessionKey = sessionKey;
    this.onSaved = onSaved;
    this.onError = onError;
    this.timer = null;
    this.saving = null; // the save under way
    this.dirty = false;
    try {
      this.session = JSON.parse(sessionStorage.getItem(sessionKey) || "{}");
    } catch {
      this.session = {};
    }
  }

  // The frame name for a load of the page at `url`.
  nameFor(url) {
    return dataName(url, { quota: this.quota, local: this.local, session: this.session });
  }

  // A bridge "storage" message from a frame of this app.
  heard(message) {
    const items = itemsOf(message);
    if (message.area === "session") {
      this.session = items;
      try {
        sessionStorage.setItem(this.sessionKey, JSON.stringify(items));
      } catch {
        // Our own storage is full or off: the tab keeps it in memory.
      }
      return;
    }
    this.local = items;
    this.dirty = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush().catch((error) => this.onError(error)), SAVE_DELAY_MS);
  }

  // Replaces what is kept, here and in the store (the owner's "Clear").
  async replace(items) {
    this.local = { ...items };
    this.dirty = true;
    await this.flush();
  }

  // Saves what changed; one save at a time, the latest items last. Throws what the store threw.
  async flush() {
    clearTimeout(this.timer);
    this.timer = null;
    while (this.saving) await this.saving.catch(() => {});
    if (!this.dirty) return;
    this.dirty = false;
    const items = this.local;
    this.saving = this.store.save(items);
    try {
      await this.saving;
      this.onSaved(items);
    } finally {
      this.saving = null;
    }
  }

  // The page is going away: what is not yet saved goes now, if the store can send it as the page closes.
  leaving() {
    if (this.dirty && this.store.saveNow) {
      this.dirty = false;
      this.store.saveNow(this.local);
    }
  }
}

// localStorage kept in this browser only, under our origin: a share link's viewer who is not signed in.
export function browserStore(key) {
  return {
    async save(items) {
      if (Object.keys(items).length) localStorage.setItem(key, JSON.stringify(items));
      else localStorage.removeItem(key);
    },
    saveNow(items) {
      this.save(items);
    },
  };
}

export function browserItems(key) {
  try {
    const items = JSON.parse(localStorage.getItem(key) || "{}");
    return items && typeof items === "object" && !Array.isArray(items) ? items : {};
  } catch {
    return {};
  }
}
