"""One line per figure for ``aftercare bench``: the figure, its reference, their ratio.

A benchmark calls :func:`record` for each figure it measures against a reference taken in the
same run. When ``aftercare bench`` runs it, ``BENCH_RESULTS`` names a JSON-lines file
the figures are appended to, and the command prints them all as one table; run alone, the
benchmark prints its own output and this does nothing.
"""

from __future__ import annotations

import json
import os


def record(
    figure: str,
    value: float,
    unit: str,
    reference: str,
    reference_value: float,
    *,
    ratio: float | None = None,
    goal: str = "",
) -> None:
    """Append one figure; ``ratio`` defaults to value / reference_value."""
    path = os.environ.get("BENCH_RESULTS")
    if not path:
        return
    if ratio is None:
        ratio = value / reference_value if reference_value else float("nan")
    row = {
        "figure": figure,
        "value": value,
        "unit": unit,
        "reference": reference,
        "reference_value": reference_value,
        "ratio": ratio,
        "goal": goal,
    }
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")
