// The browser check of each version (app/checks on the server): a chip in the version list, the
// problem strip under the preview with Fix, and polling while a check is still running.
// Problems come from a page we do not trust: rendered as text only.
import { getJSON } from "./api.js";
import { h } from "./dom.js";

export const POLL_MS = 1500;

const KINDS = {
  load: "Did not load",
  error: "Error",
  rejection: "Unhandled rejection",
  console_error: "console.error",
  blocked: "Blocked",
  blank: "Blank page",
  hang: "Hang",
  bad_text: "Broken text",
  crash: "Crash",
  expectation: "Expectation",
};

export function checkLabel(check) {
  if (!check) return null;
  if (check.status === "passed") return "Passed";
  if (check.status === "problems") return check.problems.length === 1 ? "1 problem" : `${check.problems.length} problems`;
  if (check.status === "pending") return "Checking…";
  return "Not checked";
}

export function checkChip(v) {
  const check = v.check;
  if (!check || v.status === "generating" || (check.status === "not_checked" && !v.has_page)) return null;
  return h(
    "span",
    { class: "check-chip", "data-status": check.status, "data-testid": "check-chip", title: check.reason || checkTitle(check) },
    checkLabel(check),
  );
}

function checkTitle(check) {
  if (check.status === "passed") return "Loaded at laptop and phone widths and clicked through in a browser: no problems";
  if (check.status === "problems") return "What a browser found running this version";
  return "Being checked in a browser";
}

// The check's problems as Fix carries them to the model (static/fix.js toFixError reads these).
export function checkEntries(check) {
  if (!check || check.status !== "problems") return [];
  return check.problems.map((p) => ({
    kind: p.kind === "rejection" ? "rejection" : p.kind === "console_error" ? "console-error" : "error",
    message: p.step && !p.message.includes(p.step) ? `${p.message} (while ${p.step})` : p.message,
    line: p.line ?? null,
    column: p.column ?? null,
  }));
}

export class CheckStrip {
  // fixButton(version, entries) -> the Fix button (fix.js Fixer.button).
  constructor(root, { fixButton }) {
    this.root = root;
    this.fixButton = fixButton;
  }

  show(v) {
    const check = v && v.status !== "generating" ? v.check : null;
    const shown = check && (check.status === "problems" || check.status === "pending");
    this.root.hidden = !shown;
    if (!shown) {
      this.root.replaceChildren();
      return;
    }
    this.root.dataset.status = check.status;
    if (check.status === "pending") {
      this.root.replaceChildren(h("p", { class: "check-strip-title" }, h("span", { class: "spinner", "aria-hidden": "true" }), `Checking v${v.number} in a browser…`));
      return;
    }
    const entries = checkEntries(check);
    this.root.replaceChildren(
      h(
        "div",
        { class: "check-strip-head" },
        h("p", { class: "check-strip-title", "data-testid": "check-strip-title" }, `The check of v${v.number} found ${checkLabel(check)}`),
        this.fixButton(v, entries),
      ),
      h(
        "ol",
        { class: "check-problems" },
        ...check.problems.map((p) =>
          h(
            "li",
            { class: "check-problem", "data-kind": p.kind, "data-testid": "check-problem" },
            h("span", { class: "runtime-error-kind" }, KINDS[p.kind] || p.kind),
            h("p", { class: "runtime-error-message" }, p.message),
            p.step || p.line ? h("p", { class: "runtime-error-where" }, [p.step, p.line ? `line ${p.line}${p.column ? `, column ${p.column}` : ""}` : null].filter(Boolean).join(" · ")) : null,
          ),
        ),
      ),
    );
  }
}

// Asks again after a pause for each version whose check is still running; `update(version)` gets it back.
export class CheckPoller {
  constructor({ appId, versions, update }) {
    this.appId = appId;
    this.versions = versions;
    this.update = update;
    this.timer = null;
  }

  kick() {
    if (this.timer !== null) return;
    const waiting = this.versions().filter((v) => v.status !== "generating" && v.check?.status === "pending");
    if (!waiting.length) return;
    this.timer = setTimeout(async () => {
      this.timer = null;
      for (const v of waiting) {
        try {
          const { version } = await getJSON(`/api/apps/${this.appId}/versions/${v.number}`);
          if (version.check?.status !== "pending") this.update(version);
        } catch {
          // Try again at the next round.
        }
      }
      this.kick();
    }, POLL_MS);
  }
}
