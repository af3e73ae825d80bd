"""Imports: uploaded files and what became of them, remembered column mappings."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from aftercare import clock
from aftercare.practice.models import Practice


class ImportJob(models.Model):
    """One uploaded file: its mapping, its dry run, then its import by the worker.

    A client file waits as *uploaded* while a person checks its columns and dry run; a
    calendar file (no columns to map) is *queued* at once.
    """

    class Kind(models.TextChoices):
        CLIENTS = "clients", "Clients"
        APPOINTMENTS = "appointments", "Appointments"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Waiting for its columns to be checked"
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CLIENTS)
    # A calendar's appointments are booked with this practitioner (the upload form's choice).
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    mapping = models.JSONField(default=dict, blank=True)
    date_order = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def percent_done(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done_rows / self.total_rows) if self.total_rows else 0


class SavedMapping(models.Model):
    """The columns a practice mapped for a file with this header, offered next time."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    header_key = models.CharField(max_length=64, help_text="SHA-256 of the normalised header")
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "header_key"], name="unique_saved_mapping")
        ]

    def __str__(self) -> str:
        return f"mapping {self.header_key[:8]}"


class SeriesLink(models.Model):
    """A calendar event (all of its series) a person matched to a client by hand."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    uid = models.CharField(max_length=500)
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "uid"], name="unique_series_link")
        ]

    def __str__(self) -> str:
        return self.uid


class UnmatchedEvent(models.Model):
    """A calendar occurrence no client could be found for, waiting in the review screen."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    key = models.CharField(max_length=200)
    uid = models.CharField(max_length=500)
    title = models.CharField(max_length=300, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    attendee_emails = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "key"], name="unique_unmatched_event")
        ]
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.title} {self.starts_at:%Y-%m-%d %H:%M}"


class CalendarSubscription(models.Model):
    """A calendar's secret address (Google, Outlook, Apple), polled by the worker."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    url = models.CharField(max_length=2000)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    # The appointment keys the calendar held at the last poll: one gone since was deleted.
    known_keys = models.JSONField(default=list, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_changed_at = models.DateTimeField(null=True, blank=True)
    last_result = models.JSONField(default=dict, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.display_url

    @property
    def display_url(self) -> str:
        """The address without its secret part (the path holds the key)."""
        head, _, rest = self.url.partition("://")
        host = rest.split("/", 1)[0]
        return f"{host} (…{self.url[-6:]})" if head else self.url[:40]
