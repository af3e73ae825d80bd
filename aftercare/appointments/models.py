"""Appointments: booked sessions and what became of them."""

from __future__ import annotations

import datetime as dt

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


def kind_label(kind: str) -> str:
    """What people read for an appointment's ``kind``: "First visit", "Home visit"."""
    return dict(Kind.CHOICES).get(kind, kind.replace("_", " ").capitalize())


class Status(models.TextChoices):
    BOOKED = "booked", "Booked"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "No-show"
    LATE_CANCELLED = "late_cancelled", "Late-cancelled"
    CANCELLED = "cancelled", "Cancelled"


class FeeAction(models.TextChoices):
    WAIVED = "waived", "Waived"
    CHARGED = "charged", "Charged"
    NONE = "none", "No fee"


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
    moved_by_practice_at = models.DateTimeField(
        null=True, blank=True, help_text="When the practice last moved this appointment's time"
    )
    # The fee decision taken when it was marked no-show or late-cancelled (appointments/fees.py);
    # an empty action means no decision (any other status).
    fee_action = models.CharField(
        max_length=10, blank=True, choices=FeeAction.choices, default="", db_default=""
    )
    fee_amount = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    fee_reason = models.CharField(max_length=300, blank=True, default="", db_default="")
    fee_code = models.CharField(
        max_length=30, blank=True, default="", db_default="", help_text="The policy's rule"
    )
    fee_decided_at = models.DateTimeField(null=True, blank=True)
    fee_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    fee_policy_action = models.CharField(
        max_length=10,
        blank=True,
        default="",
        db_default="",
        help_text="What the policy decided before a person overrode it",
    )

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
            # A client's appointments in time order (their timeline, their next visit). The
            # practice too: the client page asks for the client's rows of the practice, and with
            # (client, starts_at) SQLite took ``appointment_practice_day`` below — the same
            # order, one equality fewer — and walked every appointment of the practice.
            models.Index(
                fields=["client", "practice", "starts_at"], name="appointment_client_timeline"
            ),
            models.Index(fields=["practice", "practitioner", "starts_at"]),
            # The whole practice's appointments of a day or two (Today for the whole practice):
            # without it, the index above gives only the practice, so every appointment the
            # practice ever had was read to count two days' worth.
            models.Index(fields=["practice", "starts_at"], name="appointment_practice_day"),
            # The care queue's rebook requests (portal): the ones waiting, oldest first, not a
            # scan of every appointment the practice ever had.
            models.Index(
                fields=["practice", "rebook_handled_at", "rebook_requested_at"],
                name="appointment_rebook_waiting",
            ),
            # The fee report and its export (``fee_decisions``): the decisions of a range of
            # days by their appointment's time. By ``fee_decided_at`` (as before), which nothing
            # asks for, both read every appointment of the range to find the few decided.
            models.Index(
                fields=["practice", "starts_at"],
                condition=~Q(fee_action=""),
                name="appointment_fees_by_day",
            ),
        ]
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.client} {self.starts_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def fee_decision(self) -> dict[str, object] | None:
        """The decision as the API and pages show it, or None when there is none."""
        if not self.fee_action:
            return None
        return {
            "action": self.fee_action,
            "amount": f"{self.fee_amount or 0:.2f}",
            "reason": self.fee_reason,
            "overridden": self.fee_overridden_by_id is not None,
            "policy_action": self.fee_policy_action or self.fee_action,
            "decided_at": self.fee_decided_at,
        }

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)


class FeePolicy(models.Model):
    """A practice's no-show and late-cancel fees and kindness rules (one row, made on first use).

    The decision itself is the pure ``appointments.fees.decide_fee``; this row holds its inputs.
    """

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="fee_policy")
    no_show_fee = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Empty: the appointment's own fee",
    )
    late_cancel_fee = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Empty: the appointment's own fee",
    )
    late_cancel_window_hours = models.PositiveSmallIntegerField(
        default=24, help_text="A cancel or a move by us within this many hours before is late"
    )
    waive_first_no_show = models.BooleanField(
        default=True, help_text="Waive a longstanding client's first no-show"
    )
    longstanding_visits = models.PositiveSmallIntegerField(
        default=5, help_text="Longstanding: at least this many attended visits …"
    )
    longstanding_months = models.PositiveSmallIntegerField(
        default=6, help_text="… or a client for at least this many months"
    )
    waive_first_late_cancel = models.BooleanField(
        default=False, help_text="Waive each client's first late cancel"
    )

    def __str__(self) -> str:
        return f"Fee policy of {self.practice}"


class VisitKind(models.Model):
    """A kind of visit the practice offers, with its usual length: a managed list, not free text.

    ``key`` is what appointments store (``first_visit``, ``follow_up`` or the practice's own);
    people only ever see ``name``.
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="visit_kinds")
    key = models.CharField(max_length=40)
    name = models.CharField(max_length=80)
    minutes = models.PositiveSmallIntegerField(default=50)
    archived = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "key"], name="one_visit_kind_per_key"),
            models.CheckConstraint(
                condition=Q(minutes__gte=5) & Q(minutes__lte=480), name="visit_kind_minutes"
            ),
        ]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.minutes} min)"


class ScheduleSettings(models.Model):
    """The practice's usual hours: new bookings start inside them, the week view shows them."""

    practice = models.OneToOneField(
        Practice, on_delete=models.CASCADE, related_name="schedule_settings"
    )
    day_starts = models.TimeField(default=dt.time(9, 0))
    day_ends = models.TimeField(default=dt.time(17, 0))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(day_ends__gt=F("day_starts")), name="usual_hours_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day_starts:%H:%M}–{self.day_ends:%H:%M}"
