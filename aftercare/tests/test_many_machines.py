"""Two ``tick`` processes and four workers against one PostgreSQL: nothing sent twice, nothing lost.

This is what docs/deployment.md promises when it says workers and ``tick`` may run on any
number of machines: the tick holds a lease (a second tick exits quietly), a worker claims
touchpoints and messages with ``FOR UPDATE SKIP LOCKED``, and only the lease holder records
an outcome. The processes are real ``aftercare`` commands; the mail goes to a real SMTP server
on loopback, which counts every Message-ID it receives.

Runs when AFTERCARE_TEST_DATABASE_URL names a PostgreSQL server (SQLite is one machine's
database by design: its own tests are in messaging/tests/test_crash.py).
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from aftercare.messaging.tests.conftest import start_smtp_server
from aftercare.messaging.tests.test_crash import database_url, stop_workers, worker_env

COUNT = 600
DEADLINE_SECONDS = 420  # a guard against a hang on a shared two-core machine, not a speed test

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("AFTERCARE_TEST_DATABASE_URL", "").startswith("postgres"),
        reason="needs AFTERCARE_TEST_DATABASE_URL=postgres://…",
    ),
    pytest.mark.django_db(transaction=True),
]


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "aftercare", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def tick_machine(env: dict[str, str], stop: threading.Event, outcomes: list[str]) -> None:
    """One machine's timer: ``aftercare tick`` again and again, as cron or systemd would."""
    while not stop.is_set():
        done = start(env, "tick")
        out, err = done.communicate(timeout=120)
        assert done.returncode == 0, err[-2000:]
        outcomes.append("skipped" if "Another tick is running" in out else "ran")


def test_two_ticks_and_four_workers_send_every_message_exactly_once(tmp_path: Path) -> None:
    from aftercare.care.models import TickLease, Touchpoint
    from aftercare.messaging.models import Message, WorkerHeartbeat

    controller, mailbox, port = start_smtp_server()
    env = worker_env(tmp_path, port, database_url())
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "aftercare.tests.many_machines_setup", str(COUNT)],
        env=env,
        check=True,
        timeout=300,
    )
    stop = threading.Event()
    outcomes: list[list[str]] = [[], []]
    ticks = [threading.Thread(target=tick_machine, args=(env, stop, outcomes[i])) for i in range(2)]
    workers = [
        start(env, "worker", "--interval", "0.2", "--lease", "5", "--batch", "25") for _ in range(4)
    ]
    started = time.monotonic()
    try:
        for thread in ticks:
            thread.start()
        while Message.objects.filter(status="sent").count() < COUNT:
            assert time.monotonic() - started < DEADLINE_SECONDS, (
                f"{Message.objects.filter(status='sent').count()} of {COUNT} sent"
            )
            assert all(worker.poll() is None for worker in workers), "a worker died"
            time.sleep(0.5)
    finally:
        stop.set()
        for thread in ticks:
            thread.join(timeout=180)
        stop_workers(workers, timeout=60)
        controller.stop()

    # Nothing lost: every touchpoint became exactly one message, and every message was sent.
    assert collections.Counter(Touchpoint.objects.values_list("status", flat=True)) == {
        "sent": COUNT
    }
    assert Message.objects.count() == COUNT
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
    assert Message.objects.filter(touchpoint__isnull=True).count() == 0
    # Nothing sent twice: the SMTP server saw each Message-ID once, one per client.
    received = collections.Counter(str(mail["Message-ID"]) for mail in mailbox.messages)
    host = "care.example.org"
    expected = {
        f"<{key}@{host}>" for key in Message.objects.values_list("idempotency_key", flat=True)
    }
    assert set(received) == expected
    assert max(received.values()) == 1
    assert len({str(mail["To"]) for mail in mailbox.messages}) == COUNT
    # The work was shared, and both timers ran ticks (one at a time, by the lease).
    heartbeats = list(WorkerHeartbeat.objects.values_list("counts", flat=True))
    assert len(heartbeats) == 4
    per_worker = [counts.get("sent", {}).get("email", 0) for counts in heartbeats]
    assert sum(per_worker) == COUNT
    assert sum(1 for sent in per_worker if sent) >= 2, per_worker
    assert all("ran" in machine for machine in outcomes), outcomes
    lease = TickLease.objects.get()
    assert lease.owner == "" and lease.last_finished_at is not None
