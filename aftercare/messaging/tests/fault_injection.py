"""The fault-injection harness: workers killed (SIGKILL) and frozen (SIGSTOP) while they send.

Run as ``python -m aftercare.messaging.tests.fault_injection EMAILS SMS KILLS SEED`` with the
environment of the workers (``AFTERCARE_DATA_DIR`` with a fresh SQLite file, an SMTP server and
``FAULT_TWILIO_PORT``, a loopback server that answers as Twilio's Messages API does).

1. Migrate, then give each of EMAILS + SMS clients one due touchpoint (crash_setup).
2. Set Django up once and fork two workers from it, so a replacement starts in milliseconds
   and most kills land while a worker is rendering or sending, not while it boots.
3. Until KILLS kills have been made: wait a random moment, SIGKILL a random worker, fork a
   new one (the work running out first is a failure: the kills would prove nothing). Once, half-way, freeze a worker with SIGSTOP for twice its lease (another worker
   reclaims its messages meanwhile), then let it go on with SIGCONT.
4. Let the workers finish (nothing due, queued or sending), stop them with SIGTERM and print
   the figures as JSON: kills, the messages still to send after the last kill (the margin),
   and which messages the frozen worker held when it froze.

The test (test_fault_injection.py) counts what the servers received against the database.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import sys
import time
import traceback
import urllib.request
from typing import Any

from twilio.http import HttpClient
from twilio.http.response import Response

LEASE_SECONDS = 2.0
DEADLINE_SECONDS = int(os.environ.get("FAULT_DEADLINE_SECONDS", "300"))


def main(emails: int, sms: int, kills: int, seed: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from aftercare.messaging.tests import crash_setup

    call_command("migrate", verbosity=0)
    crash_setup.populate(emails, sms=sms)
    figures = inject_faults(kills, random.Random(seed))
    sys.stdout.write(json.dumps(figures) + "\n")


class LoopbackTwilio(HttpClient):
    """Twilio's HTTP client seam, posting to the loopback Twilio stand-in."""

    def __init__(self, port: int) -> None:
        super().__init__(logger=logging.getLogger("twilio.fault_injection"), is_async=False)
        self.port = port

    def request(
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = False,
    ) -> Response:
        body = json.dumps({"url": url, "data": dict(data or {})}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/", data=body, method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return Response(answer.status, answer.read().decode())


def run_worker(twilio_port: int) -> None:
    """The body of a forked worker process."""
    from django.db import connections

    from aftercare.messaging import transports
    from aftercare.messaging.worker import Worker

    for connection in connections.all():
        connection.close()
    transports.twilio_http_client = LoopbackTwilio(twilio_port)
    worker = Worker(lease_seconds=LEASE_SECONDS, batch_size=10)
    signal.signal(signal.SIGTERM, lambda *_: setattr(worker, "stopping", True))
    worker.run(interval=0.05)


def fork_worker(twilio_port: int) -> int:
    from django.db import connections

    # SQLite forbids carrying an open connection across fork(): close it, reopen on demand.
    for connection in connections.all():
        connection.close()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            run_worker(twilio_port)
        except BaseException:
            traceback.print_exc()
            code = 1
        os._exit(code)
    return pid


def pending() -> int:
    from aftercare.care.models import Touchpoint
    from aftercare.messaging.models import Message

    return (
        Touchpoint.objects.filter(status="due").count()
        + Message.objects.filter(status__in=["queued", "sending"]).count()
    )


def held_by(pid: int) -> list[int]:
    from aftercare.messaging.models import Message

    return list(
        Message.objects.filter(status="sending", lease_owner__contains=f":{pid}:").values_list(
            "pk", flat=True
        )
    )


def inject_faults(kills: int, rng: random.Random) -> dict[str, Any]:
    from django.db import connections

    twilio_port = int(os.environ["FAULT_TWILIO_PORT"])
    workers = [fork_worker(twilio_port), fork_worker(twilio_port)]
    started = time.monotonic()
    made = 0
    frozen: dict[str, Any] = {}
    try:
        while made < kills:
            if time.monotonic() - started > DEADLINE_SECONDS:
                raise SystemExit(f"only {made} kills in {DEADLINE_SECONDS} s")
            time.sleep(rng.uniform(0.02, 0.25))
            victim = rng.randrange(len(workers))
            if made == kills // 2 and not frozen:
                frozen = freeze(workers[victim])
            os.kill(workers[victim], signal.SIGKILL)
            os.waitpid(workers[victim], 0)
            made += 1
            workers[victim] = fork_worker(twilio_port)
            if pending() == 0:
                raise SystemExit(
                    f"the workers finished every message after only {made} of {kills} kills: "
                    "give them more to send or slower servers"
                )
        left_after_kills = pending()
        while pending() > 0:
            if time.monotonic() - started > DEADLINE_SECONDS:
                raise SystemExit(f"{pending()} messages still pending")
            time.sleep(0.2)
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGTERM)
        for pid in workers:
            os.waitpid(pid, 0)
        for connection in connections.all():
            connection.close()
    return {
        "kills": made,
        "seconds": round(time.monotonic() - started, 1),
        "left_after_kills": left_after_kills,
        **frozen,
    }


def freeze(pid: int) -> dict[str, Any]:
    """SIGSTOP ``pid`` for twice its lease while it holds messages, then SIGCONT it.

    On a loaded machine a fresh worker may take seconds to claim its first batch, and it may
    finish a batch between the look and the stop: look again after stopping it, and let it go
    on and wait for its next batch if it held nothing.
    """
    deadline = time.monotonic() + 120
    while True:
        if held_by(pid):
            os.kill(pid, signal.SIGSTOP)
            held = held_by(pid)
            if held:
                break
            os.kill(pid, signal.SIGCONT)
        if time.monotonic() > deadline:
            raise SystemExit("the worker to freeze never held a message")
        time.sleep(0.005)
    time.sleep(LEASE_SECONDS * 2)
    os.kill(pid, signal.SIGCONT)
    # Give the thawed worker time to finish what it was doing before it may be killed.
    time.sleep(LEASE_SECONDS)
    return {"frozen_pid": pid, "frozen_held": held}


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:5]))
