"""What happens while a practitioner is away: inbound routing, "when will it be read", the
return summary in the care queue and the calendar feed. Registered from AbsencesConfig.ready().

Inbound routing (one policy, plugged into ``messaging.inbound``): a message from a client
whose practitioner is away today —

1. crisis: not handled here; messaging's default answers with the emergency numbers and alerts
   the practitioner at once. Crisis always escalates, away or not.
2. from a client on the emergency list of an absence going on today — whoever the client's own
   practitioner is, or none — escalated at once to the absent practitioner's own channel
   (email, and SMS to their own number when set), and the client is told it was passed on.
   Each such message waits, urgent, in the care queue until a person answers the client. The
   promise made when the client was added ("you can reach me while I am away") is judged when
   the absence is over (``judge_emergency_promise``): kept when every message passed on got a
   personal answer (or the client never wrote: nothing was asked), broken when one did not.
3. from anyone else: one honest auto-reply per client per absence (return date, cover contact,
   emergency numbers); the message waits for the first day back, when the "while you were
   away" summary at the top of the care queue lists it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from aftercare import clock, statements
from aftercare.absences.messages import absence_details
from aftercare.absences.models import Absence, EmergencyListEntry
from aftercare.absences.selectors import current_absence
from aftercare.clients.models import full_name_of
from aftercare.locales import format_date, practice_locale
from aftercare.messaging.availability import ReadEstimate, register_availability_provider
from aftercare.messaging.inbound import notify_practitioner, register_inbound_policy
from aftercare.messaging.models import AwayRouting, Direction, Message
from aftercare.messaging.services import message_acknowledge, message_queue
from aftercare.messaging.transports import sms_sender
from aftercare.phones import can_receive_texts
from aftercare.practice.access import get_scoped_or_404
from aftercare.promises.services import register_promise_judge
from aftercare.queue.feed import FeedEvent, register_feed_provider
from aftercare.queue.items import QueueItem, register_queue_source
from aftercare.queue.today import plural
from aftercare.row_urls import path_maker

log = logging.getLogger("aftercare.absences")

RETURN_SUMMARY_DAYS = 14
WORKDAY_START = dt.time(9, 0)


def _away_now(client: Any) -> Absence | None:
    """The absence that decides what happens to a message from ``client`` today: one whose
    emergency list they are on (whoever's it is), else their own practitioner's."""
    if client is None:
        return None
    today = clock.today(client.practice.tz)
    listed = (
        EmergencyListEntry.objects.filter(
            client=client,
            absence__cancelled=False,
            absence__first_day__lte=today,
            absence__last_day__gte=today,
        )
        .select_related("absence__practice", "absence__practitioner")
        .order_by("absence__first_day", "absence_id")
        .first()
    )
    if listed is not None:
        return listed.absence
    if client.primary_practitioner_id is None:
        return None
    return current_absence(practitioner_id=client.primary_practitioner_id, day=today)


def route_while_away(message: Any, result: Any) -> bool:
    """The inbound policy (steps 1–3 of the module docstring); True when it handled the message."""
    client = message.client
    absence = _away_now(client)
    if absence is None or result.level == "crisis":
        return False
    with transaction.atomic():
        # Serialise per absence so two messages arriving together give one auto-reply.
        Absence.objects.select_for_update().filter(pk=absence.pk).first()
        return _route(message, client, absence)


def _route(message: Any, client: Any, absence: Absence) -> bool:

    details = absence_details(absence, practice_locale(client.practice))
    channel = message.channel if message.channel != "portal" else ""
    if EmergencyListEntry.objects.filter(absence=absence, client=client).exists():
        notify_practitioner(message, practitioner=absence.practitioner)
        _text_practitioner(message, absence)
        message.context = {**(message.context or {}), "escalated_for_absence": absence.pk}
        message.away_routing = AwayRouting.PASSED_ON
        message.save(update_fields=["context", "away_routing"])
        message_queue(
            client=client,
            template_key="emergency_passed_on",
            channel=channel,
            details=details,
            in_reply_to=message,
            automated=False,
        )
        return True
    message.context = {**(message.context or {}), "waits_for_absence": absence.pk}
    message.away_routing = AwayRouting.WAITING
    message.save(update_fields=["context", "away_routing"])
    already = Message.objects.filter(
        client=client, template_key="absence_auto_reply", context__absence_id=absence.pk
    ).exists()
    if not already and client.opted_out_at is None:
        message_queue(
            client=client,
            template_key="absence_auto_reply",
            channel=channel,
            details={**details, "custom_text": absence.auto_reply_text},
            in_reply_to=message,
            automated=False,
        )
    return True


def _text_practitioner(message: Any, absence: Absence) -> None:
    """An SMS to the practitioner's own number, through the outbox, when they have one."""

    phone = absence.practitioner.phone
    if not phone or not can_receive_texts(phone):  # no number, or a landline: no SMS
        return
    client = message.client
    Message.objects.create(
        practice=message.practice,
        client=None,
        direction=Direction.OUTBOUND,
        channel="sms",
        from_address=sms_sender(message.practice),
        to_address=phone,
        subject="Emergency list message",
        text_body=(
            f"Aftercare: {client.full_name} (emergency list) wrote while you are away. "
            f"{settings.BASE_URL}{reverse('clients-detail', args=[client.pk])}"
        ),
        template_key="staff_alert",
        automated=False,
        in_reply_to=message,
        context={"staff_alert": True},
    )


def availability(client: Any, now: dt.datetime) -> Any:
    """For messaging's "when will this be read": the absence, honestly."""

    absence = _away_now(client)
    if absence is None:
        return None
    name = absence.practitioner.display_name
    if EmergencyListEntry.objects.filter(absence=absence, client=client).exists():
        return ReadEstimate(at=now, by=name, note=f"{name} is away but has been told at once.")
    tz, locale = client.practice.tz, practice_locale(client.practice)
    back = dt.datetime.combine(absence.back_on, WORKDAY_START, tzinfo=tz)
    cover = f" {absence.cover_contact} covers meanwhile." if absence.cover_contact else ""
    return ReadEstimate(
        at=back,
        by=name,
        note=f"{name} is away until {format_date(absence.last_day, 'l j F', locale)}.{cover}",
    )


def return_summary_items(actor: Any, now: dt.datetime) -> list[Any]:
    """ "While you were away": one item per absence that ended lately and was not yet read."""

    today = clock.today(actor.practice.tz)
    # A statement: the care queue and Today ask on every visit, and building the query cost
    # more than running it (it almost always finds nothing).
    absences = statements.objects(
        "absences: ended lately, summary not read",
        lambda practice, since, today: Absence.objects.filter(
            practice_id=practice,
            cancelled=False,
            summary_read_at__isnull=True,
            last_day__lt=today,
            last_day__gte=since,
        ),
        model=Absence,
        practice=actor.practice.pk,
        since=today - dt.timedelta(days=RETURN_SUMMARY_DAYS),
        today=today,
    )
    if not absences:
        return []
    counts = {
        row["id"]: row
        for row in Absence.objects.filter(pk__in=[a.pk for a in absences])
        .values("id")
        .annotate(
            escalated=Count("emergency_entries", distinct=True),
        )
    }
    waiting: dict[int, int] = {}
    escalated: dict[int, int] = {}
    replies: dict[int, int] = {}
    for context in (
        Message.objects.filter(
            practice=actor.practice,
            created_at__gte=now - dt.timedelta(days=RETURN_SUMMARY_DAYS + 60),
        )
        .filter(
            Q(direction="in", away_routing__in=[AwayRouting.WAITING, AwayRouting.PASSED_ON])
            | Q(template_key="absence_auto_reply")
        )
        .values_list("context", flat=True)
    ):
        context = context or {}
        for key, bucket in (
            ("waits_for_absence", waiting),
            ("escalated_for_absence", escalated),
            ("absence_id", replies),
        ):
            if key in context:
                bucket[context[key]] = bucket.get(context[key], 0) + 1
    items = []
    locale = practice_locale(actor.practice)
    for absence in absences:
        listed = counts.get(absence.pk, {}).get("escalated", 0)
        items.append(
            QueueItem(
                id=f"while_away:{absence.pk}",
                kind="while_away",
                client_id=None,
                client_name="",
                title=(
                    f"While you were away ({format_date(absence.first_day, 'j M', locale)}–"
                    f"{format_date(absence.last_day, 'j M', locale)})"
                ),
                reason=(
                    f"{plural(waiting.get(absence.pk, 0), 'message')} waited for your return; "
                    f"{escalated.get(absence.pk, 0)} from the emergency list "
                    f"({plural(listed, 'client')} on it) were passed on; "
                    f"{plural(replies.get(absence.pk, 0), 'auto-reply', 'auto-replies')} sent."
                ),
                urgency="attention",
                due_at=dt.datetime.combine(
                    absence.back_on, WORKDAY_START, tzinfo=actor.practice.tz
                ),
                estimated_minutes=10,
                value=90,
                actions=("done", "open"),
                owner_id=absence.practitioner_id,
                done_label="Read",
                url=reverse("messaging-outbox") if _has_url("messaging-outbox") else "",
            )
        )
    return items


def _has_url(name: str) -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def perform_on_return_summary(
    actor: Any, object_id: str, action: str, *, until: Any = None, reason: str = ""
) -> None:
    if action != "done":
        raise ValidationError({"action": "Mark the summary read, or open it."})
    try:
        pk = int(object_id)
    except ValueError as error:
        raise ValidationError({"id": "Not a summary."}) from error
    absence = get_scoped_or_404(Absence.objects.all(), actor, pk=pk)
    absence.summary_read_at = clock.now()
    absence.save(update_fields=["summary_read_at"])


def emergency_message_items(actor: Any, now: dt.datetime) -> list[Any]:
    """Messages from the emergency list passed on while away, until the practitioner answers."""

    def build(practice: int) -> QuerySet[Message]:
        return (
            Message.objects.filter(
                practice_id=practice,
                direction="in",
                acknowledged_at__isnull=True,
                away_routing=AwayRouting.PASSED_ON,  # sought in ``message_unread_away``
            )
            .order_by("created_at")
            .values_list(
                "pk",
                "client_id",
                "client__given_name",
                "client__family_name",
                "client__primary_practitioner_id",
                "text_body",
                "created_at",
                "context",
            )[:200]
        )

    rows = statements.rows("queue: emergency messages", build, practice=actor.practice.pk)
    # The item is the absent practitioner's, whoever the client's own practitioner is.
    away_ids = tuple(sorted({context["escalated_for_absence"] for *_, context in rows}))
    practitioner_of = (
        dict(
            statements.rows(
                "queue: the absences emergency messages were passed on for",
                lambda absences: Absence.objects.filter(pk__in=absences).values_list(
                    "pk", "practitioner_id"
                ),
                absences=away_ids,
            )
        )
        if away_ids
        else {}
    )
    found = []
    client_page = path_maker("clients-detail")
    for pk, client_id, given_name, family_name, own_id, text_body, created_at, context in rows:
        name = full_name_of(given_name, family_name)
        found.append(
            QueueItem(
                id=f"emergency_message:{pk}",
                kind="emergency_message",
                client_id=client_id,
                client_name=name,
                title=f"Answer {name}: emergency list, you promised",
                reason=text_body[:300],
                urgency="urgent",
                due_at=created_at,
                estimated_minutes=10,
                value=100,
                actions=("done", "open"),
                owner_id=practitioner_of.get(context["escalated_for_absence"], own_id),
                done_label="Answered",
                url=client_page(client_id),  # "" without the pages
            )
        )
    return found


def perform_on_emergency_message(
    actor: Any, object_id: str, action: str, *, until: Any = None, reason: str = ""
) -> None:
    """ "Answered": only once a person has replied to the client in person.

    The promise is not kept here: the client may write again. It is judged when the absence is
    over (``judge_emergency_promise``).
    """

    if action != "done":
        raise ValidationError({"action": "Answer the client, then mark it answered."})
    try:
        pk = int(object_id)
    except ValueError as error:
        raise ValidationError({"id": "Not a message."}) from error
    message = get_scoped_or_404(Message.objects.select_related("client"), actor, pk=pk)
    if personal_answer_after(message) is None:
        raise ValidationError(
            {
                "action": "Reply to the client first (on the client page): the promise is kept only by an answer."
            }
        )
    message_acknowledge(actor=actor, message=message)


def personal_answer_after(message: Message) -> Message | None:
    """The first message a person wrote to the client after ``message`` arrived, if any."""
    return (
        Message.objects.filter(
            client_id=message.client_id,
            direction="out",
            sent_by__isnull=False,
            created_at__gte=message.created_at,
        )
        .order_by("created_at", "id")
        .first()
    )


# A message passed on in the absence's last hours may be answered the day after: the promise
# waits this long for an answer before it is judged broken.
ANSWER_GRACE = dt.timedelta(hours=24)


def judge_emergency_promise(promise: Any, now: dt.datetime) -> tuple[str, str] | None:
    """ "You can reach me while I am away", judged once the absence is over.

    1. Kept, when the client never wrote: nothing was asked.
    2. Kept, when every message passed on got a personal answer.
    3. Undecided (None), while the only unanswered ones arrived less than ``ANSWER_GRACE`` ago.
    4. Otherwise broken, naming the first message left unanswered.
    """
    entry = (
        EmergencyListEntry.objects.filter(promise_id=promise.pk).select_related("absence").first()
    )
    if entry is None:
        return ("broken", "Not kept by its due time")
    passed_on = list(
        Message.objects.filter(
            client_id=promise.client_id,
            direction="in",
            context__escalated_for_absence=entry.absence_id,
        ).order_by("created_at", "id")
    )
    who = entry.absence.practitioner.display_name
    if not passed_on:
        return ("kept", "Kept: the client did not write during the absence; nothing was asked.")
    unanswered = [message for message in passed_on if personal_answer_after(message) is None]
    if not unanswered:
        if len(passed_on) == 1:
            return ("kept", f"Kept: 1 message passed on during the absence, answered by {who}.")
        return (
            "kept",
            f"Kept: {len(passed_on)} messages passed on during the absence, each answered "
            f"in person by {who}.",
        )
    if all(now - message.created_at < ANSWER_GRACE for message in unanswered):
        return None
    first = unanswered[0]
    when = first.created_at.astimezone(promise.client.practice.tz)
    locale = practice_locale(promise.client.practice)
    return (
        "broken",
        f"Broken: the message of {format_date(when, 'D j M', locale)} "
        f"{format_date(when, 'H:i', locale)} was passed on but not answered in person "
        f"({len(unanswered)} of {len(passed_on)} unanswered).",
    )


def feed_events(user: Any, practice: Any, now: dt.datetime) -> list[Any]:
    """The user's absences (and their colleagues', marked as such) for the calendar feed."""

    since = (now - dt.timedelta(days=60)).date()
    events = []
    for absence in Absence.objects.filter(
        practice=practice, cancelled=False, last_day__gte=since
    ).select_related("practitioner"):
        own = absence.practitioner_id == user.pk
        who = "Away" if own else f"{absence.practitioner.display_name} away"
        description = "\n".join(
            part
            for part in (
                f"Cover: {absence.cover_contact}" if absence.cover_contact else "",
                absence.public_note,
                absence.private_reason if own else "",
            )
            if part
        )
        events.append(
            FeedEvent(
                uid=f"absence-{absence.pk}@aftercare",
                summary=who,
                starts=absence.first_day,
                ends=absence.back_on,
                description=description,
                created=absence.created_at,
                last_modified=absence.updated_at,
            )
        )
    return events


def register() -> None:
    register_inbound_policy(route_while_away)
    register_availability_provider(availability)
    register_feed_provider(feed_events)
    register_queue_source("while_away", return_summary_items, perform_on_return_summary)
    register_queue_source(
        "emergency_message", emergency_message_items, perform_on_emergency_message
    )
    register_promise_judge("absence", judge_emergency_promise)
