// Renders the version list (a tree: oldest first, branches indented under the version they start from)
// and the conversation from the editor's state.
// Both are rebuilt whole on each change (a handful of versions); focus is kept.
import { checkChip } from "./checks.js";
import { STATUS_LABELS, byModel, h, isImport, modelBadge, statusChip, timeAgo } from "./dom.js";
import { duration, relativeTime, tokens } from "./format.js";

export const CUT_OFF = "This answer was cut off by the model's token limit; the page may be unfinished.";

const ERROR_KINDS = {
  error: "Error",
  rejection: "Unhandled rejection",
  "console-error": "console.error",
  "csp-violation": "Blocked",
  blocked: "Blocked",
};

function keepingFocus(container, render) {
  const key = container.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
  render();
  if (key) container.querySelector(`[data-focus-key="${key}"]`)?.focus();
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

// How the version's page was made, in a few words; null when nothing is known yet.
export function howMade(v) {
  if (v.kind === "hand_edit") return "hand edit";
  if (v.kind === "restore") return `restore of v${v.parent_number}`;
  if (isImport(v)) return null;
  const parts = [];
  if (v.kind === "fix") parts.push(v.automatic ? "automatic fix" : "fix");
  if (v.path === "edits") parts.push(plural(v.edit_count ?? 0, "edit"));
  else if (v.path === "edits_retried") parts.push(`${plural(v.edit_count ?? 0, "edit")}, second try`);
  else if (v.path === "edits_then_page") parts.push("whole page after edits failed");
  else if (v.path === "page") parts.push("whole page");
  if (v.continuations) parts.push(`continued ×${v.continuations}`);
  return parts.length ? parts.join(", ") : null;
}

// number -> { depth, from }: a version continues its parent's line when it is the parent's first
// child, and starts a branch (one level deeper, `from` its parent) otherwise.
export function versionTree(versions) {
  const byNumber = new Map(versions.map((v) => [v.number, v]));
  const firstChild = new Map();
  for (const v of [...versions].sort((a, b) => a.number - b.number)) {
    if (v.parent_number != null && !firstChild.has(v.parent_number)) firstChild.set(v.parent_number, v.number);
  }
  const tree = new Map();
  const place = (v) => {
    if (tree.has(v.number)) return tree.get(v.number);
    const parent = byNumber.get(v.parent_number);
    let spot = { depth: 0, from: null };
    if (parent) {
      const up = place(parent);
      spot = firstChild.get(parent.number) === v.number ? { depth: up.depth, from: null } : { depth: up.depth + 1, from: parent.number };
    }
    tree.set(v.number, spot);
    return spot;
  };
  for (const v of versions) place(v);
  return tree;
}

// What was asked, in words: the prompt, or what the person did instead.
export function askedFor(v) {
  if (v.kind === "hand_edit") return v.prompt && v.prompt !== "Edited the code by hand" ? `Hand edit: ${v.prompt}` : "Hand edit";
  if (v.kind === "restore") return `Restored v${v.parent_number}`;
  if (v.kind === "continue") return `Continue v${v.parent_number}`;
  if (v.model === "remix") return "Remixed from a share link";
  if (isImport(v)) return v.prompt || "Imported page";
  if (v.kind === "fix") {
    const n = (v.runtime_errors || []).length;
    return `${v.automatic ? "Automatic fix" : "Fix"} of ${n === 1 ? "1 error" : `${n} errors`}`;
  }
  return (v.prompt || "").replace(/\s+/g, " ").trim();
}

// The versions in tree order, oldest first: each one, then the branches that start from it (one level
// deeper, each with its own line), then the version that continues its line.
export function treeOrder(versions) {
  const numbers = new Set(versions.map((v) => v.number));
  const children = new Map();
  const roots = [];
  for (const v of [...versions].sort((a, b) => a.number - b.number)) {
    if (v.parent_number != null && numbers.has(v.parent_number)) {
      if (!children.has(v.parent_number)) children.set(v.parent_number, []);
      children.get(v.parent_number).push(v);
    } else {
      roots.push(v);
    }
  }
  const out = [];
  const walk = (start) => {
    for (let node = start; node; ) {
      out.push(node);
      const kids = children.get(node.number) || [];
      for (const branch of kids.slice(1)) walk(branch);
      node = kids[0];
    }
  };
  for (const root of roots) walk(root);
  return out;
}

function metaLine(v, spot) {
  const parts = [];
  if (spot.from !== null && v.kind !== "restore") parts.push(`branch from v${spot.from}`);
  const made = howMade(v);
  if (made) parts.push(made);
  if (v.output_tokens != null) parts.push(`${tokens(v.output_tokens)} tokens`);
  if (v.duration_ms != null && byModel(v)) parts.push(duration(v.duration_ms));
  return parts.join(" · ");
}

// One tab stop for the whole list (roving tabindex): the arrow keys, Home and End move between versions,
// Enter or Space shows the one focused.
export function renderVersionList(list, state, actions) {
  const tree = versionTree(state.versions);
  const focusable = state.versions.some((v) => v.number === state.current) ? state.current : state.versions.at(-1)?.number;
  keepingFocus(list, () => {
    list.replaceChildren(
      ...treeOrder(state.versions).map((v) => {
        const current = v.number === state.current;
        const spot = tree.get(v.number);
        const meta = metaLine(v, spot);
        const asked = askedFor(v);
        return h(
          "li",
          { class: "version-node", style: { "--depth": String(spot.depth) }, "data-depth": spot.depth },
          h(
            "button",
            {
              type: "button",
              class: `version-item${spot.from !== null ? " is-branch" : ""}`,
              "data-testid": "version-item",
              "data-version": v.number,
              "data-status": v.status,
              "data-kind": v.kind || "",
              "data-parent": v.parent_number ?? "",
              "data-depth": spot.depth,
              "data-focus-key": `item-${v.number}`,
              tabindex: v.number === focusable ? "0" : "-1",
              "aria-current": current ? "true" : null,
              title: asked || null,
              "aria-label": [`Version ${v.number}${current ? " (shown)" : ""}`, asked, STATUS_LABELS[v.status] || v.status, meta].filter(Boolean).join(", "),
              onclick: () => actions.select(v.number),
            },
            h("span", { class: "version-number" }, `v${v.number}`),
            h("span", { class: "status-dot", "data-status": v.status, "aria-hidden": "true" }),
            h("span", { class: "version-prompt", "data-testid": "version-prompt" }, asked || "—"),
            timeAgo(v.created_at, relativeTime(v.created_at)),
            h("span", { class: "version-sub" }, modelBadge(v), meta ? h("span", { class: "version-meta", "data-testid": "version-meta" }, meta) : null, checkChip(v)),
          ),
        );
      }),
    );
  });
}

const MOVES = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };

export function setupVersionListKeys(list) {
  list.addEventListener("keydown", (event) => {
    const items = [...list.querySelectorAll(".version-item")];
    const at = items.indexOf(document.activeElement);
    if (at < 0) return;
    let next = null;
    if (event.key in MOVES) next = Math.min(Math.max(at + MOVES[event.key], 0), items.length - 1);
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = items.length - 1;
    if (next === null) return;
    event.preventDefault();
    for (const item of items) item.tabIndex = -1;
    items[next].tabIndex = 0;
    items[next].focus();
  });
}

function paragraphs(text) {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((p) => h("p", {}, p));
}

function usage(v) {
  const parts = [];
  if (v.input_tokens != null) parts.push(`${tokens(v.input_tokens)} tokens in`);
  if (v.output_tokens != null) parts.push(`${tokens(v.output_tokens)} out`);
  if (v.duration_ms != null && byModel(v)) parts.push(duration(v.duration_ms));
  const made = byModel(v) ? howMade(v) : null;
  if (made) parts.push(made);
  return parts.length ? h("p", { class: "turn-meta", "data-testid": "turn-meta" }, parts.join(" · ")) : null;
}

function button(label, attrs) {
  return h("button", { type: "button", class: "button button-small", ...attrs }, label);
}

function assistantBody(v, state, actions) {
  if (v.status === "generating") {
    // What the model says before its page arrives, as it says it (editor.js fills it in).
    const said = state.saying?.number === v.number ? state.saying.text : "";
    return [
      h("p", { class: "turn-notes turn-live-notes", "data-testid": "live-notes", hidden: !said }, said),
      h("p", { class: "turn-working" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Writing the page…"),
    ];
  }
  const busy = state.busy ? "Wait for the version being written to finish" : null;
  const body = [];
  if (v.notes && v.notes.trim()) body.push(h("div", { class: "turn-notes" }, paragraphs(v.notes)));
  else if (v.kind === "hand_edit") body.push(h("p", { class: "turn-notes muted" }, "The page as you edited it."));
  else if (v.kind === "restore") body.push(h("p", { class: "turn-notes muted" }, `The page of v${v.parent_number}, as it was.`));
  else if (v.status === "complete") {
    const note = v.model === "remix" ? "A copy of the shared app, now yours to change." : isImport(v) ? "The page as imported." : "Here is the page.";
    body.push(h("p", { class: "turn-notes muted" }, note));
  }
  if (v.edit_error && v.status !== "failed") {
    body.push(
      h(
        "p",
        { class: "notice notice-info", "data-testid": "fallback-notice", title: v.edit_error },
        v.path === "edits_retried"
          ? "Its first edit blocks did not fit the page; the second try did."
          : "Its edit blocks did not fit the page, so it was asked for the whole page instead.",
      ),
    );
  }
  const actionsRow = [];
  const errors = state.errors?.get(v.number) || [];
  if (errors.length && v.status !== "generating") {
    body.push(
      h(
        "p",
        { class: "notice notice-error", "data-testid": "runtime-errors-notice" },
        `This page reported ${errors.length === 1 ? "an error" : `${errors.length} errors`} as it ran: ${String(errors[0].message || errors[0].directive || "").split("\n")[0]}`,
      ),
    );
    actionsRow.push(actions.fixButton(v));
  }
  if (v.status === "incomplete" || (v.status === "stopped" && v.has_page)) {
    const stopped = v.status === "stopped";
    body.push(h("p", { class: "notice notice-warning", "data-testid": stopped ? "stopped-notice" : "incomplete-notice" }, v.error || CUT_OFF));
    actionsRow.push(
      button("Continue", {
        "data-testid": "continue-button",
        "data-focus-key": `continue-${v.number}`,
        "aria-label": `Continue version ${v.number}`,
        disabled: state.busy,
        title: busy || `Ask the model to go on where it ${stopped ? "was stopped" : "was cut off"}`,
        onclick: () => actions.resume(v),
      }),
    );
  }
  if (v.status === "stopped" && !v.has_page) {
    body.push(h("p", { class: "notice notice-warning", "data-testid": "stopped-notice" }, "You stopped this version before any page was written. Its prompt is kept: retry it, or send another."));
    actionsRow.push(
      button("Retry", { "data-testid": "retry-button", "data-focus-key": `retry-${v.number}`, "aria-label": `Retry version ${v.number}`, disabled: state.busy, title: busy, onclick: () => actions.retry(v) }),
    );
  }
  if (v.status === "failed") {
    body.push(h("p", { class: "notice notice-error", "data-testid": "error-message" }, v.error || "This version failed without saying why. Try again."));
    if (v.prompt && byModel(v)) {
      actionsRow.push(
        button("Retry", {
          "data-testid": "retry-button",
          "data-focus-key": `retry-${v.number}`,
          "aria-label": `Retry version ${v.number}`,
          disabled: state.busy,
          title: busy,
          onclick: () => actions.retry(v),
        }),
        button("Edit prompt", { class: "button button-small button-ghost", "data-focus-key": `edit-${v.number}`, onclick: () => actions.edit(v) }),
      );
    }
  }
  const newest = Math.max(...state.versions.map((x) => x.number));
  if (v.status !== "failed" && v.status !== "generating" && v.number !== newest && (v.has_page ?? true)) {
    actionsRow.push(
      button("Restore", {
        class: "button button-small button-ghost",
        "data-testid": "restore-button",
        "data-focus-key": `restore-${v.number}`,
        "aria-label": `Restore version ${v.number}`,
        title: `Make a new version with the page of v${v.number}; nothing is deleted`,
        onclick: () => actions.restore(v),
      }),
    );
  }
  if (actionsRow.length) body.push(h("div", { class: "turn-actions" }, actionsRow));
  body.push(usage(v));
  return body;
}

function scopeChip(selection) {
  if (!selection) return null;
  const text =
    selection.kind === "code"
      ? selection.start_line === selection.end_line
        ? `Line ${selection.start_line}`
        : `Lines ${selection.start_line}–${selection.end_line}`
      : `Element ${selection.selector}`;
  return h("span", { class: "scope-chip", "data-testid": "turn-scope" }, text);
}

function errorItem(error) {
  const where = error.line != null ? ` (line ${error.line}${error.column != null ? `:${error.column}` : ""})` : "";
  return h("li", {}, h("span", { class: "error-kind" }, ERROR_KINDS[error.kind] || "Error"), ` ${error.message.split("\n")[0]}${where}`);
}

function userSide(v) {
  if (isImport(v)) return h("p", { class: "bubble-system" }, v.prompt || "Imported an HTML page");
  if (v.kind === "hand_edit") {
    const note = v.prompt && v.prompt !== "Edited the code by hand" ? `: ${v.prompt}` : "";
    return h("p", { class: "bubble-system", "data-testid": "hand-edit-bubble" }, `You edited v${v.parent_number} by hand${note}`);
  }
  if (v.kind === "restore") return h("p", { class: "bubble-system", "data-testid": "restore-bubble" }, `Restored v${v.parent_number}`);
  if (v.kind === "continue") return h("p", { class: "bubble-system" }, `Continue v${v.parent_number}, which was cut off`);
  if (v.kind === "fix") {
    const errors = v.runtime_errors || [];
    const note = (v.prompt || "").split("\n\n").slice(1).join("\n\n");
    return h(
      "div",
      { class: "bubble-user bubble-fix", "data-testid": "fix-bubble" },
      h("p", { class: "bubble-title" }, v.automatic ? "Automatic fix of" : "Fix", ` ${errors.length === 1 ? "this error" : `${errors.length} errors`}:`),
      h("ul", { class: "error-list" }, errors.slice(0, 5).map(errorItem)),
      errors.length > 5 ? h("p", { class: "muted small" }, `…and ${errors.length - 5} more`) : null,
      note ? paragraphs(note) : null,
    );
  }
  return h("div", { class: "bubble-user" }, paragraphs(v.prompt || ""), scopeChip(v.selection));
}

function turn(v, state, actions) {
  const current = v.number === state.current;
  const branched = v.parent_number != null && v.parent_number !== v.number - 1 && !["restore", "hand_edit", "continue"].includes(v.kind);
  return h(
    "li",
    { class: `turn${current ? " is-current" : ""}`, "data-version": v.number, "data-status": v.status, "data-kind": v.kind || "" },
    userSide(v),
    h(
      "div",
      { class: "turn-assistant" },
      h(
        "div",
        { class: "turn-head" },
        h(
          "button",
          {
            type: "button",
            class: "version-link",
            "data-focus-key": `select-${v.number}`,
            "aria-current": current ? "true" : null,
            "aria-label": `Show version ${v.number}`,
            // The version list is the keyboard's way between versions: one tab stop, not one per turn.
            tabindex: "-1",
            onclick: () => actions.select(v.number),
          },
          `v${v.number}`,
        ),
        statusChip(v.status),
        modelBadge(v),
        branched ? h("span", { class: "muted small" }, `from v${v.parent_number}`) : null,
      ),
      assistantBody(v, state, actions),
    ),
  );
}

export function renderConversation(list, state, actions) {
  keepingFocus(list, () => {
    list.replaceChildren(...state.versions.map((v) => turn(v, state, actions)));
  });
}
