// A tiny element builder (text only, never HTML strings), badges and chips.
import { absoluteTime } from "./format.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "style") for (const [property, v] of Object.entries(value)) el.style.setProperty(property, v); // CSSOM: allowed by our CSP
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export const DEMO_TOOLTIP = "Not an LLM: an offline demo that picks a built-in example.";

export function demoBadge() {
  return h("span", { class: "badge badge-demo", "data-testid": "demo-badge", title: DEMO_TOOLTIP }, "Offline demo");
}

// "anthropic:claude-sonnet-5-5" shows as "claude-sonnet-5-5" (full id in the tooltip);
// the demo model always shows as the Offline demo badge.
export function modelBadge(version) {
  if (version.is_demo || version.model === "demo") return demoBadge();
  if (version.model === "remix") return h("span", { class: "badge", title: "A copy of an app someone shared" }, "Remixed");
  if (isImport(version)) return h("span", { class: "badge", title: "An HTML page imported as is" }, "Imported");
  if (version.kind === "hand_edit" || version.model === "hand") {
    return h("span", { class: "badge badge-hand", title: "Edited by hand in the code view, not by a model" }, "You, by hand");
  }
  if (version.kind === "restore" || version.model === "restore") {
    return h("span", { class: "badge badge-restore", title: `The page of v${version.parent_number}, restored` }, `restored v${version.parent_number}`);
  }
  const [, name] = version.model.includes(":") ? version.model.split(/:(.*)/s) : ["", version.model];
  return h("span", { class: "badge badge-model", title: version.model }, name || version.model);
}

// A page brought in as it was (imported, or copied from a share link), not written by a model.
export function isImport(version) {
  return !version.model || version.model === "import" || version.model === "remix";
}

// Versions a model wrote (not imports, hand edits or restores).
export function byModel(version) {
  return !isImport(version) && !["hand_edit", "restore"].includes(version.kind) && !["hand", "restore"].includes(version.model);
}

export const STATUS_LABELS = {
  generating: "Writing",
  complete: "Complete",
  incomplete: "Cut off",
  stopped: "Stopped",
  failed: "Failed",
};

export function statusChip(status) {
  return h("span", { class: "status-chip", "data-status": status }, STATUS_LABELS[status] || status);
}

const STATE_LABELS = { active: "Active", revoked: "Revoked", expired: "Expired" };

// The state of something that can be revoked or expire (a share link, an API token).
export function stateChip(state) {
  return h("span", { class: "status-chip", "data-status": state === "active" ? "complete" : "failed" }, STATE_LABELS[state] || state);
}

export function timeAgo(iso, text) {
  return h("time", { datetime: iso, "data-relative": true, title: absoluteTime(iso) }, text);
}
