from __future__ import annotations

import datetime as dt

import pytest

from aftercare.appointments.models import Appointment
from aftercare.clients import events
from aftercare.clients.models import Client
from aftercare.practice.models import AuditEvent
from aftercare.testing import ApiClient, Personas, make_appointment

URL = "/api/v1/appointments"


def url(appointment: Appointment | int) -> str:
    return f"{URL}/{getattr(appointment, 'pk', appointment)}"


def booking(personas: Personas, **fields: object) -> dict[str, object]:
    return {
        "client_id": personas.client.pk,
        "practitioner_id": personas.owner.pk,
        "starts_at": "2026-12-01T10:00:00+01:00",
        "ends_at": "2026-12-01T10:50:00+01:00",
        "kind": "first_visit",
        "fee": "60.00",
    } | fields


# --- list ---


def test_the_list_shows_every_field(personas: Personas, owner_api: ApiClient) -> None:
    body = owner_api.get(URL).json()
    assert body["count"] == 1
    assert body["results"] == [
        {
            "id": personas.appointment.pk,
            "client_id": personas.client.pk,
            "practitioner_id": personas.owner.pk,
            "starts_at": "2026-11-20T10:00:00Z",
            "ends_at": "2026-11-20T10:50:00Z",
            "kind": "follow_up",
            "status": "booked",
            "fee": None,
            "source": "manual",
            "external_id": "",
            "confirmed_at": None,
            "rebook_requested_at": None,
            "created_at": body["results"][0]["created_at"],
            "updated_at": body["results"][0]["updated_at"],
        }
    ]


def test_the_list_filters_by_client_practitioner_status_and_time(
    personas: Personas, owner_api: ApiClient
) -> None:
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    no_show = make_appointment(
        personas.client, personas.colleague, starts_at=start, status="no_show"
    )
    other = Client.objects.create(practice=personas.practice, given_name="Ben")
    later = make_appointment(other, personas.owner, starts_at=start + dt.timedelta(days=7))

    def ids(**params: object) -> list[int]:
        response = owner_api.get(URL, params)
        assert response.status_code == 200, response.json()
        return [a["id"] for a in response.json()["results"]]

    first = personas.appointment.pk
    assert ids() == [first, no_show.pk, later.pk]
    assert ids(client_id=other.pk) == [later.pk]
    assert ids(practitioner_id=personas.colleague.pk) == [no_show.pk]
    assert ids(status="no_show") == [no_show.pk]
    assert ids(status="booked,no_show") == [first, no_show.pk, later.pk]
    assert ids(**{"from": "2026-11-23T10:00:00+01:00"}) == [no_show.pk, later.pk]
    assert ids(**{"from": "2026-11-21T00:00:00Z", "to": "2026-11-24T00:00:00Z"}) == [no_show.pk]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"status": "gone"}, "status", "Unknown status 'gone'"),
        ({"from": "2026-11-23T10:00:00"}, "from", "no UTC offset"),
        ({"to": "yesterday"}, "to", "not an ISO 8601"),
        ({"client_id": "abc"}, "client_id", "integer"),
    ],
)
def test_bad_filters_name_the_parameter(
    params: dict[str, str], field: str, message: str, owner_api: ApiClient
) -> None:
    response = owner_api.get(URL, params)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]
    assert message in response.json()["errors"][field][0]


def test_the_list_pages_with_count_and_next(personas: Personas, owner_api: ApiClient) -> None:
    start = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    for day in range(4):
        make_appointment(personas.client, starts_at=start + dt.timedelta(days=day))
    first = owner_api.get(URL, {"limit": 3}).json()
    assert first["count"] == 5
    second = owner_api.get(first["next"]).json()
    assert second["next"] is None
    assert second["previous"] == "http://testserver/api/v1/appointments?limit=3&offset=0"
    assert len({a["id"] for a in first["results"] + second["results"]}) == 5


@pytest.mark.parametrize("rows", [1, 40])
def test_a_list_page_costs_a_fixed_number_of_queries(
    rows: int, personas: Personas, owner_api: ApiClient, django_assert_max_num_queries
) -> None:
    start = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    for hour in range(rows):
        make_appointment(personas.client, starts_at=start + dt.timedelta(hours=hour))
    # token + membership + last-used update, count, page
    with django_assert_max_num_queries(5):
        body = owner_api.get(URL, {"limit": 100}).json()
    assert body["count"] == rows + 1


# --- create ---


def test_booking_an_appointment_stores_it_in_utc_and_audits_it(
    personas: Personas, owner_api: ApiClient
) -> None:
    changed: list[int] = []
    hook = events.on_client_changed(lambda client: changed.append(client.pk))
    try:
        response = owner_api.post(URL, booking(personas))
    finally:
        events._hooks.remove(hook)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == f"/api/v1/appointments/{body['id']}"
    assert body["starts_at"] == "2026-12-01T09:00:00Z"
    assert (body["kind"], body["status"], body["fee"], body["source"]) == (
        "first_visit",
        "booked",
        "60.00",
        "api",
    )
    appointment = Appointment.objects.get(pk=body["id"])
    assert appointment.practice == personas.practice
    assert appointment.ends_at == dt.datetime(2026, 12, 1, 9, 50, tzinfo=dt.UTC)
    assert AuditEvent.objects.filter(
        action="create", object_id=str(appointment.pk), via="api"
    ).exists()
    assert changed == [personas.client.pk]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"starts_at": "2026-12-01T10:00:00"}, "starts_at", "no UTC offset"),
        ({"ends_at": "2026-12-01T09:00:00+01:00"}, "ends_at", "The end must be after the start"),
        ({"ends_at": "2026-02-30T09:00:00Z"}, "ends_at", "not a valid date and time"),
        ({"status": "maybe"}, "status", "valid choice"),
        ({"fee": -5}, "fee", "cannot be negative"),
        ({"fee": "ten"}, "fee", "not a number"),
        ({"kind": "first visit!"}, "kind", "Use letters, digits"),
        ({"client_id": None}, "client_id", "Required"),
        ({"client_id": "1"}, "client_id", "integer"),
        ({"client_id": 987654}, "client_id", "No client with this id in your practice"),
        ({"practitioner_id": 987654}, "practitioner_id", "No practitioner with this id"),
        ({"source": "x" * 31}, "source", "At most 30 characters"),
        ({"room": "blue"}, "room", "Unknown field"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    fields: dict[str, object], field: str, message: str, personas: Personas, owner_api: ApiClient
) -> None:
    response = owner_api.post(URL, booking(personas, **fields))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert list(errors) == [field], errors
    assert message in errors[field][0]
    assert Appointment.objects.count() == 2


def test_a_client_of_another_practice_is_a_field_error_not_a_leak(
    personas: Personas, owner_api: ApiClient
) -> None:
    mine = owner_api.post(URL, booking(personas, client_id=987654)).json()
    theirs = owner_api.post(URL, booking(personas, client_id=personas.other_client.pk)).json()
    assert mine == theirs
    assert not Appointment.objects.filter(
        client=personas.other_client, practice=personas.practice
    ).exists()


def test_the_required_fields_are_named_when_missing(owner_api: ApiClient) -> None:
    response = owner_api.post(URL, {})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"client_id", "starts_at", "ends_at"}


def test_a_post_with_a_known_source_and_external_id_updates_instead_of_duplicating(
    personas: Personas, owner_api: ApiClient
) -> None:
    first = owner_api.post(URL, booking(personas, source="calendly", external_id="evt-1"))
    assert first.status_code == 201
    again = owner_api.post(
        URL,
        booking(
            personas,
            source="calendly",
            external_id="evt-1",
            starts_at="2026-12-01T11:00:00+01:00",
            ends_at="2026-12-01T11:50:00+01:00",
        ),
    )
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["starts_at"] == "2026-12-01T10:00:00Z"
    other_source = owner_api.post(URL, booking(personas, source="ics", external_id="evt-1"))
    assert other_source.status_code == 201
    assert Appointment.objects.filter(external_id="evt-1").count() == 2


# --- read, update, delete ---


def test_reading_an_appointment(personas: Personas, owner_api: ApiClient) -> None:
    response = owner_api.get(url(personas.appointment))
    assert response.status_code == 200
    assert response.json()["client_id"] == personas.client.pk
    assert owner_api.get(url(987654)).status_code == 404


def test_patch_marks_a_no_show_and_audits_only_that(
    personas: Personas, owner_api: ApiClient
) -> None:
    response = owner_api.patch(url(personas.appointment), {"status": "no_show"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "no_show"
    assert response.json()["starts_at"] == "2026-11-20T10:00:00Z"
    event = AuditEvent.objects.get(action="change", object_id=str(personas.appointment.pk))
    assert (event.via, event.changes) == ("api", {"status": ["booked", "no_show"]})


def test_patch_may_not_change_where_an_appointment_came_from(
    personas: Personas, owner_api: ApiClient
) -> None:
    response = owner_api.patch(url(personas.appointment), {"external_id": "evt-9"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["external_id"]


def test_patch_with_an_end_before_the_stored_start_is_refused(
    personas: Personas, owner_api: ApiClient
) -> None:
    response = owner_api.patch(url(personas.appointment), {"ends_at": "2026-11-20T09:00:00Z"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["ends_at"]
    personas.appointment.refresh_from_db()
    assert personas.appointment.ends_at == dt.datetime(2026, 11, 20, 10, 50, tzinfo=dt.UTC)


def test_put_replaces_the_appointment(personas: Personas, owner_api: ApiClient) -> None:
    response = owner_api.put(
        url(personas.appointment),
        {
            "client_id": personas.client.pk,
            "starts_at": "2026-11-21T10:00:00Z",
            "ends_at": "2026-11-21T11:00:00Z",
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["practitioner_id"], body["kind"], body["status"]) == (None, "follow_up", "booked")
    assert body["source"] == "manual"


def test_deleting_an_appointment(personas: Personas, owner_api: ApiClient) -> None:
    response = owner_api.delete(url(personas.appointment))
    assert response.status_code == 204
    assert not Appointment.objects.filter(pk=personas.appointment.pk).exists()
    assert AuditEvent.objects.filter(
        action="delete", object_id=str(personas.appointment.pk), via="api"
    ).exists()


def test_an_import_racing_another_for_the_same_external_id_updates_it(
    personas: Personas, owner_api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other request inserted between our look-up and our insert: the unique constraint
    refuses the duplicate and the import updates the row the other one made."""
    from aftercare.appointments import api as module

    other = make_appointment(personas.client, source="calendly", external_id="evt-2")
    real_find = module._find_imported
    calls: list[str] = []

    def find_after_the_race(*args: object) -> Appointment | None:
        calls.append("find")
        return None if len(calls) == 1 else real_find(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "_find_imported", find_after_the_race)
    response = owner_api.post(
        URL, booking(personas, source="calendly", external_id="evt-2", status="attended")
    )
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == other.pk
    assert response.json()["status"] == "attended"
    assert Appointment.objects.filter(external_id="evt-2").count() == 1
