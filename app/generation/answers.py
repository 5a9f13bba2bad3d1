"""What a model's answer makes of a version: a page, or edit blocks applied to the parent's page.

`read_answer` reads the first answer of a version. Edit blocks that do not fit
the page come back as `Refused`, with a reason per block, so the caller can ask
once more; `read_retry` reads that second answer. Each returns the fields
`Store.finish_version` records, `path` among them: how the page was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.generation.edits import EditOutcome, apply_edits, has_edit_blocks, parse_edits
from app.generation.extract import extract_page

CUT_OFF_PAGE = "The answer was cut off before the page was finished; the page may not work fully. Continue it, or ask for a smaller change."
CUT_OFF_EDITS = "The answer was cut off in the middle of its edit blocks, so none were applied. Continue it, or ask for a smaller change."
NO_PAGE = "The model answered without an HTML page. Its answer is shown above; rephrase the request and try again."

Fields = dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """A model's whole answer (continuations stitched in) and whether the token limit still cut it off."""

    text: str
    cut_off: bool


@dataclass(frozen=True)
class Refused:
    """Edit blocks that did not fit the page, and why, block by block."""

    problems: tuple[str, ...]


def read_answer(answer: Answer, base: str | None, *, edits: bool) -> Fields | Refused:
    """The outcome of a version's first answer; `edits`: the model was told it may answer in edit blocks."""
    if not (edits and base is not None and has_edit_blocks(answer.text)):
        return _page(answer, "page")
    applied = _apply(base, answer, "edits")
    return Refused(applied.problems) if isinstance(applied, EditOutcome) else applied


def read_retry(answer: Answer, base: str, problems: tuple[str, ...]) -> Fields:
    """The outcome of the answer asked for after edit blocks that did not fit (`problems`)."""
    if has_edit_blocks(answer.text):
        applied = _apply(base, answer, "edits_retried")
        if isinstance(applied, EditOutcome):
            again = "; ".join(applied.problems[:3])
            applied = {
                "status": "failed",
                "error": f"The model's edits did not fit the page, twice, so nothing was changed ({again}). Ask again, perhaps for a smaller change, or pick another model.",
                "answer": answer.text,
            }
        fields = applied
    else:
        fields = _page(answer, "edits_then_page")
    return {**fields, "edit_error": "\n".join(problems)}


def _apply(base: str, answer: Answer, path: str) -> Fields | EditOutcome:
    """The fields of edit blocks applied to `base`, or the refusal that says why they cannot be."""
    parsed = parse_edits(answer.text)
    if answer.cut_off:
        return {"status": "incomplete", "path": path, "error": CUT_OFF_EDITS, "notes": parsed.notes, "answer": answer.text}
    applied = EditOutcome(None, 0, 0, parsed.problems) if parsed.problems else apply_edits(base, parsed.edits)
    if not applied.ok:
        return applied
    return {"status": "complete", "html": applied.html, "path": path, "edit_count": applied.applied, "notes": parsed.notes, "answer": answer.text}


def _page(answer: Answer, path: str) -> Fields:
    page = extract_page(answer.text, cut_off=answer.cut_off)
    if page.html is None:
        return {"status": "failed", "error": NO_PAGE, "notes": page.notes, "answer": answer.text}
    fields: Fields = {"status": "complete" if page.complete else "incomplete", "html": page.html, "path": path, "notes": page.notes, "answer": answer.text}
    if not page.complete:
        fields["error"] = CUT_OFF_PAGE
    return fields
