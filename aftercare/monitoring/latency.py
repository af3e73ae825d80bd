"""Request latencies of the web processes of one machine, for ``/metrics``.

Gunicorn runs several processes, and a scrape of ``/metrics`` reaches any one of them, so each
process cannot simply report what it saw itself. As Prometheus' own multi-process mode does:

1. Each process counts its requests in memory: a histogram of durations per route (the URL's
   name, so the number of series is bounded by the number of pages) and responses per status
   class.
2. At most every ``FLUSH_EVERY`` seconds, at the end of a request, it writes its totals since
   it started to ``METRICS_DIR/http-<host>-<pid>.json`` (a new file renamed over the old, so a
   reader never sees half of one).
3. ``/metrics`` adds the files of every process of the machine to the fresh in-memory totals
   of the process answering. Files of processes that have ended are kept (a counter must not
   go down) until a process of the same host starts and finds their pid gone; then they are
   removed, which Prometheus reads as a counter reset.

Each machine's ``/metrics`` reports that machine's web processes: scrape every machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# Upper bounds in seconds (Prometheus' "le"), chosen around the pages' goal of p99 < 100 ms.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FLUSH_EVERY = 2.0


@dataclass
class Histogram:
    """Cumulative counts per bucket (the last one is +Inf), and the sum of the durations."""

    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0

    @property
    def count(self) -> int:
        return self.buckets[-1]

    def observe(self, seconds: float) -> None:
        for index, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.buckets[index] += 1
        self.buckets[-1] += 1
        self.total += seconds

    def add(self, other: Histogram) -> None:
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]
        self.total += other.total


@dataclass
class Totals:
    """What some processes saw: latency per route, responses per status class."""

    routes: dict[str, Histogram] = field(default_factory=dict)
    responses: dict[str, int] = field(default_factory=dict)

    def add(self, other: Totals) -> None:
        for route, histogram in other.routes.items():
            self.routes.setdefault(route, Histogram()).add(histogram)
        for code, number in other.responses.items():
            self.responses[code] = self.responses.get(code, 0) + number

    def as_json(self) -> dict[str, object]:
        return {
            "routes": {r: {"buckets": h.buckets, "sum": h.total} for r, h in self.routes.items()},
            "responses": self.responses,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Totals:
        routes = data.get("routes") or {}
        responses = data.get("responses") or {}
        totals = cls()
        if isinstance(routes, dict):
            for route, value in routes.items():
                buckets = [int(n) for n in value.get("buckets", [])]
                if len(buckets) == len(BUCKETS) + 1:
                    totals.routes[str(route)] = Histogram(buckets, float(value.get("sum", 0.0)))
        if isinstance(responses, dict):
            totals.responses = {str(k): int(v) for k, v in responses.items()}
        return totals


class LatencyRecorder:
    """One process's totals, flushed now and then to its file in ``folder``."""

    def __init__(self, folder: Path, *, flush_every: float = FLUSH_EVERY) -> None:
        self.folder = folder
        self.flush_every = flush_every
        self.host = socket.gethostname().replace("/", "_")
        self.pid = os.getpid()
        self.totals = Totals()
        self._lock = threading.Lock()
        self._flushed_at = 0.0
        self._pruned = False

    @property
    def path(self) -> Path:
        return self.folder / f"http-{self.host}-{self.pid}.json"

    def observe(self, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.totals.routes.setdefault(route, Histogram()).observe(seconds)
            code = f"{status // 100}xx"
            self.totals.responses[code] = self.totals.responses.get(code, 0) + 1
        if time.monotonic() - self._flushed_at >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Write this process's totals (never fails a request: metrics are best effort)."""
        self._flushed_at = time.monotonic()
        with self._lock:
            data = json.dumps(self.totals.as_json())
        with contextlib.suppress(OSError):
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self._pruned:
                self._prune_ended_processes()
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(data, encoding="utf-8")
            os.replace(temporary, self.path)

    def machine_totals(self) -> Totals:
        """Every process's file of this machine's folder, with this process's fresh totals."""
        merged = Totals()
        with contextlib.suppress(OSError):
            for path in sorted(self.folder.glob("http-*.json")):
                if path == self.path:
                    continue
                with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
                    merged.add(Totals.from_json(json.loads(path.read_text(encoding="utf-8"))))
        with self._lock:
            merged.add(self.totals)
        return merged

    def _prune_ended_processes(self) -> None:
        self._pruned = True
        prefix = f"http-{self.host}-"
        for path in self.folder.glob(f"{prefix}*.json"):
            pid_text = path.stem[len(prefix) :]
            if not pid_text.isdigit() or int(pid_text) == self.pid:
                continue
            try:
                os.kill(int(pid_text), 0)
            except ProcessLookupError:
                path.unlink(missing_ok=True)
            except PermissionError:
                continue  # alive, someone else's


_recorder: LatencyRecorder | None = None


def recorder(folder: Path) -> LatencyRecorder:
    """This process's recorder for ``folder`` (a new one when the folder or the pid changed)."""
    global _recorder
    if _recorder is None or _recorder.folder != folder or _recorder.pid != os.getpid():
        _recorder = LatencyRecorder(folder)
    return _recorder
