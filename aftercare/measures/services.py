"""Writes for outcome measures: create and send one, record answers, complete and triage it.

The safety path, in order:

1. Every answer is saved as it is given (the portal asks one question per screen). When a
   safety item is answered above its threshold — PHQ-9 question 9 above 0 — a crisis is raised
   **at once**, before the remaining questions: the answers become an inbound message in the
   client's thread, triaged *crisis*, and go through ``messaging.inbound.route_inbound`` like a
   crisis reply (the practitioner alerted on their own channel, the message at the top of the
   care queue; the portal shows the client the emergency numbers). A client who stops there is
   not missed.
2. When every question is answered the measure is scored. Without a crisis, the same inbound
   message is routed with the level the band gives (a severe total is *urgent*), raised to
   *attention* by a reliable worsening since the last one. With a crisis already raised, the
   message is brought up to date and nothing is sent twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.links import portal_url
from aftercare.measures.models import (
    CompletedVia,
    Measure,
    MeasureStatus,
    PracticeQuestionnaire,
)
from aftercare.measures.questionnaires import (
    Questionnaire,
    QuestionnaireError,
    built_in_questionnaires,
)
from aftercare.measures.scoring import (
    AnswerError,
    Change,
    Score,
    change,
    check_answer,
    check_answers,
    items_to_ask,
    safety_alerts,
    safety_reason,
    score,
    triage_level,
    triage_reasons,
)
from aftercare.measures.selectors import questionnaires_for
from aftercare.messaging.inbound import route_inbound
from aftercare.messaging.models import Direction, Message, MessageStatus, MessageTemplate
from aftercare.messaging.services import message_queue
from aftercare.messaging.triaging import Triage
from aftercare.practice.access import Actor
from aftercare.practice.audit import record_audit
from aftercare.practice.models import Practice, User

TEMPLATE_PREFIX = "measure_"
# The words of the message that carries a questionnaire's link. They never name the
# questionnaire or what it is about: an SMS is read over shoulders and on lock screens.
LINK_SUBJECT = "A few questions from {{ practitioner }}"
LINK_TEXT = (
    "Dear {{ name }},\n\n"
    "{{ practitioner }} would like you to answer {{ details.questions }} short questions about how "
    "you have been lately. It takes a few minutes, one question at a time:\n\n"
    "{{ details.measure_url }}\n\n"
    "Your answers help us see how things change between visits. If you need help sooner, please "
    "don't wait for us: {{ emergency_numbers }}"
    "\n\n--\n{{ practice }}{% if practice_phone %} · {{ practice_phone }}{% endif %}\n"
    "Your message preferences: {{ preferences_url }}"
)
LINK_SMS = (
    "Hello {{ name }}, {{ practitioner }} has a few short questions for you: "
    "{{ details.measure_url }}"
)


class MeasureError(ValueError):
    """A measure that cannot be sent or answered; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def template_key_for(questionnaire_key: str) -> str:
    """The message template that carries a questionnaire's link: ``measure_phq9``."""
    return f"{TEMPLATE_PREFIX}{questionnaire_key}"


def questionnaire_of(measure: Measure) -> Questionnaire:
    questionnaire = questionnaires_for(measure.practice_id).get(measure.questionnaire)
    if questionnaire is None:
        raise MeasureError("measure", f"no questionnaire called {measure.questionnaire!r}")
    return questionnaire


def _questionnaire_for_client(client: Client, key: str) -> Questionnaire:
    found = questionnaires_for(client.practice_id)
    if key not in found:
        known = ", ".join(sorted(found))
        raise MeasureError("measure", f"choose one of {known}")
    return found[key]


def measure_create(
    *,
    client: Client,
    questionnaire_key: str,
    created_by: User | None = None,
    touchpoint: Any = None,
) -> Measure:
    """A new measure waiting for its answers, in the client's language where one is published."""
    questionnaire = _questionnaire_for_client(client, questionnaire_key)
    language = questionnaire.wording(client.language or client.practice.language).language
    return Measure.objects.create(
        practice_id=client.practice_id,
        client=client,
        questionnaire=questionnaire.key,
        language=language,
        created_by=created_by,
        touchpoint=touchpoint,
        created_at=clock.now(),
    )


def link_details(measure: Measure, questionnaire: Questionnaire) -> dict[str, Any]:
    """What the link's message template may use: ``details.measure_url`` and the size."""
    return {
        "measure_id": measure.pk,
        "measure_url": portal_url("measure", measure.pk),
        "questions": len(questionnaire.scored_items),
    }


@transaction.atomic
def measure_send(*, actor: Actor, client: Client, questionnaire_key: str) -> Measure:
    """Send a questionnaire now, by hand: a signed link on the client's channel (audited)."""
    if client.archived:
        raise MeasureError("client", f"{client.full_name} is archived")
    measure = measure_create(
        client=client, questionnaire_key=questionnaire_key, created_by=actor.user
    )
    questionnaire = questionnaire_of(measure)
    message = message_queue(
        client=client,
        template_key=template_key_for(questionnaire.key),
        purpose="care",
        automated=False,
        details=link_details(measure, questionnaire),
        sent_by=actor.user,
    )
    measure.message = message
    measure.save(update_fields=["message"])
    record_audit(
        actor, "create", measure, summary=f"Sent the {questionnaire.name} to {client.full_name}"
    )
    return measure


def _reply(measure: Measure, questionnaire: Questionnaire, text: str) -> Message:
    """The inbound message that carries the answers into the thread and the care queue."""
    if measure.reply_id is not None:
        reply = Message.objects.get(pk=measure.reply_id)
        reply.text_body = text
        reply.save(update_fields=["text_body"])
        return reply
    reply = Message.objects.create(
        practice_id=measure.practice_id,
        client=measure.client,
        direction=Direction.INBOUND,
        channel="portal",
        subject=f"{questionnaire.name} answers",
        text_body=text,
        status=MessageStatus.RECEIVED,
        automated=False,
        in_reply_to_id=measure.message_id,
        created_at=clock.now(),
    )
    measure.reply = reply
    return reply


def _raise_crisis(measure: Measure, questionnaire: Questionnaire) -> None:
    """Step 1 of the module docstring: a safety item answered above its threshold."""
    answers = {key: int(value) for key, value in measure.answers.items()}
    reasons = tuple(
        safety_reason(questionnaire, safety, answers)
        for safety in safety_alerts(questionnaire, answers)
    )
    reply = _reply(
        measure,
        questionnaire,
        f"{questionnaire.name}: a safety question was answered during the questionnaire.",
    )
    measure.crisis_at = clock.now()
    measure.save(update_fields=["reply", "crisis_at"])
    reply.client = measure.client
    route_inbound(reply, decided=Triage("crisis", reasons))


@transaction.atomic
def measure_answer(*, measure: Measure, item_key: str, value: object) -> Measure:
    """Save one answer from the portal; a crisis at once, and completion after the last one."""
    measure = (
        Measure.objects.select_for_update().select_related("client__practice").get(pk=measure.pk)
    )
    if measure.is_completed:
        raise MeasureError("measure", "these answers were already sent")
    questionnaire = questionnaire_of(measure)
    item = questionnaire.item(item_key)
    if item is None:
        raise MeasureError("item", f"{questionnaire.name} has no question {item_key!r}")
    try:
        checked = check_answer(item, value)
    except AnswerError as error:
        raise MeasureError("value", "choose one of the answers") from error
    measure.answers = {**measure.answers, item.key: checked}
    measure.save(update_fields=["answers"])
    answers = {key: int(v) for key, v in measure.answers.items()}
    if measure.crisis_at is None and safety_alerts(questionnaire, answers):
        _raise_crisis(measure, questionnaire)
    if all(asked.key in answers for asked in items_to_ask(questionnaire, answers)):
        _complete(measure, questionnaire, CompletedVia.PORTAL)
    return measure


def next_question(measure: Measure, questionnaire: Questionnaire) -> int | None:
    """The index (in the questions asked) of the first unanswered question, None when done."""
    answers = {key: int(v) for key, v in measure.answers.items()}
    for index, item in enumerate(items_to_ask(questionnaire, answers)):
        if item.key not in answers:
            return index
    return None


def previous_total(measure: Measure) -> int | None:
    return (
        Measure.objects.filter(
            client_id=measure.client_id,
            questionnaire=measure.questionnaire,
            status=MeasureStatus.COMPLETED,
        )
        .exclude(pk=measure.pk)
        .order_by("-completed_at", "-id")
        .values_list("total", flat=True)
        .first()
    )


def _summary(questionnaire: Questionnaire, result: Score, changed: Change | None) -> str:
    text = f"{questionnaire.name}: {result.total} of {questionnaire.highest} ({result.band.label.lower()})"
    if changed is not None:
        text += f", {changed.words()} since the last one"
    return text + "."


def _complete(measure: Measure, questionnaire: Questionnaire, via: str) -> None:
    """Step 2 of the module docstring: score, store, triage."""
    result = score(questionnaire, measure.answers)
    before = previous_total(measure)
    changed = None if before is None else change(questionnaire, before, result.total)
    measure.answers = dict(result.answers)
    measure.total = result.total
    measure.band = result.band.key
    measure.band_label = result.band.label
    measure.previous_total = before
    measure.reliable_change = bool(changed and changed.reliable)
    measure.status = MeasureStatus.COMPLETED
    measure.completed_at = clock.now()
    measure.completed_via = via
    crisis_already_raised = measure.crisis_at is not None
    if result.crisis and not crisis_already_raised:
        measure.crisis_at = measure.completed_at
    reply = _reply(measure, questionnaire, _summary(questionnaire, result, changed))
    measure.save()
    level = triage_level(result, changed)
    reasons = tuple(triage_reasons(questionnaire, result, changed))
    reply.client = measure.client
    if crisis_already_raised:
        reply.triage_reasons = list(reasons)
        reply.save(update_fields=["triage_reasons"])
    else:
        route_inbound(reply, decided=Triage(level, reasons))


@transaction.atomic
def measure_fill_in_session(
    *, actor: Actor, client: Client, questionnaire_key: str, answers: Mapping[str, object]
) -> Measure:
    """The practitioner fills in a questionnaire with the client during a session (audited)."""
    questionnaire = _questionnaire_for_client(client, questionnaire_key)
    try:
        checked = check_answers(questionnaire, answers)
    except AnswerError as error:
        raise MeasureError(f"item_{error.item}", error.message) from error
    measure = measure_create(
        client=client, questionnaire_key=questionnaire.key, created_by=actor.user
    )
    measure.answers = checked
    measure.entered_by = actor.user
    _complete(measure, questionnaire, CompletedVia.SESSION)
    record_audit(
        actor,
        "create",
        measure,
        summary=f"Filled in the {questionnaire.name} with {client.full_name}",
    )
    return measure


@transaction.atomic
def questionnaire_add(*, practice: Practice, questionnaire: Questionnaire, text: str) -> None:
    """Store a practice's own (checked) questionnaire, and the message that sends its link.

    Its key may not be a bundled one's. The link's message is the practice's own template
    (``measure_<key>``, editable on the templates page), since the default templates are known
    only for the bundled questionnaires.
    """
    if questionnaire.key in built_in_questionnaires():
        raise QuestionnaireError(f"key: {questionnaire.key} is a bundled questionnaire's key")
    PracticeQuestionnaire.objects.update_or_create(
        practice=practice, key=questionnaire.key, defaults={"document": json.loads(text)}
    )
    MessageTemplate.objects.get_or_create(
        practice=practice,
        key=template_key_for(questionnaire.key),
        language="en",
        defaults={"subject": LINK_SUBJECT, "text": LINK_TEXT, "sms": LINK_SMS},
    )
