"""The ``aftercare`` command on a fresh data folder: it migrates first or says what to run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


def aftercare(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AFTERCARE_", "DJANGO_"))}
    env["AFTERCARE_DATA_DIR"] = str(data_dir)
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "aftercare", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [
        ["plan", "--all"],
        ["tick"],
        ["worker", "--once"],
        ["preview", "--from", "2026-12-01", "--to", "2026-12-02"],
        ["inbound", "list"],
        ["token", "create", "--user", "ruth@example.org"],
    ],
)
def test_a_command_on_a_fresh_data_folder_says_in_one_line_what_to_run(
    tmp_path: Path, command: list[str]
) -> None:
    result = aftercare(tmp_path / "fresh", *command)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"aftercare {command[0]}: the database is not set up yet; "
        "run `aftercare migrate` (or `aftercare up`) first."
    ]


def test_demo_on_a_fresh_data_folder_migrates_first(tmp_path: Path) -> None:
    result = aftercare(tmp_path / "fresh", "demo", "--clients", "3", "--verbosity", "0")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "3 clients" in result.stdout
    # The database is now set up: the other commands run.
    planned = aftercare(tmp_path / "fresh", "plan", "--all", "--verbosity", "0")
    assert planned.returncode == 0, planned.stderr
    # The generated clients and those the apps' demos add for their stories.
    assert re.search(r"Planned \d+ clients", planned.stdout), planned.stdout


def test_help_needs_no_database(tmp_path: Path) -> None:
    result = aftercare(tmp_path / "fresh", "tick", "--help")
    assert result.returncode == 0
    assert "--at" in result.stdout


def test_bench_needs_no_migrated_data_folder(tmp_path: Path) -> None:
    """Every benchmark makes its own throw-away database, so ``bench`` runs on a fresh folder."""
    result = aftercare(tmp_path / "fresh", "bench", "--only", "no-such-benchmark")
    assert "not set up yet" not in result.stderr
    assert "no-such-benchmark" in result.stderr + result.stdout
