"""Request latencies of several web processes, added up by whichever one is scraped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from aftercare.monitoring.latency import BUCKETS, LatencyRecorder


def test_a_duration_counts_in_every_bucket_at_or_above_it(tmp_path: Path) -> None:
    recorder = LatencyRecorder(tmp_path)
    recorder.observe("clients-list", 200, 0.03)
    histogram = recorder.totals.routes["clients-list"]
    expected = [0 if bound < 0.03 else 1 for bound in BUCKETS] + [1]
    assert histogram.buckets == expected
    assert histogram.count == 1 and histogram.total == 0.03


def test_the_scraped_process_adds_the_other_processes_files(tmp_path: Path) -> None:
    first, second = LatencyRecorder(tmp_path), LatencyRecorder(tmp_path, flush_every=3600)
    second.pid = first.pid + 1  # as a second gunicorn process of the same machine
    first.observe("clients-list", 200, 0.02)
    first.flush()
    second.observe("clients-list", 200, 0.2)
    second.observe("care-queue", 500, 1.5)
    # ``second`` has not flushed its last request yet: its own totals are read from memory.
    merged = second.machine_totals()
    assert merged.routes["clients-list"].count == 2
    assert round(merged.routes["clients-list"].total, 6) == 0.22
    assert merged.routes["care-queue"].count == 1
    assert merged.responses == {"2xx": 2, "5xx": 1}


def test_a_damaged_file_is_skipped_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "http-elsewhere-1.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "http-elsewhere-2.json").write_text(
        json.dumps({"routes": {"x": {"buckets": [1, 2]}}}), encoding="utf-8"
    )
    recorder = LatencyRecorder(tmp_path)
    recorder.observe("home", 200, 0.001)
    assert set(recorder.machine_totals().routes) == {"home"}


def test_files_of_ended_processes_of_this_host_are_removed_at_the_first_flush(
    tmp_path: Path,
) -> None:
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    recorder = LatencyRecorder(tmp_path)
    gone = tmp_path / f"http-{recorder.host}-{int(ended.stdout)}.json"
    other_host = tmp_path / "http-another-machine-1.json"
    for path in (gone, other_host):
        path.write_text(json.dumps({"routes": {}, "responses": {}}), encoding="utf-8")
    recorder.observe("home", 200, 0.001)
    assert recorder.path.exists()
    assert not gone.exists()
    assert other_host.exists()
