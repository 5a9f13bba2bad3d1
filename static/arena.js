// One arena match: both sides stream into their sandboxed frames at once, blind as A and B;
// the vote reveals the models, and either side can then be kept as an app.
import { ApiError, getJSON, pageData, postJSON, showError } from "./api.js";
import { STATUS_LABELS } from "./dom.js";
import { Preview, Throttle } from "./preview.js";
import { follow } from "./stream.js";

const LETTERS = ["a", "b"];
const VOTE_WORDS = { a: "A is better", b: "B is better", tie: "a tie", both_bad: "both are bad" };

let match = pageData("arena-data").match;
const matchUrl = `/api/arena/${match.id}`;
const voteForm = document.getElementById("arena-vote");
const voteButtons = [...voteForm.querySelectorAll("[data-vote]")];
const voteHint = document.getElementById("vote-hint");
const result = document.getElementById("arena-result");
const resultBox = document.getElementById("arena-result-box");

const sides = Object.fromEntries(
  LETTERS.map((letter) => {
    const root = document.querySelector(`[data-side="${letter}"]`);
    const preview = new Preview(root.querySelector(".frame-stack"));
    return [
      letter,
      {
        letter,
        root,
        preview,
        throttle: new Throttle(preview),
        status: root.querySelector("[data-testid=side-status]"),
        model: root.querySelector("[data-testid=side-model]"),
        keep: root.querySelector(".arena-keep"),
        open: root.querySelector(".arena-open"),
        note: root.querySelector("[data-testid=side-note]"),
        source: null,
        shown: null, // the status whose page the frame shows
      },
    ];
  }),
);

const finished = (side) => side.status !== "generating";

function showSide(view, side) {
  view.status.dataset.status = side.status;
  view.status.textContent = STATUS_LABELS[side.status] || side.status;
  view.root.dataset.status = side.status;
  if (side.status === "generating") {
    if (view.shown === null && side.preview_url) view.preview.show(side.preview_url);
    view.shown = "generating";
    if (!view.source) followSide(view, side);
  } else if (view.shown !== "finished") {
    view.throttle.stop();
    if (side.preview_url) view.preview.show(side.preview_url, { fresh: view.shown !== null });
    view.shown = "finished";
  }
  if (side.status === "failed") {
    view.note.textContent = match.revealed && side.error ? side.error : "This side's model failed to answer.";
  } else if (side.status === "incomplete") {
    view.note.textContent = "The token limit cut this answer off: the page may be unfinished.";
  } else {
    view.note.textContent = "";
  }
  view.model.hidden = !match.revealed;
  view.model.textContent = side.model || "";
  view.keep.hidden = !match.revealed || side.kept || !side.has_page;
  view.open.hidden = !side.editor_url;
  if (side.editor_url) view.open.href = side.editor_url;
}

function followSide(view, side) {
  view.source = follow(side.stream_url, {
    onDelta: () => view.throttle.mark(),
    onDone: (final) => ended(view, final),
    onError: (_error, final) => ended(view, final),
    onLost: () => {
      view.source = null;
      setTimeout(refresh, 2000);
    },
  });
}

function ended(view, final) {
  view.source = null;
  if (final) match.sides[view.letter] = final;
  else refresh();
  render();
}

async function refresh() {
  try {
    match = (await getJSON(matchUrl)).match;
    render();
  } catch (error) {
    showError(voteForm, error.message);
  }
}

function render() {
  for (const letter of LETTERS) showSide(sides[letter], match.sides[letter]);
  const ready = LETTERS.every((letter) => finished(match.sides[letter]));
  voteForm.hidden = match.revealed;
  for (const button of voteButtons) button.disabled = !ready;
  voteHint.textContent = ready ? "Try both apps, then vote: the models are shown once you have." : "Both sides are being written…";
  resultBox.hidden = !match.revealed;
  if (match.revealed) {
    const { a, b } = match.sides;
    result.textContent = `You voted: ${VOTE_WORDS[match.vote]}. A was ${a.model}, B was ${b.model}.`;
  }
}

async function vote(choice, button) {
  for (const other of voteButtons) other.disabled = true;
  showError(voteForm, "");
  button.classList.add("is-busy");
  try {
    match = (await postJSON(`${matchUrl}/vote`, { vote: choice })).match;
  } catch (error) {
    showError(voteForm, error instanceof ApiError ? error.message : String(error));
    await refresh();
  } finally {
    button.classList.remove("is-busy");
  }
  render();
}

async function keep(view) {
  view.keep.disabled = true;
  showError(view.note, "");
  try {
    const answer = await postJSON(`${matchUrl}/sides/${view.letter}/keep`);
    match.sides[view.letter] = { ...match.sides[view.letter], kept: true, editor_url: answer.editor_url };
    render();
  } catch (error) {
    showError(view.note, error instanceof ApiError ? error.message : String(error));
  } finally {
    view.keep.disabled = false;
  }
}

for (const button of voteButtons) button.addEventListener("click", () => vote(button.dataset.vote, button));
for (const letter of LETTERS) sides[letter].keep.addEventListener("click", () => keep(sides[letter]));
render();
