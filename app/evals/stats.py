"""What an eval run says per model: pass rate with a 95 % interval, problems, tokens and time, and the table the CLI prints."""

from __future__ import annotations

import math
from typing import Any

Z95 = 1.959963984540054


def wilson(passed: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a pass rate: sound for small samples and rates of 0 or 1."""
    if total == 0:
        return (0.0, 1.0)
    p = passed / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


def summarize(results: list[dict[str, Any]], models: list[str]) -> list[dict[str, Any]]:
    """One row per model, in the order the run named them."""
    rows = []
    for model in models:
        runs = [r for r in results if r["model"] == model]
        passed = sum(1 for r in runs if r["passed"])
        low, high = wilson(passed, len(runs))
        rows.append(
            {
                "model": model,
                "runs": len(runs),
                "passed": passed,
                "pass_rate": passed / len(runs) if runs else None,
                "interval": [low, high],
                "problems": sum(len(r["problems"]) for r in runs),
                "input_tokens": sum(r.get("input_tokens") or 0 for r in runs),
                "output_tokens": sum(r.get("output_tokens") or 0 for r in runs),
                "duration_ms": sum(r.get("duration_ms") or 0 for r in runs),
            }
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The summary as fixed-width text for a terminal."""
    head = ("model", "passed", "pass rate (95% CI)", "problems", "tokens in", "tokens out", "time")
    lines = [head]
    for row in rows:
        rate = "–" if row["pass_rate"] is None else f"{row['pass_rate']:.0%} ({row['interval'][0]:.0%}–{row['interval'][1]:.0%})"
        lines.append((row["model"], f"{row['passed']}/{row['runs']}", rate, str(row["problems"]), f"{row['input_tokens']:,}", f"{row['output_tokens']:,}", f"{row['duration_ms'] / 1000:.1f} s"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip() for line in lines)
