// The Diff view: what changed between any two versions, line by line, changed characters marked.
// The server computes it (GET /api/apps/{id}/diff, Python's difflib); this module only draws it.
import { getJSON } from "./api.js";
import { h } from "./dom.js";

export class DiffView {
  constructor({ appId, from, to, summary, output }) {
    this.appId = appId;
    this.from = from;
    this.to = to;
    this.summary = summary;
    this.output = output;
    this.request = 0;
    for (const select of [from, to]) select.addEventListener("change", () => this.load());
  }

  // Offers every version with a page; shows `to` against `from` (default: the version it was built from).
  show(versions, to, from = null) {
    const withPage = versions.filter((v) => v.has_page !== false && v.status !== "failed" && v.status !== "generating");
    const numbers = withPage.map((v) => v.number);
    if (!numbers.includes(to)) to = numbers.at(-1);
    const parent = versions.find((v) => v.number === to)?.parent_number;
    if (from === null || !numbers.includes(from)) from = numbers.includes(parent) ? parent : numbers.filter((n) => n < to).at(-1) ?? to;
    for (const select of [this.from, this.to]) {
      select.replaceChildren(...withPage.map((v) => h("option", { value: v.number }, `v${v.number}`)));
    }
    if (to === undefined) {
      this.summary.textContent = "There is no page to compare yet.";
      this.output.replaceChildren();
      return;
    }
    this.from.value = String(from);
    this.to.value = String(to);
    if (from === to) {
      this.summary.textContent = `v${to} is the first version: there is nothing before it to compare with. ${numbers.length > 1 ? "Pick another version above." : "Ask for a change, then come back here to see what it did."}`;
      this.output.replaceChildren(h("p", { class: "diff-empty", "data-testid": "diff-first" }, `Nothing came before v${to}.`));
      return;
    }
    this.from.value = String(from);
    this.to.value = String(to);
    this.load();
  }

  async load() {
    const from = Number(this.from.value);
    const to = Number(this.to.value);
    const ticket = ++this.request;
    this.summary.textContent = "Comparing…";
    try {
      const diff = await getJSON(`/api/apps/${this.appId}/diff?from=${from}&to=${to}`);
      if (ticket !== this.request) return;
      this.render(diff);
    } catch (error) {
      if (ticket !== this.request) return;
      this.summary.textContent = error.message;
      this.output.replaceChildren();
    }
  }

  render(diff) {
    const lines = (n) => `${n} line${n === 1 ? "" : "s"}`;
    this.summary.textContent =
      diff.from === diff.to
        ? `v${diff.from} compared with itself: nothing to show.`
        : diff.hunks.length
          ? `v${diff.from} → v${diff.to}: ${lines(diff.added)} added, ${lines(diff.removed)} removed`
          : `v${diff.from} and v${diff.to} have the same page.`;
    const rows = [];
    diff.hunks.forEach((hunk, i) => {
      rows.push(
        h("div", { class: "diff-gap", "aria-hidden": i === 0 && hunk.old_start === 1 ? "true" : null }, `Lines ${hunk.old_start}–${hunk.old_start + Math.max(hunk.old_count - 1, 0)} of v${diff.from}`),
      );
      for (const line of hunk.lines) rows.push(row(line));
    });
    this.output.replaceChildren(...rows);
  }
}

const SIGNS = { " ": "", "-": "−", "+": "+" };
const NAMES = { " ": "unchanged", "-": "removed", "+": "added" };

function row(line) {
  return h(
    "div",
    { class: "diff-line", "data-op": line.op, "data-testid": "diff-line" },
    h("span", { class: "diff-number" }, line.old ?? ""),
    h("span", { class: "diff-number" }, line.new ?? ""),
    h("span", { class: "diff-sign", "aria-label": NAMES[line.op] }, SIGNS[line.op]),
    h("code", { class: "diff-text" }, marked(line.text, line.marks)),
  );
}

// The line's text with its changed character ranges in <mark>s.
function marked(text, marks) {
  const parts = [];
  let at = 0;
  for (const [start, end] of marks) {
    if (start > at) parts.push(text.slice(at, start));
    parts.push(h("mark", {}, text.slice(start, end)));
    at = end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}
