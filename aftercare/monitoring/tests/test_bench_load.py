"""``benchmarks/bench_load.py`` without its server, so it cannot rot: every path it loads answers
200 with the headers it sends (the owner's session cookie, an API token), and an answer other
than 200 makes the benchmark count it, name it and fail.

(Running the script itself, gunicorn and all, takes 15 s of CPU and 40–60 s on the shared
two-core machine: more than a smoke test in the suite should.)"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.test import Client as HttpClient

from aftercare.practice.models import Practice, Role
from aftercare.testing import make_user
from benchmarks import bench_load, bench_pages  # the checkout's root is on the path (conftest.py)


@pytest.fixture
def bench_urls(settings):  # type: ignore[no-untyped-def]
    settings.ROOT_URLCONF = "benchmarks.pages_site"


@pytest.mark.django_db
def test_every_path_answers_200_with_the_headers_the_benchmark_sends(bench_urls) -> None:  # type: ignore[no-untyped-def]
    practice = Practice.objects.create(name="Bench 5", time_zone="UTC")
    owner = make_user("owner-5@bench.example", "Owner", practice, Role.OWNER)
    ids = bench_pages.fill(practice, owner, 5)
    loaded = bench_load.paths(ids, *bench_load.credentials(practice, owner))
    assert [label for label, _, _ in loaded[:2]] == [bench_load.BARE, bench_load.FLOOR]
    for label, path, headers in loaded:
        # A fresh client each time: only the headers the benchmark sends sign it in.
        response = HttpClient().get(path, headers=headers)
        assert response.status_code == 200, (label, response.status_code)


def test_an_answer_other_than_200_is_counted_and_named(capsys) -> None:  # type: ignore[no-untyped-def]
    def run(cpu_ms: float, failures: Counter[str]) -> dict[str, Any]:
        figures = {"rate": 10.0, "p50": 5.0, "p99": 9.0, "cpu_ms": cpu_ms, "client_cpu_ms": 1.0}
        return {**figures, "failures": failures}

    results = {
        bench_load.BARE: [run(0.5, Counter())],
        bench_load.FLOOR: [run(2.0, Counter())],
        "care queue": [run(6.0, Counter({"302 on /care/": 3}))],
    }
    args = bench_load.parse_args(["--clients", "20", "--requests", "10"])
    assert bench_load.report(args, "sqlite", results) == 3
    out = capsys.readouterr().out
    assert "FAILED care queue: 3 × 302 on /care/" in out
    assert "3.00" in next(line for line in out.splitlines() if line.startswith("care queue"))
