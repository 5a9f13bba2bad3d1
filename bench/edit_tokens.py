"""Output tokens of a follow-up answered in edit blocks against the same change as a whole-page rewrite.

    pip install -e '.[bench]'        # the tokenizer: OpenAI's o200k_base, bundled, offline
    python bench/edit_tokens.py      # from the repository root

Two corpora, each change answered both ways with the same prose:
- the edit-application corpus of the tests (tests/edit_corpus.py), every case whose
  blocks apply: its answer against its expected page in a ```html block;
- the offline demo's changes (theme, rename, text size, accent colour, font, a
  tip button) on each of its example tools: its two real answers, in edit
  blocks and as a whole page (app/providers/demo.py).
Every edit answer is checked to produce exactly the whole page it is compared with.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.generation.edits import edit_page, parse_edits
from app.generation.prompting import build_messages
from app.generation.providers.demo import EXAMPLES, answer
from tests.edit_corpus import CASES

DEMO_CHANGES = (
    "make it dark",
    'rename it to "My tool"',
    "make the text bigger",
    "use a green accent colour",
    "switch to a serif font",
    "add a 20% button",
)


@dataclass(frozen=True)
class Pair:
    name: str
    edits: str  # the answer in edit blocks
    whole: str  # the same change answered with the whole page


def corpus_pairs() -> Iterable[Pair]:
    for case in CASES:
        if case.expected is None:
            continue
        if edit_page(case.page, case.answer).html != case.expected:
            raise SystemExit(f"{case.name}: the edit blocks do not make the expected page")
        prose = parse_edits(case.answer).notes
        yield Pair(case.name, case.answer, f"{prose}\n\n```html\n{case.expected}\n```\n")


def demo_pairs() -> Iterable[Pair]:
    for example in EXAMPLES:
        page = example.page().strip()
        for change in DEMO_CHANGES:
            messages = build_messages(["a tool"], page, change, edits=True)
            blocks, whole = answer(messages, edits=True), answer(messages)
            if blocks == whole:
                continue  # a change this example cannot take (a tip button on anything but the tip calculator)
            expected = whole.split("```html\n", 1)[1].rsplit("\n```", 1)[0]
            if (edit_page(page, blocks).html or "").strip() != expected.strip():
                raise SystemExit(f"{example.file} / {change}: the edit blocks do not make the whole page")
            yield Pair(f"{example.file}: {change}", blocks, whole)


def report(title: str, pairs: list[Pair], count: Callable[[str], int], verbose: bool) -> tuple[int, int]:
    edits_total = whole_total = 0
    if verbose:
        print(f"\n{title}")
        print(f"  {'edit':>6} {'whole':>6} {'ratio':>6}  change")
    for pair in pairs:
        e, w = count(pair.edits), count(pair.whole)
        edits_total += e
        whole_total += w
        if verbose:
            print(f"  {e:6d} {w:6d} {e / w:6.3f}  {pair.name}")
    ratio = edits_total / whole_total
    print(f"{title}: {len(pairs)} changes, {edits_total:,} output tokens in edit blocks vs {whole_total:,} as whole pages: ratio {ratio:.3f} ({1 - ratio:.0%} fewer)")
    return edits_total, whole_total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoding", default="o200k_base", help="tokenizer encoding (default: o200k_base, GPT-4o/4.1)")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per change")
    args = parser.parse_args(argv)
    try:
        import bpe_openai
    except ImportError:
        raise SystemExit("This benchmark counts tokens with bpe-openai: pip install -e '.[bench]'") from None
    encoding = bpe_openai.get_encoding(args.encoding)

    def count(text: str) -> int:
        return len(encoding.encode(text))

    print(f"Output tokens ({args.encoding}), edit blocks against whole-page rewrites of the same change")
    e1, w1 = report("edit corpus (tests/edit_corpus.py)", list(corpus_pairs()), count, args.verbose)
    e2, w2 = report("demo tools (app/providers/demo_tools)", list(demo_pairs()), count, args.verbose)
    total = (e1 + e2) / (w1 + w2)
    print(f"all: {e1 + e2:,} vs {w1 + w2:,} output tokens: ratio {total:.3f}")


if __name__ == "__main__":
    main()
