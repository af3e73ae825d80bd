"""``/healthz``, ``/readyz`` and ``/metrics`` as a load balancer and Prometheus see them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client as HttpClient

from aftercare import clock
from aftercare.care.models import TickLease
from aftercare.messaging.models import Message, MessageStatus, WorkerHeartbeat
from aftercare.messaging.services import message_queue
from aftercare.messaging.worker import Worker
from aftercare.monitoring import health
from aftercare.monitoring.tests.conftest import TOKEN
from aftercare.testing import Personas

MONDAY_AFTERNOON = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)

# One sample line of Prometheus' text format: a name, optional labels, a number.
SAMPLE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? '
    r"(-?[0-9.e+-]+|\+Inf|NaN)$"
)


@pytest.fixture(autouse=True)
def monday_afternoon() -> Any:
    with time_machine.travel(MONDAY_AFTERNOON, tick=False) as traveller:
        yield traveller


def healthy_installation() -> None:
    """A worker seen a moment ago and a tick that just finished."""
    WorkerHeartbeat.objects.create(worker="w1", hostname="web-1", pid=1, seen_at=clock.now())
    TickLease.objects.create(pk=1, last_finished_at=clock.now() - dt.timedelta(seconds=30))


def scrape(client: HttpClient) -> dict[str, float]:
    """``/metrics`` parsed into ``{'name{labels}': value}``, checking every line's format."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in response.content.decode().splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-z_]+ ", line), line
            continue
        assert SAMPLE.match(line), f"not Prometheus text: {line!r}"
        key, _, value = line.rpartition(" ")
        samples[key] = float(value.replace("+Inf", "inf"))
    return samples


# -- /healthz ---------------------------------------------------------------------------


def test_healthz_is_200_when_database_worker_outbox_and_tick_keep_up(
    client: HttpClient, personas: Personas
) -> None:
    healthy_installation()
    message_queue(client=personas.client, template_key="recall")  # due now, waiting 0 s
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "worker", "outbox", "tick"}
    assert body["checks"]["worker"] == {"ok": True, "alive": 1, "last_seen_seconds": 0.0}
    assert body["checks"]["outbox"] == {"ok": True, "due": 1, "oldest_due_seconds": 0.0}
    assert body["checks"]["tick"] == {"ok": True, "lag_seconds": 30.0}


def test_healthz_needs_no_sign_in_and_shows_no_client_data(
    client: HttpClient, personas: Personas
) -> None:
    healthy_installation()
    message_queue(client=personas.client, template_key="recall")
    text = client.get("/healthz").content.decode()
    for private in ("Ruth", "ruth@example.org", personas.practice.name, "Riverside"):
        assert private not in text
    assert "sessionid" not in client.cookies


def test_healthz_is_503_when_no_worker_was_seen_within_the_limit(
    client: HttpClient, db: None, settings: Any, monday_afternoon: Any
) -> None:
    settings.HEALTH_WORKER_STALE_SECONDS = 300
    healthy_installation()
    monday_afternoon.shift(dt.timedelta(minutes=4))
    TickLease.objects.update(last_finished_at=clock.now())
    assert client.get("/healthz").status_code == 200
    monday_afternoon.shift(dt.timedelta(minutes=2))
    TickLease.objects.update(last_finished_at=clock.now())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    assert response.json()["checks"]["worker"] == {
        "ok": False,
        "alive": 0,
        "last_seen_seconds": 360.0,
    }


def test_healthz_is_503_when_the_oldest_due_message_waited_too_long(
    client: HttpClient, personas: Personas, settings: Any
) -> None:
    settings.HEALTH_OUTBOX_AGE_SECONDS = 900
    healthy_installation()
    message = message_queue(client=personas.client, template_key="recall")
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=clock.now() - dt.timedelta(minutes=16)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["outbox"] == {
        "ok": False,
        "due": 1,
        "oldest_due_seconds": 960.0,
    }
    # A message waiting for a later retry is not late.
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=clock.now() + dt.timedelta(minutes=5)
    )
    assert client.get("/healthz").status_code == 200


def test_healthz_is_503_until_a_tick_has_run_and_when_it_lags(
    client: HttpClient, personas: Personas, settings: Any, monday_afternoon: Any
) -> None:
    settings.HEALTH_TICK_LAG_SECONDS = 600
    WorkerHeartbeat.objects.create(worker="w1", hostname="h", pid=1, seen_at=clock.now())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["tick"] == {"ok": False, "lag_seconds": None}
    call_command("tick", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert client.get("/healthz").status_code == 200
    monday_afternoon.shift(dt.timedelta(minutes=11))
    WorkerHeartbeat.objects.update(seen_at=clock.now())
    assert client.get("/healthz").json()["checks"]["tick"] == {"ok": False, "lag_seconds": 660.0}


def test_a_tick_that_fails_does_not_count_as_finished(db: None, monkeypatch: Any) -> None:
    def broken(now: dt.datetime) -> int:
        raise RuntimeError("a step broke")

    monkeypatch.setattr("aftercare.care.management.commands.tick.run_tick_steps", broken)
    with pytest.raises(RuntimeError):
        call_command("tick", stdout=open("/dev/null", "w"))  # noqa: SIM115
    lease = TickLease.objects.get()
    assert lease.last_finished_at is None and lease.owner == ""


def test_healthz_and_readyz_are_503_when_the_database_does_not_answer(
    client: HttpClient, db: None, monkeypatch: Any
) -> None:
    class Unreachable:
        def __enter__(self) -> Any:
            raise OperationalError("connection refused")

        def __exit__(self, *exc: object) -> None:
            return None

    for address in ("/healthz", "/readyz"):
        with monkeypatch.context() as patched:
            patched.setattr(health.connection, "cursor", lambda: Unreachable())
            response = client.get(address)
        assert response.status_code == 503
        assert response.json() == {
            "status": "failing",
            "checks": {"database": {"ok": False, "error": "OperationalError"}},
        }


def test_probes_over_plain_http_are_not_redirected_to_https(
    client: HttpClient, db: None, settings: Any, metrics_settings: Any
) -> None:
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/readyz").status_code == 200
    assert client.get("/healthz").status_code == 503  # no worker yet: answered, not redirected
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert client.get("/clients/").status_code == 301


def test_readyz_asks_only_the_database(client: HttpClient, db: None) -> None:
    # No worker, no tick: the web process can still serve pages, so the balancer keeps it.
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"].keys() == {"database"}
    assert client.get("/healthz").status_code == 503


def test_healthz_costs_the_same_few_queries_whatever_the_outbox_holds(
    client: HttpClient, personas: Personas, django_assert_max_num_queries: Any
) -> None:
    healthy_installation()
    for _ in range(30):
        message_queue(client=personas.client, template_key="recall")
    with django_assert_max_num_queries(4):
        assert client.get("/healthz").status_code == 200


# -- /metrics ---------------------------------------------------------------------------


def test_metrics_are_off_without_a_token(client: HttpClient, db: None, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_bearer_token(client: HttpClient, db: None, metrics_settings: Any) -> None:
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token-at-all")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")
    basic = client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}")
    assert basic.status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_metrics_report_outbox_depth_and_age(
    client: HttpClient, personas: Personas, metrics_settings: Any
) -> None:
    waiting = message_queue(client=personas.client, template_key="recall")
    Message.objects.filter(pk=waiting.pk).update(
        next_attempt_at=clock.now() - dt.timedelta(seconds=90)
    )
    later = message_queue(client=personas.client, template_key="recall")
    Message.objects.filter(pk=later.pk).update(next_attempt_at=clock.now() + dt.timedelta(hours=1))
    uncertain = message_queue(client=personas.client, template_key="recall")
    Message.objects.filter(pk=uncertain.pk).update(status=MessageStatus.UNCERTAIN)
    samples = scrape(client)
    assert samples["aftercare_database_up"] == 1
    assert samples['aftercare_outbox_messages{status="queued"}'] == 2
    assert samples['aftercare_outbox_messages{status="sending"}'] == 0
    assert samples['aftercare_outbox_messages{status="uncertain"}'] == 1
    assert samples["aftercare_outbox_due_messages"] == 1
    assert samples["aftercare_outbox_oldest_due_seconds"] == 90


def test_metrics_count_sends_and_failures_per_channel_across_workers(
    client: HttpClient, personas: Personas, metrics_settings: Any, smtp_server: Any
) -> None:
    message_queue(client=personas.client, template_key="recall")
    message_queue(client=personas.client, template_key="recall")
    Worker(name="first").run_until_idle()
    smtp_server.fail_with = "451 4.3.0 try again later"
    message_queue(client=personas.client, template_key="recall")
    Worker(name="second").run_until_idle()
    smtp_server.fail_with = "550 5.1.1 no such user"
    message_queue(client=personas.client, template_key="recall")
    Message.objects.filter(status=MessageStatus.QUEUED).update(next_attempt_at=clock.now())
    Worker(name="third").run_until_idle()
    assert len(smtp_server.messages) == 2
    samples = scrape(client)
    assert samples['aftercare_messages_sent_total{channel="email"}'] == 2
    # The 451 once, then both queued messages meet the 550 (one permanent, one given up on).
    assert samples['aftercare_message_send_failures_total{channel="email"}'] == 3
    assert samples['aftercare_messages_given_up_total{channel="email"}'] == 2
    assert samples["aftercare_workers_alive"] == 3
    assert samples["aftercare_worker_last_seen_seconds"] == 0


def test_metrics_report_the_tick_lag(
    client: HttpClient, db: None, metrics_settings: Any, monday_afternoon: Any
) -> None:
    assert "aftercare_tick_lag_seconds" not in scrape(client)
    call_command("tick", stdout=open("/dev/null", "w"))  # noqa: SIM115
    monday_afternoon.shift(dt.timedelta(seconds=75))
    assert scrape(client)["aftercare_tick_lag_seconds"] == 75


def test_metrics_report_request_latency_per_page(
    client: HttpClient, personas: Personas, metrics_settings: Any
) -> None:
    client.force_login(personas.owner)
    for _ in range(3):
        assert client.get("/clients/").status_code == 200
    client.get("/no-such-page/")
    samples = scrape(client)
    route = 'route="clients-list"'
    assert samples[f"aftercare_http_request_duration_seconds_count{{{route}}}"] == 3
    assert samples[f'aftercare_http_request_duration_seconds_bucket{{{route},le="+Inf"}}'] == 3
    assert samples[f"aftercare_http_request_duration_seconds_sum{{{route}}}"] > 0
    assert samples['aftercare_http_request_duration_seconds_count{route="unmatched"}'] == 1
    assert samples['aftercare_http_responses_total{code="4xx"}'] == 1
    assert samples['aftercare_http_responses_total{code="2xx"}'] >= 3
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    # Routes are URL names: never a client's name or id.
    assert "Ruth" not in text
    assert set(re.findall(r'route="([^"]*)"', text)) == {
        "clients-list",
        "unmatched",
        "monitoring-metrics",
    }
