"""Backups taken while the worker writes restore to a consistent database."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aftercare.messaging.tests.conftest import start_smtp_server
from aftercare.messaging.tests.test_crash import start_worker, worker_env

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("AFTERCARE_TEST_DATABASE_URL")),
    reason="SQLite's backup (PostgreSQL: pg_dump)",
)


def aftercare(
    env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "aftercare", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


def consistency(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        sent_touchpoints = db.execute(
            "SELECT count(*) FROM care_touchpoint WHERE status = 'sent'"
        ).fetchone()[0]
        messages = db.execute("SELECT count(*) FROM messaging_message").fetchone()[0]
        sent_without_attempt = db.execute(
            "SELECT count(*) FROM messaging_message m WHERE status = 'sent' AND NOT EXISTS "
            "(SELECT 1 FROM messaging_messageattempt a WHERE a.message_id = m.id "
            "AND a.finished_at IS NOT NULL)"
        ).fetchone()[0]
    # A touchpoint turns into its message in one transaction: a torn copy would differ.
    assert sent_touchpoints == messages
    assert sent_without_attempt == 0
    return {"messages": messages}


def test_a_backup_taken_while_the_worker_sends_restores_a_consistent_copy(tmp_path: Path) -> None:
    controller, mailbox, port = start_smtp_server()
    live = tmp_path / "live"
    env = worker_env(live, port)
    try:
        aftercare(env, "migrate", "-v0")
        subprocess.run(
            [sys.executable, "-m", "aftercare.messaging.tests.crash_setup", "1500"],
            env=env,
            check=True,
            timeout=120,
        )
        worker = start_worker(env)
        try:
            deadline = time.monotonic() + 60
            while not mailbox.messages and time.monotonic() < deadline:
                time.sleep(0.05)
            backups = [tmp_path / f"backup-{n}.sqlite3" for n in range(3)]
            for path in backups:  # while the worker renders and sends
                aftercare(env, "backup", "--to", str(path))
                time.sleep(0.3)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
    finally:
        controller.stop()
    counts = [consistency(path)["messages"] for path in backups]
    assert counts[0] > 0 and counts != [1500, 1500, 1500], "the backups were taken mid-work"
    assert all(oct(path.stat().st_mode)[-3:] == "600" for path in backups)

    fresh = tmp_path / "fresh"
    fresh_env = worker_env(fresh, port)
    aftercare(fresh_env, "migrate", "-v0")
    restored = aftercare(fresh_env, "restore", str(backups[1]))
    assert "Restored" in restored.stdout and "before-restore" in restored.stdout
    assert consistency(fresh / "aftercare.sqlite3")["messages"] == counts[1]
    aftercare(fresh_env, "migrate", "--check")


def test_restore_refuses_a_file_that_is_not_a_sound_aftercare_database(tmp_path: Path) -> None:
    env = worker_env(tmp_path, 2525)
    aftercare(env, "migrate", "-v0")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    refused = aftercare(env, "restore", str(junk), check=False)
    assert refused.returncode != 0 and "not" in refused.stderr
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    refused = aftercare(env, "restore", str(other), check=False)
    assert "not one of Aftercare's" in refused.stderr
