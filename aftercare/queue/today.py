"""The Today page: what needs a person now, assembled from cards that apps register (pure Python).

The page after sign-in answers one question: "what must I do today?". Each app contributes a
*Today card* (appointments, replies waiting, promises due, supplies to prepare, the care hour,
the next absence) without the queue knowing the app:

1. Write ``card(actor, now, scope) -> TodayCard | None`` returning the card for the actor's
   practice — ``scope`` is ``"mine"`` (the actor's clients, or nobody's) or ``"practice"``
   (the whole practice, for owners and assistants). It must cost a fixed number of queries
   whatever the number of rows (list at most ``CARD_LIMIT`` entries and count the rest).
   Return ``None`` when the card has nothing to say even when empty (a feature switched off).
2. Give every entry its one obvious action (``TodayAction``: a link, or a POST form with
   hidden fields) and, where a person should phone, the client's number: it becomes a
   ``tel:`` link.
3. Register once from your ``AppConfig.ready()``::

       from aftercare.queue.today import register_today_card
       register_today_card(replies_waiting_card)

Cards are shown by ``order`` (lowest first), then by title. Words are the glossary's words:
an entry never shows a key or an id where a name belongs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aftercare.queue import items

if TYPE_CHECKING:  # the registry stores callables; it never touches the database
    from aftercare.practice.access import Actor

CARD_LIMIT = 20
SCOPES: tuple[str, ...] = ("mine", "practice")


@dataclass(frozen=True)
class TodayAction:
    """The one obvious thing to do with an entry: follow a link, or post a small form."""

    label: str
    url: str
    method: str = "get"  # "get": a link; "post": a button posting ``fields`` to ``url``
    fields: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.method not in {"get", "post"}:
            raise ValueError(f"method must be get or post, got {self.method!r}")


@dataclass(frozen=True)
class TodayEntry:
    """One line of a card: who or what, what about, when, and what to do."""

    title: str
    client_id: int | None = None  # whose record the entry shows (for the audit of reads)
    detail: str = ""  # the client's own words, what was promised…
    note: str = ""  # why it is here: the triage reason, the state, the run-out day
    when: dt.datetime | None = None
    when_label: str = ""  # "Today 10:00"; empty: the card shows ``when`` itself
    urgency: str = ""  # routine, attention, urgent, crisis: how the entry is marked
    phone: str = ""  # E.164: shown as a tap-to-call link when set
    phone_label: str = ""  # the number as people read it
    action: TodayAction | None = None
    secondary: TodayAction | None = None

    @property
    def buttons(self) -> tuple[tuple[TodayAction, bool], ...]:
        """``(action, secondary?)`` for each action, so the page writes both in one loop."""
        return tuple(
            (action, secondary)
            for action, secondary in ((self.action, False), (self.secondary, True))
            if action is not None
        )


@dataclass(frozen=True)
class TodayCard:
    key: str  # stable, for the page's anchors and tests
    title: str
    entries: tuple[TodayEntry, ...] = ()
    order: int = 50
    summary: str = ""  # "4 of 9 done, 35 min left"
    empty_text: str = "Nothing today."
    more: int | str = 0  # entries left off the card (or "980+", from a bounded count)
    link: TodayAction | None = None  # the page where the whole list lives


CardProvider = Callable[["Actor", dt.datetime, str], "TodayCard | None"]
_providers: dict[str, CardProvider] = {}


def register_today_card(provider: CardProvider) -> None:
    """Add (or replace, so re-registering in tests is harmless) a card provider."""
    _providers[f"{provider.__module__}.{provider.__qualname__}"] = provider


def today_cards(actor: Actor, now: dt.datetime, scope: str) -> list[TodayCard]:
    """Every registered card for the actor, in page order."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")
    # The cards share what they read of the care queue's sources (the care hour and the
    # promises card both read the promises).
    with items.reads_shared():
        cards = [card for provider in _providers.values() if (card := provider(actor, now, scope))]
    return sorted(cards, key=lambda card: (card.order, card.title))


def progress_words(done: int, planned: int, minutes_left: int) -> str:
    """ "4 of 9 done, 35 min left" — the care hour at a glance."""
    minutes = f"{minutes_left} min left" if minutes_left > 0 else "time is up"
    return f"{done} of {planned} done, {minutes}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 reply", "2 replies": the count and the right form of the word."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count} {word}"
