// The code view: the version's HTML, or the raw answer as it streams in, with copy and download.

export class CodeView {
  constructor(code, scroller) {
    this.code = code;
    this.scroller = scroller;
    this.node = document.createTextNode("");
    code.append(this.node);
  }

  get text() {
    return this.node.data;
  }

  // `placeholder` shows (via CSS) while the text is empty.
  set(text, { placeholder = "", atEnd = false } = {}) {
    this.node.data = text;
    this.code.dataset.placeholder = placeholder;
    this.scroller.scrollTop = atEnd ? this.scroller.scrollHeight : 0;
  }

  // Appends streamed text, following it down unless the reader scrolled up.
  append(text) {
    const s = this.scroller;
    const following = s.scrollTop + s.clientHeight >= s.scrollHeight - 48;
    this.node.appendData(text);
    if (following) s.scrollTop = s.scrollHeight;
  }
}

// `downloadUrl()` names the server's standalone file for the version shown, or null when it has
// no finished page yet; then the text in view is saved as is.
export function setupCodeActions(view, { copy, download, filename, downloadUrl, announce }) {
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(view.text);
      announce("Copied the HTML.");
    } catch {
      window.getSelection().selectAllChildren(view.code);
      announce("Press Ctrl+C to copy the selected HTML.");
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
