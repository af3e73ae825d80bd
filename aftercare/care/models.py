"""Care rules and touchpoints: the contract between the planner and everything downstream.

A ``Touchpoint`` is one planned act of care for one client at one time. The planner decides
which should exist (by a stable ``key``); reconciliation upserts them; ``tick`` makes them
due; the messaging worker turns due *message* touchpoints into outbox Messages, while due
*task* touchpoints wait in the care queue for a person.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.practice.models import Practice
from aftercare.resources.models import Resource


class Action(models.TextChoices):
    MESSAGE = "message", "Send a message"
    TASK = "task", "Task for a person"


class CareRule(models.Model):
    """A practice's rule that turns an event into a touchpoint ("3 days after a first visit, check in")."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="care_rules")
    name = models.CharField(max_length=120)
    trigger = models.CharField(
        max_length=40, help_text="e.g. appointment_attended, recall, birthday"
    )
    trigger_options = models.JSONField(
        default=dict, blank=True, help_text='e.g. {"kind": "first_visit"}'
    )
    offset_days = models.IntegerField(default=0)
    local_time = models.TimeField(
        default="09:00", help_text="Time of day in the client's time zone"
    )
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.MESSAGE)
    template_key = models.CharField(
        max_length=40, blank=True, help_text="Message template, e.g. check_in"
    )
    purpose = models.CharField(
        max_length=20, default="care", help_text="care, information or celebrations"
    )
    # Only for the "information" template: the handout the message links to (and shares).
    resource = models.ForeignKey(
        Resource,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="care_rules",
        help_text="Shared with the client when the message is written",
    )
    task_kind = models.CharField(max_length=20, blank=True, help_text="call, note, post_card")
    estimated_minutes = models.PositiveIntegerField(default=5)
    condition = models.JSONField(default=dict, blank=True)
    value = models.PositiveSmallIntegerField(
        default=50, help_text="0–100: how much this act of care matters"
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["trigger", "offset_days", "id"]

    def __str__(self) -> str:
        return self.name


class CarePolicy(models.Model):
    """A practice's boundaries for automated messages: quiet hours and the contact budget.

    One row per practice, created on first use with the defaults below.
    """

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="care_policy")
    quiet_hours_start = models.TimeField(
        default=dt.time(20, 0), help_text="No automated message from this time (client local time)"
    )
    quiet_hours_end = models.TimeField(default=dt.time(8, 0), help_text="… until this time")
    contact_budget_messages = models.PositiveSmallIntegerField(
        default=2, help_text="At most this many automated messages per client …"
    )
    contact_budget_days = models.PositiveSmallIntegerField(
        default=7, help_text="… in any this many days"
    )
    replan_requested_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when a rule or policy change must re-plan every client; tick clears it",
    )
    swept_on = models.DateField(
        null=True,
        blank=True,
        help_text="The practice-local day of tick's last daily re-plan of every client",
    )

    def __str__(self) -> str:
        return f"Care policy of {self.practice}"


class TickLease(models.Model):
    """One row: which ``aftercare tick`` run holds the tick, and until when (see care/sweep.py)."""

    owner = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # When a tick last ran to its end: /healthz and /metrics report the lag behind it.
    last_finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Tick lease held by {self.owner or 'nobody'} until {self.expires_at}"


class ObservedTag(models.Model):
    """When the care engine first saw a tag on a client: the moment a "tag added" rule counts from.

    Client tags are a plain many-to-many without timestamps, so reconciliation records
    new tags here (and forgets removed ones) to give the planner a stable date.
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="observed_tags")
    tag_name = models.CharField(max_length=50)
    first_seen_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "tag_name"], name="unique_observed_tag")
        ]

    def __str__(self) -> str:
        return f"{self.tag_name} on client #{self.client_id} since {self.first_seen_at:%Y-%m-%d}"


class TouchpointStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    DUE = "due", "Due"
    SENT = "sent", "Sent"  # a message touchpoint handed to the outbox
    DONE = "done", "Done"  # a task completed by a person
    SKIPPED = "skipped", "Skipped"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


# Statuses reconciliation may change; the others are history and are never touched.
OPEN_STATUSES = (TouchpointStatus.PLANNED, TouchpointStatus.DUE)


class Touchpoint(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="touchpoints")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="touchpoints")
    key = models.CharField(
        max_length=200, unique=True, help_text="client:rule-or-source:occurrence"
    )
    rule = models.ForeignKey(
        CareRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="touchpoints"
    )
    kind = models.CharField(
        max_length=40, help_text="check_in, recall, birthday, reorder_reminder, …"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    template_key = models.CharField(max_length=40, blank=True)
    purpose = models.CharField(max_length=20, default="care")
    channel = models.CharField(max_length=10, blank=True)
    title = models.CharField(max_length=200, blank=True)
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(
        max_length=10, choices=TouchpointStatus.choices, default=TouchpointStatus.PLANNED
    )
    held_back_reason = models.CharField(max_length=300, blank=True)
    blocked = models.BooleanField(
        default=False,
        help_text="Held back until the reason goes away (no consent, opted out); "
        "skipped with that reason if it is still blocked when due",
    )
    status_reason = models.CharField(
        max_length=300, blank=True, help_text="Why skipped, expired or cancelled"
    )
    value = models.PositiveSmallIntegerField(default=50)
    estimated_minutes = models.PositiveIntegerField(default=0)
    context = models.JSONField(default=dict, blank=True, help_text='e.g. {"appointment_id": 5}')
    snoozed_until = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["practice", "status", "due_at"]),
            models.Index(fields=["client", "status"]),
            # The care queue's open tasks: read the backlog (planned or due tasks whose time has
            # come), not every task the practice ever did. PostgreSQL uses the small partial
            # index; SQLite, whose planner does not prove a partial index's condition from bound
            # parameters, the composite one (tests/test_query_plans.py checks both).
            models.Index(
                fields=["practice", "action", "status", "due_at"], name="touchpoint_open_work"
            ),
            models.Index(
                fields=["practice", "due_at"],
                condition=Q(action="task", status__in=["planned", "due"]),
                name="touchpoint_open_tasks",
            ),
        ]
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} for client #{self.client_id} at {self.due_at:%Y-%m-%d %H:%M} ({self.status})"


class PlanFingerprint(models.Model):
    """What a client's touchpoints were last planned from: a digest of every input the planner
    read (see ``care/fingerprints.py``). The sweep plans only clients whose inputs changed."""

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    digest = models.CharField(max_length=32)
    planned_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"Plan of client #{self.client_id} made {self.planned_at:%Y-%m-%d %H:%M}"
