"""The edit-application corpus: a page, a model's answer in edit blocks, and what must come of it.

Each case names the page it starts from, the answer, and either the page that
must result or a phrase of the reason the blocks must be refused. The tests in
tests/test_edits.py run every case; bench/edit_tokens.py uses the successful
ones to compare the tokens of an edit answer with a whole-page rewrite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    page: str
    answer: str
    expected: str | None = None  # the resulting page
    refused: str | None = None  # a phrase of the reason, when the blocks must be refused
    tolerant: int = 0  # blocks that may match only with whitespace allowed to differ

    def __post_init__(self) -> None:
        if (self.expected is None) == (self.refused is None):
            raise ValueError(f"{self.name}: give either the expected page or the refusal")


def block(search: str, replace: str) -> str:
    return f"<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n" if replace else f"<<<<<<< SEARCH\n{search}\n=======\n>>>>>>> REPLACE\n"


def answer(*blocks: str, prose: str = "Here are the changes.", fence: bool = False) -> str:
    body = "\n".join(blocks)
    if fence:
        body = f"```html\n{body}```\n"
    return f"{prose}\n\n{body}" if prose else body


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Counter</title>
  <style>
    body { font-family: system-ui, sans-serif; margin: 2rem; }
    .button { background: #2563eb; color: #fff; }
    .button:hover { background: #1d4ed8; }
  </style>
</head>
<body>
  <h1>Counter</h1>
  <p id="count">0</p>
  <button id="add" class="button" type="button">Add one</button>
  <button id="reset" class="button" type="button">Reset</button>
  <script>
    let count = 0;
    const out = document.getElementById('count');
    document.getElementById('add').addEventListener('click', () => {
      count += 1;
      out.textContent = String(count);
    });
  </script>
</body>
</html>
"""

TABS = re.sub(r"^( +)", lambda m: "\t" * (len(m.group(1)) // 2), PAGE, flags=re.MULTILINE)
CRLF = PAGE.replace("\n", "\r\n")

RESET_HANDLER = """    document.getElementById('reset').addEventListener('click', () => {
      count = 0;
      out.textContent = '0';
    });"""


def _sub(page: str, old: str, new: str) -> str:
    """`page` with its one occurrence of `old` replaced (a check on the corpus itself)."""
    if page.count(old) != 1:
        raise ValueError(f"corpus error: {old!r} occurs {page.count(old)} times")
    return page.replace(old, new)


CASES: list[Case] = [
    # --- exact matches ---------------------------------------------------------------------
    Case(
        "exact: one line in the body",
        PAGE,
        answer(block("  <h1>Counter</h1>", "  <h1>Click counter</h1>")),
        expected=_sub(PAGE, "<h1>Counter</h1>", "<h1>Click counter</h1>"),
    ),
    Case(
        "exact: the title in the head",
        PAGE,
        answer(block("  <title>Counter</title>", "  <title>Click counter</title>")),
        expected=_sub(PAGE, "<title>Counter</title>", "<title>Click counter</title>"),
    ),
    Case(
        "exact: part of a line",
        PAGE,
        answer(block(">Add one<", ">Add 1<")),
        expected=_sub(PAGE, ">Add one<", ">Add 1<"),
    ),
    Case(
        "exact: several lines with their indentation",
        PAGE,
        answer(block("      count += 1;\n      out.textContent = String(count);", "      count += 2;\n      out.textContent = String(count);")),
        expected=_sub(PAGE, "count += 1;", "count += 2;"),
    ),
    Case(
        "exact: no prose around the blocks",
        PAGE,
        answer(block("<p id=\"count\">0</p>", "<p id=\"count\" aria-live=\"polite\">0</p>"), prose=""),
        expected=_sub(PAGE, "<p id=\"count\">0</p>", "<p id=\"count\" aria-live=\"polite\">0</p>"),
    ),
    Case(
        "exact: blocks inside a code fence",
        PAGE,
        answer(block("  <h1>Counter</h1>", "  <h1>Tally</h1>"), fence=True),
        expected=_sub(PAGE, "<h1>Counter</h1>", "<h1>Tally</h1>"),
    ),
    Case(
        "exact: each block in its own fence, prose between",
        PAGE,
        "First the heading:\n\n```html\n"
        + block("  <h1>Counter</h1>", "  <h1>Tally</h1>")
        + "```\n\nThen the button:\n\n```\n"
        + block(">Add one<", ">Count<")
        + "```\n",
        expected=_sub(_sub(PAGE, "<h1>Counter</h1>", "<h1>Tally</h1>"), ">Add one<", ">Count<"),
    ),
    Case(
        "exact: markers with five and nine signs",
        PAGE,
        "<<<<< SEARCH\n  <h1>Counter</h1>\n=========\n  <h1>Tally</h1>\n>>>>>>>>> REPLACE\n",
        expected=_sub(PAGE, "<h1>Counter</h1>", "<h1>Tally</h1>"),
    ),
    Case(
        "exact: a replacement equal to the search changes nothing",
        PAGE,
        answer(block("  <h1>Counter</h1>", "  <h1>Counter</h1>")),
        expected=PAGE,
    ),
    Case(
        "exact: non-ASCII text",
        PAGE.replace("Add one", "Ajouter ➕"),
        answer(block("Ajouter ➕", "Ajouter un ✓")),
        expected=PAGE.replace("Add one", "Ajouter un ✓"),
    ),
    Case(
        "exact: the search is the whole page's last line",
        PAGE.rstrip("\n"),
        answer(block("</body>\n</html>", "<footer>v2</footer>\n</body>\n</html>")),
        expected=_sub(PAGE.rstrip("\n"), "</body>\n</html>", "<footer>v2</footer>\n</body>\n</html>"),
    ),
    # --- inserting -------------------------------------------------------------------------
    Case(
        "insert: a new line after an anchor line",
        PAGE,
        answer(block("  <h1>Counter</h1>", "  <h1>Counter</h1>\n  <p class=\"hint\">Press the buttons.</p>")),
        expected=_sub(PAGE, "  <h1>Counter</h1>\n", "  <h1>Counter</h1>\n  <p class=\"hint\">Press the buttons.</p>\n"),
    ),
    Case(
        "insert: a handler into the inline script",
        PAGE,
        answer(block("      out.textContent = String(count);\n    });", "      out.textContent = String(count);\n    });\n" + RESET_HANDLER)),
        expected=_sub(PAGE, "      out.textContent = String(count);\n    });\n", "      out.textContent = String(count);\n    });\n" + RESET_HANDLER + "\n"),
    ),
    Case(
        "insert: a rule into the inline style",
        PAGE,
        answer(block("    .button:hover { background: #1d4ed8; }", "    .button:hover { background: #1d4ed8; }\n    .button:focus-visible { outline: 3px solid #93c5fd; }")),
        expected=_sub(PAGE, "    .button:hover { background: #1d4ed8; }\n", "    .button:hover { background: #1d4ed8; }\n    .button:focus-visible { outline: 3px solid #93c5fd; }\n"),
    ),
    # --- inline script and style ------------------------------------------------------------
    Case(
        "script: change a statement",
        PAGE,
        answer(block("    let count = 0;", "    let count = 10;")),
        expected=_sub(PAGE, "let count = 0;", "let count = 10;"),
    ),
    Case(
        "script: rewrite a whole function body",
        PAGE,
        answer(
            block(
                "    document.getElementById('add').addEventListener('click', () => {\n      count += 1;\n      out.textContent = String(count);\n    });",
                "    function render() {\n      out.textContent = count.toLocaleString();\n    }\n    document.getElementById('add').addEventListener('click', () => {\n      count += 1;\n      render();\n    });",
            )
        ),
        expected=_sub(
            PAGE,
            "    document.getElementById('add').addEventListener('click', () => {\n      count += 1;\n      out.textContent = String(count);\n    });",
            "    function render() {\n      out.textContent = count.toLocaleString();\n    }\n    document.getElementById('add').addEventListener('click', () => {\n      count += 1;\n      render();\n    });",
        ),
    ),
    Case(
        "style: change a colour",
        PAGE,
        answer(block("    .button { background: #2563eb; color: #fff; }", "    .button { background: #15803d; color: #fff; }")),
        expected=_sub(PAGE, "#2563eb", "#15803d"),
    ),
    Case(
        "style: a value inside a rule",
        PAGE,
        answer(block("margin: 2rem;", "margin: 0 auto; max-width: 40rem;")),
        expected=_sub(PAGE, "margin: 2rem;", "margin: 0 auto; max-width: 40rem;"),
    ),
    # --- deleting --------------------------------------------------------------------------
    Case(
        "delete: one line, its line break too",
        PAGE,
        answer(block("  <button id=\"reset\" class=\"button\" type=\"button\">Reset</button>", "")),
        expected=_sub(PAGE, "  <button id=\"reset\" class=\"button\" type=\"button\">Reset</button>\n", ""),
    ),
    Case(
        "delete: a rule from the style",
        PAGE,
        answer(block("    .button:hover { background: #1d4ed8; }", "")),
        expected=_sub(PAGE, "    .button:hover { background: #1d4ed8; }\n", ""),
    ),
    Case(
        "delete: several lines of script",
        PAGE,
        answer(block("    document.getElementById('add').addEventListener('click', () => {\n      count += 1;\n      out.textContent = String(count);\n    });", "")),
        expected=_sub(PAGE, "    document.getElementById('add').addEventListener('click', () => {\n      count += 1;\n      out.textContent = String(count);\n    });\n", ""),
    ),
    Case(
        "delete: part of a line keeps the rest",
        PAGE,
        answer(block(" class=\"button\" type=\"button\">Add one", " type=\"button\">Add one")),
        expected=_sub(PAGE, " class=\"button\" type=\"button\">Add one", " type=\"button\">Add one"),
    ),
    Case(
        "delete: the last line of a page without a final line break",
        PAGE.rstrip("\n") + "\n<!-- draft -->",
        answer(block("<!-- draft -->", "")),
        expected=PAGE.rstrip("\n"),
    ),
    # --- several blocks ---------------------------------------------------------------------
    Case(
        "several: three independent blocks",
        PAGE,
        answer(
            block("  <title>Counter</title>", "  <title>Tally</title>"),
            block("  <h1>Counter</h1>", "  <h1>Tally</h1>"),
            block("    let count = 0;", "    let count = 5;"),
        ),
        expected=_sub(_sub(_sub(PAGE, "<title>Counter</title>", "<title>Tally</title>"), "<h1>Counter</h1>", "<h1>Tally</h1>"), "let count = 0;", "let count = 5;"),
    ),
    Case(
        "several: a later block edits what an earlier one wrote",
        PAGE,
        answer(
            block("  <h1>Counter</h1>", "  <h1>Counter</h1>\n  <p id=\"note\">Draft</p>"),
            block("  <p id=\"note\">Draft</p>", "  <p id=\"note\">Ready</p>"),
        ),
        expected=_sub(PAGE, "  <h1>Counter</h1>\n", "  <h1>Counter</h1>\n  <p id=\"note\">Ready</p>\n"),
    ),
    Case(
        "several: HTML, style and script in one answer",
        PAGE,
        answer(
            block("  <button id=\"reset\" class=\"button\" type=\"button\">Reset</button>", "  <button id=\"reset\" class=\"button danger\" type=\"button\">Reset</button>"),
            block("    .button:hover { background: #1d4ed8; }", "    .button:hover { background: #1d4ed8; }\n    .danger { background: #b42318; }"),
            block("      out.textContent = String(count);\n    });", "      out.textContent = String(count);\n    });\n" + RESET_HANDLER),
        ),
        expected=_sub(
            _sub(
                _sub(PAGE, "class=\"button\" type=\"button\">Reset", "class=\"button danger\" type=\"button\">Reset"),
                "    .button:hover { background: #1d4ed8; }\n",
                "    .button:hover { background: #1d4ed8; }\n    .danger { background: #b42318; }\n",
            ),
            "      out.textContent = String(count);\n    });\n",
            "      out.textContent = String(count);\n    });\n" + RESET_HANDLER + "\n",
        ),
    ),
    # --- whitespace drift -------------------------------------------------------------------
    Case(
        "drift: indentation missing in the search",
        PAGE,
        answer(block("<h1>Counter</h1>\n<p id=\"count\">0</p>", "<h1>Counter</h1>\n<p id=\"count\" class=\"big\">0</p>")),
        expected=_sub(PAGE, "<p id=\"count\">0</p>", "<p id=\"count\" class=\"big\">0</p>"),
        tolerant=1,
    ),
    Case(
        "drift: deeper indentation in the search is shifted back",
        PAGE,
        answer(block("        let count = 0;\n        const out = document.getElementById('count');", "        let count = 0;\n        let steps = 0;\n        const out = document.getElementById('count');")),
        expected=_sub(PAGE, "    let count = 0;\n", "    let count = 0;\n    let steps = 0;\n"),
        tolerant=1,
    ),
    Case(
        "drift: trailing spaces in the page",
        PAGE.replace("  <h1>Counter</h1>\n", "  <h1>Counter</h1>   \n"),
        answer(block("  <h1>Counter</h1>\n  <p id=\"count\">0</p>", "  <h1>Tally</h1>\n  <p id=\"count\">0</p>")),
        expected=PAGE.replace("<h1>Counter</h1>", "<h1>Tally</h1>"),
        tolerant=1,
    ),
    Case(
        "drift: double spaces inside a line",
        PAGE,
        answer(block("    .button  {  background: #2563eb;  color: #fff; }", "    .button { background: #7c3aed; color: #fff; }")),
        expected=_sub(PAGE, "#2563eb", "#7c3aed"),
        tolerant=1,
    ),
    Case(
        "drift: a blank line the page does not have",
        PAGE,
        answer(block("  <h1>Counter</h1>\n\n  <p id=\"count\">0</p>", "  <h1>Counter</h1>\n  <output id=\"count\">0</output>")),
        expected=_sub(PAGE, "<p id=\"count\">0</p>", "<output id=\"count\">0</output>"),
        tolerant=1,
    ),
    Case(
        "drift: one long line wrapped over two in the search",
        PAGE,
        answer(block("  <button id=\"add\" class=\"button\"\n      type=\"button\">Add one</button>", "  <button id=\"add\" class=\"button\" type=\"button\">Add 1</button>")),
        expected=_sub(PAGE, ">Add one<", ">Add 1<"),
        tolerant=1,
    ),
    # --- tabs and spaces --------------------------------------------------------------------
    Case(
        "tabs: the page uses tabs, the search spaces",
        TABS,
        answer(block("    let count = 0;\n    const out = document.getElementById('count');", "    let count = 0;\n    let best = 0;\n    const out = document.getElementById('count');")),
        expected=_sub(TABS, "\t\tlet count = 0;\n", "\t\tlet count = 0;\n\t\tlet best = 0;\n"),
        tolerant=1,
    ),
    Case(
        "tabs: nested lines keep their depth in tabs",
        TABS,
        answer(
            block(
                "    document.getElementById('add').addEventListener('click', () => {\n      count += 1;",
                "    document.getElementById('add').addEventListener('click', () => {\n      if (count >= 99) return;\n      count += 1;",
            )
        ),
        expected=_sub(TABS, "\t\t\tcount += 1;\n", "\t\t\tif (count >= 99) return;\n\t\t\tcount += 1;\n"),
        tolerant=1,
    ),
    Case(
        "tabs: the page uses spaces, the search tabs",
        PAGE,
        answer(block("\t<h1>Counter</h1>\n\t<p id=\"count\">0</p>", "\t<h1>Counter</h1>\n\t<p id=\"count\">0</p>\n\t<p id=\"best\">Best: 0</p>")),
        expected=_sub(PAGE, "  <p id=\"count\">0</p>\n", "  <p id=\"count\">0</p>\n  <p id=\"best\">Best: 0</p>\n"),
        tolerant=1,
    ),
    # --- line endings -----------------------------------------------------------------------
    Case(
        "CRLF: a one-line search matches exactly and keeps CRLF",
        CRLF,
        answer(block("  <h1>Counter</h1>", "  <h1>Counter</h1>\n  <p>New line</p>")),
        expected=_sub(CRLF, "  <h1>Counter</h1>\r\n", "  <h1>Counter</h1>\r\n  <p>New line</p>\r\n"),
    ),
    Case(
        "CRLF: a page with CRLF and a search with LF",
        CRLF,
        answer(block("    let count = 0;\n    const out = document.getElementById('count');", "    let count = 1;\n    const out = document.getElementById('count');")),
        expected=_sub(CRLF, "let count = 0;", "let count = 1;"),
        tolerant=1,
    ),
    Case(
        "CRLF: the answer itself has CRLF, the page LF",
        PAGE,
        answer(block("  <h1>Counter</h1>\n  <p id=\"count\">0</p>", "  <h1>Tally</h1>\n  <p id=\"count\">0</p>")).replace("\n", "\r\n"),
        expected=_sub(PAGE, "<h1>Counter</h1>", "<h1>Tally</h1>"),
        tolerant=1,
    ),
    Case(
        "CRLF: deleting a line takes its CRLF",
        CRLF,
        answer(block("  <button id=\"reset\" class=\"button\" type=\"button\">Reset</button>", "")),
        expected=_sub(CRLF, "  <button id=\"reset\" class=\"button\" type=\"button\">Reset</button>\r\n", ""),
    ),
    # --- refusals: never guess --------------------------------------------------------------
    Case(
        "refuse: a search matching twice",
        PAGE,
        answer(block("class=\"button\" type=\"button\"", "class=\"button big\" type=\"button\"")),
        refused="matches 2 places",
    ),
    Case(
        "refuse: a line repeated three times",
        PAGE.replace("  <p id=\"count\">0</p>\n", "  <ul>\n    <li>Item</li>\n    <li>Item</li>\n    <li>Item</li>\n  </ul>\n"),
        answer(block("    <li>Item</li>", "    <li>First</li>")),
        refused="matches 3 places",
    ),
    Case(
        "refuse: tolerant matching is ambiguous",
        PAGE.replace("  <h1>Counter</h1>\n", "  <h1>Counter</h1>\n  <hr>\n<h1>Counter</h1>\n    <hr>\n"),
        answer(block("<h1>Counter</h1>\n <hr>", "<h1>Tally</h1>")),
        refused="matches 2 places in the page (ignoring whitespace)",
    ),
    Case(
        "refuse: a search matching nowhere",
        PAGE,
        answer(block("  <h2>Counter</h2>", "  <h2>Tally</h2>")),
        refused="matches nowhere",
    ),
    Case(
        "refuse: a search with one word changed",
        PAGE,
        answer(block("    let count = 1;", "    let count = 2;")),
        refused="matches nowhere",
    ),
    Case(
        "refuse: whitespace inside a word is not drift",
        PAGE,
        answer(block("<h1>Coun ter</h1>", "<h1>Tally</h1>")),
        refused="matches nowhere",
    ),
    Case(
        "refuse: tolerant matching never starts inside a word",
        PAGE,
        answer(block("utton  id=\"add\"", "utton id=\"plus\"")),
        refused="matches nowhere",
    ),
    Case(
        "refuse: a search with an elision comment",
        PAGE,
        answer(block("  <script>\n    // ... existing code ...\n  </script>", "  <script>\n    let count = 0;\n  </script>")),
        refused="matches nowhere",
    ),
    Case(
        "refuse: one bad block refuses the whole set",
        PAGE,
        answer(block("  <h1>Counter</h1>", "  <h1>Tally</h1>"), block("  <h2>Missing</h2>", "  <h2>Gone</h2>")),
        refused="Block 2",
    ),
    Case(
        "refuse: a block that matched before an earlier block removed its text",
        PAGE,
        answer(block("  <h1>Counter</h1>", ""), block("  <h1>Counter</h1>", "  <h1>Tally</h1>")),
        refused="matches nowhere",
    ),
    Case(
        "refuse: an empty search",
        PAGE,
        "<<<<<<< SEARCH\n=======\n<p>new</p>\n>>>>>>> REPLACE\n",
        refused="SEARCH part is empty",
    ),
    Case(
        "refuse: a block without its divider",
        PAGE,
        "<<<<<<< SEARCH\n  <h1>Counter</h1>\n>>>>>>> REPLACE\n",
        refused="no ======= line",
    ),
    Case(
        "refuse: a block cut off before REPLACE",
        PAGE,
        "<<<<<<< SEARCH\n  <h1>Counter</h1>\n=======\n  <h1>Tal",
        refused="stops before its >>>>>>> REPLACE line",
    ),
    Case(
        "refuse: a new block starts before the last one ended",
        PAGE,
        "<<<<<<< SEARCH\n  <h1>Counter</h1>\n=======\n  <h1>Tally</h1>\n" + block("    let count = 0;", "    let count = 2;"),
        refused="not finished",
    ),
]
