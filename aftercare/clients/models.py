"""Clients: the people a practice cares for, their contact points and consent."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Lower

from aftercare import clock
from aftercare.phones import format_phone
from aftercare.practice.models import LANGUAGES, Practice, validate_time_zone


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    POST = "post", "Post"
    PHONE = "phone", "Phone call"


class Purpose(models.TextChoices):
    """What a message is for; consent is given or withdrawn per purpose."""

    CARE = "care", "Care messages (check-ins, reminders)"
    INFORMATION = "information", "Useful information"
    CELEBRATIONS = "celebrations", "Celebrations (birthday, anniversary)"


class ConsentRequest(models.TextChoices):
    """Whether the client is to be asked for consent by their first message, and how far along.

    not needed → (to ask → asked → answered): an imported client without a consent column is
    *to ask*; the first care that would reach them sends one consent request instead (*asked*);
    their answer on the portal makes it *answered*. Until then care messages wait.
    """

    NOT_NEEDED = "", "Not needed"
    TO_ASK = "to_ask", "To ask by the first message"
    ASKED = "asked", "Asked, no answer yet"
    ANSWERED = "answered", "Answered"


class Tag(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=50)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="unique_tag_per_practice")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClientQuerySet(models.QuerySet["Client"]):
    """Writes in bulk keep ``phone_display`` in step with ``phone``, as ``Client.save`` does.

    The import, the demo and the benchmarks write clients in bulk, past ``save``; without this
    their rows would show no number on the pages that read the display column.
    """

    def bulk_create(self, objs: Iterable[Client], *args: Any, **kwargs: Any) -> list[Client]:
        objs = list(objs)
        for client in objs:
            client.fill_phone_display()
        return super().bulk_create(objs, *args, **kwargs)

    def with_email(self, address: str) -> ClientQuerySet:
        """The clients whose email is ``address`` in any case, through the
        ``client_email_lower`` index (``email__iexact`` is written as ``LIKE`` or ``UPPER``,
        which no index serves); both sides lowered by the database, by one rule."""
        return self.alias(email_lower=Lower("email")).filter(email_lower=Lower(Value(address)))

    def bulk_update(
        self, objs: Iterable[Client], fields: Sequence[str], *args: Any, **kwargs: Any
    ) -> int:
        objs = list(objs)
        if "phone" in fields:
            for client in objs:
                client.fill_phone_display()
            fields = _with_phone_display(fields)
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        if "phone" in kwargs and "phone_display" not in kwargs:
            if not isinstance(kwargs["phone"], str):
                # An expression's value is known to the database only: the display cannot
                # follow it, and a stale display is worse than a refused write.
                raise TypeError("update(phone=…) takes a number, not an expression")
            kwargs["phone_display"] = format_phone(kwargs["phone"])
        return super().update(**kwargs)


def _with_phone_display(fields: Iterable[str]) -> list[str]:
    fields = list(fields)
    return fields if "phone_display" in fields else [*fields, "phone_display"]


def full_name_of(given_name: str, family_name: str) -> str:
    """A client's name as pages show it, from the two columns (for rows read as tuples)."""
    return f"{given_name} {family_name}".strip()


class Client(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="clients")
    primary_practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="primary_clients",
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100, blank=True)
    preferred_name = models.CharField(
        max_length=100, blank=True, help_text="What the client likes to be called"
    )
    pronouns = models.CharField(max_length=30, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    # E.164 is at most 16 characters: what a person types is read by ``phones.parse_phone``,
    # never cut to fit here.
    phone = models.CharField(
        max_length=20, blank=True, help_text="Mobile or landline number, stored in E.164"
    )
    # ``phone`` as people read it (``+44 7911 123456``), written with it on every save: the
    # pages that list clients show it without parsing each number again (issue 16).
    phone_display = models.CharField(max_length=40, blank=True, editable=False)
    phone_extension = models.CharField(
        max_length=10, blank=True, help_text="Extension of the phone number (digits)"
    )
    postal_address = models.TextField(blank=True, help_text="For cards and letters")
    preferred_channel = models.CharField(
        max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone], blank=True)
    language = models.CharField(max_length=8, choices=LANGUAGES, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="clients")
    consent_care = models.BooleanField(default=True)
    consent_information = models.BooleanField(default=False)
    consent_celebrations = models.BooleanField(default=False)
    consent_request = models.CharField(
        max_length=10, choices=ConsentRequest.choices, default=ConsentRequest.NOT_NEEDED, blank=True
    )
    consent_asked_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last consent request was sent"
    )
    private_notes = models.TextField(blank=True)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    # Messaging: set by the portal, SMS STOP and permanent delivery failures.
    opted_out_at = models.DateTimeField(
        null=True, blank=True, help_text="Unsubscribed from every automated message"
    )
    paused_until = models.DateField(
        null=True, blank=True, help_text="No automated messages until this day (inclusive)"
    )
    email_unusable = models.BooleanField(
        default=False, help_text="Mail to this address failed permanently"
    )
    phone_unusable = models.BooleanField(
        default=False, help_text="Messages to this number failed permanently"
    )
    whatsapp_unusable = models.BooleanField(
        default=False,
        help_text="WhatsApp cannot reach this number (no WhatsApp, or outside its 24-hour "
        "window with no approved template); cleared when the client writes on WhatsApp",
    )
    # The client's id in the tool the practice came from (or an integration's own id): an
    # import or an API call with the same id updates the client instead of adding a twin.
    external_id = models.CharField(max_length=200, blank=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "external_id"],
                condition=~models.Q(external_id=""),
                name="unique_client_external_id",
            )
        ]
        indexes = [
            # The list's order, id included: PostgreSQL can then read a page in index order
            # and stop, rather than sort every client of the practice for each page.
            models.Index(
                fields=["practice", "archived", "family_name", "given_name", "id"],
                name="client_list_order",
            ),
            models.Index(fields=["practice", "phone"]),
            # A practice's client by email in any case: an inbound email's sender
            # (``inbound.find_client``) and possible duplicates (``possible_duplicates``),
            # which compare LOWER(email) with LOWER(the address). (It replaced a (practice,
            # email) index no query compared exactly, which SQLite walked instead for those.)
            models.Index(F("practice"), Lower("email"), name="client_email_lower"),
            # Possible duplicates: the same name and birth date.
            models.Index(fields=["practice", "birth_date"], name="client_birth_date"),
            # An inbound SMS from a number no reply token names: its client by phone alone.
            models.Index(fields=["phone"]),
        ]
        ordering = ["family_name", "given_name", "id"]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.fill_phone_display()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            update_fields = list(update_fields)  # any iterable: read it once
            kwargs["update_fields"] = (
                _with_phone_display(update_fields) if "phone" in update_fields else update_fields
            )
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return full_name_of(self.given_name, self.family_name)

    @property
    def name_to_use(self) -> str:
        """The name to greet the client by."""
        return self.preferred_name or self.given_name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone or self.practice.time_zone)

    def has_consent(self, purpose: str) -> bool:
        return bool(getattr(self, f"consent_{purpose}"))

    @property
    def awaits_consent_answer(self) -> bool:
        """Care waits rather than being skipped: the client is (to be) asked, not answered."""
        return self.consent_request in (ConsentRequest.TO_ASK, ConsentRequest.ASKED)

    def fill_phone_display(self) -> None:
        """Set ``phone_display`` from ``phone`` (every write path calls this, through save)."""
        self.phone_display = format_phone(self.phone)

    def clean(self) -> None:
        if self.birth_date and self.birth_date > clock.now().date():
            raise ValidationError({"birth_date": "The birth date is in the future."})


class ConsentEvent(models.Model):
    """When and how consent for one purpose was given or withdrawn."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consent_events")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    granted = models.BooleanField()
    how = models.CharField(
        max_length=100, help_text="e.g. 'intake form', 'portal', 'SMS STOP', 'by phone'"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.purpose} {'given' if self.granted else 'withdrawn'} {self.at:%Y-%m-%d} ({self.how})"
