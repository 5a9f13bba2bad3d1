// What the sandbox stopped, in the person's words: the sentence for a bridge "blocked" message
// (docs/bridge.md), shown in the editor's problem strip and, for someone using a shared app or its
// raw address, in the bar above the app (static/saves.js).
//
// Self-contained (no imports): the top-level view loads it from the sandbox host.

// What the app tried, and why it cannot. `target` is the address or the name the app used.
const STOPPED = {
  navigation: (t) => `This app tried to open another page (${t}); apps stay on their own page and cannot reach the network.`,
  popup: (t) => `This app tried to open a new window${t ? ` (${t})` : ""}; apps cannot open windows or tabs.`,
  form: (t) => `This app's form tried to send what was typed to ${t}; apps cannot send forms anywhere, only handle them in the page.`,
  download: (t) => `This app tried to download ${t}; apps can only save files they make themselves.`,
  "file-too-big": (t) => `This app made a file too big to save (${t}); a saved file may be at most 20 MB.`,
  dialog: (t) => `This app asked ${t} before anyone clicked; its dialogs are shown only when an action of yours asks.`,
  "dialog-loop": () => "This app kept opening dialogs; the first few were shown and the rest stopped.",
  storage: (t) => `This app tried to use storage it does not have (${t}).`,
  package: (t) => `This app tried to load the Python package ${t}; apps run Python offline, with its standard library only.`,
};

// Every action a "blocked" message may name.
export const STOPPED_ACTIONS = Object.keys(STOPPED);

export function describeBlocked({ action, target }) {
  return (Object.hasOwn(STOPPED, action) ? STOPPED[action] : STOPPED.navigation)(target);
}
