"""How fast the demo practice is written, and whether it scales linearly with the clients.

Run: ``.venv/bin/python benchmarks/bench_demo.py [--clients 20000] [--baseline 2000]``. It
builds a throw-away SQLite database in a temporary data folder (the real settings: WAL,
synchronous=FULL), writes a baseline demo practice and then a large one in the same process,
and prints clients and appointments per second for each, the ratio of the time per client
(about 1 when writing scales linearly) and the share of the time spent generating the data
(pure Python) rather than inserting it. Rates use CPU time (the writer is one process, so
on an idle machine wall-clock time is about the same; on a busy one only CPU time is fair). The hooks of other apps (``add_demo_data``) are
timed separately, as they are not part of the bulk insert.
"""

# ruff: noqa: E402 - Django must be set up (settings, data folder) before models are imported.
from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["AFTERCARE_DATA_DIR"] = tempfile.mkdtemp(prefix="aftercare-bench-demo-")
atexit.register(shutil.rmtree, os.environ["AFTERCARE_DATA_DIR"], ignore_errors=True)
for name in ("AFTERCARE_DATABASE_URL", "AFTERCARE_TEST_DATABASE_URL"):
    os.environ.pop(name, None)
os.environ["DJANGO_SETTINGS_MODULE"] = "aftercare.settings"

import django

django.setup()

from django.core.management import call_command

from aftercare import clock, demo, demo_load
from benchmarks._report import record


def measure(clients: int, seed: int) -> dict[str, float]:
    today = clock.now().astimezone(demo.PRACTICE_TZ).date()
    started = time.process_time()
    appointments = sum(
        len(c.appointments) for c in demo.demo_clients(seed=seed, count=clients, today=today)
    )
    generate = time.process_time() - started
    result = demo_load.load_demo_practice(
        seed=seed, clients=clients, name=f"Bench {clients}", progress=True
    )
    assert result.appointments == appointments
    core, cpu = result.seconds["core data"], result.cpu_seconds["core data"]
    hooks = sum(seconds for part, seconds in result.cpu_seconds.items() if part != "core data")
    print(
        f"{clients:>7,} clients {appointments:>9,} appointments: core data {core:6.1f} s wall, "
        f"{cpu:6.1f} s CPU ({clients / cpu:,.0f} clients/s, {appointments / cpu:,.0f} "
        f"appointments/s of CPU; generation {generate / cpu:.0%}), app hooks {hooks:.1f} s CPU"
    )
    return {"per_client": cpu / clients}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--baseline", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    baseline = measure(options.baseline, options.seed)
    large = measure(options.clients, options.seed + 1)
    ratio = large["per_client"] / baseline["per_client"]
    print(f"CPU time per client, {options.clients:,} vs {options.baseline:,}: ×{ratio:.2f}")
    record(
        f"demo load, CPU per client at {options.clients:,}",
        large["per_client"] * 1e6,
        "µs",
        f"same at {options.baseline:,} clients",
        baseline["per_client"] * 1e6,
        goal="≤ 1.5 (linear)",
    )
    estimate = large["per_client"] * 100_000
    print(f"estimated core data for 100,000 clients: {estimate / 60:.1f} min of CPU")


if __name__ == "__main__":
    main()
