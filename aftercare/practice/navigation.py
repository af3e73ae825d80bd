"""The main navigation and page-wide banners; features plug in here.

Add a ``(label, url name)`` to NAV_ITEMS for a new top-level page, and register a banner
provider (a function of the request returning ``Banner``s) for warnings shown on every page,
such as "messages are not going out".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

NAV_ITEMS: list[tuple[str, str]] = [
    ("Today", "queue-today"),
    ("Inbox", "messaging-inbox"),
    ("Care queue", "care-queue"),
    ("Care rules", "care-rules"),
    ("Clients", "clients-list"),
    ("Schedule", "appointments-week"),
    ("Outbox", "messaging-outbox"),
    ("Absences", "absences-list"),
    ("Running out", "supplies-running-out"),
    ("Worsening scores", "measures-worsened"),
    ("Resources", "resources-list"),
    ("Settings", "practice-settings"),
]


@dataclass(frozen=True)
class Banner:
    text: str
    level: str = "warning"  # warning, info, danger


BannerProvider = Callable[[HttpRequest], list[Banner]]
banner_providers: list[BannerProvider] = []


def nav_items(request: HttpRequest) -> list[dict[str, object]]:
    items = []
    for label, name in NAV_ITEMS:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # the feature is not installed (yet)
        items.append(
            {"label": label, "url": url, "active": request.path.startswith(url) and url != "/"}
        )
    return items


def banners(request: HttpRequest) -> list[Banner]:
    found: list[Banner] = []
    for provider in banner_providers:
        found.extend(provider(request))
    return found
