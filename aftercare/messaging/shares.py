"""A resource shared by hand reaches the client, like one shared by a care rule.

Registered into resources' ``on_shared_by_hand`` (resources sits below messaging and cannot send).
When a person shares a resource from the client page:

1. Check the client can be reached for *information* now: not archived, not unsubscribed,
   consent for information messages, a usable address. If not, nothing is queued and the person
   is told why in words they can act on (the share itself is recorded all the same).
2. Ask the send checks every message meets (``messaging.checks``) whether it may go now: one
   that cancels is reported like step 1; one that holds it (quiet hours, a pause) is said too.
3. Queue the "information" message through the outbox with the resource's title and a signed
   portal link to this share (``details.title``, ``details.url``), the same details the care
   engine's preparer gives a rule's message. The worker re-checks consent and quiet hours again
   just before sending, as for every automated message.
"""

from __future__ import annotations

from aftercare import clock
from aftercare.links import portal_url
from aftercare.locales import format_date
from aftercare.messaging.checks import recheck
from aftercare.messaging.models import Direction, Message
from aftercare.messaging.services import choose_channel, message_queue
from aftercare.practice.access import Actor
from aftercare.resources.models import ResourceShare
from aftercare.resources.services import ShareNotice

PURPOSE = "information"
CHANNEL_WORDS = {"email": "by email", "sms": "by SMS", "whatsapp": "on WhatsApp"}


def _unreachable_reason(share: ResourceShare, channel: str | None) -> str:
    client = share.client
    name = client.full_name
    if client.archived:
        return f"{name} is archived, so it was not sent."
    if client.opted_out_at is not None:
        return f"{name} has unsubscribed from our messages, so it was not sent."
    if not client.has_consent(PURPOSE):
        return (
            f"It was not sent: {name} has not agreed to receive information messages. "
            "Hand it over in person, or record their consent on this page and share it again."
        )
    if channel is None:
        return (
            f"It was not sent: we have no usable email address or mobile number for {name}. "
            "Hand it over in person, or add one and share it again."
        )
    return ""


def send_shared_resource(share: ResourceShare, actor: Actor) -> ShareNotice:
    """Queue the information message for a share made by hand; say whether it will arrive."""
    client = share.client
    channel = choose_channel(client)
    reason = _unreachable_reason(share, channel)
    if reason:
        return ShareNotice(reached=False, text=reason)
    assert channel is not None  # noqa: S101 - _unreachable_reason said so
    now = clock.now()
    # The same checks the worker makes just before sending, asked now, on the message to be.
    probe = Message(
        practice_id=client.practice_id,
        client=client,
        direction=Direction.OUTBOUND,
        channel=channel,
        template_key=PURPOSE,
        purpose=PURPOSE,
        automated=True,
        context={"resource_share_id": share.pk},
    )
    verdict = recheck(probe, now)
    if verdict is not None and verdict.action == "cancel":
        return ShareNotice(reached=False, text=f"It was not sent: {verdict.reason}.")
    message_queue(
        client=client,
        template_key=PURPOSE,
        purpose=PURPOSE,
        channel=channel,
        automated=True,
        sent_by=actor.user,
        details={
            "title": share.resource.title,
            "url": portal_url("resource", share.pk),
            "resource_share_id": share.pk,
        },
        send_at=verdict.until if verdict is not None else None,
    )
    how = CHANNEL_WORDS.get(channel, channel)
    if verdict is not None and verdict.until is not None:
        local = verdict.until.astimezone(client.tz)
        return ShareNotice(
            reached=True,
            text=f"It goes to {client.name_to_use} {how} at {format_date(local, 'H:i')} on "
            f"{format_date(local, 'l')}, "
            f"their time ({verdict.reason[:1].lower()}{verdict.reason[1:]}).",
        )
    return ShareNotice(reached=True, text=f"It is on its way to {client.name_to_use} {how}.")
