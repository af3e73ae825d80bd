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

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.practice.models import Practice


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
        "Resource",
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
        ]
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} for client #{self.client_id} at {self.due_at:%Y-%m-%d %H:%M} ({self.status})"


# --- The care queue's own records: promises, resources, referrals, care hours -----------------


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
        indexes = [
            models.Index(fields=["practice", "status"]),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["status", "due_until"]),
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


class Resource(models.Model):
    """A piece of useful information (handout as Markdown, or a link) to share with clients."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="resources")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Markdown; sanitised when shown")
    link = models.URLField(blank=True)
    topics = models.CharField(
        max_length=300, blank=True, help_text="Comma-separated, e.g. sleep, grief"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def topic_list(self) -> list[str]:
        return [topic.strip() for topic in self.topics.split(",") if topic.strip()]


class ResourceShare(models.Model):
    """One resource shared with one client, by whom and when."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    # PROTECT: a shared resource is part of clients' records; it can be edited, not deleted.
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="shares")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="resource_shares")
    note = models.CharField(max_length=300, blank=True)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shared_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-shared_at", "-id"]

    def __str__(self) -> str:
        return f"{self.resource_id} shared with client #{self.client_id}"


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
        ordering = ["-referred_at", "-id"]

    def __str__(self) -> str:
        return f"Client #{self.client_id} referred to {self.referred_to}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class CareHour(models.Model):
    """A recurring weekly time box (in the practice's time zone) for working the care queue."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="care_hours")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["weekday", "starts", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")), name="care_hour_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"

    @property
    def minutes(self) -> int:
        return (self.ends.hour * 60 + self.ends.minute) - (
            self.starts.hour * 60 + self.starts.minute
        )


class CalendarFeed(models.Model):
    """The secret behind one user's calendar feed URL; changing ``key`` revokes old URLs."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "user"], name="one_feed_per_user_practice")
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user_id} in {self.practice_id}"
