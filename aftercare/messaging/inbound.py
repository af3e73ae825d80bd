"""Inbound messages: match them to a client, classify them, route them. One entry point.

``receive_inbound(...)`` stores an inbound Message and calls ``route_inbound(message)``:

1. Keywords (SMS STOP/UNSUBSCRIBE/START…) change the client's opt-out, and stop there.
2. Triage classifies the text (routine / attention / urgent / crisis, with reasons) — or takes
   a result decided elsewhere (``decided``: a questionnaire's answers, where PHQ-9 question 9
   above 0 is a crisis), which then goes the same way.
3. *Inbound policies* registered with ``register_inbound_policy`` run in order; the first that
   returns True has handled the reply (the absences app: "the practitioner is away" → escalate
   for the emergency list, honest auto-reply for everyone else).
4. Otherwise the default: crisis → the client gets the emergency numbers at once and the
   practitioner is told on their own channel; everything else gets one acknowledgement a day
   saying honestly when a person will read it. Flagged messages (attention and above) wait at
   the top of the care queue until a person acknowledges them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.urls import NoReverseMatch, reverse

from aftercare import clock
from aftercare.clients.events import client_changed
from aftercare.clients.models import Client
from aftercare.messaging.addresses import email_address
from aftercare.messaging.attachments import IncomingFile, check_attachment
from aftercare.messaging.keywords import keyword_action
from aftercare.messaging.models import (
    FLAGGED_LEVELS,
    Direction,
    Message,
    MessageAttachment,
    MessageKind,
    MessageStatus,
    TriageLevel,
    UnroutedInbound,
)
from aftercare.messaging.services import (
    client_opt_in,
    client_opt_out,
    message_queue,
    record_delivery_failure,
)
from aftercare.messaging.transports import sms_live, sms_sender
from aftercare.messaging.triaging import Triage, triage
from aftercare.phones import can_receive_texts
from aftercare.practice.models import Practice, User

log = logging.getLogger("aftercare.inbound")

InboundPolicy = Callable[[Message, Triage], bool]
_policies: list[InboundPolicy] = []


def register_inbound_policy(fn: InboundPolicy) -> InboundPolicy:
    """Add ``fn(message, triage) -> handled``; the absences app plugs in here."""
    if fn not in _policies:
        _policies.append(fn)
    return fn


def practice_for_number(number: str) -> Practice | None:
    """The practice whose texting number (``Practice.sms_number``, E.164) this is.

    An inbound SMS or WhatsApp names the number it was written to (Twilio's ``To``); one
    indexed lookup (the unique constraint ``one_practice_per_sms_number``). None when the
    number is no practice's: the sender's address decides then, as before numbers were set.
    """
    number = number.strip()
    if not number:
        return None
    return Practice.objects.filter(sms_number=number).first()


def find_client(
    *, practice: Practice | None, channel: str, address: str, reply_token: str = ""
) -> tuple[Practice | None, Client | None, Message | None]:
    """Match by reply token, else by the sender's address within the practice."""
    if reply_token:
        original = (
            Message.objects.select_related("client", "practice")
            .filter(reply_token=reply_token.lower(), direction=Direction.OUTBOUND)
            .first()
        )
        if original is not None:
            return original.practice, original.client, original
    if channel == "email":
        clients = Client.objects.with_email(address)
    else:
        clients = Client.objects.filter(phone=address)
    clients = clients.select_related("practice")
    if practice is not None:
        clients = clients.filter(practice=practice)
    # With one number shared by several practices, the one that wrote last is the one the
    # client is answering.
    last_out = (
        Message.objects.alias(to_lower=Lower("to_address"))
        .filter(direction=Direction.OUTBOUND, to_lower=address.lower())
        .exclude(client=None)
        .select_related("client", "practice")
        .order_by("-id")
    )
    if practice is not None:
        last_out = last_out.filter(practice=practice)
    recent = last_out.first()
    if recent is not None and recent.client is not None:
        return recent.practice, recent.client, recent
    found = list(clients[:2])
    if len(found) == 1:
        return found[0].practice, found[0], None
    if practice is None and Practice.objects.count() == 1:
        practice = Practice.objects.first()
    return practice, None, None


def receive_inbound(
    *,
    channel: str,
    from_address: str,
    to_address: str = "",
    subject: str = "",
    text: str,
    html: str = "",
    provider_id: str = "",
    reply_token: str = "",
    practice: Practice | None = None,
    kind: str = MessageKind.REPLY,
    raw_mime: bytes = b"",
    attachments: Sequence[IncomingFile] = (),
    details: dict[str, object] | None = None,
    route_later: bool = False,
) -> Message | None:
    """Store one inbound message and route it.

    ``route_later`` (a provider's webhook, which must answer at once even in a burst): store
    it as *arrived* and leave triage and routing to the worker (``route_arrived``), which
    takes arrived messages before anything else it does. Until then the inbox shows it as
    "not yet read by Aftercare".

    None when no practice could be told: the message is then kept as an ``UnroutedInbound``
    for the operator to assign (``aftercare inbound``), never dropped. An auto-reply or a
    bounce (``kind``) is kept on the client's thread but not routed: not triaged, nothing sent
    back (two robots answering each other would loop), and it is not the client answering, so
    it is stored as needing no reading and holds back no check-in.
    """
    # No NUL characters and no lone surrogates anywhere (PostgreSQL's text columns and queries
    # refuse them; a broken mailer writes NULs, a mis-declared charset such as UTF-7 decodes
    # to surrogates).
    from_address, to_address, subject = map(storable, (from_address, to_address, subject))
    text, html, provider_id, reply_token = map(storable, (text, html, provider_id, reply_token))
    if channel == "email":
        # A sender written with its display name ("Mara Eval <mara@…>") is still the client.
        from_address = email_address(from_address) or from_address
    if provider_id:
        existing = Message.objects.filter(
            provider_id=provider_id[:100], direction=Direction.INBOUND
        ).first()
        if existing is not None:
            return existing  # the provider retried its webhook
    if practice is None and channel in {"sms", "whatsapp"}:
        practice = practice_for_number(to_address)
    found_practice, client, original = find_client(
        practice=practice, channel=channel, address=from_address, reply_token=reply_token
    )
    # What is stored of it either way, cut to the columns' lengths.
    fields = {
        "channel": channel,
        "from_address": from_address[:254],
        "to_address": to_address[:254],
        "subject": subject[:300],
        "text_body": text,
        "html_body": html,
        "provider_id": provider_id[:100],
    }
    if found_practice is None:
        profile = (details or {}).get("profile_name")
        if profile and not fields["subject"]:
            fields["subject"] = f"WhatsApp profile name: {profile}"[:300]
        keep_unrouted(fields)
        return None
    try:
        return _store_and_route(
            found_practice,
            client,
            original,
            fields,
            kind,
            raw_mime,
            attachments,
            details,
            route_later=route_later,
        )
    except IntegrityError:
        # The same message stored meanwhile by a retry of the webhook racing this one.
        existing = Message.objects.filter(
            provider_id=fields["provider_id"], direction=Direction.INBOUND
        ).first()
        if existing is None or not fields["provider_id"]:
            raise
        return existing


def _store_and_route(
    found_practice: Practice,
    client: Client | None,
    original: Message | None,
    fields: dict[str, str],
    kind: str,
    raw_mime: bytes,
    attachments: Sequence[IncomingFile],
    details: dict[str, object] | None,
    *,
    route_later: bool,
) -> Message:
    by_machine = kind in (MessageKind.AUTO_REPLY, MessageKind.BOUNCE)
    # A bounce is not routed, but what it says of the address is recorded by the worker too
    # (``apply_bounce``); an auto-reply needs nothing done.
    later = route_later and kind != MessageKind.AUTO_REPLY
    with transaction.atomic():
        message = Message.objects.create(
            practice=found_practice,
            client=client,
            direction=Direction.INBOUND,
            **fields,
            kind=kind,
            raw_mime=raw_mime,
            status=MessageStatus.ARRIVED if later else MessageStatus.RECEIVED,
            automated=by_machine,
            in_reply_to=original,
            created_at=clock.now(),
            acknowledged_at=clock.now() if by_machine else None,
            context={
                key: storable(value) if isinstance(value, str) else value
                for key, value in (details or {}).items()
            },
        )
        keep_attachments(message, attachments)
        if fields["channel"] == "whatsapp" and client is not None and client.whatsapp_unusable:
            # They wrote on WhatsApp: it reaches them again, and the 24-hour window is open.
            Client.objects.filter(pk=client.pk).update(whatsapp_unusable=False)
            client.whatsapp_unusable = False
        if not later:
            if kind == MessageKind.BOUNCE:
                apply_bounce(message)
            elif not by_machine:
                route_inbound(message)
    return message


def apply_bounce(message: Message) -> Message | None:
    """What a bounce says of the outbound message it returns (``in_reply_to``).

    A permanent failure (``context["bounce"]``, read from the report by ``smtp.deliver_bounce``)
    fails that message and marks the address unusable, so the care queue asks a person to
    call; a delay changes nothing. Returns the failed message, if one was.
    """
    bounce = message.context.get("bounce") or {}
    original = message.in_reply_to
    if original is None or not bounce.get("permanent"):
        return None
    statuses = str(bounce.get("statuses") or "")
    record_delivery_failure(
        original,
        reason=f"Could not reach {original.to_address}: the mail server returned it"
        + (f" ({statuses})" if statuses else ""),
    )
    return original


def route_arrived(limit: int = 20) -> int:
    """Triage and route messages stored by ``receive_inbound(route_later=True)``, oldest first.

    Each is taken with a conditional UPDATE (arrived → received), so of several workers only
    one routes it; each in its own transaction, so one that fails (logged) leaves the others
    routed, and itself received and unread in the inbox for a person, never invisible.
    """
    arrived = list(
        Message.objects.filter(status=MessageStatus.ARRIVED, direction=Direction.INBOUND)
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in arrived:
        try:
            with transaction.atomic():
                taken = Message.objects.filter(pk=pk, status=MessageStatus.ARRIVED).update(
                    status=MessageStatus.RECEIVED
                )
                if taken:
                    message = Message.objects.select_related(
                        "client__practice", "client__primary_practitioner", "practice"
                    ).get(pk=pk)
                    if message.kind == MessageKind.BOUNCE:
                        apply_bounce(message)
                    else:
                        route_inbound(message)
        except Exception:
            log.exception("inbound message %s could not be routed; left unread for a person", pk)
            Message.objects.filter(pk=pk, status=MessageStatus.ARRIVED).update(
                status=MessageStatus.RECEIVED
            )
    return len(arrived)


def keep_attachments(message: Message, files: Sequence[IncomingFile]) -> list[MessageAttachment]:
    """Check each file and keep it with the message; a refused one is listed with why."""
    kept = []
    for incoming in files:
        checked = check_attachment(
            incoming.name, incoming.content_type, incoming.data, incoming.unreachable
        )
        attachment = MessageAttachment(
            practice=message.practice,
            message=message,
            name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            refused=checked.refused,
            created_at=clock.now(),
        )
        if not checked.refused:
            attachment.file.save(checked.name, ContentFile(incoming.data), save=False)
        else:
            log.warning(
                "message %s: attachment %r refused: %s", message.pk, checked.name, checked.refused
            )
        attachment.save()
        kept.append(attachment)
    return kept


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(value: str) -> str:
    """``value`` with NULs and lone surrogates (which no database stores) as U+FFFD."""
    return LONE_SURROGATE.sub("\ufffd", value.replace("\x00", "\ufffd"))


def keep_unrouted(fields: dict[str, str]) -> UnroutedInbound:
    """Keep an inbound message no practice could claim (once per provider id)."""
    if fields["provider_id"]:
        existing = UnroutedInbound.objects.filter(provider_id=fields["provider_id"]).first()
        if existing is not None:
            return existing  # the provider retried its webhook
    kept = UnroutedInbound.objects.create(**fields, received_at=clock.now())
    log.warning(
        "inbound %s from %s matches no practice; kept as unrouted #%s "
        "(aftercare inbound assign %s --practice ID)",
        kept.channel,
        kept.from_address,
        kept.pk,
        kept.pk,
    )
    return kept


def assign_unrouted(unrouted: UnroutedInbound, practice: Practice) -> Message:
    """Hand a kept message to ``practice``: matched, triaged and routed as if it came today."""
    with transaction.atomic():
        locked = UnroutedInbound.objects.select_for_update().get(pk=unrouted.pk)
        if locked.assigned_message_id is not None:
            raise ValueError(f"unrouted #{locked.pk} was already assigned")
        message = receive_inbound(
            channel=locked.channel,
            from_address=locked.from_address,
            to_address=locked.to_address,
            subject=locked.subject,
            text=locked.text_body,
            html=locked.html_body,
            provider_id=locked.provider_id,
            practice=practice,
        )
        if message is None:  # pragma: no cover - a practice is given, so one is always found
            raise ValueError(f"unrouted #{locked.pk} could not be stored for {practice}")
        locked.assigned_message = message
        locked.assigned_at = clock.now()
        locked.save(update_fields=["assigned_message", "assigned_at"])
    return message


def record_triage(message: Message, result: Triage) -> Triage:
    message.triage_level = result.level
    message.triage_reasons = list(result.reasons)
    message.save(update_fields=["triage_level", "triage_reasons"])
    return result


def classify_message(message: Message, *, text: str | None = None, **answers: object) -> Triage:
    languages = ["en"]
    if message.client is not None and message.client.language:
        languages.insert(0, message.client.language)
    if message.practice.language not in languages:
        languages.append(message.practice.language)
    body = message.text_body if text is None else text
    result = triage(body, languages=languages, **answers)  # type: ignore[arg-type]
    return record_triage(message, with_attachments(message, result))


def with_attachments(message: Message, result: Triage) -> Triage:
    """What words cannot say: a photo, a voice note or a file is for a person to look at."""
    sent = message.attachment_summary
    if not sent:
        return result
    level = result.level if result.level in FLAGGED_LEVELS else TriageLevel.ATTENTION
    return Triage(str(level), (*result.reasons, f"{sent}: for a person to look at"))


def route_inbound(
    message: Message,
    *,
    text: str | None = None,
    decided: Triage | None = None,
    **answers: object,
) -> Triage | None:
    """Decide what happens to an inbound message (the steps in the module docstring).

    ``decided`` is a triage result worked out elsewhere, used instead of reading the words:
    a questionnaire's answers (PHQ-9 question 9 above 0 is a crisis) take the same path from
    there on as a reply whose words triage marks so.
    """
    client = message.client
    if client is not None and message.channel in {"sms", "whatsapp"}:
        action = keyword_action(message.text_body)
        how = f"{message.channel.upper()} {message.text_body.strip().upper()[:20]}"
        if action == "stop":
            client_opt_out(client=client, how=how)
            message.triage_level = "routine"
            message.save(update_fields=["triage_level"])
            return None
        if action == "start" and client.opted_out_at is not None:
            client_opt_in(client=client, how=how)
            return None
        if action == "help":
            answer_help(message)
            message.triage_level = "routine"
            message.save(update_fields=["triage_level"])
            return None
    if decided is not None:
        result = record_triage(message, decided)
    else:
        result = classify_message(message, text=text, **answers)
    if client is not None:
        client_changed(client)  # unread now: automated questions wait (messaging/waiting.py)
    for policy in list(_policies):
        if policy(message, result):
            return result
    if client is None:
        return result  # unmatched: waits in the unmatched inbox for a person
    if result.level == "crisis":
        answer_crisis(message)
    else:
        acknowledge_receipt(message)
    return result


def acknowledge_receipt(message: Message) -> Message | None:
    """One honest acknowledgement a day per client, by the channel they wrote on."""
    client = message.client
    if client is None or client.opted_out_at is not None or message.channel == "portal":
        return None
    since = clock.now() - dt.timedelta(hours=24)
    if Message.objects.filter(
        client=client, template_key="reply_acknowledgement", created_at__gte=since
    ).exists():
        return None
    return message_queue(
        client=client,
        template_key="reply_acknowledgement",
        channel=message.channel,
        in_reply_to=message,
    )


def answer_help(message: Message) -> Message | None:
    """HELP or INFO: the practice's contact and how to stop, on the channel they wrote on.

    Sent even to a client who opted out (it answers what they just asked, as carriers require
    of every number that texts people), so it is not an automated message.
    """
    if message.client is None:
        return None
    return message_queue(
        client=message.client,
        template_key="sms_help",
        channel=message.channel,
        automated=False,
        in_reply_to=message,
    )


def answer_crisis(message: Message) -> None:
    """Emergency numbers to the client at once; the practitioner told on their own channel."""
    client = message.client
    if client is None:
        return
    if message.channel != "portal":  # the portal shows the numbers on the page itself
        message_queue(
            client=client,
            template_key="crisis_support",
            channel=message.channel,
            in_reply_to=message,
        )
    notify_practitioner(message)


def client_path(client: Client | None) -> str:
    if client is None:
        return "/"
    try:
        return reverse("clients-detail", args=[client.pk])
    except NoReverseMatch:  # the client pages are not installed
        return "/"


def notify_practitioner(message: Message, *, practitioner: User | None = None) -> list[Message]:
    """Tell the client's practitioner (or ``practitioner``, or the practice) at once, on their
    own channels.

    An email to themself, and an SMS to their own number when they have one and SMS is set
    up. Both go through the outbox like everything else (client=None marks staff mail), so the
    worker's next pass sends them and a failure is retried, never lost. The text names no
    health details: it says who wrote and how urgent it is, and links to the client.
    """

    client = message.client
    practice = message.practice
    if practitioner is None and client is not None:
        practitioner = client.primary_practitioner
    name = client.full_name if client else message.from_address
    link = f"{settings.BASE_URL}{client_path(client)}"
    common = {
        "practice": practice,
        "client": None,
        "direction": Direction.OUTBOUND,
        "template_key": "staff_alert",
        "automated": False,
        "in_reply_to": message,
        "context": {"staff_alert": True},
        "subject": f"Aftercare: {message.triage_level} from {name} — please look now",
    }
    alerts = []
    email_to = practitioner.email if practitioner else practice.email
    if email_to:
        alerts.append(
            Message.objects.create(
                channel="email",
                from_address=settings.DEFAULT_FROM_EMAIL,
                to_address=email_to,
                text_body=(
                    f"{name} wrote something that triage marks as {message.triage_level}.\n\n"
                    f"Reasons: {', '.join(message.triage_reasons) or '—'}\n\n"
                    f"Open the client in Aftercare: {link}\n"
                ),
                **common,
            )
        )
    phone = practitioner.phone if practitioner else practice.phone
    # A landline (the practice's desk phone, often) cannot receive the text.
    if phone and can_receive_texts(phone) and sms_live(practice):
        alerts.append(
            Message.objects.create(
                channel="sms",
                from_address=sms_sender(practice),
                to_address=phone,
                text_body=f"Aftercare: {message.triage_level} message from {name}. Please look now: {link}",
                **common,
            )
        )
    if not alerts:
        log.error("message %s: no practitioner address to notify", message.pk)
    return alerts
