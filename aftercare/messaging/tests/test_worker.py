from __future__ import annotations

import datetime as dt
import io
import time
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models

from aftercare import clock
from aftercare.care.models import TouchpointStatus
from aftercare.messaging.models import Message, MessageAttempt, MessageStatus, WorkerHeartbeat
from aftercare.messaging.services import message_queue
from aftercare.messaging.testing import due_message_touchpoint
from aftercare.messaging.transports import PreviewTransport, TransportError, TwilioTransport
from aftercare.messaging.worker import MAX_ATTEMPTS, Worker, claim_size, worker_commits
from aftercare.testing import Personas

TUESDAY_MORNING = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def daytime() -> Any:
    with time_machine.travel(TUESDAY_MORNING, tick=True) as traveller:
        yield traveller


pytestmark = pytest.mark.usefixtures("daytime")


def test_a_due_check_in_touchpoint_becomes_one_email_with_stable_headers(
    personas: Personas, smtp_server: Any
) -> None:
    touchpoint = due_message_touchpoint(personas.client)
    Worker().run_until_idle()
    touchpoint.refresh_from_db()
    assert touchpoint.status == TouchpointStatus.SENT
    message = Message.objects.get(touchpoint=touchpoint)
    assert message.status == MessageStatus.SENT
    assert len(smtp_server.messages) == 1
    sent = smtp_server.messages[0]
    assert sent["Message-ID"] == message.message_id_header
    assert sent["To"] == "ruth@example.org"
    assert sent["Subject"] == "How are you doing, Ruth?"
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/p/u/" in sent["List-Unsubscribe"] and sent["List-Unsubscribe"].strip().startswith(
        "<http"
    )
    assert sent.get_body(("plain",)) is not None and sent.get_body(("html",)) is not None
    assert "/p/c/" in sent.get_body(("plain",)).get_content()
    assert "Grief" not in sent.as_string()  # private notes never reach a template
    # Another pass finds nothing: the touchpoint is not rendered twice.
    assert Worker().run_until_idle() == 0
    assert Message.objects.filter(touchpoint=touchpoint).count() == 1


def test_it_sets_reply_to_with_the_reply_token_when_a_reply_domain_is_set(
    personas: Personas, smtp_server: Any, settings: Any
) -> None:
    settings.REPLY_DOMAIN = "reply.example.org"
    message = message_queue(client=personas.client, template_key="recall")
    Worker().run_until_idle()
    assert smtp_server.messages[0]["Reply-To"] == f"reply+{message.reply_token}@reply.example.org"
    assert "mailto:unsubscribe+" in smtp_server.messages[0]["List-Unsubscribe"]


def test_a_transient_failure_is_retried_later_with_growing_backoff(
    personas: Personas, smtp_server: Any, daytime: Any
) -> None:
    smtp_server.fail_with = "451 4.3.0 try again later"
    message = message_queue(client=personas.client, template_key="recall")
    Worker().run_until_idle()
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    first_delay = message.next_attempt_at - clock.now()
    assert dt.timedelta(seconds=40) < first_delay < dt.timedelta(minutes=2)
    daytime.shift(first_delay + dt.timedelta(seconds=1))
    Worker().run_until_idle()
    message.refresh_from_db()
    assert message.next_attempt_at - clock.now() > first_delay
    assert message.attempts.count() == 2
    assert all(a.finished_at and "451" in a.error for a in message.attempts.all())
    smtp_server.fail_with = ""
    daytime.shift(dt.timedelta(hours=1))
    Worker().run_until_idle()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(smtp_server.messages) == 1


def test_it_gives_up_after_the_last_attempt_and_says_so(
    personas: Personas, smtp_server: Any, daytime: Any
) -> None:
    smtp_server.fail_with = "451 4.3.0 try again later"
    message = message_queue(client=personas.client, template_key="recall")
    for _ in range(MAX_ATTEMPTS):
        Worker().run_until_idle()
        daytime.shift(dt.timedelta(days=1))
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "Gave up after 8 attempts" in message.status_reason


def test_a_hard_bounce_fails_the_message_and_marks_the_address_unusable(
    personas: Personas, smtp_server: Any
) -> None:
    smtp_server.fail_with = "550 5.1.1 no such user"
    message = message_queue(client=personas.client, template_key="recall")
    Worker().run_until_idle()
    message.refresh_from_db()
    personas.client.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.attempts.get().permanent is True
    assert personas.client.email_unusable is True
    # The next message for this client goes by SMS instead (preview: Twilio is not set up).
    follow_up = message_queue(client=personas.client, template_key="recall")
    assert follow_up.channel == "sms"


def test_only_one_of_two_workers_claims_a_message(personas: Personas) -> None:
    message = message_queue(client=personas.client, template_key="recall")
    first, second = Worker(name="a"), Worker(name="b")
    assert first.claim_batch() == [message.pk]
    assert second.claim_batch() == []
    message.refresh_from_db()
    assert (message.status, message.lease_owner) == (MessageStatus.SENDING, "a")


def test_a_claim_of_a_rate_limited_sender_is_what_it_can_send_within_the_lease() -> None:
    assert claim_size(100, 1, 60) == 60  # SMS at 1/s, 60 s lease: at most 60
    assert claim_size(20, 1, 60) == 20  # never more than a batch
    assert claim_size(100, 0.1, 60) == 6
    assert claim_size(100, 0.001, 60) == 1  # a slow sender still gets one
    assert claim_size(100, 80, 60) == 100
    assert claim_size(50, None, 60) == 50  # no rate (email): a batch
    assert claim_size(50, 0, 60) == 50  # 0: no limit


def test_a_worker_claims_no_more_sms_than_the_number_sends_within_its_lease(
    personas: Personas, settings: Any
) -> None:
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = (
        "AC1",
        "t",
        "+447700900999",
    )
    settings.TWILIO_SMS_PER_SECOND = 1
    client = personas.client

    def queued(channel: str, to: str, count: int) -> list[Message]:
        return Message.objects.bulk_create(
            Message(
                practice=client.practice,
                client=client,
                direction="out",
                channel=channel,
                to_address=to,
                text_body="See you soon",
                next_attempt_at=clock.now() - dt.timedelta(minutes=1),
            )
            for _ in range(count)
        )

    sms = queued("sms", "+447700900123", 70)
    email = queued("email", "client@example.org", 10)
    claimed = Worker(name="a", lease_seconds=60, batch_size=100).claim_batch()
    by_channel = dict(
        Message.objects.filter(pk__in=claimed)
        .values_list("channel")
        .annotate(n=models.Count("id"))
        .order_by()
    )
    assert by_channel == {"sms": 60, "email": 10}
    assert set(claimed) >= {m.pk for m in email}
    # The rest wait in the queue for another worker (or this one's next batch).
    assert Message.objects.filter(pk__in=[m.pk for m in sms], status="queued").count() == 10
    assert len(Worker(name="b", lease_seconds=2, batch_size=100).claim_batch()) == 2


def test_an_outcome_is_recorded_with_its_attempt_only_while_the_lease_is_held(
    personas: Personas,
) -> None:
    outcome_only_while_the_lease_is_held(personas)


@pytest.mark.django_db(transaction=True)
def test_an_outcome_outside_a_transaction_is_recorded_the_same_way(personas: Personas) -> None:
    """As the worker runs (no test transaction around it): SQLite's outcome is then a
    transaction of its own, not a savepoint (``record_sent_sqlite``); PostgreSQL's in flight."""
    outcome_only_while_the_lease_is_held(personas)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own outcome statement")
def test_a_failed_outcome_statement_leaves_no_transaction_open(personas: Personas) -> None:
    from aftercare.messaging.worker import record_sent_sqlite

    Message.objects.exists()  # (a connection to write on)
    with pytest.raises(Exception, match="bindings"):
        record_sent_sqlite(["sent", "too few values"], [])
    assert not connection.connection.in_transaction
    assert message_queue(client=personas.client, template_key="recall").pk  # still writable


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own outcome statement")
def test_a_failed_outcome_inside_a_transaction_undoes_only_its_own_savepoint(
    personas: Personas,
) -> None:
    from aftercare.messaging.worker import record_sent_sqlite

    kept = message_queue(client=personas.client, template_key="recall")
    with pytest.raises(Exception, match="bindings"):
        record_sent_sqlite(["sent", "too few values"], [])
    # The surrounding transaction goes on, with what it wrote before.
    assert Message.objects.filter(pk=kept.pk).exists()
    assert message_queue(client=personas.client, template_key="recall").pk


def outcome_only_while_the_lease_is_held(personas: Personas) -> None:
    first, second = (message_queue(client=personas.client, template_key="recall") for _ in range(2))
    worker = Worker(name="w")
    assert sorted(worker.claim_batch()) == sorted([first.pk, second.pk])
    attempts = [MessageAttempt.objects.create(message=m, worker="w") for m in (first, second)]
    # The second's lease moved on to another worker (this one was frozen past it).
    Message.objects.filter(pk=second.pk).update(lease_owner="other")
    worker.record_sent(first, attempts[0], "id-1")
    worker.record_sent(second, attempts[1], "id-2")
    worker.settle()  # (PostgreSQL: the answer to the last outcome sent is read here)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.provider_id, first.lease_owner) == ("sent", "id-1", "")
    assert (second.status, second.provider_id, second.lease_owner) == ("sending", "", "other")
    finished = [a.finished_at for a in MessageAttempt.objects.order_by("id")]
    assert finished[0] is not None and finished[1] is None
    assert worker.sent == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_commits_without_waiting_for_the_disk_except_before_an_sms() -> None:
    def setting() -> str:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SHOW synchronous_commit")
            else:
                cursor.execute("PRAGMA synchronous")
            return str(cursor.fetchone()[0])

    durable, relaxed = ("on", "off") if connection.vendor == "postgresql" else ("2", "1")
    try:
        worker_commits(durable=False)
        assert setting() == relaxed
        worker_commits(durable=True)
        assert setting() == durable
    finally:
        worker_commits(durable=True)


def test_only_the_lease_holder_records_the_outcome(personas: Personas, daytime: Any) -> None:
    message = message_queue(client=personas.client, template_key="recall")
    slow = Worker(name="slow", lease_seconds=30)
    assert slow.claim_batch() == [message.pk]
    daytime.shift(dt.timedelta(seconds=31))
    Worker(name="rescuer").run_until_idle()  # reclaims and sends it (preview)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    sent_at = message.sent_at
    # The slow worker wakes up and tries to record its own outcome: nothing changes.
    assert slow.holding(message).update(status=MessageStatus.FAILED) == 0
    message.refresh_from_db()
    assert (message.status, message.sent_at) == (MessageStatus.SENT, sent_at)


def test_an_email_whose_worker_died_mid_send_is_resent_with_the_same_message_id(
    personas: Personas, smtp_server: Any, daytime: Any
) -> None:
    message = message_queue(client=personas.client, template_key="recall")
    dead = Worker(name="dead", lease_seconds=30)
    dead.claim_batch()
    MessageAttempt.objects.create(message=message, worker="dead")  # handed over, then killed
    daytime.shift(dt.timedelta(seconds=31))
    Worker(name="next").run_until_idle()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert smtp_server.message_ids() == [message.message_id_header]
    first = message.attempts.order_by("id").first()
    assert "stopped" in first.error and first.finished_at is not None


def test_an_sms_whose_worker_died_mid_send_becomes_uncertain_not_resent(
    personas: Personas, daytime: Any, settings: Any, monkeypatch: Any
) -> None:
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = (
        "AC1",
        "t",
        "+447700900999",
    )
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(TwilioTransport, "create", lambda self, **p: calls.append(p))
    message = message_queue(client=personas.client, template_key="recall", channel="sms")
    Worker(name="dead", lease_seconds=30).claim_batch()
    MessageAttempt.objects.create(message=message, worker="dead")
    daytime.shift(dt.timedelta(seconds=31))
    Worker(name="next").run_until_idle()
    message.refresh_from_db()
    assert message.status == MessageStatus.UNCERTAIN
    assert "check with the client" in message.status_reason
    assert calls == []


def test_a_claimed_message_without_an_attempt_is_simply_sent_again(
    personas: Personas, daytime: Any, settings: Any, monkeypatch: Any
) -> None:
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = (
        "AC1",
        "t",
        "+447700900999",
    )
    monkeypatch.setattr(
        TwilioTransport, "create", lambda self, **p: type("R", (), {"sid": "SM1"})()
    )
    message = message_queue(client=personas.client, template_key="recall", channel="sms")
    Worker(name="dead", lease_seconds=30).claim_batch()  # killed before recording an attempt
    daytime.shift(dt.timedelta(seconds=31))
    Worker(name="next").run_until_idle()
    message.refresh_from_db()
    assert (message.status, message.provider_id) == (MessageStatus.SENT, "SM1")


def test_quiet_hours_hold_a_message_until_morning_instead_of_dropping_it(
    personas: Personas,
) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 24, 22, 30, tzinfo=dt.UTC), tick=False):
        message = message_queue(client=personas.client, template_key="recall")
        Worker().run_until_idle()
        message.refresh_from_db()
        assert message.status == MessageStatus.QUEUED
        assert "Quiet hours" in message.status_reason
        assert message.next_attempt_at == dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)


def test_an_opted_out_client_gets_no_automated_message_but_a_personal_one(
    personas: Personas, smtp_server: Any
) -> None:
    automated = message_queue(client=personas.client, template_key="recall")
    personas.client.opted_out_at = clock.now()
    personas.client.save()
    personal = message_queue(
        client=personas.client,
        template_key="personal",
        automated=False,
        details={"subject": "Your results", "body": "All fine."},
    )
    Worker().run_until_idle()
    automated.refresh_from_db()
    personal.refresh_from_db()
    assert automated.status == MessageStatus.CANCELLED
    assert personal.status == MessageStatus.SENT
    assert [m["Subject"] for m in smtp_server.messages] == ["Your results"]
    assert smtp_server.messages[0]["List-Unsubscribe"] is None


def test_a_message_for_a_cancelled_appointment_is_not_sent(personas: Personas) -> None:
    touchpoint = due_message_touchpoint(
        personas.client, template_key="recall", context={"appointment_id": personas.appointment.pk}
    )
    personas.appointment.status = "cancelled"
    personas.appointment.save()
    Worker().run_until_idle()
    message = Message.objects.get(touchpoint=touchpoint)
    assert (message.status, message.status_reason) == ("cancelled", "The appointment was cancelled")


def test_a_client_without_any_address_is_not_dropped_silently(personas: Personas) -> None:
    personas.client.email = ""
    personas.client.phone = ""
    personas.client.save()
    touchpoint = due_message_touchpoint(personas.client)
    Worker().run_until_idle()
    message = Message.objects.get(touchpoint=touchpoint)
    assert message.status == MessageStatus.FAILED
    assert "No usable email address or mobile number" in message.status_reason


def test_sigterm_finishes_the_current_message_and_releases_the_rest(
    personas: Personas, monkeypatch: Any
) -> None:
    first = message_queue(client=personas.client, template_key="recall")
    second = message_queue(client=personas.client, template_key="birthday_card", purpose="care")
    worker = Worker(name="w")
    handed_over: list[int] = []

    def send_then_stop(self: PreviewTransport, message: Message) -> str:
        handed_over.append(message.pk)
        worker.stopping = True  # SIGTERM arrives while the first message is being sent
        return "preview"

    monkeypatch.setattr(PreviewTransport, "send", send_then_stop)
    worker.send_queued()
    first.refresh_from_db()
    second.refresh_from_db()
    assert handed_over == [first.pk]
    assert first.status == MessageStatus.SENT
    assert (second.status, second.lease_owner) == (MessageStatus.QUEUED, "")
    assert not second.attempts.exists()  # it never reached a provider


def test_the_worker_writes_a_heartbeat(personas: Personas) -> None:
    Worker(name="beat").run_once()
    beat = WorkerHeartbeat.objects.get(worker="beat")
    assert abs(beat.seen_at - clock.now()) < dt.timedelta(seconds=5)


def test_a_transport_error_keeps_its_permanence() -> None:
    assert TransportError("x", permanent=True).permanent is True
    assert TransportError("x").permanent is False


def test_a_slow_batch_renews_its_lease_so_no_other_worker_resends_it(
    personas: Personas, monkeypatch: Any
) -> None:
    messages = [message_queue(client=personas.client, template_key="recall") for _ in range(4)]
    slow = Worker(name="slow", lease_seconds=0.6)
    rescuer = Worker(name="rescuer")
    handed_over: list[int] = []

    def slow_send(self: PreviewTransport, message: Message) -> str:
        time.sleep(0.25)
        rescuer.reclaim_expired()  # another worker looks for expired leases meanwhile
        handed_over.append(message.pk)
        return "preview"

    monkeypatch.setattr(PreviewTransport, "send", slow_send)
    slow.send_queued()
    assert handed_over == [m.pk for m in messages]
    assert [m.status for m in Message.objects.filter(pk__in=handed_over)] == ["sent"] * 4, [
        (m.status, m.status_reason) for m in Message.objects.filter(pk__in=handed_over)
    ]
    assert not MessageAttempt.objects.filter(error__contains="lease expired").exists()


def test_worker_once_at_sends_what_is_due_at_that_instant_and_nothing_later(
    personas: Personas,
) -> None:
    """``tick --at T && worker --once --at T`` replays a day: the worker's "now" is T."""
    week_later = TUESDAY_MORNING + dt.timedelta(days=7)
    today = message_queue(client=personas.client, template_key="recall")
    next_week = message_queue(client=personas.client, template_key="recall")
    Message.objects.filter(pk=next_week.pk).update(next_attempt_at=week_later)
    out = io.StringIO()

    call_command(
        "worker", once=True, at=(week_later - dt.timedelta(days=1)).isoformat(), stdout=out
    )

    today.refresh_from_db()
    next_week.refresh_from_db()
    assert today.status == MessageStatus.SENT
    assert today.sent_at == week_later - dt.timedelta(days=1)  # as of --at, not the wall clock
    assert next_week.status == MessageStatus.QUEUED
    assert "1 messages sent" in out.getvalue() and "as of 2026-11-30 10:00:00 UTC" in out.getvalue()

    call_command("worker", "--once", "--at", "2026-12-01T10:00:00Z", stdout=out)
    next_week.refresh_from_db()
    assert next_week.status == MessageStatus.SENT


def test_worker_at_is_refused_without_once_or_when_it_is_not_a_date(personas: Personas) -> None:
    with pytest.raises(CommandError, match="--at needs --once"):
        call_command("worker", at="2026-12-01T10:00:00Z")
    with pytest.raises(CommandError, match="--at: expected an ISO date-time"):
        call_command("worker", once=True, at="tomorrow")
