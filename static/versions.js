// Renders the version list and the conversation from the editor's state.
// Both are rebuilt whole on each change (a handful of versions); focus is kept.
import { h, isImport, modelBadge, statusChip, timeAgo } from "./dom.js";
import { duration, relativeTime, tokens } from "./format.js";

export const CUT_OFF = "This answer was cut off by the model's token limit; the page may be unfinished.";

function keepingFocus(container, render) {
  const key = container.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
  render();
  if (key) container.querySelector(`[data-focus-key="${key}"]`)?.focus();
}

export function renderVersionList(list, state, actions) {
  keepingFocus(list, () => {
    list.replaceChildren(
      ...[...state.versions].reverse().map((v) => {
        const current = v.number === state.current;
        return h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "version-item",
              "data-testid": "version-item",
              "data-version": v.number,
              "data-status": v.status,
              "data-focus-key": `item-${v.number}`,
              "aria-current": current ? "true" : null,
              "aria-label": `Version ${v.number}, ${v.status}${current ? ", shown" : ""}`,
              onclick: () => actions.select(v.number),
            },
            h("span", { class: "version-number" }, `v${v.number}`),
            h("span", { class: "status-dot", "data-status": v.status, "aria-hidden": "true" }),
            modelBadge(v),
            timeAgo(v.created_at, relativeTime(v.created_at)),
          ),
        );
      }),
    );
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
  if (v.duration_ms != null) parts.push(duration(v.duration_ms));
  return parts.length ? h("p", { class: "turn-meta" }, parts.join(" · ")) : null;
}

function assistantBody(v, state, actions) {
  if (v.status === "generating") {
    return [h("p", { class: "turn-working" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Writing the page…")];
  }
  const body = [];
  if (v.notes && v.notes.trim()) body.push(h("div", { class: "turn-notes" }, paragraphs(v.notes)));
  else if (v.status === "complete") body.push(h("p", { class: "turn-notes muted" }, isImport(v) ? "The page as imported." : "Here is the page."));
  if (v.status === "incomplete") body.push(h("p", { class: "notice notice-warning", "data-testid": "incomplete-notice" }, CUT_OFF));
  if (v.status === "failed") {
    body.push(
      h("p", { class: "notice notice-error", "data-testid": "error-message" }, v.error || "This version failed without saying why. Try again."),
      v.prompt && !isImport(v)
        ? h(
            "div",
            { class: "turn-actions" },
            h(
              "button",
              {
                type: "button",
                class: "button button-small",
                "data-testid": "retry-button",
                "data-focus-key": `retry-${v.number}`,
                disabled: state.busy,
                title: state.busy ? "Wait for the version being written to finish" : null,
                onclick: () => actions.retry(v),
              },
              "Retry",
            ),
            h(
              "button",
              { type: "button", class: "button button-small button-ghost", "data-focus-key": `edit-${v.number}`, onclick: () => actions.edit(v) },
              "Edit prompt",
            ),
          )
        : null,
    );
  }
  body.push(usage(v));
  return body;
}

function turn(v, state, actions) {
  const current = v.number === state.current;
  const branched = v.parent_number != null && v.parent_number !== v.number - 1;
  return h(
    "li",
    { class: `turn${current ? " is-current" : ""}`, "data-version": v.number, "data-status": v.status },
    isImport(v)
      ? h("p", { class: "bubble-system" }, v.prompt || "Imported an HTML page")
      : h("div", { class: "bubble-user" }, paragraphs(v.prompt || "")),
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
