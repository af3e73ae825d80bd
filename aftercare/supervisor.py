"""A small process supervisor for ``aftercare up``: the web server and its helpers live and die together.

``aftercare up`` runs gunicorn and, once it exists, the messaging worker as child processes.
The supervisor forwards SIGTERM/SIGINT to every child, and when any child ends on its own it
stops the others, so a crashed worker never leaves a web server running that silently sends
nothing (the most common failure of reminder systems is a scheduler nobody noticed had stopped).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True)
class Process:
    name: str
    argv: list[str]


def supervise(
    processes: Sequence[Process],
    *,
    stop_timeout: float = 15.0,
    poll_interval: float = 0.2,
    log: IO[str] | None = None,
) -> int:
    """Run ``processes`` until a signal arrives or one of them ends; return the exit status.

    1. Start every process (if one cannot start, stop those already started).
    2. Wait for SIGTERM/SIGINT or for any child to exit.
    3. Send SIGTERM to every child still running; SIGKILL those not gone after ``stop_timeout``.
    4. Exit 0 when stopped by a signal, else the status of the child that ended first.
    """
    log = log or sys.stderr
    received: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    children: list[tuple[Process, subprocess.Popen[bytes]]] = []
    ended: tuple[Process, int] | None = None
    try:
        for process in processes:
            # Own process group: Ctrl+C in a terminal reaches only us, and we stop the
            # children gracefully with SIGTERM (no KeyboardInterrupt tracebacks mid-send).
            child = subprocess.Popen(process.argv, process_group=0)  # noqa: S603 - our argv
            children.append((process, child))
        while not received and ended is None:
            for process, child in children:
                if child.poll() is not None:
                    ended = (process, child.returncode)
                    break
            else:
                time.sleep(poll_interval)
    finally:
        _stop(children, timeout=stop_timeout)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received or ended is None:
        return 0
    process, status = ended
    log.write(f"aftercare: {process.name} exited with status {status}; stopped everything.\n")
    log.flush()
    return status or 1


def _stop(children: list[tuple[Process, subprocess.Popen[bytes]]], *, timeout: float) -> None:
    for _process, child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for _process, child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
