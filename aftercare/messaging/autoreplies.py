"""Mail that a mailbox or a mail server wrote, not the client: auto-replies and bounces.

An out-of-office answer must not be triaged ("I'm away with limited access — for urgent
matters call…" is not the client in trouble), must get no acknowledgement back (two robots
answering each other loop for ever) and must not count as the client answering. A bounce
says the address does not work: the client's address is marked unusable and a person is asked
to call, as when the mail server refuses it at send time.

How they are recognised, strongest sign first (standard library only, ``email.policy.default``):

1. A delivery status notification (RFC 3464): ``multipart/report; report-type=delivery-status``.
   Its ``message/delivery-status`` part says, per recipient, ``Action: failed`` with a
   ``Status: 5.x.x`` (permanent) or ``delayed``/``4.x.x`` (the server still tries). The
   original message's ``Message-ID`` is in its ``message/rfc822`` or ``text/rfc822-headers``
   part.
2. RFC 3834's ``Auto-Submitted`` header (anything but ``no``), and the headers programs use
   instead: ``X-Autoreply``, ``X-Autorespond``, ``Precedence: auto_reply|bulk|junk``,
   Microsoft's ``X-MS-Exchange-Inbox-Rules-Loop`` with an "Automatic reply" subject.
3. A bounce from a server that writes no DSN: sent by ``MAILER-DAEMON`` or ``postmaster``
   with an "Undeliverable"/"Returned mail" subject.
4. Out-of-office subjects in the languages we triage ("Automatic reply:", "Out of Office",
   "Abwesenheitsnotiz", "Réponse automatique", "Respuesta automática", "Automatisch antwoord").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message

AUTO_REPLY = "auto_reply"
BOUNCE = "bounce"
REPLY = "reply"

AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|out of (the )?office"
    r"|away from (the )?office|on (annual )?leave|vacation reply|abwesenheitsnotiz"
    r"|automatische antwort|abwesend|r[ée]ponse automatique|absence du bureau|absent(e)? du"
    r"|respuesta autom[áa]tica|fuera de la oficina|automatisch antwoord|afwezig"
    r"|niet aanwezig)\b",
    re.IGNORECASE,
)
BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail delivery (sub)?system)\b", re.I)
BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered|returned mail|delivery status notification|delivery failure"
    r"|failure notice|mail delivery failed|unzustellbar|non remis|no se puede entregar"
    r"|onbestelbaar)",
    re.IGNORECASE,
)
AUTO_PRECEDENCE = {"auto_reply", "bulk", "junk"}


@dataclass(frozen=True)
class Recipient:
    """One recipient of a DSN: ``permanent`` when the server gave up for good (5.x.x)."""

    address: str
    action: str
    status: str

    @property
    def permanent(self) -> bool:
        return self.action == "failed" or self.status.startswith("5")


@dataclass(frozen=True)
class Classified:
    kind: str
    reason: str = ""
    recipients: tuple[Recipient, ...] = field(default_factory=tuple)
    original_message_id: str = ""

    @property
    def permanent_failure(self) -> bool:
        return self.kind == BOUNCE and any(r.permanent for r in self.recipients)


def header(message: Message, name: str) -> str:
    """A header's value; one too broken to parse is read as the raw text it came as."""
    return (headers_all(message, name) or [""])[0]


def headers_all(message: Message, name: str) -> list[str]:
    """Every value of a header (``To`` may repeat), never raising for a malformed one."""
    try:
        return [str(value).strip() for value in message.get_all(name, [])]
    except Exception:  # the policy's parser gave up: keep the raw text, unfolded
        wanted = name.lower()
        return [
            " ".join(str(value).split())
            for key, value in message.raw_items()
            if key.lower() == wanted
        ]


def dsn_recipients(report: Message) -> tuple[Recipient, ...]:
    """The per-recipient fields of a ``message/delivery-status`` part."""
    found = []
    # The part's payload is a list of header blocks: the per-message one, then one per
    # recipient (the email package parses each block as a Message).
    blocks = report.get_payload() if report.is_multipart() else []
    for block in blocks if isinstance(blocks, list) else []:
        final = header(block, "Final-Recipient") or header(block, "Original-Recipient")
        action = header(block, "Action").lower()
        if not final or not action:
            continue
        address = final.split(";", 1)[-1].strip().strip("<>")
        found.append(Recipient(address, action, header(block, "Status")))
    return tuple(found)


def original_message_id(report: Message) -> str:
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if inner is not None and header(inner, "Message-ID"):
                return header(inner, "Message-ID")
        if kind == "text/rfc822-headers":
            text = part.get_payload(decode=True) or b""
            matched = re.search(rb"^Message-ID:\s*(<[^>\r\n]+>)", text, re.I | re.M)
            if matched:
                return matched.group(1).decode("ascii", "replace")
    return ""


def classify_mail(message: EmailMessage | Message) -> Classified:
    """Reply, auto-reply or bounce (the signs in the module docstring, strongest first)."""
    if message.get_content_type() == "multipart/report":
        report_type = (message.get_param("report-type") or "").lower()
        if report_type == "delivery-status":
            recipients: tuple[Recipient, ...] = ()
            for part in message.walk():
                if part.get_content_type() == "message/delivery-status":
                    recipients = dsn_recipients(part)
            return Classified(
                BOUNCE, "delivery status notification", recipients, original_message_id(message)
            )
    auto_submitted = header(message, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return Classified(AUTO_REPLY, f"Auto-Submitted: {auto_submitted}")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if header(message, name):
            return Classified(AUTO_REPLY, f"{name} header")
    precedence = header(message, "Precedence").lower()
    if precedence in AUTO_PRECEDENCE:
        return Classified(AUTO_REPLY, f"Precedence: {precedence}")
    subject = header(message, "Subject")
    sender = header(message, "From")
    from_daemon = BOUNCE_SENDER.match(sender.split("<")[-1]) or BOUNCE_SENDER.match(sender)
    if from_daemon and BOUNCE_SUBJECT.search(subject):
        return Classified(BOUNCE, f"bounce from {sender}", (), original_message_id(message))
    if AUTO_SUBJECT.match(subject):
        return Classified(AUTO_REPLY, f"subject {subject[:60]!r}")
    return Classified(REPLY)
