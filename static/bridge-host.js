// The editor's side of the runtime bridge (docs/bridge.md; the frame's side is sandbox/bridge.js).
//
// Any window can post to us, and a sandboxed frame's messages arrive with origin "null". So a
// message counts only when its event.source is the window of one of our own preview iframes,
// its page has said "ready" since the iframe was last pointed somewhere, and its shape is exactly
// one of the bridge's messages. Even then it is data about an untrusted page: shown as text,
// never acted on by itself.

export const FROM_FRAME = "toolsmith-bridge";
export const FROM_HOST = "toolsmith-host";
export const PROTOCOL = 1;

const text = (max) => (value) => typeof value === "string" && value.length <= max;
const count = (value) => Number.isInteger(value) && value >= 0 && value <= 10_000_000;
// A saved-data snapshot: [key, value] pairs of strings. The quota itself is the server's to enforce.
const MAX_ITEMS = 10_000;
const MAX_CHARS = 20_000_000;
const area = (value) => value === "local" || value === "session";
const items = (value) => {
  if (!Array.isArray(value) || value.length > MAX_ITEMS) return false;
  let chars = 0;
  for (const pair of value) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || typeof pair[1] !== "string") return false;
    chars += pair[0].length + pair[1].length;
  }
  return chars <= MAX_CHARS;
};
const size = (value) => typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 1_000_000;

import { STOPPED_ACTIONS } from "./stopped.js";

const oneOf = (values) => (value) => typeof value === "string" && values.includes(value);

// Every message a frame may send: its fields and their checks. Other fields are dropped.
export const MESSAGES = {
  ready: {},
  error: { message: text(2000), filename: text(2000), line: count, column: count, stack: text(8000) },
  rejection: { message: text(2000), stack: text(8000) },
  "console-error": { message: text(2000) },
  "csp-violation": {
    directive: text(100), blockedURI: text(2000), line: count, column: count, sourceFile: text(2000), sample: text(200),
  },
  blocked: { action: oneOf(STOPPED_ACTIONS), target: text(2000) },
  height: { height: size },
  pong: { nonce: text(100) },
  picked: { selector: text(1000), tag: text(100), text: text(300), html: text(2000) },
  "pick-cancel": {},
  storage: { area, items },
};

// The frame name that hands a page its saved data before its first script runs (docs/bridge.md
// "Saved data"): only the page at `url` takes it. `local` and `session` are plain objects.
export function dataName(url, { quota, local = {}, session = {} }) {
  return "toolsmith-data:" + JSON.stringify({ page: new URL(url, window.location.href).pathname, quota, local, session });
}

// A storage message's pairs as a plain object with no prototype (a key may be "__proto__").
export function itemsOf(message) {
  const kept = Object.create(null);
  for (const [key, value] of message.items) kept[key] = value;
  return kept;
}

// The message with only its known fields, or null when `data` is not exactly a bridge message.
export function validateMessage(data) {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
  if (data.source !== FROM_FRAME || data.v !== PROTOCOL) return null;
  if (typeof data.type !== "string" || !Object.hasOwn(MESSAGES, data.type)) return null;
  const message = { type: data.type };
  for (const [name, valid] of Object.entries(MESSAGES[data.type])) {
    if (!Object.hasOwn(data, name) || !valid(data[name])) return null;
    message[name] = data[name];
  }
  return message;
}

function nonce() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Listens for the bridge of the iframes `getFrames()` returns (asked at each message, as frames
// swap) and calls `handlers[type](message, iframe)` for each valid message.
// Returns { ping(frame) → Promise<boolean>, setPickMode(frame, on), close() }.
export function connectBridge(getFrames, handlers) {
  const pages = new WeakMap(); // iframe -> its src when its page said "ready"
  const pings = new Map(); // nonce -> { frame, answer }

  function onMessage(event) {
    if (event.origin !== "null" || event.source === null) return; // our frames are always opaque
    const frame = getFrames().find((f) => f.contentWindow !== null && f.contentWindow === event.source);
    if (!frame) return;
    const message = validateMessage(event.data);
    if (!message) return;
    if (message.type === "ready") pages.set(frame, frame.src);
    else if (pages.get(frame) !== frame.src) return; // from the page this iframe is leaving
    if (message.type === "pong") {
      const waiting = pings.get(message.nonce);
      if (waiting?.frame === frame) waiting.answer();
    }
    if (Object.hasOwn(handlers, message.type)) handlers[message.type](message, frame);
  }

  // Nothing we send is secret, and a sandboxed frame's origin cannot be named: hence "*".
  function send(frame, message) {
    frame.contentWindow?.postMessage({ source: FROM_HOST, v: PROTOCOL, ...message }, "*");
  }

  window.addEventListener("message", onMessage);
  return {
    // Resolves to true when the page in `frame` answers, false if it has not within `timeout` ms.
    ping(frame, timeout = 3000) {
      const id = nonce();
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pings.delete(id);
          resolve(false);
        }, timeout);
        pings.set(id, {
          frame,
          answer() {
            clearTimeout(timer);
            pings.delete(id);
            resolve(true);
          },
        });
        send(frame, { type: "ping", nonce: id });
      });
    },
    setPickMode(frame, on) {
      send(frame, { type: "pick-mode", on: Boolean(on) });
    },
    close() {
      window.removeEventListener("message", onMessage);
    },
  };
}
