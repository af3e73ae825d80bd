"""Subscribed calendars: fetched from a real HTTP server on loopback, conditionally."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine

from aftercare.appointments.models import Appointment
from aftercare.imports.models import CalendarSubscription
from aftercare.imports.subscriptions import (
    POLL_EVERY,
    SubscriptionError,
    check_public,
    normalise_url,
    poll_due_subscriptions,
)
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)


class CalendarServer(http.server.BaseHTTPRequestHandler):
    """Serves ``body`` with an ETag, answers 304 to a matching If-None-Match, as Outlook does."""

    body = b""
    etag = '"v1"'
    status = 200
    requests: list[dict[str, str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(dict(self.headers))
        if type(self).status != 200:
            self.send_error(type(self).status)
            return
        if self.headers.get("If-None-Match") == type(self).etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar; charset=utf-8")
        self.send_header("ETag", type(self).etag)
        self.send_header("Last-Modified", "Mon, 30 Nov 2026 12:00:00 GMT")
        self.end_headers()
        self.wfile.write(type(self).body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(files: Path) -> Iterator[type[CalendarServer]]:
    CalendarServer.body = (files / "google_weekly.ics").read_bytes()
    CalendarServer.etag = '"v1"'
    CalendarServer.status = 200
    CalendarServer.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CalendarServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    CalendarServer.url = f"http://127.0.0.1:{httpd.server_address[1]}/calendar/secret.ics"  # type: ignore[attr-defined]
    try:
        yield CalendarServer
    finally:
        httpd.shutdown()
        httpd.server_close()


def subscription(personas: Personas, url: str) -> CalendarSubscription:
    # Made directly: the form refuses loopback addresses (below), the test server lives there.
    return CalendarSubscription.objects.create(
        practice=personas.practice, practitioner=personas.owner, url=url
    )


def test_a_subscribed_calendar_imports_then_asks_only_for_changes(
    personas: Personas, server: type[CalendarServer], files: Path
) -> None:
    calendar = subscription(personas, server.url)  # type: ignore[attr-defined]
    with time_machine.travel(NOW, tick=False):
        assert poll_due_subscriptions(NOW) == 1
    assert Appointment.objects.filter(source="ics", status="booked").count() == 4
    calendar.refresh_from_db()
    assert (calendar.etag, calendar.last_error) == ('"v1"', "")
    assert calendar.last_result["created"] == 4
    # Not due again before POLL_EVERY; then a conditional GET, answered 304.
    assert poll_due_subscriptions(NOW + dt.timedelta(minutes=5)) == 0
    assert len(server.requests) == 1
    later = NOW + POLL_EVERY
    with time_machine.travel(later, tick=False):
        assert poll_due_subscriptions(later) == 0
    assert server.requests[-1]["If-None-Match"] == '"v1"'
    assert server.requests[-1]["If-Modified-Since"] == "Mon, 30 Nov 2026 12:00:00 GMT"
    # The calendar changes: an event is deleted outright, another series moves.
    server.body = (files / "google_weekly_edited.ics").read_bytes()
    server.etag = '"v2"'
    even_later = later + POLL_EVERY
    with time_machine.travel(even_later, tick=False):
        assert poll_due_subscriptions(even_later) == 1
    statuses = dict(Appointment.objects.filter(source="ics").values_list("starts_at", "status"))
    assert statuses[dt.datetime(2027, 1, 11, 10, tzinfo=dt.UTC)] == "cancelled"
    assert dt.datetime(2027, 1, 5, 16, tzinfo=dt.UTC) in statuses


def test_a_deleted_single_event_is_cancelled_at_the_next_poll(
    personas: Personas, server: type[CalendarServer], files: Path
) -> None:
    server.body = (files / "outlook.ics").read_bytes()
    subscription(personas, server.url)  # type: ignore[attr-defined]
    with time_machine.travel(NOW, tick=False):
        poll_due_subscriptions(NOW)
    assert Appointment.objects.get(source="ics").status == "booked"
    server.body = (files / "empty.ics").read_bytes()
    server.etag = '"v2"'
    later = NOW + POLL_EVERY
    with time_machine.travel(later, tick=False):
        assert poll_due_subscriptions(later) == 1
    assert Appointment.objects.get(source="ics").status == "cancelled"


def test_a_failing_calendar_says_why_and_is_tried_again(
    personas: Personas, server: type[CalendarServer]
) -> None:
    server.status = 404
    calendar = subscription(personas, server.url)  # type: ignore[attr-defined]
    assert poll_due_subscriptions(NOW) == 0
    calendar.refresh_from_db()
    assert calendar.last_error == "The calendar's server answered 404 Not Found."
    server.status = 200
    later = NOW + POLL_EVERY
    with time_machine.travel(later, tick=False):
        assert poll_due_subscriptions(later) == 1
    calendar.refresh_from_db()
    assert calendar.last_error == ""


def test_addresses_are_checked_when_added() -> None:
    assert normalise_url(" webcal://p01-caldav.icloud.com/published/2/abc ") == (
        "https://p01-caldav.icloud.com/published/2/abc"
    )
    with pytest.raises(SubscriptionError, match="https://… or webcal://"):
        normalise_url("file:///etc/passwd")
    for inside in ("http://127.0.0.1:8000/x.ics", "http://10.0.0.7/x.ics", "http://[::1]/x"):
        with pytest.raises(SubscriptionError, match="inside this server's own network"):
            check_public(inside)
