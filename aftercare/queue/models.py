"""Care hours (weekly time boxes for working the care queue) and the calendar feed's secret."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from aftercare import clock
from aftercare.practice.models import Practice


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
        db_table = "care_carehour"  # created by the care app before it was split; data kept
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
        db_table = "care_calendarfeed"  # created by the care app before it was split; data kept
        constraints = [
            models.UniqueConstraint(fields=["practice", "user"], name="one_feed_per_user_practice")
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user_id} in {self.practice_id}"


class QueueAct(models.Model):
    """One queue item a person finished (done or skipped): the care hour's progress counts them.

    The sources keep their own rows (a touchpoint done, a reply read); this is the queue's own
    note of *when* and *by whom*, whatever the kind, so "4 of 9 done" costs one query.
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    item = models.CharField(max_length=60)  # "<kind>:<object id>"
    action = models.CharField(max_length=10)  # done or skip
    at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["practice", "user", "at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.item}"
