// A share link's viewer: the app's frame, with this viewer's own saved data (docs/bridge.md "Saved
// data"). Signed in, the data is kept by Toolsmith; otherwise in this browser only.
import { pageData } from "./api.js";
import { connectBridge } from "./bridge-host.js";
import { SavedData, browserItems, browserStore } from "./saved-data.js";
import { serverStore } from "./server-store.js";

const data = pageData("share-data");
const browserKey = `toolsmith-data:share:${data.token}`;
const signedIn = data.local !== null;
const saved = new SavedData({
  quota: data.quota,
  local: signedIn ? data.local : browserItems(browserKey),
  store: signedIn ? serverStore(`/api/shares/${encodeURIComponent(data.token)}/data`) : browserStore(browserKey),
  sessionKey: `toolsmith-session:share:${data.token}`,
  onError: (error) => console.warn(`The app's data could not be saved: ${error.message}`),
});
addEventListener("pagehide", () => saved.leaving());

const template = document.getElementById("share-frame-template");
const frame = document.importNode(template.content.firstElementChild, false);
// Named before it is put in place: a frame's later name never reaches its document.
frame.name = saved.nameFor(frame.src);
template.replaceWith(frame);

connectBridge(() => [frame], { storage: (message) => saved.heard(message) });
