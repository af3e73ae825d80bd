"""Insights: what the practice looks like from the client's side, kept per client."""

from __future__ import annotations

from django.db import models

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.practice.models import Practice


class InsightsPolicy(models.Model):
    """A practice's targets for the care score and the lost-clients list (one row, on first use)."""

    practice = models.OneToOneField(
        Practice, on_delete=models.CASCADE, related_name="insights_policy"
    )
    reply_target_hours = models.PositiveSmallIntegerField(
        default=48, help_text="A client's message should have a person's answer within this"
    )
    recall_weeks = models.PositiveSmallIntegerField(
        default=12,
        help_text="Lost after this many weeks without a visit (unless their usual interval says)",
    )
    refreshed_on = models.DateField(
        null=True, blank=True, help_text="The day of tick's last refresh of every client"
    )

    def __str__(self) -> str:
        return f"Insights policy of {self.practice}"


class ClientInsight(models.Model):
    """One client's care score, checklist and lost status, as last computed.

    Refreshed for one client when their page is opened or they change, and for every client by
    the daily tick step: the dashboard and the lost-clients list read these rows, so they cost
    the same few queries for ten clients or a hundred thousand.
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="insight")
    score = models.PositiveSmallIntegerField()
    checks = models.JSONField(default=list)
    # The checks by result as bit masks (bit i: the i-th check of ``score.CHECKS``), so the
    # dashboard groups every client by (score, met, not met, lost) in one small aggregate.
    met_mask = models.PositiveSmallIntegerField(default=0)
    unmet_mask = models.PositiveSmallIntegerField(default=0)
    visits = models.PositiveIntegerField(default=0)
    last_visit_at = models.DateTimeField(null=True, blank=True)
    lost_since = models.DateTimeField(null=True, blank=True)
    likely_reasons = models.JSONField(default=list, blank=True)
    # The same, for counting per month in SQL: the month lost (its first day, practice time)
    # and the reasons' keys joined by spaces.
    lost_month = models.DateField(null=True, blank=True)
    reason_keys = models.CharField(max_length=300, blank=True, default="")
    reach_out_touchpoint_id = models.BigIntegerField(null=True, blank=True)
    refreshed_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["practice", "score"]),
            # Covers the dashboard's one grouped query: read from the index alone.
            models.Index(
                fields=[
                    "practice",
                    "score",
                    "met_mask",
                    "unmet_mask",
                    "lost_since",
                    "refreshed_at",
                ],
                name="insight_dashboard",
            ),
            models.Index(
                fields=["practice", "lost_month", "reason_keys"], name="insight_lost_months"
            ),
            models.Index(
                fields=["practice", "lost_since"],
                condition=models.Q(lost_since__isnull=False),
                name="insight_lost_clients",
            ),
        ]

    def __str__(self) -> str:
        return f"Care score {self.score} of client #{self.client_id}"
