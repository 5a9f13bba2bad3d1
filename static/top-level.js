// The top-level view of an app's raw address (sandbox/top_level.py), served by the sandbox host:
// puts the app's frame in place, named with what the app keeps in this browser, and keeps what it
// changes (docs/bridge.md "Saved data"). The view's origin is the sandbox host's, whose storage
// only our own scripts can touch: every app runs in an opaque origin.
//
// Whose data it is comes from the view's HTML, which the server wrote for this app (`data-key`),
// never from anything the framed page says; and connectBridge hears only our frame's window.
import { connectBridge } from "./bridge-host.js";
import { SavedData, browserItems, browserStore } from "./saved-data.js";

const template = document.getElementById("app-frame-template");
const { key, quota } = template.dataset;
const localKey = `toolsmith-data:raw:${key}`;
const saved = new SavedData({
  quota: Number(quota),
  local: browserItems(localKey),
  store: browserStore(localKey),
  sessionKey: `toolsmith-session:raw:${key}`,
  onError: (error) => console.warn(`The app's data could not be kept in this browser: ${error.message}`),
});
addEventListener("pagehide", () => saved.leaving());

const frame = document.importNode(template.content.firstElementChild, false);
// Named before it is put in place: a frame's later name never reaches its document.
frame.name = saved.nameFor(frame.src);
template.replaceWith(frame);

connectBridge(() => [frame], { storage: (message) => saved.heard(message) });
