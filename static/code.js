// The code view: the version's HTML, or the raw answer as it streams in, with copy and download.
// It is CodeMirror (static/codemirror.js) once its vendored modules have loaded, until then (or without
// them) a plain text box;
// hand edits (static/codeedit.js) switch the same view to editing.

const NARROW = "(max-width: 899px)";

export class CodeView {
  // Ready at once as a plain text box, which becomes CodeMirror as soon as its modules have loaded
  // (text, placeholder and mode carried over), so nothing on the page waits for them.
  // hooks: onChange(text) while editing, onSelection() when the selection moves, onSave()
  constructor(host, hooks = {}) {
    this.host = host;
    this.mirror = plainTextBox(host, hooks);
    this.pending = "";
    this.frame = 0;
    this.placeholder = "";
    this.editable = false;
    host.dataset.ready = "plain";
    // What scripts and tests read, as they would a text box's value.
    Object.defineProperty(host, "value", { get: () => this.text, configurable: true });
    this.upgraded = import("./codemirror.js").then(
      ({ createCodeMirror }) => this.upgrade(createCodeMirror(host, { label: host.dataset.label, narrow: window.matchMedia(NARROW), ...hooks })),
      (error) => console.warn("The code view runs without CodeMirror (scripts/vendor installs it):", error),
    );
  }

  upgrade(mirror) {
    const text = this.text;
    const focused = this.host.contains(document.activeElement);
    mirror.setPlaceholder(this.placeholder);
    mirror.setText(text);
    mirror.setEditable(this.editable);
    this.mirror.remove();
    this.mirror = mirror;
    this.host.dataset.ready = "codemirror";
    if (focused) mirror.focus();
  }

  get text() {
    this.flush();
    return this.mirror.text;
  }

  // `placeholder` shows while the text is empty.
  set(text, { placeholder = "", atEnd = false } = {}) {
    this.pending = "";
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.placeholder = placeholder;
    this.mirror.setPlaceholder(placeholder);
    this.mirror.setText(text, { atEnd });
  }

  // Appends streamed text, at most once a frame, following it down unless the reader scrolled up.
  append(text) {
    this.pending += text;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    if (!this.pending) return;
    const text = this.pending;
    this.pending = "";
    this.mirror.append(text);
  }

  setEditable(on) {
    this.flush();
    this.editable = on;
    this.mirror.setEditable(on);
    this.host.classList.toggle("is-editing", on);
  }

  selectedLines() {
    const lines = this.mirror.selectedLines();
    return lines ? { kind: "code", ...lines } : null;
  }

  selectAll() {
    this.mirror.selectAll();
  }

  search() {
    this.mirror.search();
  }

  focus() {
    this.mirror.focus();
  }
}

// The same interface on a <textarea>, for an install without the vendored CodeMirror.
function plainTextBox(host, { onChange, onSelection, onSave }) {
  const box = document.createElement("textarea");
  Object.assign(box, { className: "code-plain", spellcheck: false, readOnly: true, wrap: "off" });
  box.setAttribute("aria-label", host.dataset.label || "Code");
  host.append(box);
  box.addEventListener("input", () => onChange?.(box.value));
  box.addEventListener("select", () => onSelection?.());
  box.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      onSave?.();
    }
  });
  const lineOf = (at) => box.value.slice(0, at).split("\n").length;
  return {
    view: null,
    remove() {
      box.remove();
    },
    get text() {
      return box.value;
    },
    setText(text, { atEnd = false } = {}) {
      box.value = text;
      box.scrollTop = atEnd ? box.scrollHeight : 0;
    },
    append(text) {
      const following = box.scrollTop + box.clientHeight >= box.scrollHeight - 48;
      box.value += text;
      if (following) box.scrollTop = box.scrollHeight;
    },
    setPlaceholder(text) {
      box.placeholder = text;
    },
    setEditable(on) {
      box.readOnly = !on;
    },
    selectedLines() {
      let { selectionStart: start, selectionEnd: end } = box;
      if (end > start && box.value[end - 1] === "\n") end -= 1;
      return end > start ? { start_line: lineOf(start), end_line: lineOf(end) } : null;
    },
    selectAll() {
      box.select();
    },
    search() {
      box.focus();
    },
    focus() {
      box.focus();
    },
  };
}

// `downloadUrl()` names the server's standalone file for the version shown, or null when it has
// no finished page yet; then the text in view is saved as is.
export function setupCodeActions(view, { copy, download, filename, downloadUrl, announce }) {
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(view.text);
      announce("Copied the HTML.");
      flash(copy, "Copied");
    } catch {
      view.selectAll();
      view.focus();
      announce("Press Ctrl+C to copy the selected HTML.");
      flash(copy, "Selected: press Ctrl+C");
    }
  });
  download.addEventListener("click", () => {
    const link = document.createElement("a");
    const url = downloadUrl?.();
    link.href = url || URL.createObjectURL(new Blob([view.text], { type: "text/html" }));
    link.download = filename();
    link.click();
    if (!url) setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });
}

// A button says for a moment what it did ("Copied"), for those who do not hear the announcement.
function flash(button, text) {
  button.dataset.flash = text;
  clearTimeout(button.flashTimer);
  button.flashTimer = setTimeout(() => delete button.dataset.flash, 1600);
}
