// Hand edits: the code view (static/code.js) switched to editing one version's page. Saving makes a new
// version attributed to the person (see editor.js). Tab and Shift+Tab indent and outdent (press Escape
// first to move on with Tab instead), Ctrl+F searches, Ctrl+S or Cmd+S saves.

export class CodeEditor {
  constructor(code) {
    this.code = code;
    this.original = "";
    this.current = "";
    this.version = null; // the version being edited; null when not editing
  }

  get open() {
    return this.version !== null;
  }

  get value() {
    return this.code.text;
  }

  get dirty() {
    return this.open && this.current !== this.original;
  }

  // The code view tells of each change while editing.
  changed(text) {
    if (this.open) this.current = text;
  }

  start(text, version) {
    this.version = version;
    this.original = this.current = text;
    this.code.set(text);
    this.code.setEditable(true);
    this.code.focus();
  }

  // Back to reading; `text` (the version's page) replaces what was typed.
  stop(text = null) {
    if (!this.open) return;
    this.version = null;
    this.original = this.current = "";
    this.code.setEditable(false);
    if (text !== null) this.code.set(text);
  }
}
