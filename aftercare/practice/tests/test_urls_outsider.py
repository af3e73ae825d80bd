"""The outsider (another practice's owner) sees nothing of Riverside on any URL.

Every URL pattern of the project is walked (not a hand-picked few):

- A pattern with parameters is filled with objects of the owner's practice, from KWARGS.
  GET — and POST, for POST-only views — must be 404: not 403 (which confirms the record
  exists), not 200, not a redirect. A pattern missing from KWARGS fails: add it there.
- A parameterless page must not show the owner's practice's data.
- Objects chosen by query string or form field (``?client=``, ``practice_id``) are probed too
  (QUERY_PROBES, POST_PROBES): another practice's object is a 404.

Patterns under SKIPPED_PREFIXES are tested by their owners: the API (``api/v1/``, token
auth), Django's admin, the client portal (``p/``, signed links) and webhooks (``hooks/``,
signed by the provider).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client as WebClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from aftercare.testing import Personas

# healthz, readyz and metrics show no practice's data and answer 503 by design (monitoring).
SKIPPED_PREFIXES = ("api/v1/", "admin/", "p/", "hooks/", "healthz", "readyz", "metrics")

# Patterns with parameters that do not reach practice data through the session.
NOT_PRACTICE_DATA = {
    "password_reset_confirm": "Django's password reset link: its token is the credential",
    "care-feed": "calendar feed URL: the signed token is the credential (calendar apps cannot sign in)",
    "absences-notice": "the practice's public notice page: public by design, no private data",
    "supplies-reorder": "one-tap re-order link sent to the client: the signed token is the credential",
    "practice-join": "invitation link: the single-use signed token is the credential",
}

Kwargs = Callable[[Personas], dict[str, Any]]


def _supply(personas: Personas) -> Any:
    from aftercare.supplies.tests.factories import add_supply

    return add_supply(personas.actor(), personas.client)


def _absence(personas: Personas) -> Any:
    from aftercare.absences.tests.factories import plan_absence

    return plan_absence(
        personas.actor(), first_day=dt.date(2099, 3, 1), last_day=dt.date(2099, 3, 5)
    )


def _care_hour(personas: Personas) -> Any:
    from aftercare.queue.tests.factories import make_care_hour

    return make_care_hour(personas.owner, personas.client)


def _resource(personas: Personas) -> Any:
    from aftercare.resources.models import Resource

    return Resource.objects.create(practice=personas.practice, title="Riverside handout", body="x")


def _referral(personas: Personas) -> Any:
    from aftercare.promises.models import Referral

    return Referral.objects.create(
        practice=personas.practice, client=personas.client, referred_to="Clinic", why="Riverside"
    )


def _promise(personas: Personas) -> Any:
    from aftercare.queue.tests.factories import make_promise

    return make_promise(personas.client)


def _inbound_message(personas: Personas) -> Any:
    from aftercare.messaging.models import Direction, Message

    return Message.objects.create(
        practice=personas.practice,
        direction=Direction.INBOUND,
        channel="sms",
        from_address="+447700900555",
        text_body="Riverside secret",
        status="received",
    )


def _attachment(personas: Personas) -> dict[str, Any]:
    from aftercare.messaging.attachments import IncomingFile
    from aftercare.messaging.inbound import keep_attachments

    message = _inbound_message(personas)
    (kept,) = keep_attachments(message, [IncomingFile("rash.jpg", "image/jpeg", b"\xff\xd8\xff")])
    return {"pk": message.pk, "attachment_id": kept.pk}


def _measure(personas: Personas) -> Any:
    from aftercare.measures.services import measure_send

    return measure_send(actor=personas.actor(), client=personas.client, questionnaire_key="phq9")


def _care_rule(personas: Personas) -> Any:
    from aftercare.care.models import CareRule

    return CareRule.objects.create(
        practice=personas.practice,
        name="Riverside rule",
        trigger="birthday",
        template_key="birthday_card",
    )


def _api_token(personas: Personas) -> Any:
    from aftercare.practice.services import token_create

    return token_create(actor=personas.actor(), user=personas.owner, name="Riverside token")[0]


def _template_key(personas: Personas) -> dict[str, Any]:
    from aftercare.messaging import templating

    return {"key": sorted(templating.template_keys())[0], "language": "en"}


def _import_job(personas: Personas) -> Any:
    from aftercare.imports.models import ImportJob

    return ImportJob.objects.create(
        practice=personas.practice, file_name="riverside.csv", content=b"First name\nRuth\n"
    )


def _unmatched_event(personas: Personas) -> Any:
    from aftercare.imports.models import UnmatchedEvent

    starts = dt.datetime(2099, 3, 1, 10, tzinfo=dt.UTC)
    return UnmatchedEvent.objects.create(
        practice=personas.practice,
        key="riverside-1",
        uid="riverside-1",
        title="Riverside secret",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
    )


def _subscription(personas: Personas) -> Any:
    from aftercare.imports.models import CalendarSubscription

    return CalendarSubscription.objects.create(
        practice=personas.practice, url="https://calendar.example/riverside-secret.ics"
    )


# {url name: how to build its kwargs from the owner's practice's objects}
KWARGS: dict[str, Kwargs] = {
    "clients-detail": lambda p: {"pk": p.client.pk},
    "clients-edit": lambda p: {"pk": p.client.pk},
    "clients-archive": lambda p: {"pk": p.client.pk},
    "clients-export": lambda p: {"pk": p.client.pk, "extension": "json"},
    "clients-erase": lambda p: {"pk": p.client.pk},
    "clients-merge": lambda p: {"pk": p.client.pk},
    "appointments-move": lambda p: {"pk": p.appointment.pk},
    "appointments-edit": lambda p: {"pk": p.appointment.pk},
    "appointments-status": lambda p: {"pk": p.appointment.pk},
    "appointments-fee-override": lambda p: {"pk": p.appointment.pk},
    "insights-client": lambda p: {"pk": p.client.pk},
    "insights-reach-out": lambda p: {"pk": p.client.pk},
    "care-hours-delete": lambda p: {"pk": _care_hour(p).pk},
    "resources-detail": lambda p: {"pk": _resource(p).pk},
    "resources-edit": lambda p: {"pk": _resource(p).pk},
    "resources-delete": lambda p: {"pk": _resource(p).pk},
    "resources-share": lambda p: {"client_pk": p.client.pk},
    "promises-create": lambda p: {"client_pk": p.client.pk},
    "referrals-create": lambda p: {"client_pk": p.client.pk},
    "referrals-outcome": lambda p: {"pk": _referral(p).pk},
    "supplies-create": lambda p: {"client_id": p.client.pk},
    "supplies-edit": lambda p: {"pk": _supply(p).pk},
    "supplies-status": lambda p: {"pk": _supply(p).pk},
    "absences-edit": lambda p: {"pk": _absence(p).pk},
    "absences-cancel": lambda p: {"pk": _absence(p).pk},
    "measures-detail": lambda p: {"pk": _measure(p).pk},
    "measures-send": lambda p: {"pk": p.client.pk},
    "measures-fill": lambda p: {"pk": p.client.pk},
    "care-rules-edit": lambda p: {"pk": _care_rule(p).pk},
    "care-rules-toggle": lambda p: {"pk": _care_rule(p).pk},
    "care-rules-delete": lambda p: {"pk": _care_rule(p).pk},
    "messaging-detail": lambda p: {"pk": _inbound_message(p).pk},
    "messaging-assign": lambda p: {"pk": _inbound_message(p).pk},
    "messaging-acknowledge": lambda p: {"pk": _inbound_message(p).pk},
    "messaging-attachment": lambda p: _attachment(p),
    "messaging-reply": lambda p: {"client_id": p.client.pk},
    "messaging-conversation": lambda p: {"client_id": p.client.pk},
    "messaging-consent-request": lambda p: {"client_id": p.client.pk},
    "messaging-unread": lambda p: {"pk": _inbound_message(p).pk},
    "practice-team-role": lambda p: {"pk": p.practice.memberships.get(user=p.colleague).pk},
    "practice-team-remove": lambda p: {"pk": p.practice.memberships.get(user=p.colleague).pk},
    "practice-tokens-revoke": lambda p: {"pk": _api_token(p).pk},
    "imports-columns": lambda p: {"pk": _import_job(p).pk},
    "imports-dry-run": lambda p: {"pk": _import_job(p).pk},
    "imports-start": lambda p: {"pk": _import_job(p).pk},
    "imports-progress": lambda p: {"pk": _import_job(p).pk},
    "imports-match": lambda p: {"pk": _unmatched_event(p).pk},
    "imports-unsubscribe": lambda p: {"pk": _subscription(p).pk},
}

# {url name: kwargs} for patterns whose parameters are names every practice shares (a
# message template's key and language): each practice sees its own copy, so the outsider
# gets a page, which must not show the owner's practice's data.
SHARED_NAME_KWARGS: dict[str, Kwargs] = {
    "messaging-template-edit": _template_key,
    "imports-export": lambda p: {"what": "clients", "fmt": "csv"},
}

# {url name: query string naming an object of the owner's practice} -> GET must be 404
QUERY_PROBES: dict[str, Kwargs] = {
    "appointments-create": lambda p: {"client": p.client.pk},
    "appointments-day": lambda p: {"practitioner": p.owner.pk},
}

# {url name: POST body naming an object of the owner's practice} -> POST must be 404
POST_PROBES: dict[str, Kwargs] = {
    "practice-switch": lambda p: {"practice_id": p.practice.pk},
    "care-queue-act": lambda p: {"item": f"promise:{_promise(p).pk}", "action": "done"},
}

# Text that only the owner's practice's pages contain (see aftercare/testing.py).
OWNER_PRACTICE_MARKERS = (
    "Ruth Miller",
    "ruth@example.org",
    "Riverside Practice",
    "Riverside rule",
    "Riverside secret",
    "Riverside handout",
    "Grief after",
)


def walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    """Every URL pattern as (route, full name, pattern), recursing into includes."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else ""
            yield prefix + str(entry.pattern), name, entry


def project_patterns() -> list[tuple[str, str, URLPattern]]:
    return [
        (route, name, pattern)
        for route, name, pattern in walk(get_resolver().url_patterns)
        if not route.startswith(SKIPPED_PREFIXES)
    ]


def has_parameters(route: str, pattern: URLPattern) -> bool:
    return bool(getattr(pattern.pattern, "converters", None)) or bool(
        re.search(r"\(\?P<|<\w+>", route)
    )


ALL = project_patterns()
WITH_PARAMETERS = [(route, name) for route, name, pattern in ALL if has_parameters(route, pattern)]
WITHOUT_PARAMETERS = [
    (route, name) for route, name, pattern in ALL if not has_parameters(route, pattern)
]


def assert_no_owner_data(body: str, url: str) -> None:
    for marker in OWNER_PRACTICE_MARKERS:
        assert marker not in body, f"{url} shows {marker!r} of another practice to the outsider"


@pytest.fixture
def outsider(client: WebClient, personas: Personas) -> WebClient:
    client.force_login(personas.outsider)
    return client


def test_the_walk_finds_the_pages_it_must_protect() -> None:
    names = {name for _, name in WITH_PARAMETERS}
    assert {"clients-detail", "appointments-edit"} <= names
    assert "clients-list" in {name for _, name in WITHOUT_PARAMETERS}
    assert not any(route.startswith(SKIPPED_PREFIXES) for route, _, _ in ALL)


@pytest.mark.parametrize(("route", "name"), WITH_PARAMETERS, ids=[r for r, _ in WITH_PARAMETERS])
def test_another_practices_object_is_not_found(
    outsider: WebClient, personas: Personas, route: str, name: str
) -> None:
    if name in NOT_PRACTICE_DATA:
        pytest.skip(NOT_PRACTICE_DATA[name])
    if name in SHARED_NAME_KWARGS:
        url = reverse(name, kwargs=SHARED_NAME_KWARGS[name](personas))
        response = outsider.get(url)
        assert response.status_code < 500
        assert_no_owner_data(response.content.decode(errors="replace"), url)
        return
    assert name, (
        f"The URL pattern {route!r} has parameters but no name: give it one (<app>-<action>)."
    )
    assert name in KWARGS, (
        f"The URL pattern {route!r} ({name}) has parameters but no entry in KWARGS of "
        f"{__file__}: add {name!r}: lambda p: {{...}} building its parameters from the owner "
        "practice's objects (personas), so the outsider test can prove it is a 404."
    )
    url = reverse(name, kwargs=KWARGS[name](personas))
    get_status = outsider.get(url).status_code
    post_status = outsider.post(url, {}).status_code
    assert get_status in {404, 405}, f"GET {url} as the outsider gave {get_status}, not 404"
    assert post_status in {404, 405}, f"POST {url} as the outsider gave {post_status}, not 404"
    assert 404 in {get_status, post_status}, f"{url}: neither GET nor POST gave 404"


@pytest.mark.parametrize(
    ("route", "name"), WITHOUT_PARAMETERS, ids=[r or "/" for r, _ in WITHOUT_PARAMETERS]
)
def test_a_page_without_parameters_shows_only_the_outsiders_practice(
    outsider: WebClient, personas: Personas, route: str, name: str
) -> None:
    url = "/" + route
    response = outsider.get(url)
    if response.status_code == 405:
        response = outsider.post(url, {})
    assert response.status_code < 500
    # A download (the fee decisions' CSV) streams its rows.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert_no_owner_data(body.decode(errors="replace"), url)


@pytest.mark.parametrize("name", sorted(QUERY_PROBES))
def test_another_practices_object_in_the_query_string_is_not_found(
    outsider: WebClient, personas: Personas, name: str
) -> None:
    response = outsider.get(reverse(name), QUERY_PROBES[name](personas))
    assert response.status_code == 404


@pytest.mark.parametrize("name", sorted(POST_PROBES))
def test_another_practices_object_in_a_form_is_not_found(
    outsider: WebClient, personas: Personas, name: str
) -> None:
    response = outsider.post(reverse(name), POST_PROBES[name](personas))
    assert response.status_code == 404


def test_the_outsider_sees_their_own_clients(outsider: WebClient, personas: Personas) -> None:
    page = outsider.get(reverse("clients-list")).content.decode()
    assert "Walter Stone" in page
    assert "Ruth Miller" not in page
