"""Where a py-spy profile (collapsed stacks, `--format raw`) spends its samples: the top functions, by own and total time.

    python bench/profile_summary.py PROFILE [--top 25] [--match app/]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent) + "/"
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _frame(raw: str) -> str:
    match = _FRAME.match(raw.strip())
    if not match:
        return raw.strip()
    file = match["file"]
    # Paths shortened to what says where the frame is: inside a package, the standard library, or this repository.
    for marker in ("site-packages/", "/python3.", ROOT):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{match['func']} ({file})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="only count total time of frames whose file contains this")
    args = parser.parse_args()
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in args.profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = [_frame(f) for f in stack.split(";") if f]
        if not frames:
            continue
        own[frames[-1]] += n
        for frame in set(frames):
            if args.match in frame:
                total[frame] += n
    print(f"{samples} samples")
    print("own time:")
    for name, n in own.most_common(args.top):
        print(f"  {100 * n / samples:5.1f}%  {name}")
    print("total time (frame on the stack):")
    for name, n in total.most_common(args.top):
        print(f"  {100 * n / samples:5.1f}%  {name}")


if __name__ == "__main__":
    main()
