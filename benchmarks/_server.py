"""A real server in a second process, for the benchmarks that measure the app as clients meet it.

``bench_inbound.py`` and ``bench_load.py`` share these steps:

1. ``start_gunicorn`` serves the app as ``aftercare up`` does (2 processes × 2 threads) on a
   free loopback port, waits until it accepts connections, and stops it when the script ends.
2. ``measure`` sends a list of requests over several keep-alive connections (one thread each,
   ``http.client``), and returns requests a second, p50/p99 wall-clock latency as the client
   sees it, every answer that was not 200, and the server's CPU time per request: the user and
   system time of gunicorn's processes (the arbiter and its workers), read from ``/proc`` before
   and after. With SQLite that includes the database's work; a PostgreSQL server's own CPU is
   in its processes, not these.
"""

from __future__ import annotations

import atexit
import http.client
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# (method, path, body, headers)
Request = tuple[str, str, bytes | None, dict[str, str]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, *, workers: int = 2, threads: int = 2) -> Any:
    """gunicorn serving ``aftercare.wsgi`` on ``port`` with ``env``, once it accepts connections."""
    server = subprocess.Popen(  # noqa: S603 - our own server
        [
            sys.executable,
            "-m",
            "gunicorn",
            "aftercare.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            # The default control socket is one path per user: two servers would clash.
            "--no-control-socket",
        ],
        env=env,
        cwd=ROOT,
    )
    atexit.register(stop_gunicorn, server)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start") from None
            time.sleep(0.2)


def stop_gunicorn(server: Any) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of an ascending list (``share`` 0.99 for p99)."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def load(port: int, requests: list[Request], connections: int) -> dict[str, Any]:
    """Send every request over ``connections`` keep-alive connections; latencies and failures.

    A failure is an answer other than 200 (counted by status and path) or a broken connection;
    the latency of every answer counts, whatever its status.
    """
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    lock = threading.Lock()
    position = iter(range(len(requests)))

    def run() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine = []
        while True:
            with lock:
                index = next(position, None)
            if index is None:
                break
            method, path, body, headers = requests[index]
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                answer = connection.getresponse()
                answer.read()
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    failures[f"{type(error).__name__} on {path}"] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                continue
            mine.append(time.perf_counter() - started)
            if answer.status != 200:
                with lock:
                    failures[f"{answer.status} on {path}"] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(requests),
        "seconds": seconds,
        "rate": len(latencies) / seconds,
        "p50": statistics.median(latencies) * 1000 if latencies else math.nan,
        "p99": percentile(latencies, 0.99) * 1000 if latencies else math.nan,
        "failures": failures,
        "errors": sorted(failures.elements()),
    }


def server_cpu(pid: int) -> float:
    """CPU seconds of gunicorn's processes (the arbiter and its workers) so far."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if entry.name == str(pid) or fields[1] == str(pid):  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def measure(port: int, server: int, requests: list[Request], connections: int) -> dict[str, Any]:
    """``load`` the requests, with the server's CPU time per request (ms) as ``cpu_ms``."""
    before = server_cpu(server)
    figures = load(port, requests, connections)
    figures["cpu_ms"] = (server_cpu(server) - before) * 1000 / len(requests)
    return figures
