// The code view as an editor: the page's HTML in a textarea with line numbers. Saving makes a new
// version attributed to the person (see editor.js). Tab and Shift+Tab indent and outdent (press
// Escape first to move on with Tab instead), Enter keeps the indentation, Ctrl+S or Cmd+S saves.

const INDENT = "  ";

export class CodeEditor {
  constructor({ root, textarea, gutter, onInput, onSave }) {
    this.root = root;
    this.textarea = textarea;
    this.gutter = gutter;
    this.onInput = onInput;
    this.onSave = onSave;
    this.original = "";
    this.version = null; // the version being edited
    this.lines = 0;
    this.escaped = false;
    textarea.addEventListener("input", () => {
      this.number();
      this.onInput?.();
    });
    textarea.addEventListener("scroll", () => {
      this.gutter.scrollTop = textarea.scrollTop;
    });
    textarea.addEventListener("keydown", (event) => this.key(event));
  }

  get open() {
    return !this.root.hidden;
  }

  get value() {
    return this.textarea.value;
  }

  get dirty() {
    return this.open && this.textarea.value !== this.original;
  }

  start(text, version) {
    this.version = version;
    this.original = text;
    this.textarea.value = text;
    this.root.hidden = false;
    this.number();
    this.textarea.setSelectionRange(0, 0);
    this.textarea.scrollTop = 0;
    this.textarea.focus();
  }

  stop() {
    this.root.hidden = true;
    this.textarea.value = "";
    this.original = "";
    this.version = null;
  }

  number() {
    const count = this.textarea.value.split("\n").length;
    if (count === this.lines) return;
    this.lines = count;
    this.gutter.textContent = Array.from({ length: count }, (_, i) => i + 1).join("\n");
    this.gutter.scrollTop = this.textarea.scrollTop;
  }

  key(event) {
    const ta = this.textarea;
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      this.onSave?.();
      return;
    }
    if (event.key === "Escape") {
      this.escaped = true;
      return;
    }
    if (event.key === "Tab" && !this.escaped && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault();
      const { selectionStart: start, selectionEnd: end, value } = ta;
      if (!event.shiftKey && !value.slice(start, end).includes("\n")) {
        insert(ta, INDENT);
      } else {
        this.shiftLines(event.shiftKey ? -1 : 1);
      }
      return;
    }
    this.escaped = false;
    if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      const { selectionStart: start, value } = ta;
      const lineStart = value.lastIndexOf("\n", start - 1) + 1;
      const indent = value.slice(lineStart, start).match(/^[ \t]*/)[0];
      insert(ta, `\n${indent}`);
    }
  }

  // Indents (+1) or outdents (-1) every line the selection touches, keeping them selected.
  shiftLines(direction) {
    const ta = this.textarea;
    const { selectionStart: start, selectionEnd: end, value } = ta;
    const from = value.lastIndexOf("\n", start - 1) + 1;
    const lastEnd = end > start && value[end - 1] === "\n" ? end - 1 : end;
    let to = value.indexOf("\n", lastEnd);
    if (to === -1) to = value.length;
    const lines = value.slice(from, to).split("\n");
    const changed = lines
      .map((line) => {
        if (direction > 0) return line.trim() ? INDENT + line : line;
        if (line.startsWith(INDENT)) return line.slice(INDENT.length);
        return line.replace(/^[ \t]/, "");
      })
      .join("\n");
    ta.setSelectionRange(from, to);
    insert(ta, changed);
    ta.setSelectionRange(from, from + changed.length);
  }
}

// Inserts text at the selection so that the browser's undo (Ctrl+Z) still works.
function insert(textarea, text) {
  textarea.focus();
  if (!document.execCommand?.("insertText", false, text)) {
    textarea.setRangeText(text, textarea.selectionStart, textarea.selectionEnd, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }
}
