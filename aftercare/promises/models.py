"""Promises and referrals: commitments a person must keep, and help found elsewhere."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.practice.models import Practice


class PromiseStatus(models.TextChoices):
    OPEN = "open", "Open"
    KEPT = "kept", "Kept"
    BROKEN = "broken", "Broken"
    RELEASED = "released", "Released"


class PromiseSource(models.TextChoices):
    BY_HAND = "by_hand", "By hand"
    ABSENCE = "absence", "Absence emergency list"
    OTHER = "other", "Another feature"


class Promise(models.Model):
    """Something the practice committed to a client, due at a moment or within a window.

    Exactly one of ``due_at`` (a moment) or the window ``due_from``–``due_until`` is set; the
    deadline is ``due_at`` or ``due_until``. A promise still open at its deadline is marked
    broken by ``aftercare tick`` and stays in the care queue until someone acknowledges it.
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="promises")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="promises")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="promises",
    )
    what = models.CharField(max_length=300, help_text="What was promised, in the client's words")
    due_at = models.DateTimeField(null=True, blank=True)
    due_from = models.DateTimeField(null=True, blank=True)
    due_until = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=PromiseStatus.choices, default=PromiseStatus.OPEN
    )
    status_reason = models.CharField(max_length=300, blank=True)
    source = models.CharField(
        max_length=20, choices=PromiseSource.choices, default=PromiseSource.BY_HAND
    )
    source_ref = models.CharField(
        max_length=100, blank=True, help_text='e.g. "absence:12" for the feature that made it'
    )
    snoozed_until = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "care_promise"  # created by the care app before it was split; data kept
        indexes = [
            models.Index(fields=["practice", "status"], name="care_promis_practic_541556_idx"),
            models.Index(fields=["status", "due_at"], name="care_promis_status_947575_idx"),
            models.Index(fields=["status", "due_until"], name="care_promis_status_a28ff0_idx"),
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Promise to client #{self.client_id}: {self.what} ({self.status})"

    @property
    def deadline(self) -> dt.datetime | None:
        return self.due_at or self.due_until

    @property
    def starts(self) -> dt.datetime | None:
        """The moment the promise can first be kept (the window's start, or the moment)."""
        return self.due_from or self.due_at


class Referral(models.Model):
    """A client referred to someone else for help, and whether it helped."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="referrals")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="referrals")
    referred_to = models.CharField(max_length=200)
    why = models.TextField()
    referred_at = models.DateTimeField(default=clock.now)
    outcome = models.TextField(blank=True, help_text="What the follow-up found")
    outcome_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "care_referral"  # created by the care app before it was split; data kept
        ordering = ["-referred_at", "-id"]

    def __str__(self) -> str:
        return f"Client #{self.client_id} referred to {self.referred_to}"
