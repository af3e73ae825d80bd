"""Reconciliation: make the stored touchpoints match what the planner wants.

``reconcile_client(client)`` runs after every change to a client (registered on
``aftercare.clients.events.on_client_changed``, on commit); ``reconcile_all()`` is the bulk
sweep behind ``aftercare plan --all``. Both go through ``reconcile_batch``, which costs a fixed
number of queries per batch whatever its size:

1. the clients (with their practice's time zone), the practices' rules and policies;
2. their appointments, tags, observed tags and touchpoints (one query each), plus one per
   registered fact loader;
3. plan each client (pure, ``care/planner.py``);
4. upsert by key: insert new touchpoints, update changed planned (or cancelled) ones, cancel
   planned/due ones the planner no longer wants — with the reason — and never touch what was
   sent, done, skipped or expired. Each write is one bulk statement.

Only touchpoints the planner made (``context["trigger"]`` is set) are reconciled; a feature
that writes its own touchpoints keeps them to itself.

Extending the facts (issue 5)::

    register_fact_loader("supplies", load_supplies)   # (client_ids) -> {client_id: value}
    register_policy_loader("absences", load_absences) # (practice_ids) -> {practice_id: value}

The planner then sees ``facts.supplies`` and ``policy.absences``.

One bad row never stops the others: a batch that fails is split in halves until the client it
fails on stands alone; that client is reported (``ReconcileResult.skipped``, the log) and keeps
the touchpoints it had, and every other client is planned. A row can be bad even when every
form bounds its input: it may predate the bounds or come from outside the app (an appointment
in year 9999 made the planner's date arithmetic overflow for the whole practice).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models.constants import OnConflict

from aftercare import clock, locales
from aftercare.appointments.models import Appointment
from aftercare.care import fingerprints
from aftercare.care.facts import (
    AppointmentFact,
    ClientFacts,
    EventFact,
    ExistingTouchpoint,
    PlannedTouchpoint,
    PracticePolicy,
    RuleSpec,
    SentMessage,
)
from aftercare.care.models import (
    CarePolicy,
    CareRule,
    ObservedTag,
    PlanFingerprint,
    Touchpoint,
    TouchpointStatus,
)
from aftercare.care.planner import Planner
from aftercare.care.triggers import ADJUSTERS, CONDITIONS, TRIGGERS, day_text, local_date
from aftercare.clients.models import Client
from aftercare.phones import can_receive_texts
from aftercare.resources.models import ResourceShare

_NOTHING: Mapping[Any, Any] = MappingProxyType({})  # a shared, read-only empty mapping

FactLoader = Callable[[Sequence[int]], dict[int, Any]]
PolicyLoader = Callable[[Sequence[int]], dict[int, Any]]

FACT_LOADERS: dict[str, FactLoader] = {}
POLICY_LOADERS: dict[str, PolicyLoader] = {}


def register_fact_loader(name: str, loader: FactLoader) -> FactLoader:
    """``loader(client_ids)`` returns ``{client_id: value}``; the planner sees ``facts.<name>``."""
    FACT_LOADERS[name] = loader
    return loader


def register_policy_loader(name: str, loader: PolicyLoader) -> PolicyLoader:
    """``loader(practice_ids)`` returns ``{practice_id: value}``; the planner sees ``policy.<name>``."""
    POLICY_LOADERS[name] = loader
    return loader


# Fields written from a PlannedTouchpoint; comparing them tells whether a row changed.
PLANNED_FIELDS = (
    "rule_id",
    "kind",
    "action",
    "template_key",
    "purpose",
    "channel",
    "title",
    "due_at",
    "status",
    "held_back_reason",
    "status_reason",
    "blocked",
    "value",
    "estimated_minutes",
    "context",
)
log = logging.getLogger("aftercare.care")

REPLANNABLE = {TouchpointStatus.PLANNED, TouchpointStatus.CANCELLED}
CANCELLABLE = {TouchpointStatus.PLANNED, TouchpointStatus.DUE}

CLIENT_FIELDS = [
    "id",
    "practice_id",
    "practice__time_zone",
    "time_zone",
    "birth_date",
    "primary_practitioner_id",
    "archived",
    "preferred_channel",
    "email",
    "phone",
    "consent_care",
    "consent_information",
    "consent_celebrations",
    # The practice's locale: how the texts the planner makes write their dates.
    "practice__language",
    "practice__country",
]
# Added by the messaging feature: opted_out_at (a moment), paused_until (a local day,
# inclusive), and email_unusable / phone_unusable (set after a permanent delivery failure).
OPTIONAL_CLIENT_FIELDS = ["opted_out_at", "paused_until", "email_unusable", "phone_unusable"]


@dataclass(frozen=True)
class SkippedClient:
    """A client the planner could not plan: kept as they were, and said why."""

    client_id: int
    reason: str

    def __str__(self) -> str:
        return f"client #{self.client_id}: {self.reason}"


@dataclass
class ReconcileResult:
    clients: int = 0
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    unchanged: int = 0  # clients not planned again: their inputs are those of their last plan
    planned: dict[int, list[PlannedTouchpoint]] = field(default_factory=dict, repr=False)
    skipped: list[SkippedClient] = field(default_factory=list)

    def add(self, other: ReconcileResult) -> None:
        self.clients += other.clients
        self.created += other.created
        self.updated += other.updated
        self.cancelled += other.cancelled
        self.unchanged += other.unchanged
        self.planned.update(other.planned)
        self.skipped.extend(other.skipped)

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.cancelled


# --- loading -----------------------------------------------------------------------------------


def rule_spec(rule: CareRule) -> RuleSpec:
    return RuleSpec(
        id=rule.pk,
        name=rule.name,
        trigger=rule.trigger,
        trigger_options=rule.trigger_options or {},
        offset_days=rule.offset_days,
        local_time=_as_time(rule.local_time),
        action=rule.action,
        template_key=rule.template_key,
        purpose=rule.purpose,
        task_kind=rule.task_kind,
        estimated_minutes=rule.estimated_minutes,
        condition=rule.condition or {},
        value=rule.value,
        enabled=rule.enabled,
        resource_id=rule.resource_id,
    )


def _as_time(value: dt.time | str) -> dt.time:
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(value)


def policy_from(
    row: CarePolicy | None,
    time_zone: str,
    extra: dict[str, Any],
    locale: str = locales.DEFAULT_LOCALE,
) -> PracticePolicy:
    if row is None:
        return PracticePolicy(time_zone=time_zone, locale=locale, extra=extra)
    return PracticePolicy(
        time_zone=time_zone,
        locale=locale,
        quiet_hours_start=_as_time(row.quiet_hours_start),
        quiet_hours_end=_as_time(row.quiet_hours_end),
        contact_budget_messages=row.contact_budget_messages,
        contact_budget_days=row.contact_budget_days,
        extra=extra,
    )


def load_rules(practice_ids: Iterable[int]) -> dict[int, list[RuleSpec]]:
    rules: dict[int, list[RuleSpec]] = defaultdict(list)
    for rule in CareRule.objects.filter(practice_id__in=list(practice_ids), enabled=True):
        rules[rule.practice_id].append(rule_spec(rule))
    return rules


def load_policies(
    practice_zones: dict[int, str], practice_locales: Mapping[int, str] | None = None
) -> dict[int, PracticePolicy]:
    rows = {
        row.practice_id: row for row in CarePolicy.objects.filter(practice_id__in=practice_zones)
    }
    extras: dict[int, dict[str, Any]] = defaultdict(dict)
    for name, loader in POLICY_LOADERS.items():
        for practice_id, value in loader(list(practice_zones)).items():
            extras[practice_id][name] = value
    practice_locales = practice_locales or {}
    return {
        practice_id: policy_from(
            rows.get(practice_id),
            zone,
            extras[practice_id],
            practice_locales.get(practice_id, locales.DEFAULT_LOCALE),
        )
        for practice_id, zone in practice_zones.items()
    }


def reachable_channel(row: dict[str, Any]) -> str:
    """The client's preferred channel if it has an address, else any channel that has one."""
    preferred = row["preferred_channel"]
    email = row["email"] and not row.get("email_unusable", False)
    if preferred == "email" and email:
        return "email"  # without parsing the phone number: the sweep's most common case

    def phone() -> bool:
        # A landline is a number to call, never one to text.
        number = row["phone"]
        return bool(number) and not row.get("phone_unusable", False) and can_receive_texts(number)

    if preferred in {"sms", "whatsapp"} and phone():
        return preferred
    if email:
        return "email"
    if phone():
        return "sms"
    return ""


def paused_until_moment(day: dt.date | None, time_zone: str) -> dt.datetime | None:
    """A pause "until 10 December" (inclusive) ends at the start of 11 December, client time."""
    if day is None:
        return None
    return dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=ZoneInfo(time_zone)
    )


def _client_values_fields() -> list[str]:
    names = {f.name for f in Client._meta.get_fields()}
    return CLIENT_FIELDS + [name for name in OPTIONAL_CLIENT_FIELDS if name in names]


@dataclass
class LoadedBatch:
    clients: list[dict[str, Any]]
    facts: dict[int, ClientFacts]
    # The stored touchpoints the planner made, by client and key (what reconcile compares).
    planner_rows: dict[int, dict[str, dict[str, Any]]]
    new_tags: list[ObservedTag]
    gone_tags: list[int]


# Every table's rows start with the client id, then the row's own id (or unique name), so
# sorting a fetched list groups it by client in a fixed order, whatever order the database
# returned (PostgreSQL moves an updated row).
TOUCHPOINT_COLUMNS = ("client_id", "id", "key", *PLANNED_FIELDS)


@dataclass
class BatchRows:
    """The rows the sweep reads for one batch, as the DB-API cursor returns them: tuples, no
    model instances and no field converters (a datetime is SQLite's text, parsed only for the
    clients that are planned). The benchmark times reading only these."""

    client_fields: list[str]
    clients: list[tuple[Any, ...]]
    appointments: list[tuple[Any, ...]]
    tags: list[tuple[Any, ...]]
    observed: list[tuple[Any, ...]]
    touchpoints: list[tuple[Any, ...]]
    resources: list[tuple[Any, ...]]


def of_clients(manager: Any, client_ids: Sequence[int], *, column: str = "client_id") -> Any:
    """``manager.filter(<column>__in=client_ids)`` without the ORM preparing every id of the
    list one by one (a thousand per query, twelve queries a batch: measured, a tenth of a
    sweep's reading); the ids are made ints here."""
    model = manager.model
    ops = connection.ops
    name = f"{ops.quote_name(model._meta.db_table)}.{ops.quote_name(column)}"
    ids = [int(pk) for pk in client_ids] or [0]  # no client has id 0: an empty batch reads nothing
    marks = ", ".join(["%s"] * len(ids))
    return manager.extra(where=[f"{name} IN ({marks})"], params=ids)  # noqa: S610 - names from the model, ids as parameters


def raw_rows(queryset: Any) -> list[tuple[Any, ...]]:
    """The queryset's SQL run through the DB-API cursor: plain tuples, sorted."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    rows.sort()
    return rows


def _touchpoint_rows(client_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    return raw_rows(
        of_clients(Touchpoint.objects, client_ids).order_by().values_list(*TOUCHPOINT_COLUMNS)
    )


def _observed_rows(client_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    return raw_rows(
        of_clients(ObservedTag.objects, client_ids)
        .order_by()
        .values_list("client_id", "id", "tag_name", "first_seen_at")
    )


def read_batch_rows(client_ids: Sequence[int]) -> BatchRows:
    """One query per table, whatever the number of clients in the batch or their history."""
    fields = _client_values_fields()
    clients = raw_rows(
        of_clients(Client.objects, client_ids, column="id").order_by().values_list(*fields)
    )
    ids = [row[0] for row in clients]
    return BatchRows(
        client_fields=fields,
        clients=clients,
        appointments=raw_rows(
            of_clients(Appointment.objects, ids)
            .order_by()
            .values_list(
                "client_id",
                "id",
                "starts_at",
                "kind",
                "status",
                "practitioner_id",
                "moved_by_practice_at",
            )
        ),
        tags=raw_rows(
            of_clients(Client.tags.through.objects, ids)
            .order_by()
            .values_list("client_id", "tag__name")
        ),
        observed=_observed_rows(ids),
        touchpoints=_touchpoint_rows(ids),
        resources=raw_rows(
            of_clients(ResourceShare.objects, ids)
            .order_by()
            .values_list("client_id", "resource_id", "shared_at", "resource__title")
        ),
    )


def _by_client(rows: Iterable[tuple[Any, ...]]) -> dict[int, list[tuple[Any, ...]]]:
    grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    return grouped


@dataclass
class GroupedRows:
    """A batch's rows by client (each list in a fixed order) and the fact loaders' facts."""

    rows: BatchRows
    clients: dict[int, tuple[Any, ...]]
    appointments: dict[int, list[tuple[Any, ...]]]
    tags: dict[int, list[tuple[Any, ...]]]
    observed: dict[int, list[tuple[Any, ...]]]
    touchpoints: dict[int, list[tuple[Any, ...]]]
    resources: dict[int, list[tuple[Any, ...]]]
    extras: dict[int, dict[str, Any]]


def group_rows(rows: BatchRows) -> GroupedRows:
    """Group the rows by client and run every fact loader (one query each)."""
    ids = [row[0] for row in rows.clients]
    extras: dict[int, dict[str, Any]] = defaultdict(dict)
    for name, loader in FACT_LOADERS.items():
        for client_id, value in loader(ids).items():
            extras[client_id][name] = value
    return GroupedRows(
        rows=rows,
        clients={row[0]: row for row in rows.clients},
        appointments=_by_client(rows.appointments),
        tags=_by_client(rows.tags),
        observed=_by_client(rows.observed),
        touchpoints=_by_client(rows.touchpoints),
        resources=_by_client(rows.resources),
        extras=extras,
    )


class _Parse:
    """Database values to Python ones, for SQLite (text, 0/1) and PostgreSQL (already typed).

    Datetimes repeat a lot (appointment slots, the instant of a sweep), so each text is parsed
    once per batch.
    """

    def __init__(self) -> None:
        self.moments: dict[Any, dt.datetime | None] = {None: None}

    def moment(self, value: Any) -> dt.datetime | None:
        try:
            return self.moments[value]
        except KeyError:
            pass
        parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:  # SQLite keeps UTC without its offset
            parsed = parsed.replace(tzinfo=dt.UTC)
        self.moments[value] = parsed
        return parsed

    @staticmethod
    def day(value: Any) -> dt.date | None:
        if value is None or isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(value)

    @staticmethod
    def json(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str | bytes) else value


def load_batch(client_ids: Sequence[int], now: dt.datetime) -> LoadedBatch:
    """Everything the planner needs about these clients, in a fixed number of queries."""
    grouped = group_rows(read_batch_rows(client_ids))
    return build_batch(grouped, list(grouped.clients), now)


def build_batch(grouped: GroupedRows, client_ids: Iterable[int], now: dt.datetime) -> LoadedBatch:
    """The planner's facts for these clients of a read batch (the rows parsed here, once)."""
    parse = _Parse()
    fields = grouped.rows.client_fields
    make_appointment = AppointmentFact._make
    sent_status = TouchpointStatus.SENT
    clients: list[dict[str, Any]] = []
    new_tags: list[ObservedTag] = []
    gone_tags: list[int] = []
    facts: dict[int, ClientFacts] = {}
    planner_rows: dict[int, dict[str, dict[str, Any]]] = {}
    for client_id in client_ids:
        row = dict(zip(fields, grouped.clients[client_id], strict=True))
        for name in ("archived", "consent_care", "consent_information", "consent_celebrations"):
            row[name] = bool(row[name])
        for name in ("email_unusable", "phone_unusable"):
            if name in row:
                row[name] = bool(row[name])
        row["birth_date"] = parse.day(row["birth_date"])
        if "paused_until" in row:
            row["paused_until"] = parse.day(row["paused_until"])
        clients.append(row)
        time_zone = row["time_zone"] or row["practice__time_zone"]

        appointments = tuple(
            make_appointment(
                (
                    pk,
                    parse.moment(starts_at),
                    kind,
                    status,
                    practitioner_id,
                    moved and parse.moment(moved),
                )
            )
            for _, pk, starts_at, kind, status, practitioner_id, moved in grouped.appointments.get(
                client_id, ()
            )
        )
        sent: list[SentMessage] = []
        mine: dict[str, dict[str, Any]] = {}
        for raw in grouped.touchpoints.get(client_id, ()):
            touchpoint = dict(zip(TOUCHPOINT_COLUMNS, raw, strict=True))
            touchpoint["due_at"] = parse.moment(touchpoint["due_at"])
            touchpoint["context"] = parse.json(touchpoint["context"])
            touchpoint["blocked"] = bool(touchpoint["blocked"])
            if touchpoint["status"] == sent_status and touchpoint["action"] == "message":
                sent.append(SentMessage(touchpoint["due_at"], touchpoint["value"]))
            if _planner_made(touchpoint):
                mine[touchpoint["key"]] = touchpoint
        planner_rows[client_id] = mine

        tag_names = {name for _, name in grouped.tags.get(client_id, ())}
        seen = {
            name: (pk, parse.moment(at)) for _, pk, name, at in grouped.observed.get(client_id, ())
        }
        tag_facts = []
        for name in sorted(tag_names):
            if name in seen:
                tag_facts.append(EventFact(name, seen[name][1], name))
            else:
                new_tags.append(
                    ObservedTag(
                        practice_id=row["practice_id"],
                        client_id=client_id,
                        tag_name=name,
                        first_seen_at=now,
                    )
                )
                tag_facts.append(EventFact(name, now, name))
        gone_tags.extend(pk for name, (pk, _) in seen.items() if name not in tag_names)
        resources = [
            EventFact(str(resource_id), parse.moment(at), title)
            for _, resource_id, at, title in grouped.resources.get(client_id, ())
        ]
        facts[client_id] = ClientFacts(
            client_id=client_id,
            time_zone=time_zone,
            birth_date=row["birth_date"],
            practitioner_id=row["primary_practitioner_id"],
            archived=row["archived"],
            opted_out=row.get("opted_out_at") is not None,
            paused_until=paused_until_moment(row.get("paused_until"), time_zone),
            consents=_consents(
                row["consent_care"], row["consent_information"], row["consent_celebrations"]
            ),
            channel=reachable_channel(row),
            appointments=appointments,
            tags=tuple(tag_facts),
            resources=_by_time(resources),
            sent_messages=tuple(sent),
            existing={
                key: ExistingTouchpoint(key, r["status"], r["due_at"], r["action"], r["kind"])
                for key, r in mine.items()
            },
            extra=grouped.extras.get(client_id, _NOTHING),
        )
    return LoadedBatch(clients, facts, planner_rows, new_tags, gone_tags)


@functools.cache
def _consents(care: bool, information: bool, celebrations: bool) -> frozenset[str]:
    """The purposes a client consented to (eight possible sets, each built once)."""
    given = {"care": care, "information": information, "celebrations": celebrations}
    return frozenset(purpose for purpose, yes in given.items() if yes)


def _by_time(events: Iterable[EventFact]) -> tuple[EventFact, ...]:
    return tuple(sorted(events, key=lambda e: (e.at, e.id)))


def _planner_made(row: dict[str, Any]) -> bool:
    return isinstance(row["context"], dict) and "trigger" in row["context"]


# --- planning and writing ----------------------------------------------------------------------


def load_practices(
    practice_zones: dict[int, str], practice_locales: Mapping[int, str] | None = None
) -> tuple[dict[int, list[RuleSpec]], dict[int, PracticePolicy]]:
    """The practices' enabled rules and policies (two queries, plus one per policy loader)."""
    return load_rules(practice_zones), load_policies(practice_zones, practice_locales)


def plan_batch(
    batch: LoadedBatch,
    now: dt.datetime,
    practices: tuple[dict[int, list[RuleSpec]], dict[int, PracticePolicy]] | None = None,
) -> tuple[dict[int, list[PlannedTouchpoint]], dict[int, list[RuleSpec]]]:
    """Plan every client of a loaded batch; returns the plans and the rules used."""
    if practices is None:
        zones = {row["practice_id"]: row["practice__time_zone"] for row in batch.clients}
        practice_locales = {
            row["practice_id"]: locales.locale_for(
                row["practice__language"], row["practice__country"]
            )
            for row in batch.clients
        }
        practices = load_practices(zones, practice_locales)
    rules, policies = practices
    planners = {
        practice_id: Planner(rules.get(practice_id, []), policy, now)
        for practice_id, policy in policies.items()
    }
    return {
        row["id"]: planners[row["practice_id"]].plan(batch.facts[row["id"]])
        for row in batch.clients
    }, rules


def reconcile_batch(
    client_ids: Sequence[int],
    *,
    now: dt.datetime | None = None,
    skip_unchanged: bool = False,
) -> ReconcileResult:
    """Reconcile these clients' touchpoints with the planner; a client that fails is skipped.

    With ``skip_unchanged`` (the sweep), a client whose inputs are those of their last plan
    (``care/fingerprints.py``) is not planned again, and every client planned has the
    fingerprint of their inputs stored.

    The whole batch is tried first (a fixed number of queries). If it fails, it is split in
    halves, and so on, until the failing client stands alone: that one is reported and left
    as it was, and everyone else is planned (about 2·log₂(batch) extra tries per bad client).
    A database that cannot be reached is no client's fault: that error goes up.
    """
    now = now or clock.now()
    try:
        if connection.in_atomic_block:
            # Inside a caller's transaction a failed query must not poison it (PostgreSQL
            # refuses every later statement): roll back to a savepoint of our own.
            with transaction.atomic():
                return _reconcile_batch(client_ids, now, skip_unchanged)
        return _reconcile_batch(client_ids, now, skip_unchanged)
    except (OperationalError, InterfaceError):
        raise
    except Exception as error:
        if len(client_ids) <= 1:
            return _skipped(client_ids, error)
    half = len(client_ids) // 2
    result = reconcile_batch(client_ids[:half], now=now, skip_unchanged=skip_unchanged)
    result.add(reconcile_batch(client_ids[half:], now=now, skip_unchanged=skip_unchanged))
    return result


def _skipped(client_ids: Sequence[int], error: Exception) -> ReconcileResult:
    if isinstance(error, OverflowError | ValueError) and "range" in str(error):
        reason = (
            "a date too far from today in their appointments, supplies or absences "
            f"({error}); correct it on the client page"
        )
    else:
        reason = f"{type(error).__name__}: {error}"
    skipped = [SkippedClient(client_id, reason[:300]) for client_id in client_ids]
    for one in skipped:
        log.warning("Skipped planning %s", one)
        log.debug("Planning client #%s failed", one.client_id, exc_info=error)
    return ReconcileResult(skipped=skipped)


# --- fingerprints ------------------------------------------------------------------------------

# Positions in the clients' rows (``CLIENT_FIELDS`` comes first in ``_client_values_fields``).
_PRACTICE, _PRACTICE_ZONE, _ZONE = (CLIENT_FIELDS.index(name) for name in CLIENT_FIELDS[1:4])
_LANGUAGE, _COUNTRY = (CLIENT_FIELDS.index(f"practice__{name}") for name in ("language", "country"))


def _installed() -> Any:
    """What code the plans depend on: the fingerprint version and every registered extension."""
    return fingerprints.stable(
        (
            fingerprints.VERSION,
            sorted(TRIGGERS),
            sorted(CONDITIONS),
            [f"{adjuster.__module__}.{adjuster.__qualname__}" for adjuster in ADJUSTERS],
            sorted(FACT_LOADERS),
            sorted(POLICY_LOADERS),
        )
    )


def input_digests(
    grouped: GroupedRows,
    client_ids: Iterable[int],
    practices: tuple[dict[int, list[RuleSpec]], dict[int, PracticePolicy]],
    now: dt.datetime,
) -> dict[int, str]:
    """Each client's fingerprint: a digest of every input their plan is made from, as read."""
    rules, policies = practices
    installed = _installed()
    practice_digests = {
        practice_id: fingerprints.digest(
            installed, fingerprints.stable(rules.get(practice_id, [])), fingerprints.stable(policy)
        )
        for practice_id, policy in policies.items()
    }
    days: dict[str, str] = {}
    digests: dict[int, str] = {}
    digest = fingerprints.digest
    for client_id in client_ids:
        row = grouped.clients[client_id]
        zone = row[_ZONE] or row[_PRACTICE_ZONE]
        day = days.get(zone)
        if day is None:
            day = days[zone] = now.astimezone(ZoneInfo(zone)).date().isoformat()
        extra = grouped.extras.get(client_id)
        digests[client_id] = digest(
            practice_digests[row[_PRACTICE]],
            day,
            row,
            grouped.appointments.get(client_id),
            grouped.tags.get(client_id),
            grouped.observed.get(client_id),
            grouped.touchpoints.get(client_id),
            grouped.resources.get(client_id),
            fingerprints.stable(extra) if extra else None,
        )
    return digests


def stored_digests(client_ids: Sequence[int]) -> dict[int, str]:
    return dict(
        raw_rows(
            of_clients(PlanFingerprint.objects, client_ids)
            .order_by()
            .values_list("client_id", "digest")
        )
    )


def _store_digests(digests: dict[int, str], now: dt.datetime) -> None:
    PlanFingerprint.objects.bulk_create(
        [
            PlanFingerprint(client_id=client_id, digest=value, planned_at=now)
            for client_id, value in digests.items()
        ],
        batch_size=500,
        update_conflicts=True,
        unique_fields=["client"],
        update_fields=["digest", "planned_at"],
    )


# --- reconciling -------------------------------------------------------------------------------


def _reconcile_batch(
    client_ids: Sequence[int], now: dt.datetime, skip_unchanged: bool
) -> ReconcileResult:
    """Reconcile these clients' touchpoints with the planner (steps 1–4 of the module docstring)."""
    grouped = group_rows(read_batch_rows(client_ids))
    practices = load_practices(
        {row[_PRACTICE]: row[_PRACTICE_ZONE] for row in grouped.clients.values()},
        {
            row[_PRACTICE]: locales.locale_for(row[_LANGUAGE], row[_COUNTRY])
            for row in grouped.clients.values()
        },
    )
    todo = list(grouped.clients)
    digests: dict[int, str] = {}
    if skip_unchanged:
        stored = stored_digests(todo)
        # A client never planned (no stored fingerprint) is planned without digesting first.
        digests = input_digests(grouped, [pk for pk in todo if pk in stored], practices, now)
        todo = [pk for pk in todo if pk not in stored or stored[pk] != digests[pk]]
    result = ReconcileResult(
        clients=len(grouped.clients), unchanged=len(grouped.clients) - len(todo)
    )
    if not todo:
        return result
    batch = build_batch(grouped, todo, now)
    planned, rules = plan_batch(batch, now, practices)
    result.planned = planned
    to_create: list[tuple[int, PlannedTouchpoint]] = []
    to_update: list[tuple[int, PlannedTouchpoint]] = []
    to_cancel: list[tuple[int, str]] = []
    written: set[int] = {tag.client_id for tag in batch.new_tags}
    enabled_rule_ids = {
        practice_id: {rule.id for rule in practice_rules}
        for practice_id, practice_rules in rules.items()
    }
    for row in batch.clients:
        client_id = row["id"]
        facts = batch.facts[client_id]
        existing = batch.planner_rows[client_id]
        wanted = {t.key: t for t in planned[client_id]}
        changes = len(to_create) + len(to_update) + len(to_cancel)
        for key, touchpoint in wanted.items():
            current = existing.get(key)
            if current is None:
                to_create.append((row["practice_id"], touchpoint))
            elif current["status"] in REPLANNABLE and _differs(current, touchpoint):
                to_update.append((current["id"], touchpoint))
        for key, current in existing.items():
            if key not in wanted and current["status"] in CANCELLABLE:
                reason = cancel_reason(
                    current,
                    facts,
                    enabled_rule_ids.get(row["practice_id"], set()),
                    practices[1][row["practice_id"]].locale,
                )
                to_cancel.append((current["id"], reason[:300]))
        if len(to_create) + len(to_update) + len(to_cancel) != changes:
            written.add(client_id)
    if batch.gone_tags:
        gone = set(batch.gone_tags)
        written.update(
            client_id
            for client_id, rows in grouped.observed.items()
            if any(row[1] in gone for row in rows)
        )
    with transaction.atomic():
        if batch.new_tags:
            ObservedTag.objects.bulk_create(batch.new_tags, ignore_conflicts=True)
        if batch.gone_tags:
            ObservedTag.objects.filter(id__in=batch.gone_tags).delete()
        if to_create:
            # Another reconcile of the same client (a tick's sweep beside a client change) may
            # have inserted the same key since we read: its row stands, no IntegrityError.
            insert_touchpoints(to_create, now)
        if to_update:
            update_touchpoints(
                [(pk, {**_values(touchpoint), "updated_at": now}) for pk, touchpoint in to_update]
            )
        if to_cancel:
            cancelled = TouchpointStatus.CANCELLED.value
            update_touchpoints(
                [
                    (pk, {"status": cancelled, "status_reason": reason, "updated_at": now})
                    for pk, reason in to_cancel
                ]
            )
        if skip_unchanged:
            if written:
                # The plan is stored: fingerprint what the next sweep will read, in the same
                # transaction as the writes.
                ids = sorted(written)
                grouped.touchpoints.update(dict.fromkeys(ids, None))
                grouped.touchpoints.update(_by_client(_touchpoint_rows(ids)))
                grouped.observed.update(dict.fromkeys(ids, None))
                grouped.observed.update(_by_client(_observed_rows(ids)))
            # Digest those, and the clients planned without a digest (never planned before).
            fresh = [pk for pk in todo if pk in written or pk not in digests]
            digests.update(input_digests(grouped, fresh, practices, now))
            _store_digests({client_id: digests[client_id] for client_id in todo}, now)
    result.created, result.updated, result.cancelled = (
        len(to_create),
        len(to_update),
        len(to_cancel),
    )
    return result


def insert_touchpoints(planned: Sequence[tuple[int, PlannedTouchpoint]], now: dt.datetime) -> None:
    """Insert new touchpoints (practice id, planned touchpoint), a key already stored left as it is.

    What ``bulk_create(ignore_conflicts=True)`` does, without a model instance per row and a
    field-by-field preparation of every value (most of a first sweep's time, measured): one
    prepared INSERT run for all rows through the cursor, each datetime adapted once. Columns
    the planner does not fill get their model default.
    """
    ops = connection.ops
    fields = [field for field in Touchpoint._meta.concrete_fields if not field.primary_key]
    moments: dict[dt.datetime, Any] = {}

    def moment(value: dt.datetime) -> Any:
        adapted = moments.get(value)
        if adapted is None:
            adapted = moments[value] = ops.adapt_datetimefield_value(value)
        return adapted

    given = {"practice_id", "client_id", "key", "created_at", "updated_at", *PLANNED_FIELDS}
    defaults = {
        field.attname: field.get_db_prep_save(field.get_default(), connection)
        for field in fields
        if field.attname not in given
    }
    columns = [field.attname for field in fields]
    rows = []
    created = moment(now)
    for practice_id, touchpoint in planned:
        values = {
            **defaults,
            "practice_id": practice_id,
            "client_id": touchpoint.client_id,
            "key": touchpoint.key,
            "created_at": created,
            "updated_at": created,
            **{name: getattr(touchpoint, name) for name in _SCALAR_FIELDS},
            "due_at": moment(touchpoint.due_at),
            "context": ops.adapt_json_value(dict(touchpoint.context), None),
        }
        rows.append([values[name] for name in columns])
    table = ops.quote_name(Touchpoint._meta.db_table)
    names = ", ".join(ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    conflict = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
    sql = (
        f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {table} ({names}) "
        f"VALUES ({placeholders}) {conflict}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def update_touchpoints(changes: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Set these values on these touchpoints (by id); every change names the same fields.

    What ``bulk_update`` does, without its ``CASE WHEN id = … THEN …`` per row and field (most
    of a daily sweep's writes, measured): one prepared UPDATE run for all rows.
    """
    if not changes:
        return
    ops = connection.ops
    names = list(changes[0][1])
    fields = [Touchpoint._meta.get_field(name) for name in names]
    adapters = [_adapter(field) for field in fields]
    assignments = ", ".join(f"{ops.quote_name(field.column)} = %s" for field in fields)
    table = ops.quote_name(Touchpoint._meta.db_table)
    sql = f"UPDATE {table} SET {assignments} WHERE id = %s"  # noqa: S608 - names from the model
    rows = [
        [adapt(values[name]) for adapt, name in zip(adapters, names, strict=True)] + [pk]
        for pk, values in changes
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _adapter(field: Any) -> Callable[[Any], Any]:
    """How a value of ``field`` goes to the database through the cursor."""
    internal = field.get_internal_type()
    if internal == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    if internal == "JSONField":
        return lambda value: connection.ops.adapt_json_value(dict(value), None)
    return lambda value: value


# Every planned field but the context, which is compared as a plain dict.
_SCALAR_FIELDS = tuple(name for name in PLANNED_FIELDS if name != "context")


def _differs(current: dict[str, Any], touchpoint: PlannedTouchpoint) -> bool:
    """Whether the stored row differs from the planned touchpoint (``_values`` compared, without building it)."""
    for name in _SCALAR_FIELDS:
        if current[name] != getattr(touchpoint, name):
            return True
    return current["context"] != dict(touchpoint.context)


def _values(touchpoint: PlannedTouchpoint) -> dict[str, Any]:
    values = {name: getattr(touchpoint, name) for name in PLANNED_FIELDS}
    values["context"] = dict(touchpoint.context)
    return values


STATUS_WORDS = {
    "booked": "booked again",
    "attended": "attended",
    "no_show": "marked no-show",
    "late_cancelled": "late-cancelled",
    "cancelled": "cancelled",
}
TRIGGER_NEEDS = {
    "appointment_attended": "attended",
    "appointment_no_show": "no_show",
    "recall": "attended",
}


def cancel_reason(
    row: dict[str, Any],
    facts: ClientFacts,
    enabled_rule_ids: set[int],
    locale: str = locales.DEFAULT_LOCALE,
) -> str:
    """Why a touchpoint the planner no longer wants is cancelled, in words a person understands."""
    if facts.archived:
        return "The client was archived."
    if row["rule_id"] not in enabled_rule_ids:
        return "Its care rule was turned off or deleted."
    trigger = row["context"].get("trigger")
    appointment_id = row["context"].get("appointment_id")
    if appointment_id is not None:
        appointment = next((a for a in facts.appointments if a.id == appointment_id), None)
        if appointment is None:
            return "The appointment it followed was deleted."
        needed = TRIGGER_NEEDS.get(trigger)
        if needed is not None and appointment.status != needed:
            when = day_text(local_date(appointment.starts_at, facts.time_zone), locale)
            words = STATUS_WORDS.get(appointment.status, appointment.status)
            return f"The appointment of {when} is now {words}."
        if trigger == "recall":
            return "A later appointment was booked or attended."
    return "What triggered it no longer applies (client details or the rule changed)."


# --- entry points ------------------------------------------------------------------------------


def reconcile_client(client: Client | int, *, now: dt.datetime | None = None) -> ReconcileResult:
    """Reconcile one client's touchpoints; a fixed number of queries."""
    client_id = client if isinstance(client, int) else client.pk
    return reconcile_batch([client_id], now=now)


def client_id_batches(
    *, practice_id: int | None = None, batch_size: int = 1000
) -> Iterator[list[int]]:
    """Client ids in batches, by keyset pagination (no OFFSET, so each page costs the same)."""
    last = 0
    clients = Client.objects.order_by("id")
    if practice_id is not None:
        clients = clients.filter(practice_id=practice_id)
    while True:
        ids = list(clients.filter(id__gt=last).values_list("id", flat=True)[:batch_size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def reconcile_all(
    *,
    practice_id: int | None = None,
    batch_size: int = 1000,
    now: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
    full: bool = False,
) -> ReconcileResult:
    """The sweep: reconcile every client (of one practice, or all), batch by batch.

    Clients whose inputs are those of their last plan are not planned again
    (``care/fingerprints.py``); ``full`` plans everyone whatever their fingerprint.
    """
    now = now or clock.now()
    total = ReconcileResult()
    for ids in client_id_batches(practice_id=practice_id, batch_size=batch_size):
        with cyclic_gc_paused():
            total.add(reconcile_batch(ids, now=now, skip_unchanged=not full))
        if progress is not None:
            progress(len(ids))
    return total


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one batch of the sweep.

    A batch builds some hundred thousand small objects (rows, facts, planned touchpoints) that
    all live until the batch ends, so every automatic collection would scan them again: about
    a fifth of a sweep's time, measured (``benchmarks/README.md``). Reference counting still
    frees everything as usual; only cycles wait, and the collector resumes between batches.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
