"""Subscribed calendars: the secret address a calendar program gives, polled by the worker.

Google Calendar ("Secret address in iCal format"), Outlook ("Publish a calendar" → ICS link)
and Apple Calendar (a public calendar's ``webcal://`` link) all give an address whose path is
the key. ``poll_due_subscriptions`` (a tick step, every minute under ``aftercare up``):

1. Takes the subscriptions not polled for ``POLL_EVERY``.
2. Asks with ``If-None-Match`` / ``If-Modified-Since`` from the last answer: a ``304 Not
   Modified`` costs nothing and changes nothing (Google answers 200 every time; the import
   then finds nothing changed, so nothing is written either).
3. Imports the calendar like an uploaded file, and cancels the booked appointments of events
   the calendar held at the last poll and holds no more (a deleted event leaves no trace in
   an .ics file, unlike a cancelled one).
4. Records when and what happened, or the error in words, on the subscription; one failing
   calendar never stops the others, and an address that keeps failing keeps being tried.

An address must be public: one that points into the server's own network (localhost, a
private range) is refused when it is added, so the feature cannot be used to probe it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q

from aftercare import clock
from aftercare.imports.appointments import import_appointment_file
from aftercare.imports.calendars import CalendarError
from aftercare.imports.models import CalendarSubscription
from aftercare.practice.access import Actor
from aftercare.practice.models import Membership, User

log = logging.getLogger(__name__)
POLL_EVERY = dt.timedelta(minutes=15)
TIMEOUT_SECONDS = 20
MAX_BYTES = 10 * 1024 * 1024
USER_AGENT = "Aftercare calendar subscription (+https://aftercare.example/docs/imports)"


class SubscriptionError(ValueError):
    """The address cannot be used or fetched; the message says why, for a person."""


def normalise_url(text: str) -> str:
    """``webcal://`` as ``https://``; only http(s) addresses with a host."""
    url = text.strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SubscriptionError(
            "Paste the calendar's address as your calendar program gives it "
            "(https://… or webcal://…)."
        )
    return url


def check_public(url: str) -> None:
    """Refuse an address whose host is inside the server's own network."""
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as error:
        raise SubscriptionError(f"The address's host {host!r} cannot be found.") from error
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise SubscriptionError(
                f"The address points inside this server's own network ({host}); "
                "use the public address your calendar program gives."
            )


@dataclass
class Fetched:
    status: int
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""


Opener = Callable[[urllib.request.Request, float], object]


def _open(request: urllib.request.Request, timeout: float) -> object:
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - http(s) only, checked


def fetch(url: str, *, etag: str, last_modified: str, opener: Opener = _open) -> Fetched:
    """Step 2: a conditional GET; raises SubscriptionError with the reason."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    if etag:
        request.add_header("If-None-Match", etag)
    if last_modified:
        request.add_header("If-Modified-Since", last_modified)
    try:
        response = opener(request, TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return Fetched(304, etag=etag, last_modified=last_modified)
        raise SubscriptionError(
            f"The calendar's server answered {error.code} {error.reason}."
        ) from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise SubscriptionError(f"The calendar could not be reached ({reason}).") from error
    with response:  # type: ignore[attr-defined]
        body = response.read(MAX_BYTES + 1)  # type: ignore[attr-defined]
        headers = response.headers  # type: ignore[attr-defined]
    if len(body) > MAX_BYTES:
        raise SubscriptionError("The calendar is larger than 10 MB.")
    return Fetched(
        200,
        body=body,
        etag=headers.get("ETag", "") or "",
        last_modified=headers.get("Last-Modified", "") or "",
    )


def poll_subscription(
    subscription: CalendarSubscription, *, now: dt.datetime, opener: Opener = _open
) -> bool:
    """Steps 2-4 for one subscription; True when the calendar changed appointments."""
    fields = ["last_polled_at", "last_error"]
    subscription.last_polled_at = now
    subscription.last_error = ""
    try:
        fetched = fetch(
            subscription.url,
            etag=subscription.etag,
            last_modified=subscription.last_modified,
            opener=opener,
        )
        if fetched.status == 304:
            subscription.save(update_fields=fields)
            return False
        membership = Membership.objects.filter(
            practice=subscription.practice, user=subscription.practitioner
        ).first()
        actor = Actor(
            user=subscription.practitioner,
            practice=subscription.practice,
            membership=membership,
            via="calendar",
        )
        result = import_appointment_file(
            actor=actor,
            data=fetched.body,
            file_name=subscription.display_url,
            practitioner=subscription.practitioner,
            gone_keys=subscription.known_keys,
        )
    except (SubscriptionError, CalendarError) as error:
        subscription.last_error = str(error)
        subscription.save(update_fields=fields)
        return False
    changed = bool(result.created or result.updated or result.cancelled)
    subscription.etag = fetched.etag
    subscription.last_modified = fetched.last_modified
    subscription.known_keys = sorted(set(result.keys))
    subscription.last_result = result.as_json()
    fields += ["etag", "last_modified", "known_keys", "last_result"]
    if changed:
        subscription.last_changed_at = now
        fields.append("last_changed_at")
    subscription.save(update_fields=fields)
    return changed


def poll_due_subscriptions(now: dt.datetime) -> int:
    """Tick step: poll every subscription due (step 1); returns how many changed."""
    due = CalendarSubscription.objects.select_related("practice", "practitioner").filter(
        Q(last_polled_at__isnull=True) | Q(last_polled_at__lte=now - POLL_EVERY)
    )
    changed = 0
    for subscription in due:
        try:
            changed += poll_subscription(subscription, now=now)
        except Exception:  # one broken calendar never stops the others (step 4)
            log.exception("calendar subscription %s failed", subscription.pk)
            CalendarSubscription.objects.filter(pk=subscription.pk).update(
                last_polled_at=now,
                last_error="The calendar could not be imported (an unexpected error); "
                "it will be tried again.",
            )
    return changed


def subscribe(*, actor: Actor, url: str, practitioner: User | None) -> CalendarSubscription:
    """Check the address (public, reachable later by the worker) and store it."""
    address = normalise_url(url)
    check_public(address)
    return CalendarSubscription.objects.create(
        practice=actor.practice,
        practitioner=practitioner,
        url=address,
        created_at=clock.now(),
    )
