"""Resources: useful information (a handout or a link) and who it was shared with."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.practice.models import Practice


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
        db_table = "care_resource"  # created by the care app before it was split; data kept
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
        db_table = "care_resourceshare"  # created by the care app before it was split; data kept
        ordering = ["-shared_at", "-id"]

    def __str__(self) -> str:
        return f"{self.resource_id} shared with client #{self.client_id}"
