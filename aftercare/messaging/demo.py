"""Demo data for messaging: the practice's own template, a recall sent, a bounced address to call about, an unmatched reply,
an email reply with a photo, an out-of-office answer.

Called by ``aftercare demo`` (and ``aftercare up`` on an empty database) after the care engine
planned the demo clients. History is written as it would have happened, each step at its own
moment (``clock.at``), through the same services the worker uses. The check-in answers
clients gave are the portal's demo (they answer through its pages).
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from email.message import EmailMessage

from django.conf import settings

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.messaging.inbound import receive_inbound
from aftercare.messaging.models import Message, MessageStatus, MessageTemplate
from aftercare.messaging.services import message_queue
from aftercare.messaging.smtp import deliver_parsed, parse_raw
from aftercare.practice.models import Membership, Practice


def mark_sent(message: Message, at: dt.datetime) -> None:
    """Record ``message`` as sent at ``at`` by the preview outbox (history, not a real send)."""
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENT, sent_at=at, provider_id="preview"
    )


# The demo practice's own template, written on the templates page: care rules can choose it.
DEMO_TEMPLATE = {
    "key": "winter_wellbeing",
    "name": "Winter wellbeing note",
    "subject": "Keeping well this winter, {{ name }}?",
    "text": (
        "Dear {{ name }},\n\n"
        "The short days can be hard. {{ practitioner }} would like to know how you are: "
        "{{ checkin_url }}\n\n"
        "{% if practice_phone %}Or call us on {{ practice_phone }}.\n\n{% endif %}"
        "Warm regards,\n{{ practice }}"
    ),
    "sms": "Hello {{ name }}, how are you this winter? {{ checkin_url }}",
}


def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
    MessageTemplate.objects.create(practice=practice, language="en", **DEMO_TEMPLATE)
    candidates = list(
        Client.objects.filter(practice=practice, archived=False, consent_care=True)
        .exclude(email="")
        .select_related("practice", "primary_practitioner")
        .order_by("id")[:200]
    )
    if len(candidates) < 3:
        return
    steady, unreachable, unmatched_sender = rng.sample(candidates, 3)
    others = [c for c in candidates if c not in (steady, unreachable, unmatched_sender)]

    with clock.at(now - dt.timedelta(days=9)):
        card = message_queue(client=steady, template_key="recall", channel="email")
    mark_sent(card, now - dt.timedelta(days=9))

    # A recall card last week.
    # A hard bounce: the address no longer exists. The mail server's report (a DSN, as Postfix
    # writes it) comes back to the message's own bounce address and goes the inbound path, so
    # the message fails and a person is asked to call.
    with clock.at(now - dt.timedelta(days=1)):
        bounced = message_queue(client=unreachable, template_key="recall", channel="email")
    mark_sent(bounced, now - dt.timedelta(days=1))
    with clock.at(now - dt.timedelta(days=1) + dt.timedelta(minutes=2)):
        deliver_parsed(parse_raw(delivery_report(bounced)))

    # An email reply from Gmail quoting our recall, with a photo of a rash: the new text alone
    # is triaged, the photo kept and the reply flagged for a person.
    with clock.at(now - dt.timedelta(hours=20)):
        deliver_parsed(parse_raw(reply_with_photo(card, steady)))

    # An out-of-office answer: kept on the thread, not triaged, not answered.
    if others:
        away = others[0]
        with clock.at(now - dt.timedelta(days=2)):
            asked = message_queue(client=away, template_key="recall", channel="email")
        mark_sent(asked, now - dt.timedelta(days=2))
        with clock.at(now - dt.timedelta(days=2) + dt.timedelta(minutes=1)):
            deliver_parsed(parse_raw(out_of_office(asked, away)))

    # A text from a number nobody knows: waits in the unmatched inbox to be assigned.
    with clock.at(now - dt.timedelta(hours=5)):
        receive_inbound(
            channel="sms",
            from_address="+447700900777",
            to_address=practice.sms_number,
            text=f"Hi, it's {unmatched_sender.given_name}, new phone. Can I move Thursday's appointment?",
            practice=practice,
        )

    # Replies waiting on the owner's Today: a crisis text (triaged by the real word lists, so
    # the owner sees it first with a call link), a side effect, and a thank-you.
    owner = (
        Membership.objects.filter(practice=practice, role="owner")
        .values_list("user_id", flat=True)
        .first()
    )
    owners_clients = [
        c
        for c in candidates
        if c.primary_practitioner_id == owner
        and c.phone
        and c.pk not in {steady.pk, unreachable.pk, unmatched_sender.pk}
    ]
    replies = [
        (
            now - dt.timedelta(minutes=40),
            "I can't cope anymore. Some nights I just want to end it all.",
        ),
        (now - dt.timedelta(hours=3), "Since the new tablets I've had a rash and feel dizzy."),
        (now - dt.timedelta(hours=20), "Thank you, the breathing exercises really help."),
    ]
    for client, (at, text) in zip(owners_clients, replies, strict=False):
        with clock.at(at):
            receive_inbound(
                channel="sms",
                from_address=client.phone,
                to_address=practice.sms_number,
                text=text,
                practice=practice,
            )


def reply_address(message: Message, kind: str = "reply") -> str:
    return f"{kind}+{message.reply_token}@{settings.REPLY_DOMAIN or 'reply.aftercare.invalid'}"


# A real (1×1 pixel) JPEG: what a phone attaches is bigger, not different.
DEMO_PHOTO = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////"
    "////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA="
)


def reply_with_photo(sent: Message, client: Client) -> bytes:
    """A reply as Gmail writes it: new text, the wrapped attribution, the quote, a photo."""
    mail = EmailMessage()
    mail["From"] = f"{client.full_name} <{client.email}>"
    mail["To"] = f"{sent.practice.name} <{reply_address(sent)}>"
    mail["Subject"] = f"Re: {sent.subject}"
    mail["Message-ID"] = f"<demo-photo-{sent.reply_token}@mail.gmail.com>"
    mail["In-Reply-To"] = sent.message_id_header
    quoted = "\n".join(f"> {line}" if line else ">" for line in sent.text_body.splitlines()[:6])
    mail.set_content(
        "Thanks for the reminder. Before I book: this rash came up on my arm two days after the "
        "new cream, photo attached. Is that normal?\n\n"
        f"On {sent.created_at:%a, %d %b %Y at %H:%M}, {sent.practice.name} <\n"
        f"{reply_address(sent)}> wrote:\n\n{quoted}\n"
    )
    mail.add_attachment(DEMO_PHOTO, maintype="image", subtype="jpeg", filename="IMG_2231.jpeg")
    return mail.as_bytes()


def out_of_office(sent: Message, client: Client) -> bytes:
    """An automatic reply as Outlook sends it (RFC 3834 ``Auto-Submitted``)."""
    mail = EmailMessage()
    mail["From"] = f"{client.full_name} <{client.email}>"
    mail["To"] = reply_address(sent)
    mail["Subject"] = f"Automatic reply: {sent.subject}"
    mail["Message-ID"] = f"<demo-away-{sent.reply_token}@outlook.example>"
    mail["Auto-Submitted"] = "auto-replied"
    mail["X-MS-Exchange-Inbox-Rules-Loop"] = client.email
    mail.set_content(
        "I am away until next Monday with limited access to email. If it is urgent, please "
        "call my mobile."
    )
    return mail.as_bytes()


def delivery_report(sent: Message) -> bytes:
    """A delivery status notification (RFC 3464) as Postfix writes it: address unknown."""
    boundary = f"{sent.reply_token[:12]}.demo/mail.example.net"
    lines = [
        "From: MAILER-DAEMON@mail.example.net (Mail Delivery System)",
        f"To: {reply_address(sent, 'bounce')}",
        "Subject: Undelivered Mail Returned to Sender",
        "Auto-Submitted: auto-replied",
        f"Message-Id: <demo-dsn-{sent.reply_token}@mail.example.net>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        "This is a MIME-encapsulated message.",
        "",
        f"--{boundary}",
        "Content-Description: Notification",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "This is the mail system at host mail.example.net.",
        "",
        "I'm sorry to have to inform you that your message could not",
        "be delivered to one or more recipients.",
        "",
        f"<{sent.to_address}>: host mx.example.org said: 550 5.1.1 User unknown",
        "",
        f"--{boundary}",
        "Content-Description: Delivery report",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mail.example.net",
        "",
        f"Final-Recipient: rfc822; {sent.to_address}",
        "Action: failed",
        "Status: 5.1.1",
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown",
        "",
        f"--{boundary}",
        "Content-Description: Undelivered Message Headers",
        "Content-Type: text/rfc822-headers",
        "",
        f"Message-ID: {sent.message_id_header}",
        f"To: {sent.to_address}",
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode()
