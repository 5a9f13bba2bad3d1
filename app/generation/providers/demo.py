"""The offline demo model: built-in example pages and the few edits it really knows.

It needs no network and no key, so anyone can try the whole flow, and it never
pretends to be an LLM. A first prompt gets the built-in example whose keywords
best match the prompt's words (or the to-do list, saying so). A follow-up gets
the edits it can make (theme, text size, accent colour, font, title, tip
percentages, reset) applied to the current page, and the prose names what was
done and what was not. An answer is prose, then the page in a ```html block; a
follow-up whose instructions teach edit blocks (app/prompts/edits-v1.md) is
answered with the edit blocks that make its changes instead, as a model would.
"""

from __future__ import annotations

import asyncio
import functools
import html
import math
import random
import re
import zlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from app.generation.edits import edits_between, format_edits
from app.generation.prompting import CONTINUE_REQUEST
from app.generation.providers.base import Message, Request, StreamItem, Usage

TOOLS_DIR = Path(__file__).parent / "demo_tools"
USE_A_REAL_MODEL = "set ANTHROPIC_API_KEY or OPENAI_API_KEY to use one"


@dataclass(frozen=True)
class Example:
    """One built-in page, and the words (with weights) that choose it."""

    file: str
    title: str
    keywords: dict[str, int] = field(hash=False)

    def page(self) -> str:
        return _read(self.file)


EXAMPLES: tuple[Example, ...] = (
    Example(
        "tip.html",
        "Tip calculator",
        {
            "tip": 3, "tipping": 3, "gratuity": 3, "bill": 2, "split": 2, "restaurant": 2, "per person": 2, "waiter": 1,
            "dinner": 1, "service": 1,
        },
    ),
    Example(
        "csv-table.html",
        "CSV to sortable table",
        {
            "csv": 3, "tsv": 3, "sortable": 3, "table": 2, "sort": 2, "sorting": 2, "spreadsheet": 2, "excel": 2,
            "column": 1, "row": 1, "data": 1, "comma": 1,
        },
    ),
    Example(
        "pomodoro.html",
        "Pomodoro timer",
        {
            "pomodoro": 3, "tomato": 2, "timer": 2, "countdown": 2, "focus": 2, "work session": 2, "break": 1,
            "productivity": 1, "study": 1, "alarm": 1,
        },
    ),
    Example(
        "unit-converter.html",
        "Unit converter",
        {
            "unit": 3, "celsius": 3, "fahrenheit": 3, "convert": 2, "converter": 2, "conversion": 2, "kelvin": 2,
            "temperature": 2, "metric": 2, "imperial": 2, "mile": 2, "km": 2, "kilometer": 2, "kilometre": 2, "kg": 2,
            "lb": 2, "inch": 2, "feet": 2, "gallon": 2, "litre": 2, "liter": 2, "pound": 1, "length": 1, "weight": 1,
        },
    ),
    Example(
        "todo.html",
        "To-do list",
        {
            "todo": 3, "checklist": 3, "shopping list": 3, "task": 2, "chore": 2, "grocery": 2, "groceries": 2,
            "list": 1, "reminder": 1, "note": 1, "planner": 1,
        },
    ),
    Example(
        "password.html",
        "Password generator",
        {
            "password": 3, "passphrase": 3, "passcode": 2, "secure": 1, "strong": 1, "random": 1, "generator": 1,
        },
    ),
    Example(
        "markdown.html",
        "Markdown previewer",
        {
            "markdown": 3, "previewer": 3, "md": 2, "preview": 2, "editor": 1, "render": 1, "writing": 1,
        },
    ),
    Example(
        "contrast.html",
        "Colour contrast checker",
        {
            "contrast": 3, "palette": 3, "wcag": 3, "colour": 2, "color": 2, "hex": 2, "shade": 2, "accessibility": 1,
            "accessible": 1, "picker": 1,
        },
    ),
    Example(
        "loan.html",
        "Loan and mortgage calculator",
        {
            "loan": 3, "mortgage": 3, "amortization": 3, "amortisation": 3, "emi": 3, "interest": 2, "repayment": 2,
            "monthly payment": 2, "borrow": 2, "apr": 2, "payment": 1, "finance": 1,
        },
    ),
    Example(
        "dice.html",
        "Dice roller",
        {
            "dice": 3, "random number": 3, "d20": 3, "d6": 3, "die": 2, "roll": 2, "roller": 2, "dnd": 2, "d&d": 2,
            "rpg": 2, "board game": 2, "random": 1,
        },
    ),
    Example(
        "word-counter.html",
        "Word counter",
        {
            "word count": 3, "word counter": 3, "reading time": 3, "word": 2, "character": 2, "count": 2, "sentence": 2,
            "essay": 2, "counter": 1, "text": 1, "letter": 1,
        },
    ),
)
DEFAULT_EXAMPLE = next(e for e in EXAMPLES if e.file == "todo.html")

ACCENTS = {
    "blue": "#2563eb", "green": "#15803d", "red": "#dc2626", "purple": "#7c3aed", "violet": "#7c3aed",
    "orange": "#c2410c", "pink": "#be185d", "teal": "#0f766e", "indigo": "#4f46e5", "yellow": "#a16207",
    "gold": "#a16207", "brown": "#92400e", "gray": "#4b5563", "grey": "#4b5563",
}  # each keeps white text on it at 4.5:1 or more
_COLOUR_WORDS = "|".join(ACCENTS)

_DARK = (
    "html:root{color-scheme:dark;--bg:#0f1217;--surface:#171b22;--surface-2:#222833;--text:#e8eaef;--muted:#a4acba;"
    "--border:#2e3540;--field-border:#6b7482;--danger:#f97066;--shadow:0 1px 2px rgb(0 0 0/.5);"
    "--accent-text:color-mix(in srgb,var(--accent) 55%,#fff)}html:root body{background:var(--bg);color:var(--text)}"
)
_LIGHT = (
    "html:root{color-scheme:light;--bg:#f4f6f8;--surface:#fff;--surface-2:#eef2f5;--text:#16191f;--muted:#565e6c;"
    "--border:#dde2e8;--field-border:#8a93a2;--danger:#b42318;--accent-text:var(--accent)}"
    "html:root body{background:var(--bg);color:var(--text)}"
)
_FONTS = {
    "serif": 'Georgia,"Iowan Old Style","Times New Roman",serif',
    "monospace": 'ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace',
    "sans-serif": 'system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif',
}
_SIZE_STEP, _SIZE_MIN, _SIZE_MAX = 12.5, 75.0, 200.0
ABILITIES = (
    "dark or light theme, bigger or smaller text, an accent colour (blue, green, red, purple, orange, pink, teal…), "
    "a serif or monospace font, a new title (\"rename to …\"), a reset of my style changes, "
    "and extra percentages on the tip calculator (\"add a 20% button\")"
)


class DemoProvider:
    """Answers like a model would, from built-in examples, at a realistic pace."""

    name = "demo"
    needs_key = False
    key_env_var: str | None = None

    def __init__(self, *, delay: float) -> None:
        self.delay = delay

    def declines(self, messages: Sequence[Message], *, fixing: bool) -> str | None:
        """Why the demo cannot do a follow-up, said before any version is made; None when it can.

        It knows a few changes by name and cannot read errors: anything else would only copy the
        page unchanged into a new version.
        """
        if fixing:
            return f"The offline demo cannot fix errors: it does not read code, it only knows {ABILITIES}. To have a model fix them, {USE_A_REAL_MODEL}."
        page, request = current_page_and_request(messages)
        if page is None:
            return None
        _, changed = _follow_up_answer(page, request)
        if changed != page:
            return None
        shown = _shorten(request)
        return f"The offline demo cannot do “{shown}”: all it knows is {ABILITIES}. For anything else, {USE_A_REAL_MODEL}. No version was made."

    async def stream(self, request: Request) -> AsyncIterator[StreamItem]:
        text = answer(request.messages, edits=EDIT_MARKER in request.system)
        for i, chunk in enumerate(_chunks(text)):
            if i:
                await asyncio.sleep(self.delay)
            yield chunk
        # No service reports usage here: these counts are estimates (about 4 characters a token).
        sent = request.system + "".join(m.content for m in request.messages)
        yield Usage(input_tokens=math.ceil(len(sent) / 4), output_tokens=math.ceil(len(text) / 4), stop_reason="end")

    async def close(self) -> None:
        """The demo holds no connections."""


def answer(messages: Sequence[Message], *, edits: bool = False) -> str:
    """The whole answer to a conversation: prose, then the page in a fenced block or, with `edits`, edit blocks.

    Asked to continue an answer (one cut off or stopped), it writes the rest of the answer it would
    have given: the demo always answers a conversation the same way.
    """
    if len(messages) > 2 and messages[-1].content == CONTINUE_REQUEST and messages[-2].role == "assistant":
        so_far = messages[-2].content
        whole = answer(messages[:-2], edits=edits)
        if whole.startswith(so_far):
            return whole[len(so_far) :]
    page, request = current_page_and_request(messages)
    if page is None:
        prose, page = _first_answer(request)
    else:
        before = page
        prose, page = _follow_up_answer(page, request)
        blocks = edits_between(before, page) if edits and page != before else None
        if blocks:
            return f"{prose}\n\n{format_edits(blocks)}"
    return f"{prose}\n\n```html\n{page.strip()}\n```\n"


def choose_example(prompt: str) -> Example | None:
    """The example whose keywords best match `prompt`; None when no word matches."""
    text = _normalise(prompt)
    best, best_score = None, 0
    for example in EXAMPLES:
        score = sum(weight for word, weight in example.keywords.items() if _has_word(text, word))
        if score > best_score:
            best, best_score = example, score
    return best


def current_page_and_request(messages: Sequence[Message]) -> tuple[str | None, str]:
    """The page being changed (None on a first prompt) and the person's latest request.

    A follow-up is one user message holding the current page in a ```html block
    with the request after it (see app.generation.prompting), or a conversation whose
    earlier message holds the page; both are understood.
    """
    last_user = next((m.content for m in reversed(messages) if m.role == "user"), "")
    page, before, after = _split_document(last_user)
    if page is not None:
        # Our own follow-ups put the request last, after "Change it as follows…:" (app/prompting.py).
        framed = list(_REQUEST_LEAD.finditer(last_user))
        if framed:
            return page, last_user[framed[-1].end() :].strip()
        return page, _strip_framing(after) or _strip_framing(re.split(r"\n\s*\n", before.strip())[-1])
    for message in reversed(messages):
        page, _, _ = _split_document(message.content)
        if page is not None:
            return page, last_user.strip()
    return None, last_user.strip()


# --- First prompt ---------------------------------------------------------------


def _first_answer(prompt: str) -> tuple[str, str]:
    example = choose_example(prompt)
    page = (example or DEFAULT_EXAMPLE).page()
    extras: list[str] = []
    text = _normalise(prompt)
    if _DARK_WORDS.search(text):
        page, done = _theme(page, dark=True)
        extras.append(done)
    if (colour := _colour_in(text)) and (recoloured := _accent(page, colour)):
        page, done = recoloured
        extras.append(done)
    then = f", then {_join(extras)}" if extras else ""
    if example is None:
        prose = (
            "Offline demo: none of my built-in examples matches your words, so here is my default one, "
            f"“{DEFAULT_EXAMPLE.title}”{then}. "
        )
    else:
        prose = f"Offline demo: I matched your words to my built-in example “{example.title}”{then}. "
    return prose + f"A real model would write something for your exact request; {USE_A_REAL_MODEL}.", page


# --- Follow-ups -----------------------------------------------------------------

Edit = Callable[[str], tuple[str, str] | None]  # page -> (new page, what was done), None if it cannot apply


def _follow_up_answer(page: str, request: str) -> tuple[str, str]:
    done: list[str] = []
    not_done: list[str] = []
    for clause in _clauses(request):
        edits = _edits_for(clause)
        applied = False
        for edit in edits:
            result = edit(page)
            if result is not None:
                page, what = result
                if what not in done:
                    done.append(what)
                applied = True
        if not applied:
            not_done.append(clause)
    shown = _shorten(request)
    if not shown:
        prose = "Offline demo: I found no request to act on, so the page below is unchanged."
    elif not done:
        prose = (
            f'Offline demo: I can\'t do "{shown}", so the page below is unchanged; a real model can '
            f"({USE_A_REAL_MODEL}). All I know offline is {ABILITIES}."
        )
    elif not_done:
        rest = _shorten("; ".join(not_done))
        prose = f'Offline demo: I {_join(done)}. I can\'t do the rest of your request ("{rest}"): a real model can; {USE_A_REAL_MODEL}.'
    else:
        prose = f"Offline demo: I {_join(done)}. A real model can make changes I can't; {USE_A_REAL_MODEL}."
    return prose, page


_RENAME = (
    re.compile(r"\b(?:rename|retitle)\b(?:\s+(?:it|this|the\s+(?:page|tool|app|title|heading)))?(?:\s+(?:to|as))?\s*[:=]?\s+(?P<name>.+)", re.I),
    re.compile(r"\b(?:call|name)\s+(?:it|this|the\s+(?:page|tool|app))\s+(?P<name>.+)", re.I),
    re.compile(r"\b(?:change|set|make)\s+(?:the\s+|its\s+)?(?:title|name|heading|header)\s+(?:to|as|into)\s+(?P<name>.+)", re.I),
    re.compile(r"^(?:a\s+|the\s+)?(?:new\s+)?(?:title|heading)\s*[:=]?\s+(?P<name>.+)", re.I),
    re.compile(r"\btitled\s+(?P<name>.+)", re.I),
)
# "dark blue" is a colour, not a theme.
_DARK_WORDS = re.compile(rf"\b(?:dark(?:er)?|night|dim)\b(?!\s+(?:{_COLOUR_WORDS})\b)|\bblack background")
_LIGHT_WORDS = re.compile(rf"\b(?:light(?:er)?|bright)\b(?!\s+(?:{_COLOUR_WORDS})\b)|\bwhite background")
_BIGGER = re.compile(r"\b(?:bigger|larger|large|big|huge|enlarge|increase|zoom in)\b")
_SMALLER = re.compile(r"\b(?:smaller|small|tiny|compact|decrease|shrink|zoom out)\b")
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d{1,2})?)\s*(?:%|percent\b|per\s*cent\b)", re.I)


def _edits_for(clause: str) -> list[Edit]:
    """The edits one clause of the request asks for, in the order to apply them."""
    for pattern in _RENAME:
        if match := pattern.search(clause):
            name = _clean_name(match.group("name"))
            return [functools.partial(_rename, name=name)] if name else []
    text = _normalise(clause)
    if (percents := _PERCENT.findall(clause)) and not (_BIGGER.search(text) or _SMALLER.search(text)):
        return [functools.partial(_add_tip_percent, pct=float(pct)) for pct in percents]
    edits: list[Edit] = []
    if re.search(r"\b(?:reset|undo|revert|original)\b", text):
        edits.append(_reset)
    if _DARK_WORDS.search(text):
        edits.append(lambda p: _theme(p, dark=True))
    elif _LIGHT_WORDS.search(text):
        edits.append(lambda p: _theme(p, dark=False))
    if _BIGGER.search(text):
        edits.append(lambda p: _text_size(p, +1))
    elif _SMALLER.search(text):
        edits.append(lambda p: _text_size(p, -1))
    if colour := _colour_in(text):
        edits.append(lambda p: _accent(p, colour))
    if re.search(r"\bsans(?:[- ]?serif)?\b", text):
        edits.append(lambda p: _font(p, "sans-serif"))
    elif re.search(r"\bserif\b", text):
        edits.append(lambda p: _font(p, "serif"))
    elif re.search(r"\b(?:mono|monospace|monospaced|typewriter|code font)\b", text):
        edits.append(lambda p: _font(p, "monospace"))
    return edits


def _theme(page: str, *, dark: bool) -> tuple[str, str]:
    if dark:
        return _set_block(page, "theme", _DARK), "made the page dark"
    if _block(page, "theme") is not None:
        return _remove_block(page, "theme"), "switched the page back to its light theme"
    if re.search(r"color-scheme:\s*dark", page, re.I):
        return _set_block(page, "theme", _LIGHT), "made the page light"
    return page, "kept the page light (it already was)"


def _text_size(page: str, direction: int) -> tuple[str, str]:
    current = _block(page, "size")
    match = re.search(r"font-size:\s*([\d.]+)%", current or "")
    percent = float(match.group(1)) if match else 100.0
    percent = min(_SIZE_MAX, max(_SIZE_MIN, percent + direction * _SIZE_STEP))
    page = _remove_block(page, "size") if percent == 100 else _set_block(page, "size", f"html{{font-size:{percent:g}%}}")
    return page, f"made the text {'bigger' if direction > 0 else 'smaller'} ({percent:g}% of normal)"


def _accent(page: str, colour: str) -> tuple[str, str] | None:
    if "var(--accent)" not in page:
        return None  # a page that does not use the variable would not change
    css = f"html:root{{--accent:{ACCENTS[colour]};--accent-ink:#fff}}"
    return _set_block(page, "accent", css), f"changed the accent colour to {colour}"


def _font(page: str, family: str) -> tuple[str, str]:
    css = f"html:root{{--font:{_FONTS[family]}}}html:root body{{font-family:var(--font)}}"
    return _set_block(page, "font", css), f"switched to a {family} font"


def _rename(page: str, name: str) -> tuple[str, str]:
    escaped = html.escape(name, quote=False)
    if re.search(r"<title[^>]*>.*?</title>", page, re.I | re.S):
        page = re.sub(r"(<title[^>]*>).*?(</title>)", lambda m: m.group(1) + escaped + m.group(2), page, count=1, flags=re.I | re.S)
    else:
        page = _insert_in_head(page, f"<title>{escaped}</title>\n")
    page = re.sub(r"(<h1\b[^>]*>).*?(</h1>)", lambda m: m.group(1) + escaped + m.group(2), page, count=1, flags=re.I | re.S)
    return page, f"renamed it to “{name}”"


def _add_tip_percent(page: str, pct: float) -> tuple[str, str] | None:
    group = re.search(r'(<div\b[^>]*\bid="tip-choices"[^>]*>)(.*?)(</div>)', page, re.S)
    if group is None or not 0 < pct <= 100:
        return None  # only the tip calculator has percentage buttons
    label = f"{pct:g}"
    buttons = list(re.finditer(r'[ \t]*<button\b[^>]*\bdata-pct="([\d.]+)"[^>]*>.*?</button>\n?', group.group(2), re.S))
    if any(float(b.group(1)) == pct for b in buttons):
        return page, f"kept the {label}% button (it was already there)"
    indent = buttons[0].group(0)[: len(buttons[0].group(0)) - len(buttons[0].group(0).lstrip(" \t"))] if buttons else ""
    button = f'{indent}<button type="button" class="chip" data-pct="{label}" aria-pressed="false">{label}%</button>\n'
    later = next((b for b in buttons if float(b.group(1)) > pct), None)
    inner = group.group(2)
    position = later.start() if later else (buttons[-1].end() if buttons else len(inner))
    inner = inner[:position] + button + inner[position:]
    return page[: group.start(2)] + inner + page[group.end(2) :], f"added a {label}% tip button"


def _reset(page: str) -> tuple[str, str]:
    cleaned = re.sub(r'<style data-toolsmith-demo="[\w-]+">.*?</style>\n?', "", page, flags=re.S)
    if cleaned == page:
        return page, "found none of my style changes to reset"
    return cleaned, "removed my style changes (theme, text size, colour and font)"


# --- Helpers ----------------------------------------------------------------------


@cache
def _read(file: str) -> str:
    return (TOOLS_DIR / file).read_text(encoding="utf-8")


def _normalise(text: str) -> str:
    return re.sub(r"\bto[- ]?dos?\b", "todo", text.lower().replace("’", "'"))


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?:s|es)?(?![a-z0-9])", text) is not None


def _colour_in(text: str) -> str | None:
    match = re.search(rf"\b({_COLOUR_WORDS})\b", text)
    return match.group(1) if match else None


EDIT_MARKER = "<<<<<<< SEARCH"  # instructions that teach edit blocks show one
_REQUEST_LEAD = re.compile(r"^Change it as follows[^\n]*:[ \t]*\n", re.M)
_DOC_START = re.compile(r"<!doctype\s+html|<html[\s>]", re.I)
_DOC_END = re.compile(r"</html\s*>", re.I)


def _split_document(text: str) -> tuple[str | None, str, str]:
    """The HTML document in `text`, and the text before and after it (fences dropped)."""
    start = _DOC_START.search(text)
    ends = list(_DOC_END.finditer(text, start.end())) if start else []
    if start is None or not ends:
        return None, text, ""
    before = re.sub(r"`{3,}[\w-]*\s*$", "", text[: start.start()])
    after = re.sub(r"^\s*`{3,}[^\n]*", "", text[ends[-1].end() :])
    return text[start.start() : ends[-1].end()], before, after


def _strip_framing(text: str) -> str:
    """The request without our own lead-in lines ("Change it as follows…:")."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    while lines and lines[0].endswith(":"):
        lines.pop(0)
    return "\n".join(lines)


_SPLIT = re.compile(r"\s*([,;\n!?]|\.(?=\s|$)|\b(?:and then|then|and|also|plus|but)\b)\s*", re.I)
_FILLER = set(["please", "pls", "can", "could", "would", "you", "it", "its", "the", "a", "an", "make", "also", "now", "ok", "okay", "thanks", "thank", "too", "just", "i", "want", "like", "me", "this", "that", "page", "tool", "app"])


def _clauses(request: str) -> list[str]:
    """The request cut into its separate asks; quoted text and names stay whole."""
    quoted: list[str] = []

    def hide(match: re.Match[str]) -> str:
        quoted.append(match.group(0))
        return f"\x00{len(quoted) - 1}\x00"

    parts = _SPLIT.split(re.sub(r'"[^"\n]*"|“[^”\n]*”|‘[^’\n]*’', hide, request))
    clauses: list[str] = []
    for i in range(0, len(parts), 2):
        part = re.sub(r"\x00(\d+)\x00", lambda m: quoted[int(m.group(1))], parts[i]).strip()
        joined_by = parts[i - 1].lower() if i else ""
        if clauses and joined_by == "and" and part[:1].isupper() and _is_rename(clauses[-1]) and not _edits_for(part):
            clauses[-1] += " and " + part  # "rename to Salt and Pepper"
        elif any(w not in _FILLER for w in re.findall(r"[\w%]+", part.lower())):
            clauses.append(part)
    return clauses


def _is_rename(clause: str) -> bool:
    return any(pattern.search(clause) for pattern in _RENAME)


def _clean_name(name: str) -> str:
    name = re.sub(r"\s+", " ", name).strip().strip("\"“”‘’'").strip()
    return name.rstrip(".!?").strip()[:80]


def _block(page: str, kind: str) -> str | None:
    match = re.search(rf'<style data-toolsmith-demo="{kind}">(.*?)</style>', page, re.S)
    return match.group(1) if match else None


def _remove_block(page: str, kind: str) -> str:
    return re.sub(rf'<style data-toolsmith-demo="{kind}">.*?</style>\n?', "", page, flags=re.S)


def _set_block(page: str, kind: str, css: str) -> str:
    """Replace or add one of our marked style blocks, last in <head> so it wins."""
    return _insert_in_head(_remove_block(page, kind), f'<style data-toolsmith-demo="{kind}">{css}</style>\n')


def _insert_in_head(page: str, snippet: str) -> str:
    for pattern, before in ((r"</head\s*>", True), (r"<body\b", True), (r"<html\b[^>]*>", False)):
        if match := re.search(pattern, page, re.I):
            at = match.start() if before else match.end()
            return page[:at] + snippet + page[at:]
    return snippet + page


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _shorten(text: str, limit: int = 160) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _chunks(text: str) -> list[str]:
    """Token-ish pieces: short in the prose, longer in the page, the same every time."""
    rng = random.Random(zlib.crc32(text.encode("utf-8")))
    code_starts = text.find("```html")
    chunks, i = [], 0
    while i < len(text):
        size = rng.randint(4, 16) if i < code_starts else rng.randint(32, 96)
        chunks.append(text[i : i + size])
        i += size
    return chunks
