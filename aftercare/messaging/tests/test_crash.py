"""Crash test: workers SIGKILLed at random points lose no message and never send one under two ids.

Two worker processes share a SQLite database file (or, with AFTERCARE_TEST_DATABASE_URL,
PostgreSQL with four workers and no kills) and send 2,000 due check-in touchpoints to a real
aiosmtpd server on loopback while the test kills and restarts them.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import time_machine

from aftercare import clock
from aftercare.messaging.tests.conftest import Mailbox, start_smtp_server

COUNT = 2000
# A guard against a hang, not a speed test: each result is committed (and on SQLite
# fsynced) the moment it is known, and CI runs this beside other tests on two cores.
DEADLINE_SECONDS = 480


def worker_env(data_dir: Path, smtp_port: int, database_url: str = "") -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AFTERCARE_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "aftercare.settings",
            "AFTERCARE_DATA_DIR": str(data_dir),
            "AFTERCARE_SECRET_KEY": "crash-test-secret-key-that-is-long-enough",
            "AFTERCARE_BASE_URL": "https://care.example.org",
            "AFTERCARE_EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        }
    )
    if database_url:
        env["AFTERCARE_DATABASE_URL"] = database_url
    return env


def database_url() -> str:
    """The URL of the suite's PostgreSQL database, for worker processes to use it too."""
    from django.db import connection

    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def run(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, *args], env=env, check=True, timeout=120)  # noqa: S603


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aftercare",
            "worker",
            "--interval",
            "0.2",
            "--lease",
            "2",
            "--batch",
            "25",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_workers(workers: list[subprocess.Popen[bytes]], timeout: float = 30) -> None:
    """SIGTERM every worker (each finishes its message in hand), then wait for them all."""
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=timeout)


def kill_workers_until_done(
    env: dict[str, str], pending: Callable[[], int], rng: random.Random
) -> int:
    """Two workers; kill a random one at a random moment, again and again (up to twelve
    times) while work remains, then let them finish it. How many kills there were (≥ 5)."""
    workers = [start_worker(env), start_worker(env)]
    kills = 0
    started = time.monotonic()
    try:
        while kills < 12 and pending() > 0:
            time.sleep(rng.uniform(0.8, 2.5))
            victim = rng.randrange(len(workers))
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            kills += 1
            workers[victim] = start_worker(env)
        while pending() > 0:
            assert time.monotonic() - started < DEADLINE_SECONDS, f"{pending()} left"
            time.sleep(0.5)
    finally:
        stop_workers(workers)
    assert kills >= 5
    return kills


def check_delivery(mailbox: Mailbox, rows: list[tuple[str, str, str]]) -> int:
    """Every message delivered; duplicates only under the same Message-ID. Returns duplicates."""
    expected = {f"<{key}@care.example.org>": to for key, to, _ in rows}
    assert len(expected) == COUNT
    assert all(status == "sent" for _, _, status in rows), collections.Counter(s for *_, s in rows)
    received = collections.Counter()
    ids_per_recipient: dict[str, set[str]] = collections.defaultdict(set)
    for mail in mailbox.messages:
        message_id = str(mail["Message-ID"])
        received[message_id] += 1
        ids_per_recipient[str(mail["To"])].add(message_id)
        assert expected.get(message_id) == str(mail["To"]), message_id
    assert set(received) == set(expected), f"{len(set(expected) - set(received))} lost"
    assert all(len(ids) == 1 for ids in ids_per_recipient.values())
    return sum(received.values()) - COUNT


@pytest.mark.skipif(
    bool(os.environ.get("AFTERCARE_TEST_DATABASE_URL")), reason="the SQLite variant; see below"
)
def test_two_workers_killed_at_random_lose_nothing_on_sqlite(tmp_path: Path) -> None:
    controller, mailbox, port = start_smtp_server()
    env = worker_env(tmp_path, port)
    try:
        run(env, "-m", "aftercare", "migrate", "-v0")
        run(env, "-m", "aftercare.messaging.tests.crash_setup", str(COUNT))
        database = tmp_path / "aftercare.sqlite3"

        def rows() -> list[tuple[str, str, str]]:
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
                return db.execute(
                    "SELECT idempotency_key, to_address, status FROM messaging_message"
                ).fetchall()

        def pending() -> int:
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
                touchpoints = db.execute(
                    "SELECT count(*) FROM care_touchpoint WHERE status = 'due'"
                ).fetchone()[0]
                messages = db.execute(
                    "SELECT count(*) FROM messaging_message WHERE status != 'sent'"
                ).fetchone()[0]
            return touchpoints + messages

        kills = kill_workers_until_done(env, pending, random.Random(4))
        duplicates = check_delivery(mailbox, rows())
        # A kill between hand-over and record resends with the same id (receivers drop it).
        assert duplicates <= kills * 25
    finally:
        controller.stop()


@pytest.mark.skipif(
    not os.environ.get("AFTERCARE_TEST_DATABASE_URL"), reason="needs AFTERCARE_TEST_DATABASE_URL"
)
@pytest.mark.django_db(transaction=True)
def test_four_workers_on_postgresql_send_every_message_exactly_once(tmp_path: Path) -> None:
    from aftercare.messaging.models import Message
    from aftercare.messaging.tests import crash_setup

    controller, mailbox, port = start_smtp_server()
    env = worker_env(tmp_path, port, database_url())
    try:
        # The workers run on the machine's clock, not the suite's pinned one: the check-ins
        # are due by theirs.
        with clock.at(time_machine.escape_hatch.datetime.datetime.now(dt.UTC)):
            crash_setup.populate(COUNT)
        workers = [start_worker(env) for _ in range(4)]
        started = time.monotonic()
        try:
            while (
                Message.objects.exclude(status="sent").exists() or Message.objects.count() < COUNT
            ):
                assert time.monotonic() - started < DEADLINE_SECONDS
                time.sleep(0.5)
        finally:
            stop_workers(workers)
        rows: list[Any] = list(
            Message.objects.values_list("idempotency_key", "to_address", "status")
        )
        assert check_delivery(mailbox, rows) == 0
    finally:
        controller.stop()


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("AFTERCARE_TEST_DATABASE_URL"), reason="needs AFTERCARE_TEST_DATABASE_URL"
)
@pytest.mark.django_db(transaction=True)
def test_workers_killed_at_random_on_postgresql_double_only_the_message_in_flight(
    tmp_path: Path,
) -> None:
    """On PostgreSQL a worker sends each outcome without waiting for its answer
    (``worker.OutcomeInFlight``): once sent, the database commits it even if the worker is
    killed before it reads the answer. So each kill resends at most the one message whose
    hand-over had no outcome sent yet (under the same Message-ID)."""
    from aftercare.messaging.models import Message
    from aftercare.messaging.tests import crash_setup

    controller, mailbox, port = start_smtp_server()
    env = worker_env(tmp_path, port, database_url())
    try:
        with clock.at(time_machine.escape_hatch.datetime.datetime.now(dt.UTC)):
            crash_setup.populate(COUNT)

        def pending() -> int:
            return Message.objects.exclude(status="sent").count() + (
                COUNT - Message.objects.count()
            )

        kills = kill_workers_until_done(env, pending, random.Random(16))
        rows: list[Any] = list(
            Message.objects.values_list("idempotency_key", "to_address", "status")
        )
        assert check_delivery(mailbox, rows) <= kills
    finally:
        controller.stop()
