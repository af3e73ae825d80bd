"""The practice's pages: the client page's panel and chart, one measure, scores that worsened."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client as WebClient

from aftercare.measures.services import measure_fill_in_session, measure_send
from aftercare.practice.models import AuditEvent
from aftercare.supplies.models import Supply
from aftercare.testing import Personas, make_appointment

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def daytime() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def fill(personas: Personas, key: str, value: int, **extra: int) -> Any:
    count = {"phq9": 9, "gad7": 7, "who5": 5}[key]
    answers: dict[str, int] = {str(i): value for i in range(1, count + 1)}
    if key == "phq9":
        answers["9"] = 0
        if value:
            answers["10"] = 1
    answers.update({k.removeprefix("item"): v for k, v in extra.items()})
    return measure_fill_in_session(
        actor=personas.actor(), client=personas.client, questionnaire_key=key, answers=answers
    )


def history(personas: Personas, daytime: Any, key: str, values: list[int]) -> None:
    """One measure a fortnight (then sign in again: the session would have expired)."""
    for value in values:
        fill(personas, key, value)
        daytime.shift(dt.timedelta(days=14))


def test_the_client_page_shows_latest_scores_change_and_a_chart_with_its_table(
    personas: Personas, owner_client: WebClient, daytime: Any
) -> None:
    history(personas, daytime, "phq9", [2, 1, 0])
    owner_client.force_login(personas.owner)
    page = owner_client.get(f"/clients/{personas.client.pk}/").content.decode()
    assert "Questionnaires and scores" in page
    assert "<svg" in page and 'role="img"' in page
    # 16, 8, then 0: the latest is 8 points better than the one before, a reliable change.
    assert "8 points better (reliable change)" in page
    assert "<caption>PHQ-9: every score</caption>" in page


def test_the_client_page_costs_the_same_queries_with_one_score_or_many(
    personas: Personas, owner_client: WebClient, daytime: Any, django_assert_max_num_queries
) -> None:
    history(personas, daytime, "who5", [3])
    Supply.objects.create(
        practice=personas.practice,
        client=personas.client,
        name="Sertraline 50 mg",
        kind="medication",
        quantity=28,
        daily_dose=1,
        started_on=dt.date(2026, 11, 30),
    )
    make_appointment(personas.client, personas.owner, status="attended", starts_at=NOW)
    path = f"/clients/{personas.client.pk}/"
    # 23 for the page without scores (clients' test) + chart markers: visits, medications,
    # the practitioner's absences, and the thread's attachments (one prefetch).
    with django_assert_max_num_queries(27):
        owner_client.get(path)
    history(personas, daytime, "who5", [1, 4, 2, 5, 3])
    history(personas, daytime, "gad7", [1, 2])
    owner_client.force_login(personas.owner)
    with django_assert_max_num_queries(27):
        page = owner_client.get(path).content.decode()
    assert page.count("<svg") == 2
    assert "Started Sertraline 50 mg" in page


def test_an_assistant_sees_what_was_sent_but_no_scores(
    personas: Personas, client: WebClient, daytime: Any
) -> None:
    history(personas, daytime, "phq9", [2])
    measure_send(actor=personas.actor(), client=personas.client, questionnaire_key="who5")
    client.force_login(personas.assistant)
    page = client.get(f"/clients/{personas.client.pk}/").content.decode()
    assert "Waiting for answers: WHO-5" in page
    assert "<svg" not in page and "Moderate" not in page
    measure = personas.client.measures.filter(questionnaire="phq9").get()
    assert client.get(f"/measures/{measure.pk}/").status_code == 404


def test_reading_one_measure_is_audited_and_shows_every_answer_and_the_source(
    personas: Personas, owner_client: WebClient
) -> None:
    measure = fill(personas, "phq9", 1, item9=2)
    page = owner_client.get(f"/measures/{measure.pk}/").content.decode()
    assert "Thoughts that you would be better off dead" in page
    assert "More than half the days" in page and "Crisis" in page
    assert "No permission required to reproduce" in page
    assert AuditEvent.objects.filter(
        action="view", object_type="measures.measure", object_id=str(measure.pk)
    ).exists()


def test_another_practice_cannot_reach_a_measure(personas: Personas, client: WebClient) -> None:
    measure = fill(personas, "gad7", 1)
    client.force_login(personas.outsider)
    assert client.get(f"/measures/{measure.pk}/").status_code == 404
    assert (
        client.post(
            f"/measures/clients/{personas.client.pk}/send/", {"measure": "phq9"}
        ).status_code
        == 404
    )


def test_sending_from_the_client_page(personas: Personas, owner_client: WebClient) -> None:
    response = owner_client.post(
        f"/measures/clients/{personas.client.pk}/send/", {"measure": "gad7"}, follow=True
    )
    assert "The GAD-7 is on its way to Ruth Miller." in response.content.decode()
    assert personas.client.measures.get().questionnaire == "gad7"


def test_the_practice_sees_the_clients_whose_scores_worsened(
    personas: Personas, owner_client: WebClient, daytime: Any
) -> None:
    history(personas, daytime, "who5", [4, 2])  # 80 → 40: 40 points worse
    history(personas, daytime, "gad7", [1, 1])  # no change
    owner_client.force_login(personas.owner)
    page = owner_client.get("/measures/worsened/").content.decode()
    assert "Ruth Miller" in page and "80 → 40" in page
    assert "40 points worse (reliable change)" in page
    assert page.count("Ruth Miller") == 1  # the unchanged GAD-7 is not listed
