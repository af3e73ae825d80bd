from __future__ import annotations

from typing import Any

from aftercare.messaging.inbound import receive_inbound
from aftercare.messaging.services import message_queue
from aftercare.messaging.worker import Worker
from aftercare.testing import ApiClient, Personas


def test_it_lists_a_clients_thread_with_statuses(
    personas: Personas, owner_api: ApiClient, django_assert_max_num_queries: Any
) -> None:
    sent = message_queue(client=personas.client, template_key="recall")
    Worker().run_until_idle()
    reply = receive_inbound(
        channel="email", from_address="ruth@example.org", text="Rash since Monday"
    )
    message_queue(
        client=personas.client.__class__.objects.create(
            practice=personas.practice, given_name="Other", email="o@example.org"
        ),
        template_key="recall",
    )
    with django_assert_max_num_queries(11):  # + the audit of the page read (4), + attachments
        response = owner_api.get("/api/v1/messages", {"client_id": personas.client.pk})
    assert response.status_code == 200
    body = response.json()
    by_id = {row["id"]: row for row in body["results"]}
    assert set(by_id) >= {sent.pk, reply.pk}
    assert all(row["client_id"] == personas.client.pk for row in body["results"])
    assert by_id[sent.pk]["direction"] == "out" and by_id[sent.pk]["status"] == "sent"
    assert by_id[sent.pk]["sent_at"] is not None and by_id[sent.pk]["subject"]
    assert (
        by_id[reply.pk]["direction"] == "in" and by_id[reply.pk]["text_body"] == "Rash since Monday"
    )
    assert set(by_id[reply.pk]) >= {
        "direction",
        "channel",
        "status",
        "subject",
        "text_body",
        "created_at",
        "sent_at",
    }


def test_another_practices_client_is_a_404(personas: Personas, outsider_api: ApiClient) -> None:
    response = outsider_api.get("/api/v1/messages", {"client_id": personas.client.pk})
    assert response.status_code == 404


def test_a_bad_filter_names_the_field(personas: Personas, owner_api: ApiClient) -> None:
    response = owner_api.get("/api/v1/messages", {"status": "lost"})
    assert response.status_code == 422
    assert "status" in response.json()["errors"]


def test_an_id_past_the_databases_integer_is_a_404_not_a_server_error(
    personas: Personas, owner_api: ApiClient
) -> None:
    # Found by the API fuzzing: SQLite raises OverflowError for an integer past 64 bits.
    huge = 348983839972677048299916103778304
    for path in (
        f"/api/v1/messages/{huge}",
        f"/api/v1/messages/{huge}/attachments/35434611224",
        f"/api/v1/messages/1/attachments/{huge}",
    ):
        assert owner_api.get(path).status_code == 404, path
