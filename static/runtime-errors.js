// The problems a running version reported through the bridge (static/bridge-host.js): errors,
// unhandled rejections, console.error and what the sandbox blocked, kept per version number and
// shown under the preview. Everything here comes from an untrusted page: it is rendered as text.
// Other features hear of a version's list through `onChange(n, entries)`, entries as eventEntry gives them.
import { h } from "./dom.js";
import { describeBlocked } from "./stopped.js";

export { describeBlocked };

export const MAX_ENTRIES = 50;

const KINDS = {
  error: "Error",
  rejection: "Unhandled rejection",
  "console-error": "console.error",
  "csp-violation": "Blocked",
  blocked: "Blocked",
};

const VERBS = {
  "connect-src": "connect to",
  "form-action": "send a form to",
  "script-src": "load a script from",
  "style-src": "load a stylesheet from",
  "img-src": "load an image from",
  "font-src": "load a font from",
  "media-src": "play media from",
  "frame-src": "open",
  "child-src": "open",
  "worker-src": "start a worker from",
};

// A CSP violation in words: what the app tried, and why it cannot.
export function describeViolation({ directive, blockedURI }) {
  const verb = VERBS[String(directive).replace(/-(elem|attr)$/, "")] || "load";
  if (/^(https?|wss?|ftp):/i.test(blockedURI)) {
    return `This app tried to ${verb} ${blockedURI}; apps cannot reach the network.`;
  }
  const what = { inline: "an inline script or style", eval: "eval()" }[blockedURI] || blockedURI || "something";
  return `This app tried to ${verb} ${what}, which the sandbox does not allow (${directive}).`;
}

// A web font the sandbox refuses only changes how text looks (the browser's own fonts stand in):
// not a problem of the app, nor one to send a model to fix.
const COSMETIC = /^https?:\/\/fonts\.(googleapis|gstatic)\.com(\/|$)/i;
export const isCosmetic = (message) => message.type === "csp-violation" && COSMETIC.test(message.blockedURI || "");

// The preview's address carries a signature that opens the page for an hour: what other features
// may send on (to a model, say) names the page without it.
const SIGNED = /(\/v\/[\w-]+)\?[^\s:)"'<>]*/g;
const unsigned = (text) => (typeof text === "string" ? text.replace(SIGNED, "$1") : null);

// One problem as the editor's other features take it (the "toolsmith:runtime-errors" event):
// every field present, null where the kind has none; a blocked load's message in words.
export function eventEntry(entry) {
  return {
    kind: entry.type,
    message: entry.type === "csp-violation" ? describeViolation(entry) : entry.type === "blocked" ? unsigned(describeBlocked(entry)) : unsigned(entry.message),
    filename: unsigned(entry.filename ?? entry.sourceFile),
    line: entry.line ?? null,
    column: entry.column ?? null,
    stack: unsigned(entry.stack),
    directive: entry.directive ?? null,
    blockedURI: entry.blockedURI ?? null,
    action: entry.action ?? null,
  };
}

function where(entry) {
  const parts = [];
  if (entry.line) parts.push(entry.column ? `line ${entry.line}, column ${entry.column}` : `line ${entry.line}`);
  if (entry.type === "csp-violation" && entry.directive) parts.push(entry.directive);
  if (entry.count > 1) parts.push(`${entry.count} times`);
  return parts.join(" · ");
}

function messageOf(entry) {
  if (entry.type === "csp-violation") return describeViolation(entry);
  if (entry.type === "blocked") return describeBlocked(entry);
  return entry.message || "(no message)";
}

function item(entry) {
  const place = where(entry);
  return h(
    "li",
    { class: "runtime-error", "data-testid": "runtime-error", "data-kind": entry.type },
    h("span", { class: "runtime-error-kind" }, KINDS[entry.type]),
    h("p", { class: "runtime-error-message" }, messageOf(entry)),
    place ? h("p", { class: "runtime-error-where" }, place) : null,
    entry.stack ? h("details", { class: "runtime-error-stack" }, h("summary", {}, "Stack trace"), h("pre", {}, entry.stack)) : null,
  );
}

export class RuntimeErrors {
  // `fixButton(n, entries)`: the strip's own Fix button for version `n`'s problems, or null.
  constructor(root, { onChange = null, fixButton = null } = {}) {
    this.root = root;
    this.onChange = onChange;
    this.fixButton = fixButton;
    this.title = root.querySelector("[data-role=title]");
    this.actions = root.querySelector("[data-role=actions]");
    this.list = root.querySelector("[data-role=list]");
    this.logs = new Map(); // version number -> { entries, more }
    this.version = null;
    this.hidden = false;
    this.frame = 0;
  }

  // What version `n` reported since its page last loaded: validated bridge messages, plus `count`.
  entries(n) {
    return this.logs.get(n)?.entries ?? [];
  }

  // A new page of version `n` loaded: what the last one said no longer holds.
  clear(n) {
    if (!this.logs.delete(n)) return;
    this.notify(n);
    this.changed(n);
  }

  // At most MAX_ENTRIES per version, repeats counted: a page cannot flood the editor.
  add(n, message) {
    if (n == null || !Object.hasOwn(KINDS, message.type) || isCosmetic(message)) return;
    let log = this.logs.get(n);
    if (!log) this.logs.set(n, (log = { entries: [], more: 0 }));
    const key = JSON.stringify([message.type, message.message, message.line, message.column, message.directive, message.blockedURI, message.action, message.target]);
    const same = log.entries.find((entry) => entry.key === key);
    if (same) same.count += 1;
    else if (log.entries.length < MAX_ENTRIES) {
      log.entries.push({ ...message, key, count: 1 });
      this.notify(n);
    } else log.more += 1;
    this.changed(n);
  }

  // A repeat only counts: the list changes when a problem is new, or when it starts afresh.
  notify(n) {
    this.onChange?.(n, this.entries(n).map(eventEntry));
  }

  // Shows version `n`'s problems; `hidden` while its page is still being written (a half-written
  // page has errors the finished one will not).
  show(n, { hidden = false } = {}) {
    this.version = n;
    this.hidden = hidden;
    this.render();
  }

  changed(n) {
    if (n !== this.version || this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    const log = this.logs.get(this.version) ?? { entries: [], more: 0 };
    const shown = log.entries.length;
    this.root.hidden = this.hidden || shown === 0;
    const total = log.more ? `${shown}+` : String(shown);
    this.title.textContent = `${total} ${shown === 1 && !log.more ? "problem" : "problems"} while running`;
    // replaceChildren would write a null as the text "null": the "more" row is added only when there is one.
    const rows = log.entries.map(item);
    if (log.more) rows.push(h("li", { class: "runtime-error-more muted" }, `${log.more} more not shown`));
    this.list.replaceChildren(...rows);
    const fix = shown && !this.hidden ? this.fixButton?.(this.version, this.entries(this.version).map(eventEntry)) : null;
    // The button sits in the strip's summary: its click must not also open or close the list.
    fix?.addEventListener("click", (event) => event.preventDefault());
    this.actions?.replaceChildren(...(fix ? [fix] : []));
  }
}
