// The editor: conversation, follow-ups, versions (a tree), and the live preview / code / diff of one app.
import { getJSON, pageData, postJSON, showError } from "./api.js";
import { setupAppTitle } from "./app-title.js";
import { CodeEditor } from "./codeedit.js";
import { connectBridge } from "./bridge-host.js";
import { CodeView, setupCodeActions } from "./code.js";
import { DiffView } from "./diff.js";
import { CheckPoller, CheckStrip, checkEntries } from "./checks.js";
import { byModel, modelBadge } from "./dom.js";
import { Fixer } from "./fix.js";
import { watchForChanges } from "./freshness.js";
import { keepRelativeTimesFresh } from "./format.js";
import { NOT_LIVE, goLive } from "./live.js";
import { Picker, describePick } from "./picker.js";
import { Preview, Throttle, expiresSoon } from "./preview.js";
import { setupDataPanel } from "./app-data.js";
import { SavedData } from "./saved-data.js";
import { serverStore } from "./server-store.js";
import { ScopeChip, elementSelection, scopeLabel } from "./selection.js";
import { RuntimeErrors } from "./runtime-errors.js";
import { listenForSaves } from "./saves.js";
import { setupShareDialog } from "./share.js";
import { setupStop } from "./stop.js";
import { overlayFor, statusLine } from "./status.js";
import { takeImportNotice } from "./import-notice.js";
import { setupTabs } from "./tabs.js";
import { CUT_OFF, renderConversation, renderVersionList, setupVersionListKeys } from "./versions.js";

const data = pageData("editor-data");
const appId = data.app.id;
const $ = (id) => document.getElementById(id);

// What a zip import just left out (the home page's import), said once.
const skippedByImport = takeImportNotice(appId);
if (skippedByImport.length) {
  $("import-notice").querySelector("ul").replaceChildren(...skippedByImport.map((sentence) => Object.assign(document.createElement("li"), { textContent: sentence })));
  $("import-notice").hidden = false;
}
const el = {
  main: $("main"),
  versionList: $("version-list"),
  versionCount: $("version-count"),
  older: $("older-versions"),
  conversation: $("conversation"),
  form: $("followup-form"),
  input: $("followup"),
  model: $("followup-model"),
  base: $("followup-base"),
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
  searchCode: $("search-code"),
  codeStatus: $("code-status"),
  askSelection: $("ask-selection"),
  editCode: $("edit-code"),
  saveCode: $("save-code"),
  discardCode: $("discard-code"),
  open: $("open-preview"),
  announcer: $("announcer"),
};

const state = {
  versions: [...data.versions].sort((a, b) => a.number - b.number),
  current: data.current,
  busy: false, // a version is being written: follow-ups wait
  sending: false,
  errors: new Map(), // version number -> runtime error entries its page reported
  fresh: new Set(), // versions this editor saw being written: their errors may be fixed automatically
};
if (!state.versions.some((v) => v.number === state.current)) state.current = state.versions.at(-1)?.number;

let olderUrl = data.older_url; // the page of versions before the oldest loaded, null from version 1
const pages = new Map(); // version number -> html
let live = NOT_LIVE;
let lines = null; // the code view's selected lines, offered as a scope

const find = (n) => state.versions.find((v) => v.number === n);
const shown = () => find(state.current);
const newest = () => state.versions.at(-1)?.number;
const streamUrl = (n) => `/api/apps/${appId}/versions/${n}/stream`;
const announce = (text) => (el.announcer.textContent = text);

const code = new CodeView(el.code, {
  onChange(text) {
    editor.changed(text);
    renderCodeBar();
  },
  onSelection: codeSelectionMoved,
  onSave: saveHandEdit,
});
const editor = new CodeEditor(code);
// What the app keeps for its owner, handed to every load of the preview (docs/bridge.md "Saved data").
const saved = new SavedData({
  quota: data.saved_data.quota,
  local: data.saved_data.local,
  store: serverStore(`/api/apps/${appId}/data`),
  sessionKey: `toolsmith-session:app:${appId}`,
  onError: (error) => announce(`The app's data could not be saved: ${error.message}`),
});
addEventListener("pagehide", () => saved.leaving());
const preview = new Preview($("frame-stack"), { nameFor: (url) => saved.nameFor(url) });
const throttle = new Throttle(preview);
const scope = new ScopeChip($("followup-scope"), () => renderBase());
const diff = new DiffView({ appId, from: $("diff-from"), to: $("diff-to"), summary: $("diff-summary"), output: $("diff-output") });
const stopper = setupStop($("stop-button"), { appId, writing: () => live.number, announce });
setupVersionListKeys(el.versionList);
const tabs = setupTabs(el.main, (view) => {
  if (view === "chat" && el.conversation.scrollTop === 0) revealTurn(state.current);
  if (view === "diff") diff.show(state.versions, state.current);
  renderCodeBar();
});
const fixer = new Fixer({
  limit: data.auto_fix_attempts || 0,
  send: ({ errors, parent, automatic }) => send("", el.model.value, parent, { errors, automatic }),
  versions: () => state.versions,
  busy: () => state.busy || state.sending,
  announce,
});
const runtime = new RuntimeErrors($("runtime-errors"), {
  // A page still being written has problems its finished page will not: they are not news.
  onChange(n, entries) {
    if (find(n)?.status !== "generating") tell("toolsmith:runtime-errors", { version: n, entries });
  },
  fixButton(n, entries) {
    const v = find(n);
    return v && entries.length ? fixer.button(v, entries) : null;
  },
});

const checkStrip = new CheckStrip($("check-strip"), { fixButton: (v, entries) => fixer.button(v, entries) });
const checks = new CheckPoller({
  appId,
  versions: () => state.versions,
  update(version) {
    const { html, ...v } = version;
    upsert(v);
    render();
    const entries = checkEntries(find(v.number)?.check);
    // A check's problems may start an automatic fix, as the page's own reports do.
    if (entries.length) fixer.report(find(v.number), entries, { fresh: state.fresh.has(v.number) });
  },
});

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

const actions = { select, retry, edit, restore, resume, fixButton };

function render() {
  state.busy = live.number !== null || state.versions.some((v) => v.status === "generating");
  renderVersionList(el.versionList, state, actions);
  revealItem(state.current);
  renderConversation(el.conversation, state, actions);
  // Versions are numbered from 1 without gaps: the newest number is how many there are, loaded or not.
  el.versionCount.textContent = String(newest() ?? 0);
  renderOlder();
  const v = shown();
  el.headerModel.replaceChildren(...(v ? [modelBadge(v)] : []));
  el.open.href = v?.preview_url || "#";
  el.send.disabled = state.busy || state.sending;
  el.send.classList.toggle("is-busy", state.busy || state.sending);
  el.sendLabel.textContent = state.sending ? "Sending…" : state.busy ? "Writing…" : "Send";
  el.send.title = state.busy ? "Wait for the version being written to finish" : "Send (Ctrl+Enter)";
  renderStatus();
  renderOverlay();
  renderBase();
  renderCodeBar();
  runtime.show(state.current, { hidden: v?.status === "generating" });
  checkStrip.show(v);
  checks.kick();
  picker.setEnabled(Boolean(v?.preview_url) && v.has_page !== false && ["complete", "incomplete", "stopped"].includes(v.status));
  stopper.render();
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

// Which version the next follow-up changes: said only when it is not simply the newest.
function renderBase() {
  const parent = parentFor(state.current);
  let text = "";
  if (parent !== null && parent !== newest()) {
    text = parent === state.current ? `Changes v${parent}: the new version starts a branch from it.` : `Changes v${parent}, the last version with a page before v${state.current}.`;
  }
  el.base.hidden = !text;
  el.base.textContent = text;
}

function renderCodeBar() {
  const v = shown();
  const editable = v && v.status !== "generating" && typeof pages.get(v.number) === "string" && pages.get(v.number) !== "";
  const editing = editor.open;
  el.editCode.hidden = editing;
  el.editCode.disabled = !editable;
  el.saveCode.hidden = !editing;
  el.discardCode.hidden = !editing;
  el.saveCode.disabled = !editor.dirty;
  el.askSelection.hidden = editing || lines === null;
  if (lines) el.askSelection.textContent = `Ask about ${scopeLabel(lines)}`;
  if (editing) el.codeStatus.textContent = editor.dirty ? `Unsaved changes to v${editor.version}` : `Editing v${editor.version}`;
  else el.codeStatus.textContent = editable ? "Select lines to ask about them, or edit the code by hand." : "";
}

async function showCode() {
  const n = state.current;
  lines = null;
  if (live.number === n) {
    code.set(live.text, { placeholder: "Waiting for the model's first words…", atEnd: true });
    renderCodeBar();
    return;
  }
  if (pages.has(n)) {
    code.set(pages.get(n), { placeholder: "No page was written for this version." });
    renderCodeBar();
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
  picker.follow();
  if (live.number !== null && live.number === state.current && (live.bodyAt !== null || live.bytes > 12_000) && !live.previewed) {
    live.previewed = true;
    renderOverlay();
    // On a phone, a follow-up sent from the Chat tab shows its page as soon as it paints.
    if (tabs.isPhone() && tabs.view === "chat" && document.activeElement !== el.input) tabs.select("preview");
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
  blocked: report,
  picked: (message, frame) => picker.picked(message, frame),
  "pick-cancel": (_, frame) => picker.ended(frame),
  storage: (message) => saved.heard(message),
});
// A file the app made is offered under the preview; only the person's click saves it.
listenForSaves(() => preview.frames(), $("save-offer"));

// A page that navigates itself elsewhere is stopped by this page's own frame-src, and is gone by
// then, its bridge with it: the editor says so itself, for the version shown.
document.addEventListener("securitypolicyviolation", (event) => {
  if (event.effectiveDirective !== "frame-src") return;
  runtime.add(versionIn(preview.front), { type: "blocked", action: "navigation", target: String(event.blockedURI || "another page").slice(0, 2000) });
});
const picker = new Picker($("pick-element"), {
  bridge,
  frame: () => preview.front,
  onStart: () => tabs.select("preview"),
  onPicked(message, { fromButton }) {
    const { selector, tag, text, html } = message;
    // The follow-up is scoped to the picked element (the "toolsmith:picked" listener below);
    // a page that cannot be scoped (not the parent of the next version) gets it as text instead.
    tell("toolsmith:picked", { selector, tag, text, html });
    if (!fromButton || parentFor(state.current) === state.current) return;
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
  if (editor.dirty && n !== state.current) {
    tabs.select("code");
    el.codeStatus.textContent = `Save or discard your changes to v${editor.version} first.`;
    announce(el.codeStatus.textContent);
    return;
  }
  const changed = n !== state.current;
  state.current = n;
  history.replaceState(null, "", `?v=${n}`);
  if (changed) {
    editor.stop();
    scope.clear();
  }
  render();
  if (changed) {
    announce(`Showing version ${n}.`);
    revealTurn(n);
    showPreview();
    showCode();
    if (tabs.view === "diff") diff.show(state.versions, n);
  }
}

// Posts a follow-up (or a fix, with `errors`) that changes version `parent`, and follows it.
async function send(prompt, model, parent, { errors, automatic } = {}) {
  if (state.busy) {
    const writing = live.number ?? state.versions.find((v) => v.status === "generating")?.number;
    showError(el.form, `Wait for v${writing} to finish before asking for another change.`);
    return false;
  }
  showError(el.form, "");
  const body = { prompt, model, parent };
  const selection = errors ? null : scope.selectionFor(parent);
  if (selection) body.selection = selection;
  if (errors) Object.assign(body, { errors, automatic: Boolean(automatic) });
  return start(`/api/apps/${appId}/versions`, body, () => {
    if (selection) scope.clear();
  });
}

// Starts a version the model writes (POST `url`), then shows and follows it.
async function start(url, body, onStarted) {
  if (editor.dirty) {
    showError(el.form, `Save or discard your changes to v${editor.version}'s code first.`);
    return false;
  }
  state.sending = true;
  render();
  try {
    const answer = await postJSON(url, body);
    onStarted?.();
    upsert(answer.version);
    editor.stop();
    state.current = answer.version.number;
    history.replaceState(null, "", `?v=${state.current}`);
    attach(answer.version, answer.stream_url);
    scrollConversation();
    return true;
  } catch (error) {
    showError(el.form, error.message);
    announce(error.message);
    return false;
  } finally {
    state.sending = false;
    render();
  }
}

// A version made at once, without a model (a hand edit, a restore): show it.
function arrived(version) {
  upsert(version);
  editor.stop();
  state.current = version.number;
  history.replaceState(null, "", `?v=${version.number}`);
  render();
  showPreview({ fresh: true });
  showCode();
  scrollConversation();
  if (tabs.view === "diff") diff.show(state.versions, version.number);
}

// The version a follow-up builds on: the one shown, or, if it has no page, the nearest ancestor with one.
function parentFor(n) {
  let v = find(n);
  while (v && (v.status === "failed" || v.has_page === false)) v = find(v.parent_number);
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

// Goes on with an answer the token limit cut off, as a new version.
function resume(v) {
  if (state.busy) return;
  return start(`/api/apps/${appId}/versions/${v.number}/continue`, { model: el.model.value });
}

async function restore(v) {
  try {
    const answer = await postJSON(`/api/apps/${appId}/versions/${v.number}/restore`, {});
    arrived(answer.version);
    announce(`v${answer.version.number} restores the page of v${v.number}.`);
  } catch (error) {
    showError(el.form, error.message);
  }
}

function edit(v) {
  el.input.value = v.prompt;
  tabs.select("chat");
  el.input.focus();
}

// The Fix button shown in the turn of a version whose page reported errors.
function fixButton(v) {
  const reported = state.errors.get(v.number) || [];
  const entries = reported.length ? reported : checkEntries(v.check);
  return entries.length ? fixer.button(v, entries) : null;
}

el.form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const prompt = el.input.value.trim();
  if (data.max_prompt_chars && prompt.length > data.max_prompt_chars) {
    showError(el.form, `The prompt is ${prompt.length.toLocaleString()} characters long; the limit is ${data.max_prompt_chars.toLocaleString()}. Shorten it and send it again.`);
    return;
  }
  if (!prompt) {
    showError(el.form, "Describe the change you want first, for example “make the buttons bigger”.");
    el.input.focus();
    return;
  }
  if (await send(prompt, el.model.value, parentFor(state.current))) {
    el.input.value = "";
    renderCount();
  }
});
el.input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    el.form.requestSubmit();
  }
});
el.input.addEventListener("input", () => {
  showError(el.form, "");
  renderCount();
});

// How much of the prompt limit is used, once there is something to count.
const countBox = $("followup-count");
function renderCount() {
  const limit = data.max_prompt_chars || 0;
  const used = el.input.value.trim().length;
  countBox.hidden = !limit || used === 0;
  countBox.textContent = `${used.toLocaleString()} / ${limit.toLocaleString()}`;
  countBox.title = `${used.toLocaleString()} of the ${limit.toLocaleString()} characters a prompt may have`;
  countBox.toggleAttribute("data-over", used > limit);
}

// ---- code: hand edits and selections ----------------------------------------------------------

el.editCode.addEventListener("click", () => {
  const v = shown();
  if (!v || typeof pages.get(v.number) !== "string") return;
  editor.start(pages.get(v.number), v.number);
  lines = null;
  renderCodeBar();
});

el.discardCode.addEventListener("click", () => {
  editor.stop(pages.get(editor.version) ?? "");
  renderCodeBar();
  el.editCode.focus();
});

el.saveCode.addEventListener("click", saveHandEdit);

async function saveHandEdit() {
  if (!editor.dirty) return;
  el.saveCode.disabled = true;
  try {
    const answer = await postJSON(`/api/apps/${appId}/versions/${editor.version}/hand-edit`, { html: editor.value });
    arrived(answer.version);
    announce(`Saved your edit as v${answer.version.number}.`);
  } catch (error) {
    el.codeStatus.textContent = error.message;
    el.saveCode.disabled = false;
  }
}

// The lines selected in the code view are offered as the scope of the next follow-up.
function codeSelectionMoved() {
  if (editor.open) return;
  const found = code.selectedLines();
  if (JSON.stringify(found) === JSON.stringify(lines)) return;
  lines = found;
  renderCodeBar();
}

el.searchCode.addEventListener("click", () => code.search());

el.askSelection.addEventListener("click", () => {
  if (!lines) return;
  scope.set(state.current, lines);
  lines = null;
  renderCodeBar();
  if (tabs.isPhone()) tabs.select("chat");
  el.input.focus();
});

// ---- the runtime bridge: errors and element picking (see fix.js and selection.js) -------------

// {version, entries}: the errors a version's page has reported so far.
window.addEventListener("toolsmith:runtime-errors", (event) => {
  const { version: n, entries } = event.detail || {};
  const v = find(n);
  if (!v || !Array.isArray(entries)) return;
  state.errors.set(n, entries);
  render();
  fixer.report(v, entries, { fresh: state.fresh.has(n) });
});

window.addEventListener("toolsmith:picked", (event) => {
  const picked = event.detail || {};
  if (!picked.selector || parentFor(state.current) !== state.current) return;
  scope.set(state.current, elementSelection(picked));
  if (tabs.isPhone()) tabs.select("chat");
  el.input.focus();
});

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
      saying(n);
      if (state.current !== n) return;
      code.append(text);
      // The first text with the page's <body> in it is drawn at once; the rest as it comes.
      const bodyBegun = live.bodyAt !== null && !live.bodyDrawn;
      if (bodyBegun) live.bodyDrawn = true;
      throttle.mark({ soon: bodyBegun });
    },
    onPhase(phase) {
      announce(phase.message);
      // A retry is a new answer: the code view starts over with it.
      if (phase.phase === "retry" && state.current === n) code.set("", { placeholder: phase.message, atEnd: true });
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

// The model's words before its page (or edit blocks), shown in its turn while it writes.
const PAGE_STARTS = /```|<!doctype|<html|<{5,9}[ \t]*SEARCH/i;
function saying(n) {
  const prose = live.text.split(PAGE_STARTS)[0].trim();
  if (state.saying?.number === n && state.saying.text === prose) return;
  state.saying = { number: n, text: prose };
  const box = el.conversation.querySelector(`.turn[data-version="${n}"] .turn-live-notes`);
  if (box) {
    box.textContent = prose;
    box.hidden = !prose;
  }
}

function finish(n, version) {
  if (live.number !== n) return;
  throttle.stop();
  clearInterval(ticker);
  live = NOT_LIVE;
  upsert(version);
  state.fresh.add(n);
  runtime.clear(n); // what half-written pages said; the finished page reports for itself
  const v = find(n);
  if (v.status === "failed") announce(`Version ${n} failed: ${v.error || "no reason given"}`);
  else if (v.status === "incomplete" || v.status === "stopped") announce(`Version ${n}: ${v.error || CUT_OFF}`);
  else announce(`Version ${n} is ready.`);
  render();
  if (state.current === n) {
    history.replaceState(null, "", `?v=${n}`);
    showPreview({ fresh: true });
    showCode();
    if (tabs.view === "diff") diff.show(state.versions, n);
  }
  scrollConversation();
  refreshTitle();
}

// A finished version may have renamed the app (after its page's <title>).
async function refreshTitle() {
  try {
    const { app } = await getJSON(`/api/apps/${appId}`);
    showTitle(app);
  } catch {
    // Keep the old title; nothing else depends on it.
  }
}

function showTitle(app) {
  if (!app?.title || app.title === data.app.title) return;
  data.app.title = app.title;
  el.title.textContent = app.title;
  el.title.title = app.title;
  document.title = `${app.title} · Toolsmith`;
}

// What another tab (or a script) did to this app: new versions join the tree, one being written
// is followed here too, so a follow-up from this tab waits for it instead of branching blindly.
// ---- long histories: older versions a page at a time (GET /api/apps/{id}/versions?before=N) ----

function renderOlder() {
  const oldest = state.versions[0]?.number ?? 1;
  el.older.hidden = !olderUrl;
  el.older.textContent = `Show older versions (${oldest - 1} more)`;
}

el.older.addEventListener("click", async () => {
  el.older.disabled = true;
  try {
    const answer = await getJSON(olderUrl);
    for (const v of answer.versions) if (!find(v.number)) state.versions.push(v);
    state.versions.sort((a, b) => a.number - b.number);
    olderUrl = answer.older_url;
    render();
    announce(`Loaded ${answer.versions.length} older versions.`);
  } catch (error) {
    showError(el.older, error.message || String(error));
  } finally {
    el.older.disabled = false;
  }
});

function heardFromElsewhere({ app, versions }) {
  showTitle(app);
  if (!versions.length) return;
  const newestBefore = newest();
  for (const v of versions) {
    if (live.number === v.number) continue;
    upsert(v);
  }
  const added = versions.filter((v) => v.number > (newestBefore ?? 0)).map((v) => v.number);
  if (added.length) announce(`${added.length === 1 ? `Version ${added[0]} was` : `Versions ${added.join(", ")} were`} made elsewhere.`);
  const writing = state.versions.find((v) => v.status === "generating");
  if (writing && live.number === null) {
    if (state.current === newestBefore && !editor.dirty) state.current = writing.number;
    attach(writing);
    return;
  }
  render();
}

function scrollConversation() {
  el.conversation.scrollTop = el.conversation.scrollHeight;
}

// Keeps the shown version in view in the version list (which scrolls on its own), once per change.
let revealed = null;
function revealItem(n) {
  const box = el.versionList;
  const item = box.querySelector(`.version-item[data-version="${n}"]`);
  if (!item || revealed === n || box.clientHeight === 0) return;
  revealed = n;
  const top = item.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
  if (top < box.scrollTop) box.scrollTop = top - 4;
  else if (top + item.offsetHeight > box.scrollTop + box.clientHeight) box.scrollTop = top + item.offsetHeight - box.clientHeight + 4;
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

window.addEventListener("beforeunload", (event) => {
  if (editor.dirty) event.preventDefault();
});

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
    // Edit blocks cut off leave an incomplete version with no page.
    const finished = v && ["complete", "incomplete", "stopped"].includes(v.status) && v.has_page !== false && live.number !== v.number;
    return finished ? `/api/apps/${appId}/versions/${v.number}/download` : null;
  },
});

setupShareDialog({ appId, versions: () => state.versions, authorName: data.author_name, nameChosen: data.author_name_chosen, opener: $("share-open") });
setupAppTitle({
  appId,
  title: el.title,
  renameButton: $("rename-app"),
  deleteButton: $("delete-app"),
  dialog: $("delete-dialog"),
  announce,
  onRenamed: showTitle,
});
// An app an eval run made stays out of the person's list until they keep it. The button works
// from here on: until this script runs it is disabled, never a click that does nothing.
if ($("keep-app")) $("keep-app").disabled = false;
$("keep-app")?.addEventListener("click", async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  try {
    await postJSON(`/api/apps/${appId}/keep`, {});
    button.closest("[data-testid=eval-app]").querySelector("[data-role=text]").textContent = "Kept: this app is in your apps now.";
    button.remove();
    announce("Kept: this app is in your apps now.");
  } catch (error) {
    button.disabled = false;
    showError(button, error.message || String(error));
  }
});
watchForChanges({ appId, known: () => state.versions, quiet: () => live.number !== null || state.sending, onChange: heardFromElsewhere });

setupDataPanel({ saved, opener: $("data-button"), onCleared: () => preview.reload() }).setUpdated(data.saved_data.updated_at);

// The composer is one key away: "/" anywhere outside a text field, or the skip link at the top.
function focusComposer() {
  if (tabs.isPhone()) tabs.select("chat");
  el.input.focus();
}
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest?.("input, textarea, select, [contenteditable], .code-host, dialog[open]")) return;
  event.preventDefault();
  focusComposer();
});
$("skip-to-followup").addEventListener("click", (event) => {
  event.preventDefault();
  focusComposer();
});

const lastUsed = [...state.versions].reverse().find((v) => v.model && byModel(v));
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
