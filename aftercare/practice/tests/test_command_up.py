"""``aftercare up`` for real: a fresh data folder, a demo practice, gunicorn, a sign-in."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

START_TIMEOUT = 120  # migrations and a demo on a loaded two-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Browser:
    """urllib with a cookie jar that reports redirects instead of following them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect()
        )

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 - loopback
        try:
            # Generous: under a loaded CI machine the first request waits for a gunicorn worker
            # to boot beside the worker's and the tick's first passes over the demo.
            with self.opener.open(request, timeout=120) as response:
                return (
                    response.status,
                    response.headers.get("Location", ""),
                    response.read().decode(),
                )
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), error.read().decode()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, list[str]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AFTERCARE_", "DJANGO_"))}
    env["AFTERCARE_DATA_DIR"] = str(tmp_path / "fresh" / "data")
    process = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "aftercare", "up", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "stderr.txt").open("w"),
        text=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        yield process, port, lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_up_creates_the_data_folder_and_a_demo_then_serves_and_the_demo_owner_signs_in(
    server: tuple[subprocess.Popen[str], int, list[str]], tmp_path: Path
) -> None:
    process, port, lines = server
    deadline = time.monotonic() + START_TIMEOUT
    while not port_open(port):
        assert process.poll() is None, (tmp_path / "stderr.txt").read_text()
        assert time.monotonic() < deadline, "aftercare up did not start listening"
        time.sleep(0.2)
    output = "".join(lines)
    assert (tmp_path / "fresh" / "data" / "aftercare.sqlite3").exists()
    assert f"Sign in at http://127.0.0.1:{port}/sign-in/" in output
    email = re.search(r"Email: +(\S+)", output)
    password = re.search(r"Password: +(\S+)", output)
    assert email and password, output

    browser = Browser(f"http://127.0.0.1:{port}")
    status, _location, page = browser.request("/sign-in/")
    assert status == 200
    # DEBUG is off: static files come from whitenoise under gunicorn.
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page)
    assert stylesheet, page
    assert browser.request(stylesheet.group(1))[0] == 200

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    wrong = {"csrfmiddlewaretoken": token.group(1), "username": email.group(1)}
    status, _location, page = browser.request("/sign-in/", {**wrong, "password": "wrong"})
    assert status == 200, "a wrong password shows the form again"
    status, location, _page = browser.request(
        "/sign-in/", {**wrong, "password": password.group(1), "next": "/clients/"}
    )
    assert (status, location) == (302, "/clients/")
    # Signed in, the owner sees the demo practice and its clients.
    status, _location, page = browser.request("/clients/")
    assert status == 200
    assert "Riverside Demo Practice" in page
    assert len(set(re.findall(r'href="/clients/\d+/"', page))) >= 10, "demo clients are listed"

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert not port_open(port), "the web server stopped with up"
    assert output.count("Password:") == 1


@pytest.fixture
def supervised(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Run ``up`` in-process without serving: record what it would start."""
    from aftercare.practice.management.commands import up

    started: list[list[str]] = []

    def fake_serve(processes: list[up.Process]) -> int:
        started.extend(process.argv for process in processes)
        return 0

    monkeypatch.setattr(up, "serve", fake_serve)
    return started


def run_up(*args: str) -> str:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("up", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_up_creates_the_demo_only_on_an_empty_database(supervised: list[list[str]]) -> None:
    from aftercare.practice.models import Practice

    first = run_up("--port", "8123")
    assert first.count("Password:") == 1
    assert Practice.objects.count() == 1
    second = run_up("--port", "8123")
    assert "Password:" not in second
    assert "Serving Aftercare on http://127.0.0.1:8123/" in second
    assert "AFTERCARE_ALLOWED_HOSTS" not in second
    assert Practice.objects.count() == 1
    web = supervised[0]
    assert "gunicorn" in web
    assert "--bind=127.0.0.1:8123" in web
    assert "--access-logfile=-" in web


@pytest.mark.django_db
def test_up_with_no_demo_leaves_the_database_empty(supervised: list[list[str]]) -> None:
    from aftercare.practice.models import Practice

    output = run_up("--no-demo", "--host", "0.0.0.0", "--port", "9000")  # noqa: S104
    assert "Password:" not in output
    assert not Practice.objects.exists()
    assert "create one with `aftercare practice create" in output
    assert "Serving Aftercare on http://127.0.0.1:9000/" in output
    assert "--bind=0.0.0.0:9000" in supervised[0]
    assert "AFTERCARE_ALLOWED_HOSTS" in output, "a wildcard bind explains the host names"


@pytest.mark.django_db
def test_up_starts_the_worker_and_a_tick_every_minute_beside_the_web_server(
    supervised: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from aftercare.practice.management.commands import up

    monkeypatch.setattr(
        up,
        "get_commands",
        lambda: {"worker": "aftercare.messaging", "tick": "aftercare.care", "up": "x"},
    )
    run_up("--no-demo")
    assert supervised[1:] == [
        [sys.executable, "-m", "aftercare", "worker"],
        [sys.executable, "-m", "aftercare", "tick"],
    ]
    assert [p.every for p in up.background_processes()] == [None, 60.0]
    monkeypatch.setattr(up, "get_commands", lambda: {"up": "x"})
    assert up.background_processes() == []


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Run ``up`` in-process without serving: record the processes it would start."""
    from aftercare.practice.management.commands import up

    processes: list[Any] = []

    def fake_serve(to_start: list[up.Process]) -> int:
        processes.extend(to_start)
        return 0

    monkeypatch.setattr(up, "serve", fake_serve)
    monkeypatch.delenv("AFTERCARE_BASE_URL", raising=False)
    return processes


def base_url_in(process: Any, tmp_path: Path) -> str:
    """The base URL the child's own settings would read from the environment it is given."""
    from aftercare import config

    env = {**os.environ, "AFTERCARE_DATA_DIR": str(tmp_path), **process.env}
    return config.load(env).base_url


@pytest.mark.django_db
def test_up_on_another_port_sends_links_to_the_address_it_serves(
    started: list[Any], tmp_path: Path
) -> None:
    output = run_up("--no-demo", "--port", "8111")
    assert [p.name for p in started] == ["web server", "worker", "tick"]
    assert {base_url_in(p, tmp_path) for p in started} == {"http://127.0.0.1:8111"}
    assert "Links sent to clients" not in output


@pytest.mark.django_db
def test_up_says_at_start_when_the_base_url_is_not_the_address_it_serves(
    started: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFTERCARE_BASE_URL", "http://127.0.0.1:8000")
    output = run_up("--no-demo", "--port", "8111")
    assert (
        "Links sent to clients point at http://127.0.0.1:8000 (AFTERCARE_BASE_URL), "
        "not at http://127.0.0.1:8111 served here" in output
    )
    # The operator's setting wins (a proxy may well forward :8000 here); it is only named.
    assert {base_url_in(p, tmp_path) for p in started} == {"http://127.0.0.1:8000"}


@pytest.mark.parametrize(
    ("configured", "note"),
    [
        ("http://localhost:8111/", False),
        ("http://127.0.0.1:8111", False),
        ("https://care.example.org", True),
        ("http://127.0.0.1:8000", True),
        ("", False),
    ],
)
def test_a_base_url_naming_the_served_loopback_address_needs_no_note(
    configured: str, note: bool
) -> None:
    from aftercare.practice.management.commands.up import link_address

    base, said = link_address(served="http://127.0.0.1:8111", configured=configured)
    assert (said is not None) == note
    assert base == (configured.rstrip("/") or "http://127.0.0.1:8111")
