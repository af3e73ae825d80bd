"""Appointments: booked sessions and what became of them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.practice.models import Practice


class Kind:
    """Built-in kinds; a practice may use any other short label too."""

    FIRST_VISIT = "first_visit"
    FOLLOW_UP = "follow_up"
    CHOICES = [(FIRST_VISIT, "First visit"), (FOLLOW_UP, "Follow-up")]


class Status(models.TextChoices):
    BOOKED = "booked", "Booked"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "No-show"
    LATE_CANCELLED = "late_cancelled", "Late-cancelled"
    CANCELLED = "cancelled", "Cancelled"


class Appointment(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="appointments")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="appointments")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    kind = models.CharField(max_length=40, default=Kind.FOLLOW_UP)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    fee = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    source = models.CharField(
        max_length=30, default="manual", help_text="manual, api, ics, csv, demo"
    )
    external_id = models.CharField(max_length=200, blank=True)
    # The client's answer to the reminder's links (portal): "I'll be there", "please rebook".
    confirmed_at = models.DateTimeField(null=True, blank=True)
    rebook_requested_at = models.DateTimeField(null=True, blank=True)
    rebook_handled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["practice", "source", "external_id"],
                condition=~Q(external_id=""),
                name="unique_external_appointment",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "starts_at"]),
            models.Index(fields=["practice", "practitioner", "starts_at"]),
        ]
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.client} {self.starts_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def kind_label(self) -> str:
        return dict(Kind.CHOICES).get(self.kind, self.kind.replace("_", " ").capitalize())
