// The editor: conversation, follow-ups, versions, and the live preview / code of one app.
import { getJSON, pageData, postJSON, showError } from "./api.js";
import { connectBridge } from "./bridge-host.js";
import { modelBadge } from "./dom.js";
import { CodeView, setupCodeActions } from "./code.js";
import { keepRelativeTimesFresh } from "./format.js";
import { NOT_LIVE, goLive } from "./live.js";
import { Picker, describePick } from "./picker.js";
import { Preview, Throttle, expiresSoon } from "./preview.js";
import { RuntimeErrors } from "./runtime-errors.js";
import { setupShareDialog } from "./share.js";
import { overlayFor, statusLine } from "./status.js";
import { setupTabs } from "./tabs.js";
import { CUT_OFF, renderConversation, renderVersionList } from "./versions.js";

const data = pageData("editor-data");
const appId = data.app.id;
const $ = (id) => document.getElementById(id);
const el = {
  main: $("main"),
  versionList: $("version-list"),
  versionCount: $("version-count"),
  conversation: $("conversation"),
  form: $("followup-form"),
  input: $("followup"),
  model: $("followup-model"),
  send: document.querySelector('[data-testid="followup-submit"]'),
  sendLabel: document.querySelector('[data-testid="followup-submit"] .button-label'),
  headerModel: $("header-model"),
  title: document.querySelector('[data-testid="app-title"]'),
  status: $("status-line"),
  statusText: $("status-text"),
  progress: $("progress"),
  overlay: $("preview-overlay"),
  overlayTitle: $("preview-overlay-title"),
  overlayText: $("preview-overlay-text"),
  code: $("code-view"),
  codeScroll: $("code-scroll"),
  open: $("open-preview"),
  announcer: $("announcer"),
};

const state = {
  versions: [...data.versions].sort((a, b) => a.number - b.number),
  current: data.current,
  busy: false, // a version is being written: follow-ups wait
  sending: false,
};
if (!state.versions.some((v) => v.number === state.current)) state.current = state.versions.at(-1)?.number;

const pages = new Map(); // version number -> html
let live = NOT_LIVE;

const code = new CodeView(el.code, el.codeScroll);
const preview = new Preview($("frame-stack"));
const throttle = new Throttle(preview);
const tabs = setupTabs(el.main, (view) => {
  if (view === "chat" && el.conversation.scrollTop === 0) revealTurn(state.current);
});
const find = (n) => state.versions.find((v) => v.number === n);
const shown = () => find(state.current);
const runtime = new RuntimeErrors($("runtime-errors"), {
  // A page still being written has problems its finished page will not: they are not news.
  onChange(n, entries) {
    if (find(n)?.status !== "generating") tell("toolsmith:runtime-errors", { version: n, entries });
  },
});
const streamUrl = (n) => `/api/apps/${appId}/versions/${n}/stream`;
const announce = (text) => (el.announcer.textContent = text);

function upsert(version) {
  const { html, ...v } = version;
  if (typeof html === "string") pages.set(v.number, html);
  const i = state.versions.findIndex((x) => x.number === v.number);
  if (i >= 0) {
    state.versions[i] = { ...state.versions[i], ...v };
  } else {
    state.versions.push(v);
    state.versions.sort((a, b) => a.number - b.number);
  }
}

// ---- rendering -------------------------------------------------------------------------

const actions = { select, retry, edit };

function render() {
  state.busy = live.number !== null || state.versions.some((v) => v.status === "generating");
  renderVersionList(el.versionList, state, actions);
  renderConversation(el.conversation, state, actions);
  el.versionCount.textContent = String(state.versions.length);
  const v = shown();
  el.headerModel.replaceChildren(...(v ? [modelBadge(v)] : []));
  el.open.href = v?.preview_url || "#";
  el.send.disabled = state.busy || state.sending;
  el.send.classList.toggle("is-busy", state.busy || state.sending);
  el.sendLabel.textContent = state.sending ? "Sending…" : state.busy ? "Writing…" : "Send";
  el.send.title = state.busy ? "Wait for the version being written to finish" : "Send (Ctrl+Enter)";
  renderStatus();
  renderOverlay();
  runtime.show(state.current, { hidden: v?.status === "generating" });
  picker.setEnabled(Boolean(v?.preview_url) && (v.status === "complete" || v.status === "incomplete"));
}

function renderStatus() {
  const { mode, text } = statusLine(live, shown());
  el.status.dataset.state = mode;
  el.statusText.textContent = text;
  el.progress.classList.toggle("is-active", mode === "writing");
}

function renderOverlay() {
  const v = shown();
  const overlay = overlayFor(v, live, v && pages.get(v.number));
  el.overlay.hidden = overlay === null;
  el.overlay.dataset.kind = v?.status || "";
  el.overlayTitle.textContent = overlay?.title || "";
  el.overlayText.textContent = overlay?.text || "";
}

async function showCode() {
  const n = state.current;
  if (live.number === n) {
    code.set(live.text, { placeholder: "Waiting for the model's first words…", atEnd: true });
    return;
  }
  if (pages.has(n)) {
    code.set(pages.get(n), { placeholder: "No page was written for this version." });
    return;
  }
  code.set("", { placeholder: "Loading the code…" });
  try {
    const { version } = await getJSON(`/api/apps/${appId}/versions/${n}`);
    upsert({ ...version, html: version.html || "" });
    if (state.current === n) code.set(pages.get(n), { placeholder: "No page was written for this version." });
    render();
  } catch (error) {
    if (state.current === n) code.set("", { placeholder: error.message });
  }
}

async function showPreview({ fresh = false } = {}) {
  let v = shown();
  if (v?.preview_url && expiresSoon(v.preview_url)) {
    await renewPreviewUrls();
    v = shown();
  }
  if (v?.preview_url) preview.show(v.preview_url, { fresh: fresh || v.status === "generating" });
}

// Preview addresses expire within the hour: an editor left open asks for fresh ones.
async function renewPreviewUrls() {
  try {
    const { versions } = await getJSON(`/api/apps/${appId}`);
    for (const { number, preview_url } of versions) {
      const v = find(number);
      if (v) v.preview_url = preview_url;
    }
    render();
  } catch {
    // Keep the old address: the preview says so if it no longer works.
  }
}

// The overlay stays until a reload has shown a page whose <body> had begun (styles come first).
preview.onSwap = () => {
  picker.stop();
  if (live.number !== null && live.number === state.current && (live.bodyAt !== null || live.bytes > 12_000) && !live.previewed) {
    live.previewed = true;
    renderOverlay();
  }
};

// ---- what the running page reports (docs/bridge.md) --------------------------------------

// The editor's other features hear of the bridge through window events (docs/bridge.md):
// "toolsmith:runtime-errors", "toolsmith:bridge", "toolsmith:picked", "toolsmith:pick-ended";
// they ask for a pick with "toolsmith:pick".
function tell(name, detail) {
  window.dispatchEvent(new CustomEvent(name, { detail }));
}

// Reports are filed under the version the iframe they come from shows.
const versionIn = (frame) => state.versions.find((v) => preview.shows(frame, v.preview_url))?.number ?? null;
const report = (message, frame) => runtime.add(versionIn(frame), message);
let bridgeHeard = false;
const bridge = connectBridge(() => preview.frames(), {
  ready(_, frame) {
    runtime.clear(versionIn(frame));
    picker.ended(frame);
    if (!bridgeHeard) tell("toolsmith:bridge", { pick: true });
    bridgeHeard = true;
  },
  error: report,
  rejection: report,
  "console-error": report,
  "csp-violation": report,
  picked: (message, frame) => picker.picked(message, frame),
  "pick-cancel": (_, frame) => picker.ended(frame),
});
const picker = new Picker($("pick-element"), {
  bridge,
  frame: () => preview.front,
  onStart: () => tabs.select("preview"),
  onPicked(message, { fromButton }) {
    const { selector, tag, text, html } = message;
    tell("toolsmith:picked", { selector, tag, text, html });
    if (!fromButton) return; // whoever asked for the pick takes it from here
    const about = describePick(message);
    el.input.value = el.input.value.trim() ? `${el.input.value.trimEnd()}\n${about}` : about;
    tabs.select("chat");
    el.input.focus();
    el.input.setSelectionRange(el.input.value.length, el.input.value.length);
  },
  onEnded: () => tell("toolsmith:pick-ended", {}),
});
window.addEventListener("toolsmith:pick", (event) => {
  if (event.detail?.on) picker.start({ fromButton: false });
  else picker.stop();
});

// ---- actions -----------------------------------------------------------------------------

function select(n) {
  if (!find(n)) return;
  const changed = n !== state.current;
  state.current = n;
  history.replaceState(null, "", `?v=${n}`);
  render();
  if (changed) {
    revealTurn(n);
    showPreview();
    showCode();
  }
}

async function send(prompt, model, parent) {
  if (state.busy) {
    const writing = live.number ?? state.versions.find((v) => v.status === "generating")?.number;
    showError(el.form, `Wait for v${writing} to finish before asking for another change.`);
    return false;
  }
  showError(el.form, "");
  state.sending = true;
  render();
  try {
    const answer = await postJSON(`/api/apps/${appId}/versions`, { prompt, model, parent });
    upsert(answer.version);
    state.current = answer.version.number;
    history.replaceState(null, "", `?v=${state.current}`);
    attach(answer.version, answer.stream_url);
    scrollConversation();
    return true;
  } catch (error) {
    showError(el.form, error.message);
    return false;
  } finally {
    state.sending = false;
    render();
  }
}

// The version a follow-up builds on: the one shown, or, if it failed, the nearest ancestor with a page.
function parentFor(n) {
  let v = find(n);
  while (v && v.status === "failed") v = find(v.parent_number);
  return v ? v.number : null;
}

// A failed first version has nothing to build on: its retry starts the app afresh.
async function retry(v) {
  const parent = parentFor(v.parent_number);
  if (parent !== null) return send(v.prompt, el.model.value, parent);
  state.sending = true;
  render();
  try {
    const answer = await postJSON("/api/apps", { prompt: v.prompt, model: el.model.value });
    window.location.assign(answer.editor_url);
  } catch (error) {
    showError(el.form, error.message);
    state.sending = false;
    render();
  }
}

function edit(v) {
  el.input.value = v.prompt;
  tabs.select("chat");
  el.input.focus();
}

el.form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const prompt = el.input.value.trim();
  if (!prompt) {
    showError(el.form, "Describe the change you want first, for example “make the buttons bigger”.");
    el.input.focus();
    return;
  }
  if (await send(prompt, el.model.value, parentFor(state.current))) el.input.value = "";
});
el.input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    el.form.requestSubmit();
  }
});
el.input.addEventListener("input", () => showError(el.form, ""));

// ---- streaming ---------------------------------------------------------------------------

let ticker = null;

function attach(version, url = streamUrl(version.number)) {
  const n = version.number;
  live.close();
  live = goLive(version, { streamUrl: url, versionUrl: `/api/apps/${appId}/versions/${n}` }, {
    onProgress: renderStatus,
    onStatus(status) {
      const v = find(n);
      if (v && status && v.status !== status) {
        v.status = status;
        render();
      }
    },
    onDelta(text) {
      if (state.current !== n) return;
      code.append(text);
      throttle.mark();
    },
    onRestart() {
      if (state.current === n) code.set("", { placeholder: "Reconnected: reading the answer again…" });
    },
    onProblem(message) {
      el.statusText.textContent = message;
    },
    onEnd: (final) => finish(n, final),
  });
  announce(`Writing version ${n}…`);
  clearInterval(ticker);
  ticker = setInterval(renderStatus, 500);
  render();
  showPreview({ fresh: true });
  showCode();
}

function finish(n, version) {
  if (live.number !== n) return;
  throttle.stop();
  clearInterval(ticker);
  live = NOT_LIVE;
  upsert(version);
  runtime.clear(n); // what half-written pages said; the finished page reports for itself
  const v = find(n);
  if (v.status === "failed") announce(`Version ${n} failed: ${v.error || "no reason given"}`);
  else if (v.status === "incomplete") announce(`Version ${n}: ${CUT_OFF}`);
  else announce(`Version ${n} is ready.`);
  render();
  if (state.current === n) {
    history.replaceState(null, "", `?v=${n}`);
    showPreview({ fresh: true });
    showCode();
  }
  scrollConversation();
  refreshTitle();
}

// A finished version may have renamed the app (after its page's <title>).
async function refreshTitle() {
  try {
    const { app } = await getJSON(`/api/apps/${appId}`);
    if (!app.title || app.title === data.app.title) return;
    data.app.title = app.title;
    el.title.textContent = app.title;
    el.title.title = app.title;
    document.title = `${app.title} · Toolsmith`;
  } catch {
    // Keep the old title; nothing else depends on it.
  }
}

function scrollConversation() {
  el.conversation.scrollTop = el.conversation.scrollHeight;
}

// Brings the shown version's turn into view without scrolling anything else.
function revealTurn(n) {
  const box = el.conversation;
  const turn = box.querySelector(`.turn[data-version="${n}"]`);
  if (!turn) return;
  if (turn.offsetTop < box.scrollTop) box.scrollTop = turn.offsetTop - 12;
  else if (turn.offsetTop + turn.offsetHeight > box.scrollTop + box.clientHeight) {
    box.scrollTop = Math.min(turn.offsetTop - 12, turn.offsetTop + turn.offsetHeight - box.clientHeight + 12);
  }
}

// ---- start -------------------------------------------------------------------------------

setupCodeActions(code, {
  copy: $("copy-code"),
  download: $("download-code"),
  announce,
  filename() {
    const slug = (data.app.title || "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    return `${slug || "tool"}-v${state.current}.html`;
  },
  downloadUrl() {
    const v = shown();
    const finished = v && (v.status === "complete" || v.status === "incomplete") && live.number !== v.number;
    return finished ? `/api/apps/${appId}/versions/${v.number}/download` : null;
  },
});

setupShareDialog({ appId, versions: () => state.versions, authorName: data.author_name, opener: $("share-open") });

const lastUsed = [...state.versions].reverse().find((v) => v.model);
const option = lastUsed && [...el.model.options].find((o) => o.value === lastUsed.model && !o.disabled);
if (option) el.model.value = option.value;

if (tabs.isPhone()) $("versions").open = false;
const writing = [...state.versions].reverse().find((v) => v.status === "generating");
render();
if (state.current === state.versions.at(-1)?.number) scrollConversation();
else revealTurn(state.current);
if (writing) attach(writing);
else {
  showPreview();
  showCode();
}
keepRelativeTimesFresh();
