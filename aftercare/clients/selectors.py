"""Reads of clients for the practice pages: the searchable list and the client record."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from aftercare import statements
from aftercare.clients.models import Client, ConsentEvent, Purpose, Tag, full_name_of
from aftercare.phones import PhoneError, normalize_phone
from aftercare.practice.access import MAX_ID, Actor, scoped

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

    clients: list[ListRow]
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


@dataclass(frozen=True)
class SearchTerms:
    """What a search asks for: every word in a name or the email; for text that looks like a
    phone number, its digits (with and without the trunk prefix) and the whole number."""

    words: tuple[str, ...] = ()
    digits: str = ""
    trimmed: str = ""  # the digits without the trunk prefix's zeros
    number: str = ""


def search_terms(query: str, *, country: str) -> SearchTerms:
    """``query`` read as words and, when it looks like a phone number, digits and a number
    in the practice's country ("07911 123456" is +447911123456)."""
    query = query.strip()
    if not query:
        return SearchTerms()
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 3 and _PHONE_LIKE.match(query):
        number = whole_phone_number(query, country=country)
        return SearchTerms(tuple(query.split()), digits, digits.lstrip("0"), number)
    return SearchTerms(tuple(query.split()))


def terms_condition(
    words: tuple[str, ...], digits: str = "", trimmed: str = "", number: str = ""
) -> Q:
    """Every word in one of the name fields or the email ("ruth mil" finds Ruth Miller); the
    digits anywhere in the stored E.164 number, also without the national trunk prefix
    ("07911 123456" is stored as +447911123456); the whole number exactly."""
    condition = Q()
    for word in words:
        condition &= (
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(preferred_name__icontains=word)
            | Q(email__icontains=word)
        )
    if digits:
        condition |= Q(phone__contains=digits) | Q(phone__contains=trimmed)
    if number:
        condition |= Q(phone=number)
    return condition


def search_condition(query: str, *, country: str) -> Q:
    """Match ``query`` against names, email and phone (``search_terms``, ``terms_condition``)."""
    terms = search_terms(query, country=country)
    return terms_condition(terms.words, terms.digits, terms.trimmed, terms.number)


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


def matching_clients(
    practice: int,
    *,
    archived: bool | None,
    exact_number: bool = False,
    unassigned: bool = False,
    words: tuple[str, ...] = (),
    digits: str = "",
    trimmed: str = "",
    number: str = "",
    tag: int | None = None,
    practitioner: int | None = None,
) -> QuerySet[Client]:
    """The practice's clients matching a search and filters, in name order: the one place the
    list's condition is written, for the web list (as a statement), the API and the picker.

    ``exact_number``: only the clients with the whole phone number ``number`` (through the
    (practice, phone) index, ``_search_values``).
    """
    # `archived IN (…)`, not `archived=…`: Django writes the latter as `NOT archived`, which
    # keeps SQLite off the (practice, archived, family_name, given_name) index and makes it
    # sort every client of the practice for each page (5x slower at 20,000).
    statuses = [False, True] if archived is None else [archived]
    if exact_number:
        # Through the (practice, phone) index by primary key: with the practice and archived
        # conditions on the same rows, SQLite (without statistics) walked the practice's name
        # index (practice, archived, …) checking every client's phone (30 ms at 100,000).
        clients = Client.objects.filter(
            pk__in=Client.objects.filter(practice_id=practice, phone=number).values("pk"),
            archived__in=statuses,
        )
    else:
        clients = Client.objects.filter(practice_id=practice, archived__in=statuses).filter(
            terms_condition(words, digits, trimmed, number)
        )
    if tag is not None:
        clients = clients.filter(tags=tag)
    if unassigned:
        clients = clients.filter(primary_practitioner__isnull=True)
    elif practitioner is not None:
        clients = clients.filter(primary_practitioner_id=practitioner)
    return clients.order_by("family_name", "given_name", "id")


def _search_values(actor: Actor, filters: ClientFilters) -> tuple[dict[str, Any], bool]:
    """The values of ``matching_clients`` for ``filters`` (only those given), and whether the
    search is a whole phone number a client has: then only its clients are looked up, through
    the (practice, phone) index (one small query first), instead of walking every client of
    the practice for the digits."""
    terms = search_terms(filters.query, country=actor.practice.country)
    values: dict[str, Any] = {"practice": actor.practice.pk}
    exact = bool(terms.number) and bool(
        statements.rows(
            ("clients: has the number", filters.archived),
            lambda practice, number: matching_clients(
                practice, archived=filters.archived, exact_number=True, number=number
            ).values_list("pk")[:1],
            practice=actor.practice.pk,
            number=terms.number,
        )
    )
    if exact:
        values["number"] = terms.number
    else:
        given = {"words": terms.words, "digits": terms.digits, "number": terms.number}
        values.update({name: value for name, value in given.items() if value})
        if terms.digits:
            values["trimmed"] = terms.trimmed
    if filters.tag is not None:
        values["tag"] = filters.tag.pk
    if not filters.unassigned and filters.practitioner_id is not None:
        values["practitioner"] = filters.practitioner_id
    return values, exact


# From this offset on, a page of the list finds its ids before reading its rows (``Matching.rows``).
DEFERRED_FROM = 1000


@dataclass(frozen=True)
class Matching:
    """The clients matching a search and filters, read through statements: the SQL of each
    shape (which filters, how many words, the columns and page) is built once per process."""

    filters: ClientFilters
    values: dict[str, Any]  # ``matching_clients``' values for these filters
    exact: bool  # a whole phone number a client has

    def queryset(self, **given: Any) -> QuerySet[Client]:
        return matching_clients(
            archived=self.filters.archived,
            exact_number=self.exact,
            unassigned=self.filters.unassigned,
            **given,
        )

    def _key(self, *more: Any) -> tuple[Any, ...]:
        shape = (self.filters.archived, self.exact, self.filters.unassigned)
        return ("clients: matching", tuple(sorted(self.values)), *shape, *more)

    def rows(self, columns: tuple[str, ...], offset: int, limit: int) -> list[tuple[Any, ...]]:
        """``columns`` of the clients ``offset`` to ``offset + limit`` in name order.

        From ``DEFERRED_FROM`` rows on, the page's ids are found first (``id IN (… OFFSET …)``):
        the rows skipped are then walked in the name index alone, not each read and joined to
        its practitioner (the last page of 100,000 clients: 26 → 6 ms on SQLite), and only the
        page's rows are read and put in order again (a sort of one page).
        """

        deferred = offset >= DEFERRED_FROM

        def build(**given: Any) -> QuerySet[Client]:
            found = self.queryset(**given)
            if not deferred:
                return found.values_list(*columns)[offset : offset + limit]
            page = found.values("pk")[offset : offset + limit]
            return Client.objects.filter(pk__in=page).values_list(*columns)

        key = self._key(columns, offset, limit, deferred)
        return statements.rows(key, build, **self.values)

    def count(self) -> int:
        return statements.count(self._key("count"), self.queryset, **self.values)


def matching(actor: Actor, filters: ClientFilters) -> Matching:
    values, exact = _search_values(actor, filters)
    return Matching(filters, values, exact)


def clients_to_pick(
    actor: Actor, query: str, *, exclude: Iterable[int] = (), limit: int = 10
) -> tuple[list[Client], bool]:
    """Active clients matching ``query`` for the client picker, in name order, and whether there
    are more than ``limit``. The same search as the clients list (``matching``); one query
    (two for a whole phone number a client has). No query, no rows: the picker never lists the
    whole practice."""
    if not query.strip():
        return [], False
    found = matching(actor, ClientFilters(query=query))
    values = dict(found.values)
    if exclude:  # (how many is part of the statement's shape)
        values["excluded"] = tuple(sorted(set(exclude)))

    def build(**given: Any) -> QuerySet[Client]:
        excluded = given.pop("excluded", None)
        rows = found.queryset(**given)
        if excluded is not None:
            rows = rows.exclude(pk__in=excluded)
        return rows[: limit + 1]

    rows = statements.objects(
        found._key("to pick", limit, "excluded" in values),
        build,
        model=Client,
        known={"practice": actor.practice},
        **values,
    )
    return rows[:limit], len(rows) > limit


# What a row of the list shows, read as tuples: making model instances of 50 clients, their
# practitioners and a hundred tags (the prefetch) was a third of the page (issue 16).
LIST_COLUMNS = (
    "pk",
    "given_name",
    "family_name",
    "preferred_name",
    "archived",
    "email",
    "phone_display",
    "primary_practitioner__full_name",
    "primary_practitioner__email",
)


@dataclass(frozen=True, slots=True)
class ListRow:
    """One client as the list shows it."""

    pk: int
    full_name: str
    preferred_name: str
    archived: bool
    email: str
    phone_display: str
    practitioner: str  # the display name, "" for none
    tags: tuple[str, ...]


def client_page(
    actor: Actor, filters: ClientFilters, *, number: int = 1, page_size: int = PAGE_SIZE
) -> ClientPage:
    """Page ``number`` (from 1) of the list: two queries (rows + their tags), whatever the size
    (and one more for a whole phone number, ``_search_values``), each built once per shape of
    search (``statements``: which filters, how many words, the page) and then only run."""
    number = max(1, number)
    found = matching(actor, filters).rows(LIST_COLUMNS, (number - 1) * page_size, page_size + 1)
    shown = found[:page_size]
    tags = tags_of(tuple(row[0] for row in shown))
    rows = [
        ListRow(
            pk=pk,
            full_name=full_name_of(given, family),
            preferred_name=preferred,
            archived=archived,
            email=email,
            phone_display=phone,
            practitioner=(by_name or by_email.split("@")[0]) if by_email is not None else "",
            tags=tags.get(pk, ()),
        )
        for pk, given, family, preferred, archived, email, phone, by_name, by_email in shown
    ]
    return ClientPage(
        clients=rows, number=number, page_size=page_size, has_next=len(found) > page_size
    )


def tags_of(clients: tuple[int, ...]) -> dict[int, tuple[str, ...]]:
    """Each of ``clients``' tag names, in name order (one query; none for no clients)."""
    if not clients:
        return {}
    found: dict[int, list[str]] = {}
    for client, name in statements.rows(
        "clients: tags of",
        lambda clients: (
            Client.tags.through.objects.filter(client_id__in=clients)
            .order_by("tag__name", "tag_id")
            .values_list("client_id", "tag__name")
        ),
        clients=clients,
    ):
        found.setdefault(client, []).append(name)
    return {client: tuple(names) for client, names in found.items()}


def client_for_page(actor: Actor, pk: int) -> Client:
    """One client of the actor's practice with what its page shows (its practitioner, tags and
    consent history), else 404. Three queries, each built once (``statements``); the practice
    is the actor's own, not read again."""
    if not 0 < pk <= MAX_ID:  # past the database's integers: names no row
        raise Http404("Not found")
    found = statements.objects(
        "clients: one for its page",
        lambda practice, pk: Client.objects.filter(practice_id=practice, pk=pk),
        model=Client,
        related=("primary_practitioner",),
        known={"practice": actor.practice},
        practice=actor.practice.pk,
        pk=pk,
    )
    if not found:
        raise Http404("Not found")
    client = found[0]
    statements.prefetched(
        client,
        "tags",
        statements.objects(
            "clients: a client's tags",
            lambda client: Tag.objects.filter(clients=client).order_by("name", "pk"),
            model=Tag,
            client=client.pk,
        ),
    )
    statements.prefetched(
        client,
        "consent_events",
        statements.objects(
            "clients: a client's consent history",
            lambda client: ConsentEvent.objects.filter(client_id=client).order_by("-at", "-id"),
            model=ConsentEvent,
            related=("recorded_by",),
            client=client.pk,
        ),
    )
    return client


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
