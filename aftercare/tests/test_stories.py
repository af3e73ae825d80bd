"""The founding stories, replayed day by day as the running system would live them.

Each day is ``aftercare tick --at T`` and the worker at T — the same two steps an operator runs
to replay any day — with the clients' and practitioners' own acts in between. Nothing here
calls the planner or a policy directly: what the stories check is what a client would see and
what a practitioner would be told.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command

from aftercare import clock
from aftercare.absences.tests.factories import plan_absence
from aftercare.care.models import Touchpoint
from aftercare.care.services import care_setup_practice
from aftercare.clients.models import Client
from aftercare.messaging.inbound import receive_inbound
from aftercare.messaging.models import Direction, Message
from aftercare.messaging.services import message_reply
from aftercare.messaging.testing import message_carrying
from aftercare.portal.services import Answer, check_in_answer
from aftercare.promises.models import Promise
from aftercare.queue.selectors import care_queue
from aftercare.supplies.tests.factories import add_supply
from aftercare.testing import Personas, make_appointment, make_client

pytestmark = pytest.mark.django_db

LONDON_NOON = dt.time(12, 0)


def at(day: dt.date, time: dt.time = LONDON_NOON) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=dt.UTC)  # London is on UTC in winter


def live(moment: dt.datetime) -> None:
    """One moment of the running system: tick, then the worker, both as of ``moment``."""
    call_command("tick", at=moment.isoformat(), verbosity=0)
    call_command("worker", once=True, at=moment.isoformat(), stdout=io.StringIO())


def alerts_to(personas: Personas) -> list[Message]:
    return list(
        Message.objects.filter(
            client=None, template_key="staff_alert", direction=Direction.OUTBOUND
        ).order_by("id")
    )


def sent_to(client: Client) -> list[Message]:
    return list(
        Message.objects.filter(client=client, direction=Direction.OUTBOUND, status="sent").order_by(
            "sent_at", "id"
        )
    )


# --- (a) the medication: nobody checked in ------------------------------------------------


def test_a_the_new_medication_check_in_asks_and_a_worrying_answer_is_flagged_at_once(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """An elderly client, first visit on Monday, a new medication from Tuesday, her birthday
    on Thursday, and two routine messages already sent this week: the contact budget is full
    of lower-value mail. Care still asks, on time."""
    care_setup_practice(practice=personas.practice)
    monday = dt.date(2026, 11, 16)
    edith = make_client(
        personas.practice,
        given_name="Edith",
        family_name="Hale",
        email="edith@example.org",
        birth_date=dt.date(1941, 11, 19),
        consent_celebrations=True,
        primary_practitioner=personas.owner,
    )
    with clock.at(at(monday)), django_capture_on_commit_callbacks(execute=True):
        make_appointment(
            edith,
            personas.owner,
            kind="first_visit",
            status="attended",
            starts_at=at(monday, dt.time(10, 0)),
        )
        add_supply(
            personas.actor(),
            edith,
            name="Amlodipine 5 mg",
            kind="medication",
            prepared_by="pharmacy",
            started_on=monday + dt.timedelta(days=1),
        )
    days = [monday + dt.timedelta(days=n) for n in range(0, 6)]
    for day in days:
        for hour in (8, 9, 10, 11, 18):
            live(at(day, dt.time(hour, 5)))
    sent = sent_to(edith)
    # Thursday: the first-visit check-in and her birthday card, one email at 09:00;
    # Friday 10:00: the side-effects check-in for the new medication. Nothing was held back.
    by_day = {m.sent_at.date(): m for m in sent}
    thursday, friday = monday + dt.timedelta(days=3), monday + dt.timedelta(days=4)
    assert "Happy birthday" in by_day[thursday].text_body
    assert by_day[thursday].template_key == "check_in"
    medication_check_in = by_day[friday]
    assert medication_check_in.template_key == "check_in"
    assert medication_check_in.sent_at.time() >= dt.time(10, 0)

    # She answers on Friday evening through the check-in page: hot sweats and nausea.
    with clock.at(at(friday, dt.time(19, 30))):
        check_in_answer(
            check_in=medication_check_in.check_in,
            answer=Answer(
                score=4,
                side_effects="hot sweats and nausea since the new tablets",
                contact_me=False,
                free_text="",
            ),
        )
        top = care_queue(personas.actor(), at(friday, dt.time(19, 31)), scope="mine")[0]
    assert top.kind == "flagged_reply" and top.client_name == "Edith Hale"
    assert top.urgency == "attention" and "side effects" in top.title
    # The practitioner was not woken, but nothing waits a day either: it tops the queue now.


# --- (b) the emergency list: "you can reach me while I am away" ------------------------------

FIRST_DAY = dt.date(2027, 1, 11)
LAST_DAY = dt.date(2027, 1, 24)


@pytest.fixture
def holiday(personas: Personas) -> tuple[Personas, Client]:
    """A first-time client put on the owner's emergency list, with no primary practitioner of
    their own (created through the API or a CSV without one, in a practice of two)."""
    care_setup_practice(practice=personas.practice)
    personas.owner.phone = "+447700900999"
    personas.owner.save()
    with clock.at(at(dt.date(2027, 1, 4))):
        nina = make_client(
            personas.practice,
            given_name="Nina",
            family_name="Novak",
            email="nina@example.org",
            phone="+447700900321",
            preferred_channel="sms",
            primary_practitioner=None,
        )
        plan_absence(
            personas.actor(),
            first_day=FIRST_DAY,
            last_day=LAST_DAY,
            cover_contact="",
            emergency_client_ids=[nina.pk],
        )
    return personas, nina


def write(client: Client, text: str, moment: dt.datetime) -> Message:
    with clock.at(moment):
        message = receive_inbound(channel="sms", from_address=client.phone, text=text)
    assert message is not None and message.client_id == client.pk
    return message


def answer(personas: Personas, client: Client, text: str, moment: dt.datetime) -> None:
    with clock.at(moment):
        message_reply(actor=personas.actor(), client=client, body=text)


def replay(days: range, acts: dict[int, Any]) -> None:
    """Live each day at 12:00; on day ``n`` (0 = the first day away) do ``acts[n]`` first."""
    for number in days:
        moment = at(FIRST_DAY + dt.timedelta(days=number))
        if number in acts:
            acts[number](moment)
        live(moment)


def test_b_both_messages_reach_the_practitioner_and_the_promise_is_kept_once_both_are_answered(
    holiday: tuple[Personas, Client],
) -> None:
    personas, nina = holiday
    told = Message.objects.get(client=nina, template_key="emergency_access")
    assert "you can still" in told.text_body

    replay(
        range(0, 10),
        {
            2: lambda t: write(nina, "I have a fever since last night", t),
            3: lambda t: answer(personas, nina, "Rest and drink; I call you at six.", t),
            6: lambda t: write(nina, "The fever is back and I feel dizzy", t),
        },
    )
    # Both messages reached the absent practitioner at once, by email and SMS, each time.
    alerts = alerts_to(personas)
    assert [a.to_address for a in alerts] == [personas.owner.email, personas.owner.phone] * 2
    assert all(a.status == "sent" for a in alerts)
    assert Message.objects.filter(client=nina, template_key="emergency_passed_on").count() == 2
    assert not Message.objects.filter(client=nina, template_key="absence_auto_reply").exists()
    # The second one is unanswered: it waits at the top of the owner's queue, urgent.
    day_nine = at(FIRST_DAY + dt.timedelta(days=9))
    items = care_queue(personas.actor(), day_nine, scope="mine")
    assert items[0].kind == "emergency_message" and items[0].client_name == "Nina Novak"
    # Still open, although the first was answered: she may write again before the return.
    assert Promise.objects.get(client=nina).status == "open"

    replay(
        range(10, 16),
        {10: lambda t: answer(personas, nina, "Sorry for the wait: come in on Monday.", t)},
    )
    promise = Promise.objects.get(client=nina)
    assert promise.status == "kept", promise.status_reason
    assert "2 messages passed on during the absence, each answered" in promise.status_reason


def test_b_the_promise_is_broken_when_a_message_passed_on_is_never_answered(
    holiday: tuple[Personas, Client],
) -> None:
    personas, nina = holiday
    replay(
        range(0, 17),
        {
            2: lambda t: write(nina, "I have a fever since last night", t),
            3: lambda t: answer(personas, nina, "Rest and drink; I call you at six.", t),
            6: lambda t: write(nina, "The fever is back and I feel dizzy", t),
        },
    )
    promise = Promise.objects.get(client=nina)
    assert promise.status == "broken"
    assert promise.status_reason.startswith("Broken: the message of Sun 17 Jan")
    with clock.at(at(LAST_DAY + dt.timedelta(days=3))):
        items = care_queue(personas.actor(), at(LAST_DAY + dt.timedelta(days=3)), scope="mine")
    broken = [item for item in items if item.kind == "broken_promise"]
    assert broken and "not answered in person" in broken[0].reason


def test_b_a_client_who_never_wrote_leaves_the_promise_kept(
    holiday: tuple[Personas, Client],
) -> None:
    _personas, nina = holiday
    replay(range(0, 16), {})
    promise = Promise.objects.get(client=nina)
    assert promise.status == "kept"
    assert promise.status_reason == (
        "Kept: the client did not write during the absence; nothing was asked."
    )


def test_b_the_you_can_reach_me_notice_waits_for_the_end_of_quiet_hours(
    personas: Personas,
) -> None:
    # The practitioner plans the absence at ten past midnight: the notice goes at 08:00.
    late_at_night = dt.datetime(2027, 1, 5, 0, 10, tzinfo=dt.UTC)
    with clock.at(late_at_night):
        plan_absence(
            personas.actor(),
            first_day=FIRST_DAY,
            last_day=LAST_DAY,
            emergency_client_ids=[personas.client.pk],
        )
    live(late_at_night + dt.timedelta(minutes=8))
    notice = Message.objects.get(client=personas.client, template_key="emergency_access")
    assert notice.status == "queued"
    assert notice.status_reason.startswith("Quiet hours")
    assert notice.next_attempt_at == dt.datetime(2027, 1, 5, 8, 0, tzinfo=dt.UTC)
    live(dt.datetime(2027, 1, 5, 8, 1, tzinfo=dt.UTC))
    notice.refresh_from_db()
    assert notice.status == "sent"


# --- (c) the supplements: nobody said the practice would be closed ------------------------


def test_c_a_client_who_ignores_the_reminder_is_reminded_again_and_the_practitioner_calls_in_time(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """A 90-day compounded supplement, 14 days to prepare, running out on 3 April; the
    naturopath is away 15 March – 4 April, so it must be ordered by 1 March."""
    care_setup_practice(practice=personas.practice)
    with clock.at(at(dt.date(2027, 1, 5))), django_capture_on_commit_callbacks(execute=True):
        supply = add_supply(personas.actor(), personas.client, started_on=dt.date(2027, 1, 3))
        plan_absence(personas.actor(), first_day=dt.date(2027, 3, 15), last_day=dt.date(2027, 4, 4))
    day = dt.date(2027, 2, 20)
    while day <= dt.date(2027, 3, 3):
        for hour in (9, 10, 15):
            live(at(day, dt.time(hour, 5)))
        day += dt.timedelta(days=1)

    reminders = [
        message_carrying(touchpoint)
        for touchpoint in Touchpoint.objects.filter(
            client=personas.client, kind="reorder_reminder"
        ).order_by("due_at")
    ]
    # The first reminder (in one email with the absence notice), then a second: the client
    # never ordered.
    assert [m.sent_at.date() for m in reminders] == [dt.date(2027, 2, 22), dt.date(2027, 2, 25)]
    assert reminders[1].subject.startswith("A reminder:")
    for message in reminders:
        assert "order by Monday, 1 March 2027" in message.text_body
    # The day before the last day to order, the practitioner is asked to call: in the queue.
    call = care_queue(personas.actor(), at(dt.date(2027, 2, 28), dt.time(9, 30)), scope="mine")
    [item] = [i for i in call if "not re-ordered" in i.title]
    assert "last day to order in time is Monday, 1 March 2027" in item.title
    assert item.due_at.date() == dt.date(2027, 2, 28) < dt.date(2027, 3, 15)
    supply.refresh_from_db()
    assert supply.status == "active"


def test_c_no_message_names_a_day_already_past(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """The worker was down for a week: the reminder goes out after its order-by day, and says
    "order today" — and the practitioner has the call in the queue."""
    care_setup_practice(practice=personas.practice)
    with clock.at(at(dt.date(2027, 1, 5))), django_capture_on_commit_callbacks(execute=True):
        add_supply(personas.actor(), personas.client, started_on=dt.date(2027, 1, 3))
    # Nothing ran from the planning day until 22 March: the order-by day (20 March) passed.
    live(at(dt.date(2027, 3, 22), dt.time(10, 5)))
    reminders = [m for m in sent_to(personas.client) if m.template_key == "reorder_reminder"]
    assert reminders, "the late reminder still goes out"
    for message in reminders:
        assert "order today" in message.text_body.lower()
        assert "20 March" not in message.text_body
    items = care_queue(personas.actor(), at(dt.date(2027, 3, 22), dt.time(10, 10)), scope="mine")
    assert any("not re-ordered" in item.title for item in items)
