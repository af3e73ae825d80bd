"""Per-sender rate limits: one turn per interval, kept by two workers together."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import time_machine

from aftercare import clock
from aftercare.config import ConfigError, load
from aftercare.messaging.models import SendingTurn
from aftercare.messaging.rates import take_turn
from aftercare.messaging.tests.conftest import start_smtp_server
from aftercare.messaging.tests.test_crash import worker_env
from aftercare.messaging.tests.test_fault_injection import TwilioStandIn

SENDER = "twilio:+447700900999"


@pytest.mark.django_db
def test_a_sender_gets_one_turn_per_interval() -> None:
    with time_machine.travel(clock.now(), tick=False) as traveller:
        assert take_turn(SENDER, 2) is None  # the first turn is free
        next_turn = take_turn(SENDER, 2)
        assert next_turn == clock.now() + dt.timedelta(seconds=0.5)
        assert take_turn(SENDER, 2) == next_turn  # asking again takes nothing
        traveller.shift(dt.timedelta(seconds=0.5))
        assert take_turn(SENDER, 2) is None
        assert take_turn("twilio:+447700900111", 2) is None  # another number: its own turns
        assert take_turn(SENDER, 0) is None  # 0: no limit
    assert SendingTurn.objects.count() == 2


def test_the_rate_is_a_number_of_messages_a_second(tmp_path: Path) -> None:
    env = {"AFTERCARE_DATA_DIR": str(tmp_path)}
    assert load(env, create_dirs=False).twilio_sms_per_second == 1.0
    assert (
        load(
            env | {"AFTERCARE_TWILIO_SMS_PER_SECOND": "0.5"}, create_dirs=False
        ).twilio_sms_per_second
        == 0.5
    )
    with pytest.raises(ConfigError, match="AFTERCARE_TWILIO_SMS_PER_SECOND"):
        load(env | {"AFTERCARE_TWILIO_SMS_PER_SECOND": "fast"}, create_dirs=False)


class TimedTwilio(TwilioStandIn):
    """Twilio's stand-in, noting when each hand-over arrived."""

    times: list[float] = []

    def do_POST(self) -> None:
        with self.lock:
            self.times.append(time.monotonic())
        super().do_POST()


SMS = 24
RATE = 4


@pytest.mark.slow
@pytest.mark.skipif(
    bool(__import__("os").environ.get("AFTERCARE_TEST_DATABASE_URL")), reason="SQLite file"
)
def test_two_workers_keep_one_numbers_rate_together(tmp_path: Path) -> None:
    controller, _mailbox, smtp_port = start_smtp_server()
    TimedTwilio.received.clear()
    TimedTwilio.times.clear()
    twilio = ThreadingHTTPServer(("127.0.0.1", 0), TimedTwilio)
    threading.Thread(target=twilio.serve_forever, daemon=True).start()
    env = worker_env(tmp_path, smtp_port) | {
        "AFTERCARE_TWILIO_ACCOUNT_SID": "AC" + "a" * 32,
        "AFTERCARE_TWILIO_AUTH_TOKEN": "rate-test-token",
        "AFTERCARE_TWILIO_FROM": "+447700900999",
        "AFTERCARE_TWILIO_SMS_PER_SECOND": str(RATE),
        "FAULT_TWILIO_PORT": str(twilio.server_address[1]),
    }
    try:
        # The fault-injection harness with no kills: two forked workers until nothing is left.
        run = subprocess.run(  # noqa: S603
            [
                sys.executable,
                "-m",
                "aftercare.messaging.tests.fault_injection",
                "0",
                str(SMS),
                "0",
                "1",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        json.loads(run.stdout.strip().splitlines()[-1])
    finally:
        controller.stop()
        twilio.shutdown()

    times = sorted(TimedTwilio.times)
    assert len(times) == SMS and sum(TimedTwilio.received.values()) == SMS
    # Turns are 1/RATE s apart; a hand-over follows its turn after a moment that varies with
    # the machine's load, so count over two seconds and allow two more; the whole run takes at
    # least its turns.
    assert times[-1] - times[0] >= (SMS - 1) / RATE * 0.95, times
    most_in_two_seconds = max(sum(1 for t in times if start <= t < start + 2.0) for start in times)
    assert most_in_two_seconds <= 2 * RATE + 2, times
