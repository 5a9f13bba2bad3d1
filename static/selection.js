// Scoping a follow-up to part of the page: a range of lines selected in the code view, or an element
// picked in the preview. The composer shows the scope as a chip; the follow-up sends it as `selection`.
//
// Picking an element goes through the sandbox's runtime bridge, by three window events:
//   "toolsmith:bridge"  {pick: true}                         the bridge can pick: show the Pick button
//   "toolsmith:pick"    {on: true | false}                   the editor asks to start (or stop) picking
//   "toolsmith:picked"  {selector, tag, text, html}          the person clicked an element
import { h } from "./dom.js";

// The lines of the code view's text that the page's selection covers, or null.
export function selectedLines(code, node) {
  const selection = window.getSelection();
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  if (!code.contains(range.startContainer) || !code.contains(range.endContainer)) return null;
  const text = node.data;
  const offset = (container, at) => (container === node ? at : at === 0 ? 0 : text.length);
  const start = offset(range.startContainer, range.startOffset);
  let end = offset(range.endContainer, range.endOffset);
  if (end > start && text[end - 1] === "\n") end -= 1; // a selection that ends at the start of a line
  if (end <= start) return null;
  const lineOf = (at) => text.slice(0, at).split("\n").length;
  return { kind: "code", start_line: lineOf(start), end_line: lineOf(end) };
}

export function elementSelection(picked) {
  const selection = { kind: "element", selector: String(picked.selector || "") };
  for (const name of ["tag", "text", "html"]) if (typeof picked[name] === "string" && picked[name]) selection[name] = picked[name];
  return selection;
}

export function scopeLabel(selection) {
  if (selection.kind === "code") {
    return selection.start_line === selection.end_line ? `line ${selection.start_line}` : `lines ${selection.start_line}–${selection.end_line}`;
  }
  const text = selection.text ? ` “${selection.text.length > 30 ? `${selection.text.slice(0, 29)}…` : selection.text}”` : "";
  return `<${selection.tag || "element"}>${text}`;
}

// The chip above the follow-up box: which version and part of it the next request is about.
export class ScopeChip {
  constructor(box, onChange) {
    this.box = box;
    this.onChange = onChange;
    this.scope = null; // {version, selection}
  }

  set(version, selection) {
    this.scope = { version, selection };
    this.render();
  }

  clear() {
    if (!this.scope) return;
    this.scope = null;
    this.render();
  }

  // The selection to send with a follow-up that changes `version`, if the scope is about it.
  selectionFor(version) {
    return this.scope && this.scope.version === version ? this.scope.selection : null;
  }

  render() {
    this.box.hidden = this.scope === null;
    if (this.scope === null) {
      this.box.replaceChildren();
    } else {
      this.box.replaceChildren(
        h("span", { class: "scope-text" }, `About ${scopeLabel(this.scope.selection)} of v${this.scope.version}`),
        h(
          "button",
          { type: "button", class: "scope-clear", "data-testid": "scope-clear", "aria-label": "Ask about the whole page again", title: "Ask about the whole page again", onclick: () => this.clear() },
          "×",
        ),
      );
    }
    this.onChange?.(this.scope);
  }
}
