"""Reads of clients for the practice pages: the searchable list and the client record."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from aftercare.clients.models import Client, ConsentEvent, Purpose, Tag
from aftercare.phones import PhoneError, normalize_phone
from aftercare.practice.access import Actor, get_scoped_or_404, scoped

PAGE_SIZE = 50

_PHONE_LIKE = re.compile(r"^[\d\s+()\-./]+$")


@dataclass(frozen=True)
class ClientFilters:
    """What the clients list is narrowed to (all optional)."""

    query: str = ""
    tag: Tag | None = None
    practitioner_id: int | None = None
    unassigned: bool = False
    archived: bool | None = False  # None: archived and active alike


@dataclass(frozen=True)
class ClientPage:
    """One page of clients. No COUNT(*): the next page exists when one more row was found."""

    clients: list[Client]
    number: int
    page_size: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.page_size + 1 if self.clients else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.page_size + len(self.clients)


def search_condition(query: str, *, country: str) -> Q:
    """Match ``query`` against names, email and phone.

    1. Every word must appear in one of the name fields or the email ("ruth mil" finds Ruth
       Miller).
    2. Text that looks like a phone number also matches the stored E.164 number, read in the
       practice's country or by its digits without the trunk prefix ("07911 123456" finds
       +447911123456).
    """
    query = query.strip()
    if not query:
        return Q()
    words = Q()
    for word in query.split():
        words &= (
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(preferred_name__icontains=word)
            | Q(email__icontains=word)
        )
    condition = words
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 3 and _PHONE_LIKE.match(query):
        # Without the national trunk prefix: "07911 123456" is stored as +447911123456.
        condition |= Q(phone__contains=digits) | Q(phone__contains=digits.lstrip("0"))
        number = whole_phone_number(query, country=country)
        if number:
            condition |= Q(phone=number)
    return condition


def whole_phone_number(query: str, *, country: str) -> str:
    """The E.164 number ``query`` is when it is a whole phone number as people type it
    ("07911 123456", "+44 7911 123456"), read in the practice's country; else ""."""
    query = query.strip()
    if len(re.sub(r"\D", "", query)) < 7 or not _PHONE_LIKE.match(query):
        return ""
    try:
        return normalize_phone(query, country)
    except PhoneError:
        return ""


def client_list_queryset(actor: Actor, filters: ClientFilters) -> QuerySet[Client]:
    """The actor's practice's clients matching ``filters``, in name order, rows ready to show.

    A search for a whole phone number that a client has finds the clients with that number
    through the (practice, phone) index (one small query first), instead of walking every
    client of the practice for the digits; without such a client, the search is as before.
    """
    country = actor.practice.country
    clients = scoped(Client, actor).filter(
        # `archived IN (…)`, not `archived=…`: Django writes the latter as `NOT archived`,
        # which keeps SQLite off the (practice, archived, family_name, given_name) index and
        # makes it sort every client of the practice for each page (5x slower at 20,000).
        archived__in=[False, True] if filters.archived is None else [filters.archived]
    )
    number = whole_phone_number(filters.query, country=country)
    if number and clients.filter(phone=number).exists():
        condition = Q(phone=number)
    else:
        condition = search_condition(filters.query, country=country)
    clients = (
        clients.filter(condition)
        .select_related("primary_practitioner")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .order_by("family_name", "given_name", "id")
    )
    if filters.tag is not None:
        clients = clients.filter(tags=filters.tag)
    if filters.unassigned:
        clients = clients.filter(primary_practitioner__isnull=True)
    elif filters.practitioner_id is not None:
        clients = clients.filter(primary_practitioner_id=filters.practitioner_id)
    return clients


def clients_to_pick(
    actor: Actor, query: str, *, exclude: Iterable[int] = (), limit: int = 10
) -> tuple[list[Client], bool]:
    """Active clients matching ``query`` for the client picker, in name order, and whether there
    are more than ``limit``. The same search as the clients list; one query (two for a whole
    phone number a client has, ``client_list_queryset``). No query, no rows:
    the picker never lists the whole practice."""
    if not query.strip():
        return [], False
    rows = list(
        client_list_queryset(actor, ClientFilters(query=query))
        .exclude(pk__in=list(exclude))
        .select_related(None)
        .prefetch_related(None)[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


# What a row of the list shows: reading and converting the other columns of 50 clients (their
# notes, consent, messaging state) was a sizeable part of the page for nothing (issue 16).
LIST_COLUMNS = (
    "given_name",
    "family_name",
    "preferred_name",
    "archived",
    "email",
    "phone_display",
    "primary_practitioner__full_name",
    "primary_practitioner__email",
)


def client_page(
    actor: Actor, filters: ClientFilters, *, number: int = 1, page_size: int = PAGE_SIZE
) -> ClientPage:
    """Page ``number`` (from 1) of the list: two queries (rows + their tags), whatever the size
    (and one more for a whole phone number a client has, ``client_list_queryset``)."""
    number = max(1, number)
    offset = (number - 1) * page_size
    rows = list(
        client_list_queryset(actor, filters).only(*LIST_COLUMNS)[offset : offset + page_size + 1]
    )
    return ClientPage(
        clients=rows[:page_size],
        number=number,
        page_size=page_size,
        has_next=len(rows) > page_size,
    )


def client_for_page(actor: Actor, pk: int) -> Client:
    """One client of the actor's practice with what its page shows, else 404."""
    queryset = Client.objects.select_related("practice", "primary_practitioner").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name")),
        Prefetch(
            "consent_events",
            queryset=ConsentEvent.objects.select_related("recorded_by").order_by("-at", "-id"),
        ),
    )
    return get_scoped_or_404(queryset, actor, pk=pk)


def consent_by_purpose(client: Client) -> list[dict[str, object]]:
    """For each purpose: whether consent is given now and its history, newest first.

    Uses the prefetched ``consent_events`` (no query per purpose).
    """
    events = list(client.consent_events.all())
    return [
        {
            "purpose": purpose,
            "label": label,
            "granted": client.has_consent(purpose),
            "history": [event for event in events if event.purpose == purpose],
        }
        for purpose, label in Purpose.choices
    ]


DUPLICATES_SHOWN = 5


def possible_duplicates(
    actor: Actor,
    *,
    email: str,
    phone: str,
    given_name: str,
    family_name: str,
    birth_date: object,
    exclude: int | None = None,
) -> list[tuple[Client, str]]:
    """Clients of the practice who may be the same person, each with why (one query).

    The same email (in any case), the same mobile number, or the same name and birth date.
    Each is looked up through its own index — (practice, LOWER(email)), (practice, phone),
    (practice, birth_date) — and at most a few of each kept, then ordered: with the three
    ORed in one condition the database walked every client of the practice in name order
    looking for them, when adding a client as when opening the merge page.
    """
    clients = scoped(Client, actor)
    parts = []
    if email:
        parts.append(clients.with_email(email))
    if phone:
        parts.append(clients.filter(phone=phone))
    if given_name and family_name and birth_date:
        parts.append(
            clients.filter(
                birth_date=birth_date,
                given_name__iexact=given_name,
                family_name__iexact=family_name,
            )
        )
    if not parts:
        return []
    # One more of each than is shown: ``exclude`` may be among them.
    ids = [
        Client.objects.filter(pk__in=part.order_by().values("pk")[: DUPLICATES_SHOWN + 1])
        .order_by()
        .values("pk")
        for part in parts
    ]
    rows = Client.objects.filter(pk__in=ids[0].union(*ids[1:], all=True))
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    found = []
    for client in rows.order_by("archived", "family_name", "given_name", "id")[:DUPLICATES_SHOWN]:
        reasons = []
        if email and client.email.lower() == email.lower():
            reasons.append("the same email")
        if phone and client.phone == phone:
            reasons.append("the same mobile number")
        if birth_date and client.birth_date == birth_date:
            reasons.append("the same name and birth date")
        found.append((client, " and ".join(reasons)))
    return found
