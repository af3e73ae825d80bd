"""Outcome measures: a questionnaire sent to (or filled in with) a client, and its answers.

A ``Measure`` is one PHQ-9, GAD-7 or WHO-5 (or a practice's own questionnaire) for one client:
sent by a care rule or by hand with a signed portal link, or filled in together during a
session. Its answers are health data: reads are audited, and the rows go with the client.
A ``PracticeQuestionnaire`` is a practice's own licensed questionnaire, stored as the same JSON
document as the bundled ones (``aftercare questionnaire add``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.practice.models import Practice


class MeasureStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for answers"
    COMPLETED = "completed", "Completed"


class CompletedVia(models.TextChoices):
    PORTAL = "portal", "By the client, through the link"
    SESSION = "session", "Together in a session"


class Measure(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="measures")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="measures")
    questionnaire = models.CharField(
        max_length=30, help_text="phq9, gad7, who5 or a practice's own"
    )
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(
        max_length=10, choices=MeasureStatus.choices, default=MeasureStatus.WAITING
    )
    # {item key: answer value}; filled one question at a time through the portal.
    answers = models.JSONField(default=dict, blank=True)
    total = models.SmallIntegerField(null=True, blank=True)
    band = models.CharField(max_length=40, blank=True)
    band_label = models.CharField(max_length=100, blank=True)
    previous_total = models.SmallIntegerField(null=True, blank=True)
    reliable_change = models.BooleanField(default=False)
    crisis_at = models.DateTimeField(
        null=True, blank=True, help_text="When a safety item's answer raised a crisis"
    )
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    completed_via = models.CharField(max_length=10, choices=CompletedVia.choices, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    touchpoint = models.ForeignKey(
        "care.Touchpoint", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.ForeignKey(
        "messaging.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The message that carried the link",
    )
    # The answers as an inbound message: triaged, in the client's thread and the care queue.
    reply = models.OneToOneField(
        "messaging.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="measure_of",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["client", "questionnaire", "completed_at"]),
            models.Index(fields=["practice", "status", "completed_at"]),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.questionnaire} #{self.pk} for client #{self.client_id}"

    @property
    def is_completed(self) -> bool:
        return self.status == MeasureStatus.COMPLETED

    @property
    def change_points(self) -> int | None:
        if self.total is None or self.previous_total is None:
            return None
        return self.total - self.previous_total


class PracticeQuestionnaire(models.Model):
    """A practice's own licensed questionnaire, as a JSON document (see measures/questionnaires.py)."""

    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="own_questionnaires"
    )
    key = models.CharField(max_length=30)
    document = models.JSONField()
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "key"], name="one_questionnaire_per_key")
        ]
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} of {self.practice}"
