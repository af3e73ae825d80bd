"""The supervisor of ``aftercare up``: its processes start, live and stop together."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from aftercare.supervisor import Process, supervise


def python(name: str, code: str) -> Process:
    return Process(name, [sys.executable, "-c", code])


def sleeper(pid_file: Path) -> Process:
    return python(
        "sleeper",
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)",
    )


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_when_one_process_ends_the_others_are_stopped_and_its_status_returned(
    tmp_path: Path,
) -> None:
    log = io.StringIO()
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    status = supervise(
        [sleeper(pid_file), python("worker", "import sys, time; time.sleep(1); sys.exit(3)")],
        log=log,
    )
    assert status == 3
    assert time.monotonic() - started < 30
    assert not is_running(int(pid_file.read_text()))
    assert "worker exited with status 3" in log.getvalue()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_stops_every_process_and_exits_cleanly(
    tmp_path: Path, signum: int
) -> None:
    pid_files = [tmp_path / "a", tmp_path / "b"]

    def terminate_when_started() -> None:
        deadline = time.monotonic() + 30
        while not all(p.exists() and p.read_text() for p in pid_files):
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        os.kill(os.getpid(), signum)

    before = signal.getsignal(signum)
    threading.Thread(target=terminate_when_started, daemon=True).start()
    status = supervise([sleeper(pid_files[0]), sleeper(pid_files[1])])
    assert status == 0
    assert not any(is_running(int(p.read_text())) for p in pid_files)
    assert signal.getsignal(signum) == before, "the previous handler is restored"


def test_a_process_that_ignores_sigterm_is_killed_after_the_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    stubborn = python(
        "stubborn",
        "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)",
    )
    quitter = python("quitter", "import sys, time; time.sleep(1.5); sys.exit(1)")
    status = supervise([stubborn, quitter], stop_timeout=1, log=io.StringIO())
    assert status == 1
    assert not is_running(int(pid_file.read_text()))


def test_a_periodic_job_runs_again_and_its_failures_do_not_stop_the_others(
    tmp_path: Path,
) -> None:
    runs = tmp_path / "runs"
    pid_file = tmp_path / "pid"
    tick = Process(
        "tick",
        [
            sys.executable,
            "-c",
            f"import sys; open({str(runs)!r}, 'a').write('run\\n'); sys.exit(1)",
        ],
        every=0.3,
    )

    def terminate_after_three_runs() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if runs.exists() and runs.read_text().count("run") >= 3:
                break
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=terminate_after_three_runs, daemon=True).start()
    log = io.StringIO()
    status = supervise([sleeper(pid_file), tick], log=log)
    assert status == 0
    assert runs.read_text().count("run") >= 3
    assert "tick exited with status 1; will retry." in log.getvalue()
    assert not is_running(int(pid_file.read_text()))


def test_a_process_runs_with_its_own_environment_on_top_of_ours(tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    code = (
        f"import os; open({str(seen)!r}, 'w')"
        ".write(os.environ['AFTERCARE_BASE_URL'] + ' ' + os.environ['PATH'])"
    )
    child = Process(
        "web server",
        [sys.executable, "-c", code],
        env={"AFTERCARE_BASE_URL": "http://127.0.0.1:8111"},
    )
    supervise([child], log=io.StringIO())  # it ends at once: a status, not a signal
    assert seen.read_text() == f"http://127.0.0.1:8111 {os.environ['PATH']}"
