"""Writes for messaging: queue an outbound message, record an answer, opt out, acknowledge.

No view or service sends anything: they queue Messages, and only the worker hands them to a
transport (``aftercare.messaging.worker``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from aftercare import clock, locales, statements
from aftercare.clients.events import client_changed
from aftercare.clients.models import Client, ConsentEvent, Purpose
from aftercare.links import portal_url
from aftercare.messaging import templating
from aftercare.messaging.availability import when_read_sentence
from aftercare.messaging.models import (
    CheckIn,
    Direction,
    Message,
    MessageStatus,
    MessageTemplate,
    MessagingSettings,
)
from aftercare.messaging.transports import sms_sender
from aftercare.phones import can_receive_texts
from aftercare.practice.access import Actor
from aftercare.practice.audit import record_audit
from aftercare.practice.models import Practice, User

MESSAGE_CHANNELS = ("email", "sms", "whatsapp")


def messaging_settings_for(practice: Practice) -> MessagingSettings:
    """The practice's messaging settings, made with the defaults the first time (read through
    a statement: the conversation and other pages ask on every visit)."""
    found = statements.objects(
        "messaging: a practice's settings",
        lambda practice: MessagingSettings.objects.filter(practice_id=practice).order_by("pk")[:1],
        model=MessagingSettings,
        known={"practice": practice},
        practice=practice.pk,
    )
    if found:
        return found[0]
    made, _ = MessagingSettings.objects.get_or_create(practice=practice)
    return made


def usable_address(client: Client, channel: str) -> str:
    if channel == "email":
        return "" if client.email_unusable else client.email
    if channel == "whatsapp" and client.whatsapp_unusable:
        return ""
    if channel in {"sms", "whatsapp"}:
        # A landline is a number to call, never one to text.
        usable = not client.phone_unusable and can_receive_texts(client.phone)
        return client.phone if usable else ""
    return ""


def mark_address_unusable(message: Message) -> bool:
    """After a permanent delivery failure: the address it went to is marked unusable.

    Only while the client still has that address (a number corrected since stays usable).
    The client is then re-planned (``client_changed``), so planned messages move to a channel
    that still reaches them, or say that none does. Returns whether the client changed.
    """
    if message.client_id is None:
        return False
    if message.channel == "email":
        field, address_field = "email_unusable", "email"
    elif message.channel == "whatsapp":
        # WhatsApp failing says nothing of SMS to the same number: only WhatsApp is set aside.
        field, address_field = "whatsapp_unusable", "phone"
    else:
        field, address_field = "phone_unusable", "phone"
    clients = Client.objects.filter(pk=message.client_id, **{address_field: message.to_address})
    if not clients.exclude(**{field: True}).update(**{field: True}):
        return False
    client_changed(clients.get())
    return True


@transaction.atomic
def record_delivery_failure(message: Message, *, reason: str) -> bool:
    """A message the provider gave back after taking it (a bounce, a late failure report).

    It counts as a refusal at send time would: the message is failed with the reason (the
    care queue asks a person to call), and the address it went to is marked unusable, so the
    client is re-planned on a channel that still reaches them. Returns whether it changed.
    """
    changed = (
        Message.objects.filter(pk=message.pk, direction=Direction.OUTBOUND)
        .exclude(status=MessageStatus.FAILED)
        .update(status=MessageStatus.FAILED, status_reason=reason[:300])
    )
    if changed:
        message.status, message.status_reason = MessageStatus.FAILED, reason[:300]
        mark_address_unusable(message)
    return bool(changed)


def choose_channel(client: Client, wanted: str = "") -> str | None:
    """The wanted (or preferred) channel if it has a usable address, else another that has one."""
    first = wanted or client.preferred_channel
    order = [first] + [c for c in MESSAGE_CHANNELS if c != first and c != "whatsapp"]
    for channel in order:
        if channel in MESSAGE_CHANNELS and usable_address(client, channel):
            return channel
    return None


def template_source(practice: Practice, key: str, language: str) -> dict[str, str]:
    """The practice's own template for ``key`` in ``language``, else the default."""
    own = (
        MessageTemplate.objects.filter(practice=practice, key=key, language__in=[language, "en"])
        .order_by("-language")  # a language other than en sorts before en only by luck: pick exact
        .all()
    )
    chosen = None
    for row in own:
        if row.language == language or chosen is None:
            chosen = row
    default = templating.default_template(key, language)
    if chosen is not None:
        return {
            "subject": chosen.subject,
            "text": chosen.text,
            "html": chosen.html,
            "sms": chosen.sms or (default.sms if default else chosen.text),
        }
    if default is None:
        raise ValueError(f"template_key: no template called {key!r}")
    return {"subject": default.subject, "text": default.text, "html": "", "sms": default.sms}


def render_context(
    client: Client,
    *,
    check_in: CheckIn | None = None,
    details: dict[str, Any] | None = None,
    needs_when_read: bool = False,
    message_url: str = "",
) -> dict[str, Any]:
    """The documented, safe template context (plain strings; no private notes)."""

    practice = client.practice
    practitioner = client.primary_practitioner
    preferences = portal_url("preferences", client.pk)
    return {
        "name": client.name_to_use,
        "full_name": client.full_name,
        "practitioner": practitioner.display_name if practitioner else practice.name,
        "practice": practice.name,
        "practice_phone": practice.phone,
        "practice_email": practice.email,
        "practice_colour": practice.colour,
        "emergency_numbers": practice.emergency_numbers or "your local emergency number",
        "checkin_url": portal_url("check_in", check_in.pk) if check_in else preferences,
        "preferences_url": preferences,
        "unsubscribe_url": portal_url("unsubscribe", client.pk),
        "portal_url": preferences,
        "when_read": when_read_sentence(client, clock.now()) if needs_when_read else "",
        "message_url": message_url,
        "details": {
            key: value
            for key, value in (details or {}).items()
            if isinstance(value, str | int | float | bool)
        },
    }


def render_into(message: Message, *, client: Client, check_in: CheckIn | None) -> None:
    """Fill subject and bodies of ``message`` (saved: it needs its id) from its template(s),
    in the locale of the client's practice, whoever renders it (a request of another
    practice's page, the worker, the tick): see ``_render_into``."""
    with locales.using(locales.practice_locale(client.practice)):
        _render_into(message, client=client, check_in=check_in)


def _render_into(message: Message, *, client: Client, check_in: CheckIn | None) -> None:
    """Fill subject and bodies of ``message`` from its template(s).

    1. Email: the subject, the text and the HTML part.
    2. SMS/WhatsApp in a practice that keeps them link-only (the default), when a part's
       template is private: the message itself (the text an email would carry) goes to
       ``portal_text``, and the text sent only says there is a message, with a signed link to
       it (``message_link``; plus the emergency numbers for an ``urgent_help`` template).
       Automated or written by a person alike: a personal reply is as private as a check-in.
    3. Other SMS/WhatsApp: the template's short ``sms`` text.

    A bundle (care planner step 6e, ``details["bundle"]``): each part rendered alone, then one
    text; the lines all parts end with (the practice's footer, the preferences link) are said
    once, at the end.
    """
    parts = [
        (message.template_key, message.context),
        *((part["template_key"], part["details"]) for part in message.context.get("bundle") or []),
    ]
    keys = [key for key, _ in parts]
    practice = client.practice
    link_only = (
        message.channel != "email"
        and messaging_settings_for(practice).sms_link_only
        and any(templating.is_private(key) for key in keys)
    )
    form = "email" if message.channel == "email" else "text" if link_only else "sms"
    rendered = [
        _render_part(client, check_in=check_in, template_key=key, details=details, form=form)
        for key, details in parts
    ]
    message.subject = rendered[0].subject
    text = rendered[0].text if len(rendered) == 1 else join_texts([r.text for r in rendered])
    message.html_body, message.portal_text = "", ""
    if form == "email":
        message.text_body = text
        message.html_body = (
            rendered[0].html
            if len(rendered) == 1
            else templating.text_to_html(text, practice=practice.name, colour=practice.colour)
        )
    elif form == "text":
        message.portal_text = text.strip()
        notice = template_source(practice, "message_link", _language(client))
        notice_context = {
            **render_context(client, message_url=portal_url("message", message.pk)),
            # The notice sees none of the message's details: only whether to give the numbers.
            "details": {"urgent_help": any(templating.needs_urgent_help(key) for key in keys)},
        }
        message.text_body = templating.render_string(notice["sms"], notice_context).strip()
    else:
        message.text_body = text.strip()


def join_texts(texts: list[str]) -> str:
    """Several messages as one: the closing lines they share, only after the last one."""
    split = [text.rstrip("\n").split("\n") for text in texts]
    shared = 0
    while (
        all(len(lines) > shared + 1 for lines in split)
        and len({lines[-1 - shared] for lines in split}) == 1
    ):
        shared += 1
    bodies = ["\n".join(lines[: len(lines) - shared]).rstrip() for lines in split]
    closing = "\n".join(split[0][len(split[0]) - shared :]) if shared else ""
    joined = "\n\n* * *\n\n".join(bodies)
    return f"{joined}\n{closing}\n" if closing else f"{joined}\n"


def _language(client: Client) -> str:
    return client.language or client.practice.language or "en"


def _render_part(
    client: Client,
    *,
    check_in: CheckIn | None,
    template_key: str,
    details: dict[str, Any],
    form: str,
) -> templating.RenderedMessage:
    """One template rendered as an email (``form="email"``), its full ``text`` or its ``sms``."""
    source = template_source(client.practice, template_key, _language(client))
    needs_when_read = any("when_read" in part for part in source.values())
    context = render_context(
        client, check_in=check_in, details=details, needs_when_read=needs_when_read
    )
    if form == "email":
        return templating.render(
            subject=source["subject"], text=source["text"], html=source["html"], context=context
        )
    return templating.RenderedMessage(
        subject=" ".join(templating.render_string(source["subject"], context).split())[:300],
        text=templating.render_string(source[form], context).strip() + "\n",
        html="",
    )


def sender_address(channel: str, practice: Practice) -> str:
    """Who a practice's message on ``channel`` is from (SMS: ``transports.sms_sender``)."""
    if channel == "email":
        return settings.DEFAULT_FROM_EMAIL
    if channel == "whatsapp":
        return settings.TWILIO_WHATSAPP_FROM
    return sms_sender(practice)


MAX_PERSONAL_BODY = 5000


@transaction.atomic
def message_queue(
    *,
    client: Client,
    template_key: str,
    purpose: str = "care",
    channel: str = "",
    touchpoint: Any = None,
    automated: bool = True,
    details: dict[str, Any] | None = None,
    sent_by: User | None = None,
    in_reply_to: Message | None = None,
    send_at: dt.datetime | None = None,
    also: list[dict[str, Any]] | None = None,
) -> Message:
    """Queue one outbound message for ``client``, rendered now from its template.

    ``also`` bundles more parts into the same message (``{"template_key", "details",
    "touchpoint_id"}`` each, the care planner's bundles): one email, one check-in link if any
    part asks for one. Without a usable address the message is stored as failed with the
    reason, so the care queue shows "could not reach" instead of the message vanishing.
    """
    now = clock.now()
    chosen = choose_channel(client, channel)
    message = Message(
        practice=client.practice,
        client=client,
        direction=Direction.OUTBOUND,
        channel=chosen or channel or client.preferred_channel or "email",
        template_key=template_key,
        purpose=purpose,
        touchpoint=touchpoint,
        automated=automated,
        context={**(details or {}), **({"bundle": list(also)} if also else {})},
        sent_by=sent_by,
        in_reply_to=in_reply_to,
        next_attempt_at=send_at or now,
        created_at=now,
    )
    if message.channel not in MESSAGE_CHANNELS:
        message.channel = "email"
    if chosen is None:
        message.status = MessageStatus.FAILED
        message.status_reason = (
            f"No usable email address or mobile number for {client.full_name}"
            if client.preferred_channel in MESSAGE_CHANNELS
            else f"{client.full_name} prefers {client.get_preferred_channel_display().lower()}"
        )
        message.subject = (
            templating.default_template(template_key).label
            if templating.default_template(template_key)
            else template_key
        )
        message.save()
        return message
    message.to_address = usable_address(client, chosen)
    message.from_address = sender_address(chosen, client.practice)
    message.save()
    check_in = None
    if any(_asks_check_in(client, key) for key in [template_key, *_part_keys(also)]):
        check_in = CheckIn.objects.create(practice=client.practice, client=client, message=message)
    render_into(message, client=client, check_in=check_in)
    message.save(update_fields=["subject", "text_body", "html_body", "portal_text"])
    return message


def _asks_check_in(client: Client, key: str) -> bool:
    """Whether a message from template ``key`` carries a check-in link (and needs a CheckIn).

    A built-in says so itself; a practice's own template (one written or copied on the templates
    page) asks when its wording uses ``checkin_url``.
    """
    if templating.default_template(key) is not None:
        return templating.asks_check_in(key)
    try:
        source = template_source(client.practice, key, _language(client))
    except ValueError:
        return False
    return any("checkin_url" in part for part in source.values())


def _part_keys(also: list[dict[str, Any]] | None) -> list[str]:
    return [part["template_key"] for part in also or ()]


@transaction.atomic
def message_reply(
    *, actor: Actor, client: Client, body: str, subject: str = "", channel: str = ""
) -> Message:
    """A practitioner's personal message to a client (through the outbox).

    ``channel``: one the client has a usable address for; empty, the channel the client last
    wrote on (else their preferred one).
    """
    body = body.strip()
    if not body:
        raise ValueError("body: write something to send")
    if len(body) > MAX_PERSONAL_BODY:
        raise ValueError(f"body: keep it under {MAX_PERSONAL_BODY} characters")
    if channel and (channel not in MESSAGE_CHANNELS or not usable_address(client, channel)):
        raise ValueError(f"channel: {client.full_name} cannot be reached by {channel}")
    last_inbound = (
        Message.objects.filter(client=client, direction=Direction.INBOUND).order_by("-id").first()
    )
    if not channel:
        channel = last_inbound.channel if last_inbound and last_inbound.channel != "portal" else ""
    # Answering the client reads everything they wrote before: nothing of theirs waits now.
    read = Message.objects.filter(
        client=client, direction=Direction.INBOUND, acknowledged_at__isnull=True
    ).update(acknowledged_at=clock.now(), acknowledged_by=actor.user)
    if read:
        client_changed(client)
    message = message_queue(
        client=client,
        template_key="personal",
        channel=channel,
        automated=False,
        details={
            "subject": subject.strip() or f"A message from {actor.practice.name}",
            "body": body,
        },
        sent_by=actor.user,
        in_reply_to=last_inbound,
    )
    record_audit(actor, "create", message, summary=f"Wrote to {client.full_name}")
    return message


def _record_opt_out_consent(client: Client, *, granted: bool, how: str) -> None:
    ConsentEvent.objects.bulk_create(
        ConsentEvent(client=client, purpose=purpose, granted=granted, how=how)
        for purpose in Purpose.values
        if client.has_consent(purpose)
    )


@transaction.atomic
def client_opt_out(*, client: Client, how: str) -> bool:
    """Stop every automated message to ``client``; True when this changed anything."""
    now = clock.now()
    changed = Client.objects.filter(pk=client.pk, opted_out_at__isnull=True).update(
        opted_out_at=now, updated_at=now
    )
    if not changed:
        return False
    client.opted_out_at = now
    _record_opt_out_consent(client, granted=False, how=how)
    # Nothing automated that is already queued may go out after this moment.
    Message.objects.filter(
        client=client, automated=True, status=MessageStatus.QUEUED, direction=Direction.OUTBOUND
    ).update(status=MessageStatus.CANCELLED, status_reason=f"Client unsubscribed ({how})")
    client_changed(client)
    return True


@transaction.atomic
def client_opt_in(*, client: Client, how: str) -> bool:
    changed = Client.objects.filter(pk=client.pk, opted_out_at__isnull=False).update(
        opted_out_at=None, updated_at=clock.now()
    )
    if not changed:
        return False
    client.opted_out_at = None
    _record_opt_out_consent(client, granted=True, how=how)
    client_changed(client)
    return True


@transaction.atomic
def client_set_preferences(
    *,
    client: Client,
    preferred_channel: str,
    consents: dict[str, bool],
    paused_until: dt.date | None,
    how: str = "portal",
) -> None:
    """The client's own choices from the portal preferences page."""
    today = clock.today(client.tz)
    if paused_until is not None and paused_until < today:
        raise ValueError("paused_until: choose a day from today on")
    if preferred_channel not in MESSAGE_CHANNELS:
        raise ValueError("preferred_channel: choose email, SMS or WhatsApp")
    if not usable_address(client, preferred_channel):
        raise ValueError(
            f"preferred_channel: we have no usable {'email address' if preferred_channel == 'email' else 'mobile number'} for you"
        )
    events = []
    for purpose, granted in consents.items():
        if purpose not in Purpose.values:
            continue
        if client.has_consent(purpose) != granted:
            setattr(client, f"consent_{purpose}", granted)
            events.append(ConsentEvent(client=client, purpose=purpose, granted=granted, how=how))
    client.preferred_channel = preferred_channel
    client.paused_until = paused_until
    client.updated_at = clock.now()
    client.save(
        update_fields=[
            "preferred_channel",
            "paused_until",
            "updated_at",
            *(f"consent_{p}" for p in Purpose.values),
        ]
    )
    ConsentEvent.objects.bulk_create(events)
    client_changed(client)


@transaction.atomic
def message_acknowledge(*, actor: Actor, message: Message) -> None:
    """A person has read a reply or a failed message: it leaves the care queue.

    A client's reply read, their automated questions may go again (``messaging/waiting.py``):
    the client is re-planned.
    """
    now = clock.now()
    updated = Message.objects.filter(pk=message.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=actor.user
    )
    if updated:
        message.acknowledged_at, message.acknowledged_by = now, actor.user
        record_audit(actor, "change", message, summary="Read and acknowledged")
        if message.client_id is not None and message.direction == Direction.INBOUND:
            client_changed(message.client)


@transaction.atomic
def message_mark_unread(*, actor: Actor, message: Message) -> None:
    """A person wants to come back to a reply: it waits again, in the inbox and the queue."""
    updated = Message.objects.filter(
        pk=message.pk, direction=Direction.INBOUND, acknowledged_at__isnull=False
    ).update(acknowledged_at=None, acknowledged_by=None)
    if updated:
        message.acknowledged_at, message.acknowledged_by = None, None
        record_audit(actor, "change", message, summary="Marked unread")
        if message.client_id is not None:
            client_changed(message.client)


class TemplateProblems(ValueError):
    """A template a person wrote that cannot be saved, with every problem in words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


TEMPLATE_PARTS = (("subject", "Subject"), ("text", "Text"), ("html", "HTML"), ("sms", "SMS"))


def template_check(source: dict[str, str], *, name: str | None = None) -> list[str]:
    """Every problem of a template's parts (and name, for a practice's own), in words."""
    problems = []
    if name is not None and not name.strip():
        problems.append("Name: give the template a name you will know it by")
    for part, label in TEMPLATE_PARTS:
        value = source.get(part, "")
        if part in {"subject", "text"} and not value.strip():
            problems.append(f"{label}: cannot be empty")
            continue
        problems.extend(templating.template_problems(value, part=label))
    return problems


def _new_template_key(practice: Practice, name: str) -> str:
    """A key for a practice's own template, from its name: unused by the built-ins and the
    practice's own templates, and one a care rule accepts (``[a-z][a-z0-9_]*``, 40 at most)."""
    base = slugify(name).replace("-", "_")[:30].strip("_") or "template"
    if not base[0].isalpha():
        base = f"t_{base}"[:30]
    taken = set(templating.template_keys()) | set(
        MessageTemplate.objects.filter(practice=practice, key__startswith=base).values_list(
            "key", flat=True
        )
    )
    key, number = base, 1
    while key in taken:
        number += 1
        key = f"{base}_{number}"
    return key


@transaction.atomic
def message_template_save(
    *,
    actor: Actor,
    source: dict[str, str],
    language: str,
    key: str = "",
    name: str | None = None,
) -> MessageTemplate:
    """Save a practice's wording of a template: a built-in's (``key``) or its own (``name``).

    Without ``key`` a new template of the practice's own is made, its key taken from its name.
    Checked first (raises TemplateProblems, nothing written), then written and audited.
    """
    problems = template_check(source, name=name)
    if problems:
        raise TemplateProblems(problems)
    practice = actor.practice
    fields = {part: source.get(part, "") for part, _ in TEMPLATE_PARTS}
    if name is not None:
        fields["name"] = name.strip()[:120]
    row, created = MessageTemplate.objects.update_or_create(
        practice=practice,
        key=key or _new_template_key(practice, name or ""),
        language=language,
        defaults={**fields, "updated_at": clock.now()},
    )
    record_audit(
        actor,
        "create" if created else "change",
        row,
        summary=f"Template {row.name or row.key} ({language})",
    )
    return row
