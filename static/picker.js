// "Pick an element": the person points at a part of the running app, and a description of it
// goes into the follow-up box as context for the change they ask for. Only the person's click on
// our button, or another control of the editor's own (through `start({ fromButton: false })`),
// starts a pick; only the frame it was started in can answer it, and the answer only ever adds
// text the person reads and edits before sending.

export function describePick({ selector, text }) {
  const short = text.length > 80 ? `${text.slice(0, 79)}…` : text;
  return short ? `About <${selector}> “${short}”: ` : `About <${selector}>: `;
}

export class Picker {
  // frame(): the iframe the person sees; onStart(): make it visible; onPicked(message, { fromButton });
  // onEnded(): a pick ended with nothing picked.
  constructor(button, { bridge, frame, onStart, onPicked, onEnded = () => {} }) {
    this.button = button;
    this.bridge = bridge;
    this.frame = frame;
    this.onStart = onStart;
    this.onPicked = onPicked;
    this.onEnded = onEnded;
    this.target = null; // the iframe a pick is under way in
    this.fromButton = false; // whether our button started it
    button.addEventListener("click", () => (this.target ? this.stop() : this.start()));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.target) this.stop();
    });
    this.render();
  }

  // `fromButton: false`: another control started it, and hears of the pick by onPicked alone.
  start({ fromButton = true } = {}) {
    if (this.button.disabled) {
      this.onEnded();
      return;
    }
    if (this.target) this.bridge.setPickMode(this.target, false);
    this.target = this.frame();
    this.fromButton = fromButton;
    this.bridge.setPickMode(this.target, true);
    this.onStart();
    this.render();
  }

  stop() {
    if (!this.target) return;
    this.bridge.setPickMode(this.target, false);
    this.target = null;
    this.render();
    this.onEnded();
  }

  picked(message, frame) {
    if (frame !== this.target) return;
    this.target = null;
    this.render();
    this.onPicked(message, { fromButton: this.fromButton });
  }

  // A pick under way goes on in the page the person now sees (the preview swapped to a newer
  // load of the version, as it does a moment after a version completes): the person asked to
  // pick, and a page that only reloaded should not silently end it.
  follow() {
    const now = this.frame();
    if (!this.target || this.target === now) return;
    this.bridge.setPickMode(this.target, false);
    this.target = now;
    this.bridge.setPickMode(now, true);
  }

  // The page cancelled (Escape), or a new page replaced it.
  ended(frame) {
    if (frame !== this.target) return;
    this.target = null;
    this.render();
    this.onEnded();
  }

  setEnabled(on) {
    if (!on) this.stop();
    this.button.disabled = !on;
  }

  render() {
    const on = this.target !== null;
    this.button.setAttribute("aria-pressed", String(on));
    this.button.title = on ? "Click a part of the app (Escape cancels)" : "Pick a part of the app to ask about";
  }
}
