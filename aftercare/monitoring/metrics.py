"""``/metrics`` in Prometheus' text format (version 0.0.4).

Instance-wide figures from the database (the outbox, the workers' counters, the tick) and this
machine's request latencies (latency.py). No label carries a practice, a client or an id.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable

from django.db import DatabaseError

from aftercare import clock
from aftercare.monitoring import health
from aftercare.monitoring.latency import BUCKETS, Totals

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Exposition:
    """Lines of the text format, one family (HELP, TYPE, samples) at a time."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(
        self,
        name: str,
        kind: str,
        help_text: str,
        samples: Iterable[tuple[dict[str, str], float]],
        *,
        suffix: str = "",
    ) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        self.samples(name + suffix, samples)

    def samples(self, name: str, samples: Iterable[tuple[dict[str, str], float]]) -> None:
        for labels, value in samples:
            text = ",".join(f'{key}="{_escape(val)}"' for key, val in labels.items())
            self.lines.append(
                f"{name}{{{text}}} {_number(value)}" if text else f"{name} {_number(value)}"
            )

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _per_channel(counts: dict[str, int]) -> list[tuple[dict[str, str], float]]:
    return [({"channel": channel}, number) for channel, number in sorted(counts.items())]


def render(latencies: Totals) -> str:
    """The whole exposition: about six queries, whatever the size of the tables."""
    out = Exposition()
    database = health.database_check()
    out.family(
        "aftercare_database_up", "gauge", "1 when the database answered.", [({}, database.ok)]
    )
    if database.ok:
        # The database going away mid-scrape: report what was read.
        with contextlib.suppress(DatabaseError):
            _database_families(out)
    _latency_families(out, latencies)
    return out.text()


def _database_families(out: Exposition) -> None:
    now = clock.now()
    outbox = health.outbox_state(now)
    out.family(
        "aftercare_outbox_messages",
        "gauge",
        "Outbound messages by status: queued (waiting or due), sending (claimed by a worker), "
        "uncertain (a worker stopped mid hand-over; a person must check).",
        [({"status": status}, n) for status, n in sorted(outbox.by_status.items())],
    )
    out.family(
        "aftercare_outbox_due_messages",
        "gauge",
        "Queued messages whose time has come.",
        [({}, outbox.due)],
    )
    out.family(
        "aftercare_outbox_oldest_due_seconds",
        "gauge",
        "How long the oldest due message has waited for a worker (0 when none waits).",
        [({}, outbox.oldest_due_seconds)],
    )
    workers = health.worker_state(now)
    out.family(
        "aftercare_workers_alive",
        "gauge",
        "Workers whose heartbeat is fresher than AFTERCARE_HEALTH_WORKER_STALE_SECONDS.",
        [({}, workers.alive)],
    )
    if workers.last_seen_seconds is not None:
        out.family(
            "aftercare_worker_last_seen_seconds",
            "gauge",
            "Seconds since the freshest worker heartbeat.",
            [({}, workers.last_seen_seconds)],
        )
    out.family(
        "aftercare_messages_sent_total",
        "counter",
        "Messages handed to a provider, per channel, by every worker.",
        _per_channel(workers.sent),
    )
    out.family(
        "aftercare_message_send_failures_total",
        "counter",
        "Failed hand-overs (retried later, or given up), per channel.",
        _per_channel(workers.failed),
    )
    out.family(
        "aftercare_messages_given_up_total",
        "counter",
        "Messages marked failed for good (a permanent error, or too many attempts), per channel.",
        _per_channel(workers.gave_up),
    )
    lag = health.tick_lag(now)
    if lag is not None:
        out.family(
            "aftercare_tick_lag_seconds",
            "gauge",
            "Seconds since `aftercare tick` last ran to its end.",
            [({}, lag)],
        )


def _latency_families(out: Exposition, latencies: Totals) -> None:
    name = "aftercare_http_request_duration_seconds"
    out.lines.append(f"# HELP {name} Time Django took to answer, per URL name, on this machine.")
    out.lines.append(f"# TYPE {name} histogram")
    for route, histogram in sorted(latencies.routes.items()):
        bounds = [*BUCKETS, math.inf]
        out.samples(
            f"{name}_bucket",
            [
                ({"route": route, "le": _number(bound)}, n)
                for bound, n in zip(bounds, histogram.buckets, strict=True)
            ],
        )
        out.samples(f"{name}_sum", [({"route": route}, round(histogram.total, 6))])
        out.samples(f"{name}_count", [({"route": route}, histogram.count)])
    out.family(
        "aftercare_http_responses_total",
        "counter",
        "Responses by status class, on this machine.",
        [({"code": code}, n) for code, n in sorted(latencies.responses.items())],
    )
