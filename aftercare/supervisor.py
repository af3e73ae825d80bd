"""A small process supervisor for ``aftercare up``: the web server and its helpers live and die together.

``aftercare up`` runs gunicorn and the messaging worker as child processes, and runs
``aftercare tick`` every minute. The supervisor forwards SIGTERM/SIGINT to every child, and
when a long-running child ends on its own it stops the others, so a crashed worker never
leaves a web server running that silently sends nothing (the most common failure of reminder
systems is a scheduler nobody noticed had stopped). A periodic child that fails is reported
and run again at its next time: one failed tick (a locked database) must not stop the server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO


@dataclass(frozen=True)
class Process:
    name: str
    argv: list[str]
    every: float | None = None  # seconds between starts of a periodic job; None = runs for good
    # Environment variables set for this child on top of the supervisor's own.
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass
class _Child:
    process: Process
    popen: subprocess.Popen[bytes] | None = None
    next_start: float = 0.0


def supervise(
    processes: Sequence[Process],
    *,
    stop_timeout: float = 15.0,
    poll_interval: float = 0.2,
    log: IO[str] | None = None,
) -> int:
    """Run ``processes`` until a signal arrives or a long-running one ends; return the status.

    1. Start every process (if one cannot start, stop those already started).
    2. Wait for SIGTERM/SIGINT or for a long-running child to exit; start each periodic job
       again ``every`` seconds after its previous start (or when it ends, if it ran longer).
    3. Send SIGTERM to every child still running; SIGKILL those not gone after ``stop_timeout``.
    4. Exit 0 when stopped by a signal, else the status of the child that ended.
    """
    log = log or sys.stderr
    received: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    children = [_Child(process) for process in processes]
    ended: tuple[Process, int] | None = None
    try:
        while not received and ended is None:
            now = time.monotonic()
            for child in children:
                if child.popen is not None and child.popen.poll() is not None:
                    status = child.popen.returncode
                    child.popen = None
                    if child.process.every is None:
                        ended = (child.process, status)
                        break
                    if status:
                        _say(log, f"{child.process.name} exited with status {status}; will retry.")
                if child.popen is None and now >= child.next_start:
                    child.popen = _start(child.process)
                    child.next_start = now + (child.process.every or 0.0)
            else:
                time.sleep(poll_interval)
    finally:
        _stop([child.popen for child in children if child.popen], timeout=stop_timeout)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received or ended is None:
        return 0
    process, status = ended
    _say(log, f"{process.name} exited with status {status}; stopped everything.")
    return status or 1


def _start(process: Process) -> subprocess.Popen[bytes]:
    # Own process group: Ctrl+C in a terminal reaches only us, and we stop the children
    # gracefully with SIGTERM (no KeyboardInterrupt tracebacks in the middle of a send).
    env = {**os.environ, **process.env} if process.env else None
    return subprocess.Popen(process.argv, process_group=0, env=env)  # noqa: S603 - our own argv


def _say(log: IO[str], message: str) -> None:
    log.write(f"aftercare: {message}\n")
    log.flush()


def _stop(running: list[subprocess.Popen[bytes]], *, timeout: float) -> None:
    for child in running:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in running:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
