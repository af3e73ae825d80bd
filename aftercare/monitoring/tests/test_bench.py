"""``aftercare bench``: runs the benchmarks and prints their figures as one table."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from aftercare.monitoring.management.commands.bench import PLAN, arguments, figure_table


def test_it_runs_a_benchmark_and_prints_its_figure_against_the_reference() -> None:
    out = io.StringIO()
    call_command("bench", "--quick", "--only", "triage", stdout=out)
    text = out.getvalue()
    assert "== triage: " in text
    assert "| figure | value | reference | reference value | ratio | goal |" in text
    row = next(line for line in text.splitlines() if line.startswith("| triage"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[2] == "str.lower() over the same texts"
    assert float(cells[4]) > 0  # the ratio of two rates measured in that run


def test_an_unknown_benchmark_is_refused_by_name() -> None:
    with pytest.raises(CommandError, match="--only: unknown benchmark"):
        call_command("bench", "--only", "sweep,nonsense", stdout=io.StringIO())


def test_the_full_run_scales_with_clients_and_quick_stays_small() -> None:
    sweep = next(b for b in PLAN if b.name == "sweep")
    assert arguments(sweep, quick=False, clients=100_000) == [
        "--clients",
        "100000",
        "--baseline",
        "10000",
        "--rounds",
        "3",
    ]
    assert "--quick" in arguments(sweep, quick=True, clients=100_000)
    pages = next(b for b in PLAN if b.name == "pages")
    assert arguments(pages, quick=False, clients=100_000)[:4] == [
        "--clients",
        "100000",
        "--baseline",
        "100",
    ]
    assert arguments(pages, quick=True, clients=100_000)[:2] == ["--clients", "1000"]
    under_load = next(b for b in PLAN if b.name == "load")
    assert arguments(under_load, quick=False, clients=100_000) == ["--clients", "100000"]
    assert arguments(under_load, quick=True, clients=100_000) == ["--quick"]
    demo = next(b for b in PLAN if b.name == "demo")
    assert arguments(demo, quick=False, clients=100_000) == [
        "--clients",
        "20000",
        "--baseline",
        "2000",
    ]


def test_the_import_and_insights_run_too_each_with_its_own_size() -> None:
    """The issue's list: sweep, pages and API under load, worker, inbound, import, insights."""
    names = [benchmark.name for benchmark in PLAN]
    assert {"sweep", "load", "worker", "inbound", "import", "insights"} <= set(names)
    imports = next(b for b in PLAN if b.name == "import")
    assert arguments(imports, quick=False, clients=100_000)[:2] == ["--rows", "10000"]
    assert arguments(imports, quick=True, clients=100_000)[:2] == ["--rows", "1000"]
    insights = next(b for b in PLAN if b.name == "insights")
    assert arguments(insights, quick=False, clients=100_000)[:2] == ["--clients", "20000"]
    assert arguments(insights, quick=True, clients=100_000)[:2] == ["--clients", "1000"]


def test_the_table_shows_a_missing_ratio_as_a_dash() -> None:
    lines = figure_table(
        [
            {
                "figure": "x",
                "value": 2.0,
                "unit": "ms",
                "reference": "y",
                "reference_value": 0.0,
                "ratio": float("nan"),
                "goal": "",
            }
        ]
    )
    assert lines[-1] == "| x | 2.00 ms | y | 0 ms | – |  |"
