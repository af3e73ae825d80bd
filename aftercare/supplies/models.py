"""Supplies: remedies, supplements and medications a client takes, and when they run out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.locales import plural
from aftercare.practice.models import Practice
from aftercare.supplies.projection import DoseSchedule, TaperStep


class Kind(models.TextChoices):
    REMEDY = "remedy", "Remedy"
    SUPPLEMENT = "supplement", "Supplement"
    MEDICATION = "medication", "Medication"
    OTHER = "other", "Other"


class PreparedBy(models.TextChoices):
    PRACTICE = "practice", "The practice"
    PHARMACY = "pharmacy", "A compounding pharmacy"
    CLIENT = "client", "The client buys it"


class Status(models.TextChoices):
    ACTIVE = "active", "Active"
    REORDER_REQUESTED = "reorder_requested", "Re-order requested"
    REORDERED = "reordered", "Re-ordered"
    STOPPED = "stopped", "Stopped"


# Supplies still taken: they run out, need re-order reminders and appear in "running out".
CURRENT_STATUSES = (Status.ACTIVE, Status.REORDER_REQUESTED, Status.REORDERED)


class Supply(models.Model):
    """One supply of a remedy, supplement or medication for one client.

    ``runs_out_on`` is derived from quantity, dose schedule and start date by
    ``supplies.services`` on every change (never in ``save()``) and stored so that "what
    runs out in the next N days" is one indexed query.
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="supplies")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="supplies")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SUPPLEMENT)
    prepared_by = models.CharField(
        max_length=20, choices=PreparedBy.choices, default=PreparedBy.PRACTICE
    )
    quantity = models.DecimalField(max_digits=10, decimal_places=2)
    unit = models.CharField(max_length=30, default="doses", help_text="e.g. capsules, ml, globules")
    daily_dose = models.DecimalField(
        max_digits=8, decimal_places=2, help_text="How much is taken on each day it is taken"
    )
    every_days = models.PositiveSmallIntegerField(
        default=1, help_text="1 = every day, 2 = every other day, …"
    )
    taper_steps = models.JSONField(
        default=list,
        blank=True,
        help_text='Before the steady dose, e.g. [{"days": 7, "daily_dose": "3"}]',
    )
    started_on = models.DateField()
    lead_time_days = models.PositiveSmallIntegerField(
        default=0, help_text="Days needed to prepare or obtain the next supply"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    runs_out_on = models.DateField(null=True, blank=True, editable=False)
    reorder_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name_plural = "supplies"
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="supply_quantity_not_negative"
            ),
            models.CheckConstraint(condition=Q(daily_dose__gt=0), name="supply_dose_positive"),
        ]
        indexes = [
            # With the client: the running-out count reads the index alone (it leaves out
            # archived clients' supplies by their client id, ``selectors.running_out_count``).
            # With the lead time: so do the supplies an absence affects on Today's absence card
            # (``absences.preview._affected`` compares it with the days from the absence's end
            # to the run-out day).
            models.Index(
                fields=["practice", "status", "runs_out_on", "client", "lead_time_days"],
                name="supply_status_runs_out",
            ),
            models.Index(fields=["client", "status"]),
            # The running-out page: supplies still taken, soonest first, a page at a time. Only
            # current supplies are in it, so the page walks it in order and stops at its end
            # instead of sorting every current supply of the practice. SQLite uses a partial
            # index only when the query repeats its condition word for word, literals included
            # (``selectors.CURRENT_STATUS_SQL``); tests/test_query_plans.py checks both databases.
            models.Index(
                fields=["practice", "runs_out_on", "id"],
                condition=Q(status__in=CURRENT_STATUSES),
                name="supply_current_runs_out",
            ),
        ]
        ordering = ["runs_out_on", "id"]

    def __str__(self) -> str:
        return f"{self.name} for {self.client}"

    @property
    def schedule(self) -> DoseSchedule:
        return DoseSchedule(
            daily_dose=Decimal(self.daily_dose),
            every_days=self.every_days,
            taper=tuple(
                TaperStep(days=int(step["days"]), daily_dose=Decimal(str(step["daily_dose"])))
                for step in self.taper_steps or []
            ),
        )

    @property
    def is_current(self) -> bool:
        return self.status in CURRENT_STATUSES

    @property
    def dose_summary(self) -> str:
        return dose_summary_of(self.daily_dose, self.unit, self.every_days, self.taper_steps)


def dose_summary_of(
    daily_dose: Decimal, unit: str, every_days: int, taper_steps: list[dict[str, Any]] | None
) -> str:
    """ "3 a day for 7 days, then 1 capsules a day": the dose as pages show it (for rows read
    as columns, without a ``Supply``)."""
    dose = f"{daily_dose.normalize():f} {unit}"
    steady = (
        f"{dose} a day" if every_days == 1 else f"{dose} every {plural(every_days, 'day', 'days')}"
    )
    steps = [
        f"{Decimal(str(step['daily_dose'])).normalize():f} a day "
        f"for {plural(step['days'], 'day', 'days')}"
        for step in taper_steps or []
    ]
    return ", then ".join([*steps, steady])
