"""The main navigation and page-wide banners; features plug in here.

Add a ``(label, url name)`` to NAV_ITEMS for a new top-level page, and register a banner
provider (a function of the request returning ``Banner``s) for warnings shown on every page,
such as "messages are not going out".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

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
    return [
        {"label": label, "url": url, "active": request.path.startswith(url) and url != "/"}
        for label, url in _nav_urls(
            tuple(NAV_ITEMS), settings.ROOT_URLCONF, get_urlconf(), get_script_prefix()
        )
    ]


@functools.lru_cache(maxsize=16)
def _nav_urls(
    items: tuple[tuple[str, str], ...], root_urlconf: str, urlconf: str | None, prefix: str
) -> tuple[tuple[str, str], ...]:
    """Each item's label and URL, reversed once per list, URLconf and script prefix: every
    page shows the navigation, and its dozen ``reverse`` calls were a sixth of the signed-in
    floor (issue 16)."""
    found = []
    for label, name in items:
        try:
            found.append((label, reverse(name, urlconf=urlconf)))
        except NoReverseMatch:
            continue  # the feature is not installed (yet)
    return tuple(found)


def banners(request: HttpRequest) -> list[Banner]:
    found: list[Banner] = []
    for provider in banner_providers:
        found.extend(provider(request))
    return found
