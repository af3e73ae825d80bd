"""Absences: when a practitioner is away, who covers, and who may still reach them."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.practice.models import Practice

DEFAULT_NOTIFY_DAYS_BEFORE = 21


class Absence(models.Model):
    """A period (whole days in the practice's time zone) when a practitioner is away."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="absences")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences"
    )
    first_day = models.DateField(help_text="First day away (practice time zone)")
    last_day = models.DateField(help_text="Last day away; back the day after")
    private_reason = models.CharField(
        max_length=300, blank=True, help_text="Only the practice sees this"
    )
    public_note = models.TextField(
        blank=True, help_text="Shown to clients, e.g. 'I am at a conference'"
    )
    cover_contact = models.CharField(
        max_length=300, blank=True, help_text="A colleague or service clients can turn to"
    )
    notify_days_before = models.PositiveSmallIntegerField(
        default=DEFAULT_NOTIFY_DAYS_BEFORE,
        help_text="Affected clients get a personal notice this many days ahead",
    )
    auto_reply_text = models.TextField(
        blank=True,
        help_text="Sent once per client who writes while you are away; empty for the default",
    )
    announce_to_all = models.BooleanField(
        default=False, help_text="Also tell clients who are not affected"
    )
    emergency_clients = models.ManyToManyField(
        Client, through="EmergencyListEntry", related_name="emergency_absences", blank=True
    )
    cancelled = models.BooleanField(default=False)
    summary_read_at = models.DateTimeField(
        null=True, blank=True, help_text='When the "while you were away" summary was read'
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")), name="absence_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["practice", "practitioner", "last_day"])]
        ordering = ["first_day", "id"]

    def __str__(self) -> str:
        return f"{self.practitioner} away {self.first_day:%Y-%m-%d}–{self.last_day:%Y-%m-%d}"

    @property
    def back_on(self) -> dt.date:
        return self.last_day + dt.timedelta(days=1)

    @property
    def notify_on(self) -> dt.date:
        return self.first_day - dt.timedelta(days=self.notify_days_before)

    @property
    def date_range(self) -> tuple[dt.date, dt.date]:
        return self.first_day, self.last_day

    def covers(self, day: dt.date) -> bool:
        return not self.cancelled and self.first_day <= day <= self.last_day


class EmergencyListEntry(models.Model):
    """A client promised access to the practitioner during the absence."""

    absence = models.ForeignKey(Absence, on_delete=models.CASCADE, related_name="emergency_entries")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=clock.now)
    # The care queue's promise ("reachable during the absence"), once that feature exists.
    promise_id = models.BigIntegerField(null=True, blank=True)
    told_at = models.DateTimeField(
        null=True, blank=True, help_text="When the client was told how to reach the practitioner"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["absence", "client"], name="one_entry_per_client")
        ]

    def __str__(self) -> str:
        return f"client #{self.client_id} on the emergency list of absence #{self.absence_id}"
