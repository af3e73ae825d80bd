"""Queries built once per shape (``aftercare.statements``): the same rows as Django's, each
request's own values, and a loud failure when a build does not fit its key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, models
from django.db.models import Q, QuerySet
from django.test.utils import CaptureQueriesContext

from aftercare import statements
from aftercare.clients.models import Client
from aftercare.messaging.models import Direction, Message
from aftercare.testing import Personas, make_client

NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fresh_shapes() -> Iterator[None]:
    statements.forget()
    yield
    statements.forget()


def replies(practice: int, since: dt.datetime) -> QuerySet[Message]:
    return (
        Message.objects.filter(practice_id=practice, direction=Direction.INBOUND)
        .filter(created_at__gte=since)
        .order_by("created_at", "pk")
        .values_list("pk", "created_at", "triage_reasons", "client__given_name")
    )


def reply(personas: Personas, practice: Any, client: Client, hours_ago: int) -> Message:
    return Message.objects.create(
        practice=practice,
        client=client,
        direction=Direction.INBOUND,
        channel="sms",
        from_address=client.phone,
        text_body="Feeling dizzy since the new tablets",
        triage_reasons=["side effect: dizzy"],
        created_at=NOW - dt.timedelta(hours=hours_ago),
    )


def test_rows_are_djangos_rows_for_each_practice_and_moment(personas: Personas) -> None:
    """Built once, run with other values: each call gets exactly what Django would give it,
    moments as aware datetimes and JSON as lists."""
    for hours in (1, 5, 30):
        reply(personas, personas.practice, personas.client, hours)
    reply(personas, personas.other_practice, personas.other_client, 2)
    builds = []

    def build(practice: int, since: dt.datetime) -> QuerySet[Message]:
        builds.append(practice)
        return replies(practice, since)

    for practice, since in [
        (personas.practice.pk, NOW - dt.timedelta(days=2)),
        (personas.practice.pk, NOW - dt.timedelta(hours=6)),
        (personas.other_practice.pk, NOW - dt.timedelta(days=2)),
    ]:
        found = statements.rows("test: replies", build, practice=practice, since=since)
        assert found == list(replies(practice, since))
    assert len(found) == 1
    assert found[0][1].tzinfo is not None
    assert found[0][2] == ["side effect: dizzy"]
    # Once for the shape, then once per call for the suite's check (``CHECK_STATEMENTS``).
    assert builds[0] < 0 and all(practice > 0 for practice in builds[1:])


def test_a_shape_costs_one_query_and_no_build_without_the_check(
    personas: Personas, settings: Any
) -> None:
    settings.CHECK_STATEMENTS = False
    reply(personas, personas.practice, personas.client, 1)
    builds = []

    def build(practice: int, since: dt.datetime) -> QuerySet[Message]:
        builds.append(practice)
        return replies(practice, since)

    statements.rows("test: replies", build, practice=personas.practice.pk, since=NOW)
    with CaptureQueriesContext(connection) as queries:
        again = statements.rows(
            "test: replies",
            build,
            practice=personas.practice.pk,
            since=NOW - dt.timedelta(days=1),
        )
    assert len(queries) == 1
    assert len(builds) == 1
    assert [row[0] for row in again] == list(
        Message.objects.filter(practice=personas.practice).values_list("pk", flat=True)
    )


def test_a_value_baked_into_the_shape_fails_by_name(personas: Personas) -> None:
    """A build that reads a request's value from outside (not a marker) would give every later
    call the first call's rows: the suite's check builds it again and compares."""
    other = make_client(personas.practice, given_name="Ann", email="ann@example.org")

    def clients_named(name: str) -> Any:
        def build(practice: int) -> QuerySet[Client]:
            return Client.objects.filter(practice_id=practice, given_name=name).values_list("pk")

        return build

    statements.rows("test: by name", clients_named("Ruth"), practice=personas.practice.pk)
    with pytest.raises(statements.StatementError, match=r"test: by name.*does not fit its key"):
        statements.rows("test: by name", clients_named("Ann"), practice=personas.practice.pk)
    assert other.pk


def test_a_value_the_query_does_not_take_as_a_parameter_is_refused(personas: Personas) -> None:
    def build(practice: int, name: int) -> QuerySet[Client]:
        return Client.objects.filter(practice_id=practice).values_list("pk")

    with pytest.raises(statements.StatementError, match="name not found"):
        statements.rows("test: unused", build, practice=personas.practice.pk, name=3)


def test_model_rows_and_values_of_other_types_are_refused(personas: Personas) -> None:
    with pytest.raises(statements.StatementError, match="values_list"):
        statements.rows(
            "test: models",
            lambda practice: Client.objects.filter(practice_id=practice),
            practice=personas.practice.pk,
        )
    for value in (None, True, 1.5, b"Ruth", dt.datetime(2026, 11, 30, 14, 30)):  # naive moment
        with pytest.raises(statements.StatementError):
            statements.rows(
                f"test: {value!r}",
                lambda practice, value: Client.objects.filter(practice_id=practice).values_list(
                    "pk"
                ),
                practice=personas.practice.pk,
                value=value,
            )


def test_an_empty_shape_reads_nothing(personas: Personas) -> None:
    with CaptureQueriesContext(connection) as queries:
        found = statements.rows(
            "test: empty",
            lambda practice: Client.objects.filter(pk__in=[]).values_list("pk"),
            practice=personas.practice.pk,
        )
    assert found == []
    assert len(queries) == 0


def test_the_shapes_kept_are_bounded(personas: Personas, monkeypatch: Any) -> None:
    """A key with a page number in it must not grow the process without end."""
    monkeypatch.setattr(statements, "MAX_SHAPES", 3)
    for page in range(5):
        found = statements.rows(
            ("test: page", page),
            lambda practice: Client.objects.filter(practice_id=practice).values_list("pk"),
            practice=personas.practice.pk,
        )
        assert found == [(personas.client.pk,)]
    assert list(statements._shapes) == [("default", ("test: page", page)) for page in (2, 3, 4)]


def test_text_whole_or_inside_a_like_pattern_is_each_calls_own(personas: Personas) -> None:
    """Text is a parameter of its own (``phone = %s``) or inside a pattern (``icontains``):
    each call's text is escaped for LIKE as Django escapes it, so ``%`` and ``_`` in a search
    match themselves and not everything."""
    practice = personas.practice
    percent = make_client(practice, given_name="Fifty%Off", email="", phone="07911 123450")
    under = make_client(practice, given_name="Under_Score", email="", phone="")
    slash = make_client(practice, given_name="Back\\Slash", email="", phone="")

    def build(practice: int, word: str, phone: str) -> QuerySet[Client]:
        return (
            Client.objects.filter(practice_id=practice)
            .filter(Q(given_name__icontains=word) | Q(phone=phone))
            .order_by("pk")
            .values_list("pk", flat=False)
        )

    def django(word: str, phone: str) -> list[tuple[Any, ...]]:
        return list(build(practice.pk, word, phone))

    for word, phone in [
        ("fifty%", "none"),
        ("%", "none"),
        ("_", "none"),
        ("r_uth", "none"),
        ("k\\s", "none"),
        ("ruth", "none"),
        ("nobody", percent.phone),
    ]:
        found = statements.rows("test: search", build, practice=practice.pk, word=word, phone=phone)
        assert found == django(word, phone), word
    assert statements.rows("test: search", build, practice=practice.pk, word="%", phone="x") == [
        (percent.pk,)
    ]
    assert statements.rows("test: search", build, practice=practice.pk, word="_", phone="x") == [
        (under.pk,)
    ]
    assert len(statements._shapes) == 1
    assert slash.pk


def test_a_tuple_gives_a_shape_per_length(personas: Personas) -> None:
    practice = personas.practice
    others = [make_client(practice, given_name=f"Other{n}", email="", phone="") for n in range(3)]
    ids = [client.pk for client in others]

    def build(practice: int, ids: tuple[int, ...]) -> QuerySet[Client]:
        return (
            Client.objects.filter(practice_id=practice, pk__in=ids)
            .order_by("pk")
            .values_list("given_name")
        )

    for chosen in ([ids[0]], ids, [ids[2]], ids[:2], [personas.other_client.pk]):
        found = statements.rows("test: ids", build, practice=practice.pk, ids=tuple(chosen))
        assert found == list(build(practice.pk, tuple(chosen)))
    assert statements.rows("test: ids", build, practice=practice.pk, ids=[ids[1]]) == [("Other1",)]
    lengths = sorted(key[1][1] for key in statements._shapes)
    assert lengths == [(1,), (2,), (3,)]


def test_objects_are_the_orms_instances_with_their_related_ones(personas: Personas) -> None:
    """Every column as the ORM reads it, and ``select_related``'s relations (None for none)."""
    from aftercare.appointments.models import Appointment
    from aftercare.testing import make_appointment

    with_someone = make_appointment(personas.client, personas.owner, fee="40.00")
    with_nobody = make_appointment(
        personas.client, None, starts_at=dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)
    )

    def build(client: int) -> QuerySet[Appointment]:
        return Appointment.objects.filter(client_id=client).order_by("starts_at")

    ours = statements.objects(
        "test: appointments",
        build,
        model=Appointment,
        related=("practitioner",),
        client=personas.client.pk,
    )
    theirs = list(build(personas.client.pk).select_related("practitioner"))
    assert [a.pk for a in ours] == [a.pk for a in theirs]
    assert {with_someone.pk, with_nobody.pk} <= {a.pk for a in ours}
    for mine, django in zip(ours, theirs, strict=True):
        for field in Appointment._meta.concrete_fields:
            assert getattr(mine, field.attname) == getattr(django, field.attname), field.name
        assert mine.practitioner == django.practitioner
    by_pk = {appointment.pk: appointment for appointment in ours}
    with CaptureQueriesContext(connection) as queries:
        assert by_pk[with_someone.pk].practitioner.email == personas.owner.email
        assert by_pk[with_nobody.pk].practitioner is None
        assert by_pk[with_someone.pk].get_status_display()
    assert len(queries) == 0


def test_objects_carry_their_annotations_as_annotate_sets_them(personas: Personas) -> None:
    """``annotations``: each instance gets the query's annotation, as ``annotate`` gives it."""
    from django.db.models import Count

    from aftercare.clients.models import Tag

    tag = Tag.objects.create(practice=personas.practice, name="grief")
    personas.client.tags.add(tag)
    Tag.objects.create(practice=personas.practice, name="unused")

    def build(practice: int) -> QuerySet[Tag]:
        return (
            Tag.objects.filter(practice_id=practice)
            .annotate(client_count=Count("clients"))
            .order_by("name")
        )

    ours = statements.objects(
        "test: tags counted",
        build,
        model=Tag,
        annotations=("client_count",),
        practice=personas.practice.pk,
    )
    theirs = list(build(personas.practice.pk))
    assert [(t.name, t.client_count) for t in ours] == [(t.name, t.client_count) for t in theirs]
    assert [(t.name, t.client_count) for t in ours] == [("grief", 1), ("unused", 0)]


def test_objects_take_a_known_relation_without_reading_it(personas: Personas) -> None:
    """``known``: each instance holds the object given (asking for it reads nothing); a row
    naming another one is refused, not given the wrong object."""

    def build(practice: int) -> QuerySet[Client]:
        return Client.objects.filter(practice_id=practice).order_by("pk")

    ours = statements.objects(
        "test: a practice's clients",
        build,
        model=Client,
        known={"practice": personas.practice},
        practice=personas.practice.pk,
    )
    assert ours
    with CaptureQueriesContext(connection) as queries:
        assert all(client.practice is personas.practice for client in ours)
    assert len(queries) == 0
    with pytest.raises(statements.StatementError, match="practice is not the one given"):
        statements.objects(
            "test: a practice's clients",
            build,
            model=Client,
            known={"practice": personas.other_practice},
            practice=personas.practice.pk,
        )


def test_instances_fill_a_relations_relation_in_turn(personas: Personas) -> None:
    """``client__primary_practitioner__email`` gives each message's client its practitioner
    (None for a client without one), as ``select_related`` of both would; nothing more read."""
    nobodys = make_client(personas.practice, given_name="Nell", primary_practitioner=None)
    for client in (personas.client, nobodys):
        Message.objects.create(
            practice=personas.practice,
            client=client,
            direction=Direction.INBOUND,
            channel="sms",
            text_body="hello",
            status="received",
        )
    fields = [
        "id",
        "client_id",
        "client__given_name",
        "client__primary_practitioner_id",
        "client__primary_practitioner__email",
    ]
    found = Message.objects.filter(practice=personas.practice).order_by("id").values_list(*fields)
    made = statements.instances(Message, fields, list(found))
    with CaptureQueriesContext(connection) as queries:
        shown = [
            (
                m.client.given_name,
                m.client.primary_practitioner and m.client.primary_practitioner.email,
            )
            for m in made
        ]
    assert len(queries) == 0
    assert shown == [
        (personas.client.given_name, personas.client.primary_practitioner.email),
        ("Nell", None),
    ]


def test_prefetched_relations_read_no_more(personas: Personas) -> None:
    from aftercare.clients.models import Tag

    client = personas.client
    client.tags.add(
        Tag.objects.create(practice=personas.practice, name="sleep"),
        Tag.objects.create(practice=personas.practice, name="grief"),
    )
    fresh = Client.objects.get(pk=client.pk)
    tags = list(Tag.objects.filter(clients=client).order_by("name"))
    statements.prefetched(fresh, "tags", tags)
    with CaptureQueriesContext(connection) as queries:
        assert [tag.name for tag in fresh.tags.all()] == ["grief", "sleep"]
        assert fresh.tags.count() == 2
    assert len(queries) == 0
    # A further filter asks the database, as after Django's own prefetch.
    assert [tag.name for tag in fresh.tags.filter(name="sleep")] == ["sleep"]


def test_the_shapes_used_most_recently_are_kept(personas: Personas, monkeypatch: Any) -> None:
    monkeypatch.setattr(statements, "MAX_SHAPES", 3)

    def read(key: Any) -> None:
        statements.rows(
            key,
            lambda practice: Client.objects.filter(practice_id=practice).values_list("pk"),
            practice=personas.practice.pk,
        )

    read("test: everyday")
    for page in range(5):  # deep pages one after the other, the everyday shape between them
        read(("test: page", page))
        read("test: everyday")
    assert ("default", "test: everyday") in statements._shapes
    assert len(statements._shapes) == 3


def test_count_is_a_plain_count_of_the_rows(personas: Personas) -> None:
    """``count`` counts what the queryset holds — each practice its own, none as 0 — in one
    ``COUNT(*)`` without a ``GROUP BY`` (which made SQLite aggregate row by row)."""
    for _ in range(3):
        reply(personas, personas.practice, personas.client, 1)
    reply(personas, personas.other_practice, personas.other_client, 1)

    def build(practice: int, since: dt.datetime) -> QuerySet[Any]:
        return Message.objects.filter(practice_id=practice, created_at__gte=since).order_by("pk")

    cases = [
        (personas.practice.pk, NOW - dt.timedelta(days=1), 3),
        (personas.other_practice.pk, NOW - dt.timedelta(days=1), 1),
        (personas.practice.pk, NOW, 0),
    ]
    for practice, since, expected in cases:
        with CaptureQueriesContext(connection) as queries:
            found = statements.count("test: counted", build, practice=practice, since=since)
        assert found == expected
        assert found == Message.objects.filter(practice_id=practice, created_at__gte=since).count()
    sql = queries[-1]["sql"].upper()
    assert "COUNT(*)" in sql
    assert "GROUP BY" not in sql
    assert "ORDER BY" not in sql


def test_count_of_a_query_that_can_match_nothing_is_zero(personas: Personas) -> None:
    with CaptureQueriesContext(connection) as queries:
        found = statements.count(
            "test: count of nothing",
            lambda practice: Client.objects.filter(practice_id=practice, pk__in=[]),
            practice=personas.practice.pk,
        )
    assert found == 0
    assert len(queries) == 0


def test_a_big_integer_columns_value_fills_its_shape(personas: Personas) -> None:
    """A ``BigIntegerField``'s value reaches PostgreSQL's driver wrapped (psycopg's ``Int8``):
    the marker is still found, and each call's value goes in wrapped the same way."""
    from aftercare.practice.audit import index_pending, record_audit
    from aftercare.practice.models import AuditEventClient

    other = make_client(personas.practice, given_name="Ben")
    for client in (personas.client, other):
        record_audit(personas.actor(), "view", client, summary="Opened")
    index_pending()

    def build(practice: int, client: int) -> QuerySet[AuditEventClient]:
        return AuditEventClient.objects.filter(practice_id=practice, client_id=client).values_list(
            "client_id"
        )

    for client in (personas.client, other):
        found = statements.rows(
            "test: events about a client", build, practice=personas.practice.pk, client=client.pk
        )
        assert found == [(client.pk,)]


def test_an_instance_is_the_one_djangos_from_db_makes(personas: Personas) -> None:
    """``instance`` without ``Model.__init__``: the same values, the same deferred fields, the
    same state (from the database, not being added), a deferred field read on demand, a
    related object read and cached, and a save that updates the row rather than adding one."""
    message = reply(personas, personas.practice, personas.client, 1)
    values = {"id": message.pk, "client_id": personas.client.pk, "text_body": "hello"}
    ours = statements.instance(Message, values)
    djangos = Message.from_db(
        "default",
        list(values),
        [values.get(f.attname, models.DEFERRED) for f in Message._meta.concrete_fields],
    )
    assert type(ours) is Message
    assert ours.get_deferred_fields() == djangos.get_deferred_fields()
    assert "channel" in ours.get_deferred_fields()
    assert (ours._state.adding, ours._state.db) == (False, "default")
    assert ours == djangos and ours.text_body == "hello"
    with CaptureQueriesContext(connection) as queries:
        assert ours.channel == "sms"  # deferred: read now, as Django reads it
        assert ours.client.given_name == personas.client.given_name
        assert ours.client is ours.client  # cached once read
    assert len(queries) == 2
    ours.client_id = personas.other_client.pk  # the id's setter forgets the cached client
    assert ours.client.pk == personas.other_client.pk
    ours.text_body = "changed"
    ours.save(update_fields=["text_body"])
    assert Message.objects.get(pk=message.pk).text_body == "changed"
    assert Message.objects.filter(practice=personas.practice).count() == 1


def test_an_instance_of_a_model_with_init_receivers_goes_through_django(
    personas: Personas,
) -> None:
    """A ``post_init`` receiver (as an image field's) is still called for each instance."""
    seen: list[int] = []

    def note(sender: type[Message], instance: Message, **kwargs: Any) -> None:
        seen.append(instance.pk)

    models.signals.post_init.connect(note, sender=Message)
    try:
        made = statements.instance(Message, {"id": 41, "text_body": "x"})
        batch = statements.instances(Message, ["id", "text_body"], [(43, "y"), (44, "z")])
    finally:
        models.signals.post_init.disconnect(note, sender=Message)
    assert seen == [41, 43, 44] and made.text_body == "x"
    assert [m.text_body for m in batch] == ["y", "z"]
    statements.instance(Message, {"id": 42})
    assert seen == [41, 43, 44]
