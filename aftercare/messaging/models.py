"""The outbox and inbox: messages, their delivery attempts, templates, check-ins, worker heartbeats.

A ``Message`` is one communication in or out. Outbound messages are only ever sent by the
worker (``aftercare worker``), which claims them with a lease (``lease_owner`` and
``lease_expires_at``) and records a ``MessageAttempt`` *before* handing a message to the
provider, so a crash can be told apart from a failure afterwards.
"""

from __future__ import annotations

import secrets
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.messaging.attachments import KINDS, describe
from aftercare.practice.models import Practice


class Direction(models.TextChoices):
    OUTBOUND = "out", "Sent to the client"
    INBOUND = "in", "From the client"


class MessageChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    PORTAL = "portal", "Portal"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    RECEIVED = "received", "Received"
    # Inbound, stored by a webhook and not yet triaged and routed by the worker.
    ARRIVED = "arrived", "Not yet read by Aftercare"
    UNCERTAIN = "uncertain", "Uncertain: check with the client"
    CANCELLED = "cancelled", "Not sent"


class MessageKind(models.TextChoices):
    """What an inbound message is: a client's own words, or their mailbox answering for them."""

    MESSAGE = "message", "Message"  # everything outbound, and what the portal records
    REPLY = "reply", "Reply"
    AUTO_REPLY = "auto_reply", "Automatic reply (out of office)"
    BOUNCE = "bounce", "Delivery failure"


class TriageLevel(models.TextChoices):
    ROUTINE = "routine", "Routine"
    ATTENTION = "attention", "Attention"
    URGENT = "urgent", "Urgent"
    CRISIS = "crisis", "Crisis"


FLAGGED_LEVELS = (TriageLevel.ATTENTION, TriageLevel.URGENT, TriageLevel.CRISIS)


class AwayRouting(models.TextChoices):
    """What the inbound policy did with a reply that came while its practitioner was away
    (``absences.away``; the absence's id is in the message's context, under the key named)."""

    NONE = "", "Not routed by an absence"
    WAITING = "waiting", "Waits for the practitioner's return"  # context["waits_for_absence"]
    PASSED_ON = "passed_on", "Passed on from the emergency list"  # ["escalated_for_absence"]


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def new_reply_token() -> str:
    return secrets.token_urlsafe(12).replace("-", "x").replace("_", "y").lower()


class Message(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="messages")
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    channel = models.CharField(max_length=10, choices=MessageChannel.choices)
    from_address = models.CharField(max_length=254, blank=True)
    to_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    # A link-only SMS/WhatsApp: the message itself, which the client reads on the portal page
    # the text links to (``text_body`` only says there is a message). Empty otherwise.
    portal_text = models.TextField(blank=True)
    template_key = models.CharField(max_length=40, blank=True)
    # Inbound: a reply, or an auto-reply or bounce that is kept but does not count as the
    # client answering (not triaged, no acknowledgement sent back).
    kind = models.CharField(max_length=12, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    # Inbound email: the message exactly as it arrived, for the record (``text_body`` holds
    # only the client's new words).
    raw_mime = models.BinaryField(blank=True, default=b"", editable=False)
    purpose = models.CharField(max_length=20, default="care")
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    status_reason = models.CharField(max_length=300, blank=True)
    provider_id = models.CharField(max_length=100, blank=True, db_index=True)
    touchpoint = models.ForeignKey(
        "care.Touchpoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    # Also the email Message-ID (<key@host>) and Twilio's idempotency token.
    idempotency_key = models.CharField(max_length=64, unique=True, default=new_idempotency_key)
    reply_token = models.CharField(max_length=32, unique=True, default=new_reply_token)
    automated = models.BooleanField(default=True)
    context = models.JSONField(default=dict, blank=True)
    next_attempt_at = models.DateTimeField(default=clock.now)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    in_reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    # Inbound: the triage result, and who read it (flagged ones wait in the care queue until then).
    triage_level = models.CharField(max_length=10, choices=TriageLevel.choices, blank=True)
    triage_reasons = models.JSONField(default=list, blank=True)
    # A column, not only the context's key, so the care queue's sources find (or leave out)
    # these replies through an index on both databases (``message_unread_away``).
    away_routing = models.CharField(
        max_length=10, choices=AwayRouting.choices, blank=True, default=AwayRouting.NONE
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["status", "lease_expires_at"]),
            models.Index(fields=["practice", "direction", "created_at"]),
            # Unread replies (the inbox's first part, Today, the care queue): read as many as
            # are unread, not every message the practice received. PostgreSQL uses the small
            # partial index; SQLite, whose planner does not prove a partial index's condition
            # from bound parameters, the composite one (tests/test_query_plans.py checks both).
            # The composite indexes end with the id (the order's tie-break, so the order is
            # still the index's) and the client: the bounded counts ("1,000+") of the queue,
            # Today and the inbox then read the index alone, not each message's row, on their
            # way to the client's practitioner (``mine``): half their time at 100,000 clients.
            models.Index(
                fields=["practice", "direction", "acknowledged_at", "created_at", "id", "client"],
                name="message_unread_order",
            ),
            models.Index(
                fields=["practice", "created_at"],
                condition=Q(direction="in", acknowledged_at__isnull=True),
                name="message_unread_inbound",
            ),
            # Unread replies of one triage level, oldest first (``inbox.oldest_ids_of_each``:
            # the care queue's and Today's most serious replies, a part per level). Without the
            # level, both databases walked every unread reply of the practice to find a level
            # with none. Two indexes, as for the unread replies above: PostgreSQL uses the
            # small partial one; SQLite took ``message_unread_order`` over it and walked every
            # unread reply for each level (10,000 at 100,000 clients in the bench's fill), and
            # seeks the level in the composite one (messaging/tests/test_inbox.py checks both).
            models.Index(
                fields=["practice", "triage_level", "created_at"],
                condition=Q(direction="in", acknowledged_at__isnull=True),
                name="message_unread_by_level",
            ),
            models.Index(
                fields=[
                    "practice",
                    "direction",
                    "acknowledged_at",
                    "triage_level",
                    "created_at",
                    "id",
                    "client",
                ],
                name="message_unread_level_order",
            ),
            # Unread replies by what an absence did with them, oldest first: the care queue's
            # "emergency message" items (passed on, not yet answered: a handful, sought here
            # instead of reading every unread reply's context) and its routine replies (none).
            # A composite index for both databases: SQLite proves no partial index's condition
            # from bound parameters, and took ``message_unread_order`` over one. With the level
            # before the client: the routine replies leave the flagged levels out from the index.
            models.Index(
                fields=[
                    "practice",
                    "direction",
                    "acknowledged_at",
                    "away_routing",
                    "created_at",
                    "id",
                    "triage_level",
                    "client",
                ],
                name="message_unread_away",
            ),
            models.Index(fields=["client", "created_at"]),
            # Replies no client could be matched to (the "unmatched" page), newest first: a
            # handful, not a walk through every reply of the practice checking its client (30
            # ms at 100,000 clients). SQLite can use this partial index: its condition has no
            # parameter, so the query's own ``client_id IS NULL`` proves it.
            models.Index(
                fields=["practice", "direction", "created_at"],
                condition=Q(client__isnull=True),
                name="message_unmatched",
            ),
            # The care queue's "could not reach" items: failed or uncertain messages nobody has
            # dealt with, oldest first, not every message the practice ever sent (outbound
            # messages are never "read", so the unread index holds them all).
            models.Index(
                fields=["practice", "direction", "status", "acknowledged_at", "created_at"],
                name="message_unreachable",
            ),
            # An inbound message finds the last one sent to its sender (``inbound.find_client``)
            # by this, not by a case-insensitive scan of the whole outbox.
            models.Index(Lower("to_address"), "direction", name="message_to_address_lower"),
        ]
        constraints = [
            # A provider retrying its webhook stores nothing twice, however the retries race.
            models.UniqueConstraint(
                fields=["provider_id"],
                condition=Q(direction="in") & ~Q(provider_id=""),
                name="one_inbound_per_provider_id",
            ),
            # A touchpoint becomes at most one outbound message, however often it is rendered.
            models.UniqueConstraint(
                fields=["touchpoint"],
                condition=Q(touchpoint__isnull=False, automated=True),
                name="one_message_per_touchpoint",
            ),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.channel} #{self.pk} ({self.status})"

    @property
    def attachment_summary(self) -> str:
        """ "sent a photo": what the thread shows for what came with the message."""
        kinds = [KINDS.get(a.content_type, "file") for a in self.attachments.all()]
        if self.direction == Direction.INBOUND and self.context.get("location"):
            kinds.append("location")
        return describe(kinds)

    @property
    def location_url(self) -> str:
        """A map of the location the client shared (WhatsApp), or ``""``."""
        place = self.context.get("location") if self.direction == Direction.INBOUND else None
        if not place:
            return ""
        return (
            "https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}"
            "#map=17/{latitude}/{longitude}".format(**place)
        )

    @property
    def message_id_header(self) -> str:
        """The RFC 5322 Message-ID, stable across resends so receivers can drop duplicates."""
        return f"<{self.idempotency_key}@{urlsplit(settings.BASE_URL).hostname or 'aftercare'}>"

    @property
    def is_flagged(self) -> bool:
        return self.triage_level in FLAGGED_LEVELS


class SendingTurn(models.Model):
    """When a sender (a Twilio number) may next hand a message over: a token bucket of one,
    shared by every worker and taken with one conditional UPDATE (``messaging.rates``)."""

    sender = models.CharField(max_length=120, unique=True)
    next_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.sender} next at {self.next_at:%H:%M:%S.%f}"


class MessageAttempt(models.Model):
    """One hand-over of a message to a provider, written before the hand-over."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempts")
    worker = models.CharField(max_length=100)
    started_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    permanent = models.BooleanField(default=False)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"attempt on message #{self.message_id} at {self.started_at:%H:%M:%S}"


class MessageTemplate(models.Model):
    """A practice's own wording for one purpose (template key) and language."""

    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="message_templates"
    )
    key = models.CharField(max_length=40)
    language = models.CharField(max_length=8, default="en")
    # A practice's own template (a key no built-in has) is known by its name; a built-in's own
    # wording keeps the built-in's name.
    name = models.CharField(max_length=120, blank=True)
    subject = models.CharField(max_length=300)
    text = models.TextField()
    html = models.TextField(blank=True, help_text="Empty: the text, with paragraphs and links")
    sms = models.TextField(blank=True, help_text="Short text for SMS/WhatsApp")
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "key", "language"], name="one_template_per_key_and_language"
            )
        ]
        ordering = ["key", "language"]

    def __str__(self) -> str:
        return f"{self.key} ({self.language})"


class MessagingSettings(models.Model):
    """A practice's messaging policy."""

    practice = models.OneToOneField(
        Practice, on_delete=models.CASCADE, related_name="messaging_settings"
    )
    sms_link_only = models.BooleanField(
        default=True,
        help_text="SMS and WhatsApp carry only a greeting and a portal link, no health details",
    )

    def __str__(self) -> str:
        return f"messaging settings of {self.practice}"


class CheckIn(models.Model):
    """A question sent to a client ("How are you doing?") and the client's answer."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="check_ins")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="check_ins")
    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, related_name="check_in", null=True, blank=True
    )
    reply = models.OneToOneField(
        Message, on_delete=models.SET_NULL, related_name="answer_of", null=True, blank=True
    )
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    previous_score = models.PositiveSmallIntegerField(null=True, blank=True)
    side_effects = models.TextField(blank=True)
    contact_me = models.BooleanField(default=False)
    free_text = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    new_link_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"check-in #{self.pk} for client #{self.client_id}"


class WorkerHeartbeat(models.Model):
    """One row per worker process, touched every pass; the UI warns when all are stale."""

    worker = models.CharField(max_length=100, unique=True)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=clock.now)
    seen_at = models.DateTimeField(default=clock.now, db_index=True)
    messages_sent = models.PositiveIntegerField(default=0)
    # What this process did since it started, per channel, for /metrics: {"sent": {"email": 3},
    # "failed": {"sms": 1}, "gave_up": {}}. One row per worker, so no row is shared by all.
    counts = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.worker


class UnroutedInbound(models.Model):
    """An inbound message no practice could be told about: kept, never dropped.

    One deployment serving several practices through one number, without ``?practice=ID`` in
    the hook's address, cannot tell whose a text from an unknown number is. It waits here, for
    the instance's operator only (no practice page shows it: it may belong to any of them),
    until ``aftercare inbound assign ID --practice P`` hands it to a practice's inbox.
    """

    channel = models.CharField(max_length=20, choices=MessageChannel.choices)
    from_address = models.CharField(max_length=254)
    to_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(default=clock.now)
    assigned_message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="unrouted_origin"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            # A provider retrying its webhook must not store the message twice.
            models.UniqueConstraint(
                fields=["provider_id"],
                condition=~Q(provider_id=""),
                name="unrouted_inbound_provider_id_once",
            )
        ]

    def __str__(self) -> str:
        return f"unrouted {self.channel} #{self.pk} from {self.from_address}"


def attachment_path(instance: MessageAttachment, filename: str) -> str:
    """``<practice>/<year>/<month>/<random>.<ext>``: no client name or original file name."""
    suffix = "".join(c for c in filename.rpartition(".")[2][:8] if c.isalnum()).lower()
    created = instance.created_at or clock.now()
    return f"{instance.practice_id}/{created:%Y/%m}/{secrets.token_hex(16)}.{suffix or 'bin'}"


class MessageAttachment(models.Model):
    """A photo, voice note or file that came with an inbound message (``attachments.py``).

    ``refused`` says why the bytes were not kept (too large, not a kind we keep); the row
    stays, so the thread still says the client sent something.
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    file = models.FileField(upload_to=attachment_path, blank=True, max_length=200)
    refused = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.name} ({self.content_type}, {self.size} bytes)"
