"""The client's-eye view, the dashboard and the lost clients, through the web and the API."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from aftercare.care.models import Touchpoint
from aftercare.insights.models import ClientInsight, InsightsPolicy
from aftercare.insights.plugins import refresh_daily
from aftercare.insights.services import insights_refresh
from aftercare.messaging.models import Message
from aftercare.promises.models import Promise
from aftercare.testing import ApiClient, Personas, make_appointment, make_client

NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _now():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


def lost_with_an_unanswered_message(personas: Personas, name: str = "Lena") -> object:
    client = make_client(personas.practice, given_name=name, email=f"{name.lower()}@example.org")
    make_appointment(client, starts_at=NOW - 200 * DAY, status="attended")
    Message.objects.create(
        practice=personas.practice,
        client=client,
        direction="in",
        channel="email",
        subject="A question about my dose",
        status="received",
        created_at=NOW - 190 * DAY,
    )
    Promise.objects.create(
        practice=personas.practice,
        client=client,
        what="Call back about the dose",
        status="broken",
        created_at=NOW - 190 * DAY,
    )
    return client


def test_the_clients_eye_view_tells_the_relationship_and_the_score(
    personas: Personas,
    owner_client,  # type: ignore[no-untyped-def]
) -> None:
    client = lost_with_an_unanswered_message(personas)
    page = owner_client.get(f"/insights/clients/{client.pk}/").content.decode()
    assert "Would Lena feel cared for?" in page
    assert "Care score: 25 of 100" in page  # 1 of 4 applicable checks: nothing automated
    assert "Still waiting for a person after 190 days." in page
    assert "We promised: Call back about the dose" in page
    assert "with no contact" in page
    assert "A message of theirs went unanswered" in page


def test_another_practices_client_is_a_404_on_the_page_and_the_api(
    personas: Personas,
    owner_client,
    owner_api: ApiClient,  # type: ignore[no-untyped-def]
) -> None:
    assert owner_client.get(f"/insights/clients/{personas.other_client.pk}/").status_code == 404
    assert owner_api.get(f"/api/v1/clients/{personas.other_client.pk}/care").status_code == 404
    assert (
        owner_client.post(f"/insights/clients/{personas.other_client.pk}/reach-out/").status_code
        == 404
    )


def test_the_care_api_returns_the_score_and_its_checks(
    personas: Personas, owner_api: ApiClient
) -> None:
    client = lost_with_an_unanswered_message(personas)
    body = owner_api.get(f"/api/v1/clients/{client.pk}/care").json()
    assert body["score"] == 25
    checks = {check["key"]: check for check in body["checks"]}
    assert set(checks["replies_answered"]) == {"key", "label", "status", "detail"}
    assert checks["replies_answered"]["status"] == "not_met"
    assert checks["promises_kept"]["detail"] == "0 of 1 promise kept."
    assert checks["supplies_on_time"]["status"] == "not_applicable"


def test_lost_clients_are_listed_with_their_reasons_and_one_click_reaches_out(
    personas: Personas,
    owner_client,
    owner_api: ApiClient,  # type: ignore[no-untyped-def]
) -> None:
    client = lost_with_an_unanswered_message(personas)
    regular = make_client(personas.practice, given_name="Ben", email="ben@example.org")
    make_appointment(regular, starts_at=NOW - 10 * DAY, status="attended")
    assert refresh_daily(NOW) >= 2
    assert refresh_daily(NOW) == 0  # once a day
    body = owner_api.get("/api/v1/lost-clients").json()
    assert body["count"] == 1
    assert body["results"][0]["client_id"] == client.pk
    assert body["results"][0]["last_visit_on"] == (NOW - 200 * DAY).date().isoformat()
    assert [reason["key"] for reason in body["results"][0]["likely_reasons"]] == [
        "unanswered_message",
        "broken_promise",
        "no_check_in_after_first_visit",
    ]
    page = owner_client.get("/insights/lost/").content.decode()
    assert "Lena Miller" in page and "Ben Miller" not in page
    assert "Lost per month, by likely reason" in page
    owner_client.post(f"/insights/clients/{client.pk}/reach-out/")
    owner_client.post(f"/insights/clients/{client.pk}/reach-out/")
    task = Touchpoint.objects.get(client=client, action="task")
    assert task.status == "due"
    queue = owner_client.get("/care/").content.decode()
    assert "Reach out, we have not seen them for a while (likely: a message of theirs" in queue
    assert "In the care queue" in owner_client.get("/insights/lost/").content.decode()


def test_the_dashboard_and_lost_list_cost_the_same_queries_for_many_clients(
    personas: Personas,
    owner_client,  # type: ignore[no-untyped-def]
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    def measure() -> None:
        insights_refresh(practice=personas.practice)
        with django_assert_max_num_queries(14):
            assert owner_client.get("/insights/").status_code == 200
        with django_assert_max_num_queries(14):
            assert owner_client.get("/insights/lost/").status_code == 200

    lost_with_an_unanswered_message(personas)
    measure()
    for number in range(30):
        lost_with_an_unanswered_message(personas, name=f"Client{number}")
    measure()
    page = owner_client.get("/insights/").content.decode()
    assert "The lowest scores" in page
    assert ClientInsight.objects.filter(practice=personas.practice).count() == 32


def test_the_clients_eye_view_costs_a_fixed_number_of_queries(
    personas: Personas,
    owner_client,  # type: ignore[no-untyped-def]
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    client = lost_with_an_unanswered_message(personas)
    with django_assert_max_num_queries(40) as small:
        owner_client.get(f"/insights/clients/{client.pk}/")
    for number in range(20):
        make_appointment(client, starts_at=NOW - (number + 2) * DAY, status="attended")
        Message.objects.create(
            practice=personas.practice,
            client=client,
            direction="in",
            channel="sms",
            status="received",
            created_at=NOW - (number + 2) * DAY,
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        owner_client.get(f"/insights/clients/{client.pk}/")


def test_the_dashboard_counts_each_check_over_the_practice(
    personas: Personas,
    owner_client,  # type: ignore[no-untyped-def]
) -> None:
    lost_with_an_unanswered_message(personas)
    insights_refresh(practice=personas.practice)
    board = owner_client.get("/insights/").context["board"]
    coverage = {check.key: check for check in board.coverage}
    assert (coverage["promises_kept"].met, coverage["promises_kept"].not_met) == (0, 1)
    assert coverage["no_automation_while_waiting"].percent == 100
    assert coverage["supplies_on_time"].percent is None


def test_an_owner_sets_the_targets_and_bad_ones_are_refused(
    personas: Personas,
    owner_client,
    client,  # type: ignore[no-untyped-def]
) -> None:
    refused = owner_client.post(
        "/insights/targets/", {"reply_target_hours": "0", "recall_weeks": "8"}, follow=True
    )
    assert "Nothing was changed" in refused.content.decode()
    assert not InsightsPolicy.objects.filter(practice=personas.practice, recall_weeks=8).exists()
    owner_client.post("/insights/targets/", {"reply_target_hours": "24", "recall_weeks": "8"})
    policy = InsightsPolicy.objects.get(practice=personas.practice)
    assert (policy.reply_target_hours, policy.recall_weeks) == (24, 8)
    client.force_login(personas.colleague)
    response = client.post("/insights/targets/", {"reply_target_hours": "2", "recall_weeks": "8"})
    assert response.status_code == 404


def test_the_trends_page_counts_each_month_from_what_happened(
    personas: Personas,
    owner_client,  # type: ignore[no-untyped-def]
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    visit = make_appointment(personas.client, starts_at=NOW - 20 * DAY, status="attended")
    make_appointment(personas.client, starts_at=NOW - 18 * DAY, status="attended")
    Message.objects.create(
        practice=personas.practice,
        client=personas.client,
        direction="out",
        channel="email",
        template_key="check_in",
        status="sent",
        created_at=visit.starts_at + 3 * DAY,
    )
    Message.objects.create(
        practice=personas.practice,
        client=personas.client,
        direction="in",
        channel="sms",
        status="received",
        created_at=NOW - 10 * DAY,
        acknowledged_at=NOW - 10 * DAY + dt.timedelta(hours=3),
    )
    with django_assert_max_num_queries(16):
        response = owner_client.get("/insights/trends/")
    trends = {trend.key: trend for trend in response.context["trends"]}
    november = trends["check_ins_after_visits"].months[-1]
    assert (november.month, november.met, november.total) == (dt.date(2026, 11, 1), 2, 2)
    assert trends["replies_in_time"].months[-1].percent == 100
    assert trends["promises_kept"].months[-1].total == 0
    page = response.content.decode()
    assert "Check-ins after visits" in page and "<svg" in page
    assert "2 of 2" in page
