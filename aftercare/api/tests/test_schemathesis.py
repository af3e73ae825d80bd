"""Schemathesis (``--checks all``) against the live schema of a running server.

A fresh SQLite database, gunicorn as ``aftercare up`` runs it, one owner's token; Schemathesis
generates requests for every operation (a bounded number of examples each) and checks every
answer: no server error, every status code and content type documented, every answer matching
its schema, schema-valid input accepted (or refused with a documented 422 for rules across
fields), schema-violating input refused. Its summary is printed.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from aftercare.testing import command_env, run_module

REPO = Path(__file__).resolve().parents[3]
MAX_EXAMPLES = 8

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(os.environ.get("AFTERCARE_TEST_DATABASE_URL")),
        reason="runs once, against SQLite (the bounds are tested on both databases)",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(tmp_path: Path) -> None:
    env = command_env(tmp_path)

    def aftercare(*args: str) -> str:
        return run_module(env, "aftercare", *args).stdout

    aftercare("migrate", "-v0")
    aftercare("practice", "create", "--name", "Fuzz Practice", "--owner-email", "o@example.org")
    token = json.loads(aftercare("token", "create", "--user", "o@example.org", "--json"))["token"]
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "aftercare.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            # Unlimited here, so an over-long query reaches the app and its JSON 422 is checked;
            # `aftercare up` keeps gunicorn's 8190 bytes, above which gunicorn itself answers
            # 414 (documented on every operation) before the app sees the request.
            "--limit-request-line=0",
            "--no-control-socket",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        # The schema is fetched here with a generous timeout and handed over as a file: on a
        # loaded machine the first build of the schema can take longer than schemathesis'
        # own 10-second limit for loading it, which failed the run without testing anything.
        schema = tmp_path / "openapi.json"
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=180
        ) as response:
            schema.write_bytes(response.read())
        run = subprocess.run(  # noqa: S603
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file",
                str(REPO / "schemathesis.toml"),
                "--no-color",
                "run",
                str(schema),
                "--url",
                f"http://127.0.0.1:{port}",
                "--request-timeout",
                "60",
                "--checks",
                "all",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                "20261130",
                # One worker: with threads, Hypothesis's description of its own strategies can
                # trip over CPython's AST recursion counter (a runtime error in the tool, not a
                # finding about the API).
                "--workers",
                "1",
                "--header",
                f"Authorization: Bearer {token}",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    summary = run.stdout[run.stdout.find("SUMMARY") :]
    tested = re.search(r"Tested: (\d+)", summary)
    cases = re.search(r"(\d+) generated", summary)
    print(
        f"\nschemathesis: {tested.group(1) if tested else '?'} operations, "
        f"{cases.group(1) if cases else '?'} cases, exit {run.returncode}\n{summary[-1500:]}"
    )
    assert run.returncode == 0, run.stdout[-6000:]
