"""The client page's plug-in points: timeline providers and page sections.

Other apps add what they know about a client to the client page (``clients-detail``) without
the clients app knowing them by name. Register from your AppConfig.ready()::

    from aftercare.clients.timeline import (
        ClientSection, TimelineAction, TimelineEntry,
        register_client_section, register_timeline_provider,
    )

    def supply_entries(client, actor):
        # One or two queries whatever the number of rows: select_related, no per-row queries.
        return [
            TimelineEntry(
                at=supply.started_at,                  # aware datetime; shown in the practice's zone
                kind="supply",                         # short word; becomes the CSS class kind-supply
                title=f"Started {supply.name}",
                detail=f"{supply.dose}, runs out {supply.runs_out_on:%d %b}",
                status=supply.status,                  # optional badge, "" for none
                url=reverse("supplies-detail", args=[supply.pk]),  # optional link, "" for none
                actions=(                              # optional POST buttons shown on the entry
                    TimelineAction("Re-ordered", reverse("supplies-reordered", args=[supply.pk])),
                ),
            )
            for supply in Supply.objects.filter(client=client).order_by("-started_at")[:100]
        ]

    def supplies_section(client, actor):
        supplies = list(Supply.objects.filter(client=client))
        if not supplies:
            return None                                # no panel at all
        return ClientSection(
            title="Supplies",
            template_name="supplies/client_section.html",  # rendered with ``context`` + client, actor
            context={"supplies": supplies},
            order=30,                                  # panels are shown by ascending order
        )

    register_timeline_provider(supply_entries)
    register_client_section(supplies_section)

Rules for providers and sections:

1. Each must cost a fixed number of queries, whatever the number of rows (the client page is
   tested with ``django_assert_max_num_queries``); cap long histories (e.g. the last 100 rows).
2. Respect the actor: an assistant (``actor.sees_private_notes`` is False) must not see health
   details such as notes; return fewer or blander entries for them.
3. ``client`` always belongs to ``actor.practice`` (the page loaded it through the access
   helpers), so filtering by ``client`` is enough to stay inside the practice.
4. Registering the same function twice is harmless.
5. A provider runs on every client page: read through ``aftercare.statements`` (``objects``
   for model instances, with ``related`` for what ``select_related`` would join) so the query
   is built once per process and only run on each page, as the bundled providers do.

Timeline entries of all providers are merged, newest first; the page shows the latest
``TIMELINE_LIMIT`` of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aftercare.clients.models import Client
    from aftercare.practice.access import Actor

TIMELINE_LIMIT = 200


@dataclass(frozen=True)
class TimelineAction:
    """A button on a timeline entry that POSTs ``fields`` to ``url`` (a form, works without JS).

    The page adds a ``next`` field so the view can return to the client page.
    """

    label: str
    url: str
    fields: dict[str, str] = field(default_factory=dict)
    style: str = "secondary"  # CSS class of the button: secondary or danger


@dataclass(frozen=True)
class TimelineEntry:
    """One row of a client's timeline: something that happened or will happen."""

    at: dt.datetime
    kind: str
    title: str
    detail: str = ""
    status: str = ""
    url: str = ""
    status_label: str = ""
    actions: tuple[TimelineAction, ...] = ()

    @property
    def badge(self) -> str:
        return self.status_label or self.status.replace("_", " ").capitalize()


@dataclass(frozen=True)
class ClientSection:
    """A panel on the client page, rendered from ``template_name`` with ``context``."""

    title: str
    template_name: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


TimelineProvider = Callable[["Client", "Actor"], list[TimelineEntry]]
SectionProvider = Callable[["Client", "Actor"], "ClientSection | None"]

_timeline_providers: list[TimelineProvider] = []
_section_providers: list[SectionProvider] = []


def register_timeline_provider(fn: TimelineProvider) -> TimelineProvider:
    """Add ``fn(client, actor) -> list[TimelineEntry]`` (usable as a decorator)."""
    if fn not in _timeline_providers:
        _timeline_providers.append(fn)
    return fn


def register_client_section(fn: SectionProvider) -> SectionProvider:
    """Add ``fn(client, actor) -> ClientSection | None`` (usable as a decorator)."""
    if fn not in _section_providers:
        _section_providers.append(fn)
    return fn


def timeline_for(
    client: Client, actor: Actor, *, limit: int = TIMELINE_LIMIT
) -> list[TimelineEntry]:
    """All providers' entries for ``client``, newest first, at most ``limit``."""
    entries: list[TimelineEntry] = []
    for provider in list(_timeline_providers):
        entries.extend(provider(client, actor))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


def sections_for(client: Client, actor: Actor) -> list[ClientSection]:
    """The panels for ``client`` that have something to show, in ascending ``order``."""
    sections = []
    for provider in list(_section_providers):
        section = provider(client, actor)
        if section is not None:
            sections.append(section)
    sections.sort(key=lambda section: (section.order, section.title))
    return sections
