"""Queries built once per shape, then run with each request's values.

Django builds a query anew on every call: it resolves every ``filter``, every subquery and
every expression, then compiles the tree to SQL. For the care queue's sources (a count in a
subquery, the oldest of each triage level as a ``UNION ALL``, a ``CASE`` of overdue
thresholds) that took more of the page's time than the database took to answer. The shape of
such a query (its SQL) is the same for every practice, user and moment; only its parameters
change. So:

1. ``rows(key, build, **values)`` calls ``build`` once per ``key`` with a *marker* in place of
   each value: an id, a moment or a date no real row has (``-1000000000001``, 1901-02-03…).
2. It compiles the query and notes which parameters are which marker; every other parameter
   is a constant of the shape (``'inbound'``, a JSON path).
3. Each later call fills the noted places with its values, adapted as Django adapts them
   (a moment in UTC as text on SQLite), and runs the SQL: no query is built.

Values are ids, aware moments, days, text, or tuples of them. Text may be a whole parameter
(``phone = %s``) or sit inside a ``LIKE`` pattern (``icontains``: ``'%' || escaped || '%'``): its
marker holds a ``%``, so the build shows whether Django escaped it for ``LIKE``, and each call's
text is escaped the same way. A tuple (``pk__in``) gives each of its items a marker; its length
is part of the shape, as the SQL has a placeholder per item.

What makes a shape is the ``key``: everything the SQL depends on other than ``values`` (a
scope that adds a filter, a limit that is written into the SQL). A ``build`` that used a
value it was not given as a marker would bake one request's value into every later one. Two
checks guard against that: each marker must appear among the parameters (a value computed
from a marker does not: pass the computed value as a value of its own), and with
``CHECK_STATEMENTS`` (on in the test suite) every call also builds the query with the real
values and compares SQL and parameters with what the shape filled in, failing by name when
they differ.

``objects`` gives model instances of a statement's rows (every column, and ``select_related``'s
for named relations, its annotations, and relations the caller holds already: ``known``);
``instances`` makes them of chosen columns (``client__primary_practitioner__email`` fills a
relation's relation too); ``prefetched`` hands a relation its objects as ``prefetch_related``
would. ``count`` counts a query's rows.

The query must be a ``values_list`` (rows come back as tuples, converted as Django converts
them: SQLite's text moments to aware datetimes, JSON to lists). Through ``connection.cursor``,
so queries are counted and logged as any other.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import DEFERRED, Func, IntegerField, Model, QuerySet, signals
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import ValuesListIterable
from django.db.models.query_utils import DeferredAttribute

_INT_MARK = -1_000_000_000_001
_MOMENT_MARK = dt.datetime(1901, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
_DAY_MARK = dt.date(1901, 2, 3)


class StatementError(Exception):
    """A statement's ``build`` does not fit its ``key`` and values (a programming error)."""


_KINDS = "an id, a moment, a day, text or a tuple of them"


def _marker(position: int, value: Any) -> Any:
    """A value of ``value``'s type that no row holds and no other marker equals."""
    if isinstance(value, bool) or value is None:
        raise StatementError(f"a statement value must be {_KINDS}, not {value!r}")
    if isinstance(value, str):
        # With a ``%``: escaped for LIKE, it shows as ``\%`` in the parameter.
        return f"~statement-marker-{position}%~"
    if isinstance(value, int):
        return _INT_MARK - position
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise StatementError("a statement's moment must be aware")
        return _MOMENT_MARK + dt.timedelta(seconds=position, microseconds=position + 1)
    if isinstance(value, dt.date):
        return _DAY_MARK + dt.timedelta(days=position)
    raise StatementError(f"a statement value must be {_KINDS}, not {value!r}")


def _markers(values: dict[str, Any]) -> dict[str, Any]:
    """A marker for each value (a tuple of markers for a tuple), no two alike."""
    markers: dict[str, Any] = {}
    position = 0
    for name, value in values.items():
        if isinstance(value, tuple):
            markers[name] = tuple(
                _marker(position + index, item) for index, item in enumerate(value)
            )
            position += len(value)
        else:
            markers[name] = _marker(position, value)
            position += 1
    return markers


def _adapt(connection: Any, value: Any) -> Any:
    """``value`` as Django passes it to the database driver for a field of its type."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return value


@dataclass(frozen=True)
class _Slot:
    """Where a value goes: its parameter, its name (and item of a tuple), and for text inside
    a pattern what surrounds it and whether it is escaped for LIKE; ``wrapped``, the type the
    driver's parameter had when it was not a plain int (psycopg's ``Int8`` for a big integer
    column on PostgreSQL), to give each value the same."""

    position: int
    name: str
    item: int | None = None
    before: str = ""
    after: str = ""
    like: bool = False
    inside: bool = False
    wrapped: type | None = None


@dataclass(frozen=True)
class _Shape:
    sql: str
    params: tuple[Any, ...]  # the constants, with None where a value goes
    slots: tuple[_Slot, ...]
    compiler: Any  # for the converters (the rows' types)
    converters: dict[int, Any]
    empty: bool = False


# Shapes kept per process; past it the least recently used is dropped (and built again when
# next asked for): an integration paging through every client by offset (a shape per page)
# does not push out the shapes every page uses.
MAX_SHAPES = 500
_shapes: dict[tuple[str, Hashable], _Shape] = {}
_lock = threading.Lock()


def _compile(queryset: QuerySet[Any]) -> tuple[Any, str, tuple[Any, ...]]:
    if queryset._iterable_class is not ValuesListIterable:
        raise StatementError("a statement reads a values_list (tuples), not model instances")
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    return compiler, sql, tuple(params)


def _shape_of(
    alias: str, key: Hashable, build: Callable[..., QuerySet[Any]], values: dict[str, Any]
) -> _Shape:
    connection = connections[alias]
    markers = _markers(values)
    queryset = build(**markers)
    try:
        compiler, sql, params = _compile(queryset.using(alias))
    except EmptyResultSet:
        return _Shape("", (), (), None, {}, empty=True)
    slots_of = _slot_finder(connection, markers)
    slots = []
    constants: list[Any] = []
    for position, param in enumerate(params):
        slot = slots_of(position, param)
        constants.append(param if slot is None else None)
        if slot is not None:
            slots.append(slot)
    missing = set(values) - {slot.name for slot in slots}
    if missing:
        raise StatementError(
            f"statement {key!r}: {', '.join(sorted(missing))} not found among the query's "
            "parameters (computed from the marker?)"
        )
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    return _Shape(sql, tuple(constants), tuple(slots), compiler, compiler.get_converters(fields))


def _slot_finder(connection: Any, markers: dict[str, Any]) -> Callable[[int, Any], _Slot | None]:
    """Which value (if any) a compiled parameter is: a marker itself, or text around one."""
    exact: dict[tuple[type, Any], tuple[str, int | None]] = {}
    texts: list[tuple[str, str, int | None, bool]] = []  # (marker as it shows, name, item, like)
    for name, marker in markers.items():
        items = enumerate(marker) if isinstance(marker, tuple) else [(None, marker)]
        for item, one in items:
            adapted = _adapt(connection, one)
            exact[(type(adapted), adapted)] = (name, item)
            if isinstance(one, str):
                texts.append((connection.ops.prep_for_like_query(one), name, item, True))
                texts.append((one, name, item, False))

    def slot_of(position: int, param: Any) -> _Slot | None:
        found = exact.get((type(param), param))
        if found is not None:
            return _Slot(position, found[0], found[1])
        if isinstance(param, int) and not isinstance(param, bool):
            # An int the driver wrapped in a type of its own (``Int8``): the marker as an int.
            found = exact.get((int, int(param)))
            if found is not None:
                return _Slot(position, found[0], found[1], wrapped=type(param))
        if isinstance(param, str):
            for shown, name, item, like in texts:
                before, mark, after = param.partition(shown)
                if mark:
                    return _Slot(position, name, item, before, after, like, inside=True)
        return None

    return slot_of


def _filled(shape: _Shape, connection: Any, values: dict[str, Any]) -> list[Any]:
    params = list(shape.params)
    for slot in shape.slots:
        value = values[slot.name] if slot.item is None else values[slot.name][slot.item]
        if slot.inside:
            text = connection.ops.prep_for_like_query(value) if slot.like else value
            params[slot.position] = f"{slot.before}{text}{slot.after}"
        elif slot.wrapped is not None:
            params[slot.position] = slot.wrapped(value)
        else:
            params[slot.position] = _adapt(connection, value)
    return params


def rows(
    key: Hashable, build: Callable[..., QuerySet[Any]], *, using: str = "default", **values: Any
) -> list[tuple[Any, ...]]:
    """The rows of ``build(**values)`` (a ``values_list``), building its SQL once per ``key``.

    ``key`` names everything but ``values`` that the query's SQL depends on (a tuple's length is
    added to it); ``values`` are ids, aware moments, days, text or tuples of them (see the
    module's doc for what may go wrong and the checks).
    """
    values = {
        name: tuple(value) if isinstance(value, list) else value for name, value in values.items()
    }
    lengths = tuple(len(value) for value in values.values() if isinstance(value, tuple))
    cache_key = (using, (key, lengths) if lengths else key)
    with _lock:
        shape = _shapes.pop(cache_key, None)
        if shape is not None:
            _shapes[cache_key] = shape  # the most recently used last
    if shape is None:
        shape = _shape_of(using, key, build, values)
        with _lock:
            if len(_shapes) >= MAX_SHAPES:  # keys with a page number, say: never grow unbounded
                del _shapes[next(iter(_shapes))]
            _shapes.setdefault(cache_key, shape)
    connection = connections[using]
    if shape.empty:
        return []
    params = _filled(shape, connection, values)
    if getattr(settings, "CHECK_STATEMENTS", False):
        _check(key, build, values, using, shape, params)
    with connection.cursor() as cursor:
        cursor.execute(shape.sql, params)
        found = cursor.fetchall()
    if shape.converters:
        return [tuple(row) for row in shape.compiler.apply_converters(found, shape.converters)]
    return found


class _CountAll(Func):
    """``COUNT(*)`` as a column Django does not take for an aggregate, so it adds no ``GROUP BY``."""

    template = "COUNT(*)"
    output_field = IntegerField()


def counted(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """How many rows ``queryset`` has, as a ``values_list`` of one row ``(n,)`` for ``rows``.

    A plain ``SELECT COUNT(*) … WHERE …``. Django's ways of counting as a queryset
    (``values(…).annotate(Count(…))``) group by a column, and SQLite then aggregates row by
    row: twice the time of this count for the 100,000 clients of a practice, read from the
    same index (docs/scaling.md).
    """
    return queryset.order_by().annotate(_counted=_CountAll()).values_list("_counted")


def count(
    key: Hashable, build: Callable[..., QuerySet[Any]], *, using: str = "default", **values: Any
) -> int:
    """How many rows ``build(**values)`` has (``counted``), its SQL built once per ``key``; 0
    for a query that can match nothing (``pk__in=()``)."""
    found = rows(key, lambda **given: counted(build(**given)), using=using, **values)
    return found[0][0] if found else 0


def _check(
    key: Hashable,
    build: Callable[..., QuerySet[Any]],
    values: dict[str, Any],
    using: str,
    shape: _Shape,
    params: list[Any],
) -> None:
    """The query built with the real values must be the shape filled with them."""
    try:
        _compiler, sql, real = _compile(build(**values).using(using))
    except EmptyResultSet as empty:
        raise StatementError(
            f"statement {key!r}: empty with these values, not its shape"
        ) from empty
    if sql != shape.sql or list(real) != params:
        raise StatementError(
            f"statement {key!r} does not fit its key: built with these values it is\n"
            f"{sql}\n{list(real)}\nbut its shape gave\n{shape.sql}\n{params}"
        )


def instance(model: type[Model], values: dict[str, Any], using: str = "default") -> Any:
    """A ``model`` instance holding ``values`` (by attribute name: ``client_id``), the other
    fields deferred, as ``QuerySet.only`` makes one (for code that wants model instances).

    ``Model.__init__`` (through ``from_db``) walks every field of the model, setting each value
    given and skipping each deferred one, and sends ``pre_init`` and ``post_init``: 7 µs an
    instance, a millisecond for the inbox's fifty replies with their clients and practitioners.
    What it leaves behind is an instance whose ``__dict__`` holds the given values (a field
    not in it is deferred: ``get_deferred_fields``) and whose state says it came from the
    database; for a model with an ``__init__`` of its own, a field whose setter does more than
    store the value, or receivers of those signals, Django's path is kept (``_plain``).
    """
    return _made(model, values, using, _plain(model))


def _made(model: type[Model], values: dict[str, Any], using: str, plain: bool) -> Any:
    """``instance``, told whether ``model`` is ``_plain`` (``instances`` asks once a batch: the
    signals' receivers are half the cost of a plain instance)."""
    if not plain:
        return model.from_db(
            using,
            list(values),
            [values.get(field.attname, DEFERRED) for field in model._meta.concrete_fields],
        )
    made = model.__new__(model)
    state = made._state = ModelState()
    state.adding = False
    state.db = using
    made.__dict__.update(values)
    return made


def _plain(model: type[Model]) -> bool:
    """Does ``Model.__init__`` do no more for ``model`` than set the values it is given?"""
    return (
        _plain_fields(model)
        and not signals.pre_init.has_listeners(model)
        and not signals.post_init.has_listeners(model)
    )


@functools.lru_cache(maxsize=256)
def _plain_fields(model: type[Model]) -> bool:
    """No ``__init__`` of the model's own, and every field's value set as it is given: a plain
    attribute, or a foreign key's id (whose setter only forgets a related object cached
    before, and a new instance has none)."""
    return model.__init__ is Model.__init__ and all(
        type(getattr(model, field.attname, None))
        in (DeferredAttribute, ForeignKeyDeferredAttribute)
        for field in model._meta.concrete_fields
    )


def instances(
    model: type[Model],
    fields: Sequence[str],
    found: Iterable[Sequence[Any]],
    using: str = "default",
) -> list[Any]:
    """Rows of ``fields`` as ``model`` instances, as ``select_related(…).only(…)`` makes them.

    ``client__given_name`` fills the instance's ``client`` (of its own model, its id from
    ``client_id``, which must be among ``fields``), and ``client__primary_practitioner__email``
    the client's ``primary_practitioner`` in turn (its id from ``client__primary_practitioner_id``);
    a relation whose id is None is None. Columns past ``fields`` are ignored.
    """
    own = [(position, name) for position, name in enumerate(fields) if "__" not in name]
    related = _relations(enumerate(fields))
    plain: dict[type[Model], bool] = {}

    def make(model: type[Model], values: dict[str, Any]) -> Any:
        if model not in plain:
            plain[model] = _plain(model)
        return _made(model, values, using, plain[model])

    made = []
    for row in found:
        made_one = make(model, {name: row[position] for position, name in own})
        _attach(made_one, model, related, row, make)
        made.append(made_one)
    return made


# A relation's own columns (position, attribute) and those of its relations in turn.
_Relations = dict[str, tuple[list[tuple[int, str]], "_Relations"]]


def _relations(columns: Iterable[tuple[int, str]]) -> _Relations:
    """``instances``' columns of relations, by relation (worked out once, not per row)."""
    by_relation: dict[str, list[tuple[int, str]]] = {}
    for position, name in columns:
        if "__" in name:
            relation, attribute = name.split("__", 1)
            by_relation.setdefault(relation, []).append((position, attribute))
    return {
        relation: (
            [(position, name) for position, name in found if "__" not in name],
            _relations(found),
        )
        for relation, found in by_relation.items()
    }


def _attach(
    made: Model,
    model: type[Model],
    related: _Relations,
    row: Sequence[Any],
    make: Callable[[type[Model], dict[str, Any]], Any],
) -> None:
    """Give ``made`` each of ``related`` from ``row`` (and theirs, in turn)."""
    for relation, (own, deeper) in related.items():
        field = model._meta.get_field(relation)
        key = getattr(made, field.attname)
        if key is None:
            setattr(made, relation, None)
            continue
        values = {attribute: row[position] for position, attribute in own}
        values[field.related_model._meta.pk.attname] = key
        other = make(field.related_model, values)
        if deeper:
            _attach(other, field.related_model, deeper, row, make)
        setattr(made, relation, other)


def objects(
    key: Hashable,
    build: Callable[..., QuerySet[Any]],
    *,
    model: type[Model],
    related: Sequence[str] = (),
    annotations: Sequence[str] = (),
    known: Mapping[str, Model] | None = None,
    using: str = "default",
    **values: Any,
) -> list[Any]:
    """``build(**values)``'s rows as ``model`` instances with every column, and with each of
    ``related`` (a foreign key's name) as ``select_related`` would give it: the ORM's objects
    for code that wants them, the query built once per ``key``. ``annotations``: names of
    ``build``'s annotations, set on each instance as ``annotate`` sets them. ``known``: foreign
    keys whose object the caller holds already (``{"practice": practice}`` for a read of one
    practice's rows), given to each instance without reading it (a row that names another
    object is a ``StatementError``)."""
    fields = _columns_of(model, tuple(related))
    found = rows(
        key,
        lambda **given: build(**given).values_list(*fields, *annotations),
        using=using,
        **values,
    )
    made = instances(model, fields, found, using)
    for one, row in zip(made, found, strict=True):
        for name, value in zip(annotations, row[len(fields) :], strict=True):
            setattr(one, name, value)
    for name, held in (known or {}).items():
        field = model._meta.get_field(name)
        for one in made:
            if getattr(one, field.attname) != held.pk:
                raise StatementError(f"statement {key!r}: a row's {name} is not the one given")
            field.set_cached_value(one, held)
    return made


def prefetched(instance: Model, name: str, related: Iterable[Any]) -> None:
    """Give ``instance``'s relation ``name`` (``client.tags``) the objects ``related``, as
    ``prefetch_related`` would: ``instance.name.all()`` then reads no more (a further filter on
    it still queries, as after Django's own prefetch). The queryset is the relation's own."""
    queryset = getattr(instance, name).get_queryset()  # lazy: no query
    queryset._result_cache = list(related)  # as Django's prefetch_one_level stores them
    queryset._prefetch_done = True
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[name] = queryset


@functools.lru_cache(maxsize=256)
def _columns_of(model: type[Model], related: tuple[str, ...]) -> tuple[str, ...]:
    columns = [field.attname for field in model._meta.concrete_fields]
    for name in related:
        other = model._meta.get_field(name).related_model
        columns += [
            f"{name}__{field.attname}"
            for field in other._meta.concrete_fields
            if not field.primary_key
        ]
    return tuple(columns)


def forget() -> None:
    """Drop every shape (tests that change the database's schema or settings)."""
    with _lock:
        _shapes.clear()
