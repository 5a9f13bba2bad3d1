// Fix: the errors a version's page reported as it ran go back to the model as a follow-up that
// carries them (POST /api/apps/{id}/versions with "errors"), and, when the server allows it
// (TOOLSMITH_AUTO_FIX_ATTEMPTS), automatic fix attempts, each one a version of its own.
//
// Entries come from the sandbox's runtime bridge, one list per version:
//   {kind, message, filename, line, column, stack}   kind: error | rejection | console-error
//   {kind: "csp-violation", directive, blockedURI, line, sourceFile}
//   {kind: "blocked", action, message}   what the sandbox stopped, in words
import { byModel, h } from "./dom.js";

export const AUTO_FIX_WAIT_MS = 1500; // errors keep arriving as a page starts; wait for them before fixing
const KINDS = new Set(["error", "rejection", "console-error", "csp-violation", "blocked"]);

// One bridge entry in the shape the API takes.
export function toFixError(entry) {
  const kind = KINDS.has(entry.kind || entry.type) ? entry.kind || entry.type : "error";
  const number = (n) => (Number.isInteger(n) && n >= 0 ? n : undefined);
  if (kind === "csp-violation") {
    const what = entry.blockedURI || entry.blocked_uri || "a resource";
    return { kind, message: `Blocked ${what} (${entry.directive || "Content-Security-Policy"})`, line: number(entry.line), filename: entry.sourceFile || undefined };
  }
  if (kind === "blocked") {
    // The server adds what the app may do instead of each action.
    return { kind, action: entry.action || undefined, message: String(entry.message || "The sandbox stopped something").slice(0, 1000) };
  }
  return {
    kind,
    message: String(entry.message || "Unknown error").slice(0, 1000),
    line: number(entry.line),
    column: number(entry.column),
    stack: entry.stack ? String(entry.stack).slice(0, 3000) : undefined,
    filename: entry.filename || undefined,
  };
}

// Distinct errors, at most the 50 the API accepts.
export function fixErrors(entries) {
  const seen = new Set();
  const errors = [];
  for (const entry of entries) {
    const error = toFixError(entry);
    const key = `${error.kind}|${error.message}|${error.line}|${error.column}`;
    if (!seen.has(key)) {
      seen.add(key);
      errors.push(error);
    }
    if (errors.length === 50) break;
  }
  return errors;
}

export class Fixer {
  // limit: automatic attempts in a row (0: off). send({errors, parent, automatic}) -> Promise<boolean>.
  // versions() -> the app's versions; busy() -> whether a version is being written.
  constructor({ limit, send, versions, busy, announce }) {
    this.limit = limit;
    this.send = send;
    this.versions = versions;
    this.busy = busy;
    this.announce = announce;
    this.tried = new Set();
    this.timers = new Map();
  }

  // The Fix button for a version's errors.
  button(version, entries) {
    return h(
      "button",
      {
        type: "button",
        class: "button button-small button-primary",
        "data-testid": "fix-button",
        disabled: this.busy() || !entries.length,
        title: this.busy() ? "Wait for the version being written to finish" : "Ask the model to fix these errors",
        onclick: () => this.fix(version, entries),
      },
      entries.length === 1 ? "Fix this error" : `Fix ${entries.length} errors`,
    );
  }

  fix(version, entries, { automatic = false } = {}) {
    const errors = fixErrors(entries);
    if (!errors.length) return Promise.resolve(false);
    return this.send({ errors, parent: version.number, automatic });
  }

  // How many automatic fixes in a row led to `version`.
  inARow(version) {
    const byNumber = new Map(this.versions().map((v) => [v.number, v]));
    let n = 0;
    for (let v = version; v && v.kind === "fix" && v.automatic; v = byNumber.get(v.parent_number)) n += 1;
    return n;
  }

  // Called whenever a version's errors change. `fresh`: the editor saw this version being written,
  // so its errors are news; old versions opened later are never fixed automatically.
  report(version, entries, { fresh }) {
    if (!this.limit || !fresh || !entries.length || this.tried.has(version.number)) return;
    const newest = Math.max(...this.versions().map((v) => v.number));
    if (version.number !== newest || version.status !== "complete" || !byModel(version)) return;
    if (this.inARow(version) >= this.limit) {
      this.announce?.(`v${version.number} still reports errors after ${this.limit} automatic fix${this.limit === 1 ? "" : "es"}: use Fix to try again yourself.`);
      this.tried.add(version.number);
      return;
    }
    clearTimeout(this.timers.get(version.number));
    this.timers.set(
      version.number,
      setTimeout(() => {
        this.timers.delete(version.number);
        if (this.tried.has(version.number) || this.busy()) return;
        this.tried.add(version.number);
        this.announce?.(`v${version.number} reported errors: asking the model to fix them (automatic fix).`);
        this.fix(version, entries, { automatic: true });
      }, AUTO_FIX_WAIT_MS),
    );
  }
}
