// The preview: two stacked sandboxed iframes. A new page loads into the hidden one and
// the two swap when it has loaded, so reloading while a page streams in never flashes.

const LOAD_TIMEOUT_MS = 10_000;

// A page with files of its own is at its folder address, /v/{token}/{key}/, its key in the path
// (sandbox/addresses.py): p.{exp}.{sig} for a private preview, s.{share} for a share link.
const FOLDER_KEY = /^\/v\/[^/]+\/(?:p\.(\d+)\.[^/]+|s\.[^/]+)\//;

// Private preview addresses are signed and expire (their `exp`, in seconds); true when one
// has less than a minute left, so the editor asks for a fresh one first.
export function expiresSoon(url, now = Date.now()) {
  const parsed = new URL(url, window.location.href);
  const exp = Number(parsed.searchParams.get("exp") || FOLDER_KEY.exec(parsed.pathname)?.[1]);
  return Number.isFinite(exp) && exp > 0 && exp * 1000 - now < 60_000;
}

export class Preview {
  // `nameFor(url)`: the frame name a load of `url` gets (the app's saved data, saved-data.js).
  constructor(stack, { nameFor = null } = {}) {
    [this.front, this.back] = stack.querySelectorAll("iframe");
    this.nameFor = nameFor;
    this.url = null;
    this.pending = null;
    this.since = 0;
    this.loads = 0;
    this.onSwap = null;
    for (const frame of [this.front, this.back]) this.listen(frame);
  }

  listen(frame) {
    frame.addEventListener("load", () => this.loaded(frame));
  }

  // A load that never finishes (sandbox down) stops blocking reloads after a while.
  get busy() {
    return this.pending !== null && Date.now() - this.since < LOAD_TIMEOUT_MS;
  }

  // Shows `url`; `fresh` adds a cache-buster so the same address loads again.
  show(url, { fresh = false } = {}) {
    if (!url) return;
    this.url = url;
    const target = new URL(url, window.location.href);
    if (fresh) target.searchParams.set("_r", String(++this.loads));
    this.pending = target.href;
    this.since = Date.now();
    // Said to assistive technology (and to tests): the page shown is about to be replaced.
    this.front.parentElement?.setAttribute("aria-busy", "true");
    if (!this.nameFor) {
      this.back.src = target.href;
      return;
    }
    // A frame's name reaches its document only when the frame is made with it: Chromium does not
    // pass on a later change. So each load gets a new iframe, named before it is put in place.
    const next = this.back.cloneNode(false);
    next.name = this.nameFor(target.href);
    next.src = target.href;
    this.listen(next);
    this.back.replaceWith(next);
    this.back = next;
  }

  reload() {
    this.show(this.url, { fresh: true });
  }

  // The iframes whose pages count: the one shown and, while it loads, the one replacing it.
  // The hidden one is otherwise a page on its way out.
  frames() {
    return this.pending === null ? [this.front] : [this.front, this.back];
  }

  // Whether `frame` shows the page at `url`, whatever cache-buster or signature it was loaded
  // with: the path names the version (its folder address's key aside), and its signature is
  // renewed while the editor is open.
  shows(frame, url) {
    if (!frame.src || !url) return false;
    const page = new URL(frame.src);
    const wanted = new URL(url, window.location.href);
    const version = (u) => u.pathname.replace(FOLDER_KEY, (key) => key.split("/").slice(0, 3).join("/") + "/");
    return page.origin === wanted.origin && version(page) === version(wanted);
  }

  loaded(frame) {
    if (frame !== this.back || this.pending === null || frame.src !== this.pending) return;
    this.pending = null;
    this.front.parentElement?.setAttribute("aria-busy", "false");
    [this.front, this.back] = [this.back, this.front];
    this.front.classList.replace("is-back", "is-front");
    this.back.classList.replace("is-front", "is-back");
    this.front.dataset.testid = "preview-frame";
    delete this.back.dataset.testid;
    this.front.title = "App preview";
    this.back.title = "App preview (loading)";
    this.front.removeAttribute("aria-hidden");
    this.front.removeAttribute("tabindex");
    this.back.setAttribute("aria-hidden", "true");
    this.back.setAttribute("tabindex", "-1");
    this.onSwap?.();
  }
}

// Calls `reload` when `mark()` said new text arrived: at once for text marked `soon` (the page's
// <body> has just begun, so the person sees it without waiting a whole interval), otherwise at
// most every `interval` ms, and never while the previous load is still coming in.
export class Throttle {
  constructor(preview, interval = 1200) {
    this.preview = preview;
    this.interval = interval;
    this.dirty = false;
    this.timer = null;
    this.lastAt = 0;
    this.hurry = false;
  }

  mark({ soon = false } = {}) {
    this.dirty = true;
    if (soon) this.hurry = true;
    if (!this.timer) {
      // The page was just shown as it began (the editor loads it when a version starts).
      this.lastAt = Date.now();
      this.timer = setInterval(() => this.tick(), Math.min(200, this.interval));
    }
    if (soon) this.tick();
  }

  tick() {
    if (!this.dirty || this.preview.busy) return;
    if (!this.hurry && Date.now() - this.lastAt < this.interval) return;
    this.dirty = false;
    this.hurry = false;
    this.lastAt = Date.now();
    this.preview.reload();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.dirty = false;
    this.hurry = false;
  }
}
