"""Texts built in Python (message details, notices, Today lines) write dates in the locale of
the practice they are for, wherever they are built: the planner, the worker, a request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from aftercare import clock, locales
from aftercare.absences.tests.factories import plan_absence
from aftercare.absences.today import next_absence_card
from aftercare.care.models import Touchpoint
from aftercare.care.reconcile import reconcile_client
from aftercare.care.services import care_setup_practice
from aftercare.messaging.availability import ReadEstimate, when_read_sentence
from aftercare.messaging.inbound import receive_inbound
from aftercare.messaging.models import Direction, Message
from aftercare.messaging.worker import Worker
from aftercare.supplies.tests.factories import add_supply
from aftercare.testing import Personas, make_appointment

pytestmark = pytest.mark.django_db

PLANNED_ON = dt.datetime(2027, 1, 5, 12, 0, tzinfo=dt.UTC)
DURING = dt.datetime(2027, 3, 20, 14, 0, tzinfo=dt.UTC)

# The same texts as each practice writes them. en_GB is what Aftercare wrote before locales
# (a date with its year has CLDR's comma, as on the pages).
TEXTS = {
    ("en", "GB"): {
        "first_day": "Monday, 15 March 2027",
        "last_day": "Sunday, 4 April 2027",
        "order_action": "order Magnesium citrate by Monday 1 March",
        "order_by": "Monday, 1 March 2027",
        "when": "Thursday 3 December at 10:00",
        "today": "You are away from Monday 15 March to Sunday 4 April",
        "away_until": "is away until Sunday 4 April.",
        "read_on": "will read it on Monday 5 April by 09:00.",
        "read_by": "on Monday 1 March by 17:00",
    },
    ("en", "US"): {
        "first_day": "Monday, March 15, 2027",
        "last_day": "Sunday, April 4, 2027",
        "order_action": "order Magnesium citrate by Monday, March 1",
        "order_by": "Monday, March 1, 2027",
        "when": "Thursday, December 3 at 10:00\u202fAM",
        "today": "You are away from Monday, March 15 to Sunday, April 4",
        "away_until": "is away until Sunday, April 4.",
        "read_on": "will read it on Monday, April 5 by 9:00\u202fAM.",
        "read_by": "on Monday, March 1 by 5:00\u202fPM",
    },
    ("de", "DE"): {
        "first_day": "Montag, 15. März 2027",
        "last_day": "Sonntag, 4. April 2027",
        "order_action": "order Magnesium citrate by Montag, 1. März",
        "order_by": "Montag, 1. März 2027",
        "when": "Donnerstag, 3. Dezember at 10:00",
        "today": "You are away from Montag, 15. März to Sonntag, 4. April",
        "away_until": "is away until Sonntag, 4. April.",
        "read_on": "will read it on Montag, 5. April by 09:00.",
        "read_by": "on Montag, 1. März by 17:00",
    },
}
PLACES = list(TEXTS)


def speaking(personas: Personas, language: str, country: str) -> Personas:
    """The personas' practice as a practice of ``country`` speaking ``language``."""
    practice = personas.practice
    practice.language, practice.country = language, country
    practice.save(update_fields=["language", "country"])
    personas.client.refresh_from_db()
    return personas


def open_touchpoints(personas: Personas) -> dict[str, Touchpoint]:
    return {
        t.kind: t
        for t in Touchpoint.objects.filter(
            client=personas.client, status__in=["planned", "due"]
        ).order_by("-due_at")
    }


@pytest.mark.parametrize(("language", "country"), PLACES)
def test_the_absence_notice_and_the_order_by_reminder_are_in_the_practices_locale(
    personas: Personas, language: str, country: str, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    speaking(personas, language, country)
    texts = TEXTS[(language, country)]
    care_setup_practice(practice=personas.practice)
    # Planned with another locale in use (as a request of another practice could have it):
    # the planner writes in the client's practice's locale, never the one in use.
    with locales.using("fr_FR"), clock.at(PLANNED_ON):
        add_supply(personas.actor(), personas.client, started_on=dt.date(2027, 1, 3))
        with django_capture_on_commit_callbacks(execute=True):
            plan_absence(personas.actor())
        reconcile_client(personas.client)
    planned = open_touchpoints(personas)
    notice = planned["absence_notice"].context
    assert notice["first_day"] == texts["first_day"]
    assert notice["actions"] == texts["order_action"]
    assert planned["reorder_reminder"].context["order_by"] == texts["order_by"]


@pytest.mark.parametrize(("language", "country"), PLACES)
def test_the_appointment_reminder_says_when_in_the_practices_locale(
    personas: Personas, language: str, country: str
) -> None:
    speaking(personas, language, country)
    monday = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)
    # 10:00 in London; the client's time is the practice's (Europe/London).
    visit = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)
    with clock.at(monday):
        care_setup_practice(practice=personas.practice)
        make_appointment(personas.client, personas.owner, starts_at=visit)
        call_command("plan", "--client", str(personas.client.pk), verbosity=0)
    # The worker has no request: the default locale is in use while it renders.
    assert locales.in_use() == locales.DEFAULT_LOCALE
    call_command("tick", "--at", (visit - dt.timedelta(days=1)).isoformat(), verbosity=0)
    with clock.at(visit - dt.timedelta(days=1)):
        Worker().run_until_idle()
    message = Message.objects.get(
        client=personas.client, template_key="appointment_reminder", direction=Direction.OUTBOUND
    )
    assert TEXTS[(language, country)]["when"] in message.text_body


@pytest.mark.parametrize(("language", "country"), PLACES)
def test_the_auto_reply_and_its_availability_line_take_the_message_practices_locale(
    personas: Personas, language: str, country: str
) -> None:
    speaking(personas, language, country)
    texts = TEXTS[(language, country)]
    personas.client.preferred_channel = "email"
    personas.client.save()
    with clock.at(PLANNED_ON):
        plan_absence(personas.actor())
    # An inbound message is handled without a practice's request (a webhook, the worker).
    with locales.using("fr_FR"), clock.at(DURING):
        receive_inbound(channel="email", from_address=personas.client.email, text="Hello?")
        sentence = when_read_sentence(personas.client, DURING)
    [reply] = Message.objects.filter(client=personas.client, template_key="absence_auto_reply")
    assert texts["away_until"] in sentence
    assert texts["read_on"] in sentence
    assert f"I am away until {texts['last_day']}" in reply.text_body


@pytest.mark.parametrize(("language", "country"), PLACES)
def test_the_availability_line_is_in_the_locale_it_is_given(language: str, country: str) -> None:
    now = dt.datetime(2027, 2, 26, 12, 0, tzinfo=dt.UTC)  # a Friday
    estimate = ReadEstimate(at=dt.datetime(2027, 3, 1, 17, 0, tzinfo=dt.UTC), by="Dr Olivia")
    sentence = estimate.sentence(dt.UTC, now, locales.locale_for(language, country))
    assert sentence == f"Dr Olivia will read it {TEXTS[(language, country)]['read_by']}."


@pytest.mark.parametrize(("language", "country"), PLACES)
def test_the_today_line_of_the_next_absence_is_in_the_practices_locale(
    personas: Personas, language: str, country: str
) -> None:
    speaking(personas, language, country)
    with clock.at(PLANNED_ON):
        plan_absence(personas.actor())
        card = next_absence_card(personas.actor(), PLANNED_ON, "mine")
    assert card is not None
    assert card.entries[0].title == TEXTS[(language, country)]["today"]
