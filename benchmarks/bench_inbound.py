"""Inbound at burst: signed Twilio SMS webhooks and inbound email webhooks against a real server.

Run: ``.venv/bin/python benchmarks/bench_inbound.py [--messages 5000] [--emails 1000]
[--connections 16] [--quick]`` (``--quick``: 1,000 SMS and 200 emails).

It builds a throw-away SQLite database (a practice with its own texting number and 1,000
clients with mobile numbers, each sent one email and one text before), starts gunicorn (2
processes × 2 threads, as ``aftercare up``) on loopback in a second process, and posts
``--messages`` inbound SMS in Twilio's form format, written to the practice's number, with a
valid ``X-Twilio-Signature`` over ``--connections`` keep-alive connections; then ``--emails``
raw MIME replies to ``/hooks/email/TOKEN`` (each to the reply address of an email we sent).
Every tenth of each is posted again afterwards (a provider retries a webhook it got no answer
to). Then it checks that each message is stored exactly once, for the practice its number
names, as *arrived* (the worker, not running here, routes them), and prints requests a
second, p50/p99 latency and the server's CPU time per request, against a minimal view behind
the same middleware.
"""

# ruff: noqa: E402 - Django must be set up (settings, data folder) before models are imported.
from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._report import record
from benchmarks._server import Request, free_port, load, measure, start_gunicorn

TOKEN = "bench-inbound-auth-token-0123456789"  # noqa: S105 - a throw-away server's
EMAIL_TOKEN = "bench-inbound-email-token-0123456789"  # noqa: S105 - a throw-away server's
REPLY_DOMAIN = "reply.bench.example"
SENDER = "+447700900001"
PRACTICE_NUMBER = "+447700100001"  # the practice's own: the webhooks' To names it
CLIENTS = 1000
GOAL_CPU_MS = 20


def environment(data_dir: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERCARE_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.inbound_settings",
            "AFTERCARE_DATA_DIR": data_dir,
            "AFTERCARE_SECRET_KEY": "bench-inbound-secret-key-long-enough-for-django",
            "AFTERCARE_BASE_URL": f"http://127.0.0.1:{port}",
            "AFTERCARE_TWILIO_ACCOUNT_SID": "AC" + "b" * 32,
            "AFTERCARE_TWILIO_AUTH_TOKEN": TOKEN,
            "AFTERCARE_TWILIO_FROM": SENDER,
            "AFTERCARE_INBOUND_EMAIL_TOKEN": EMAIL_TOKEN,
            "AFTERCARE_REPLY_DOMAIN": REPLY_DOMAIN,
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def populate() -> tuple[list[str], list[tuple[str, str]]]:
    """A practice with its texting number, its clients, each sent one text and one email.

    Returns the clients' mobiles, and (email address, reply token) of each email sent.
    """
    from django.core.management import call_command

    from aftercare.clients.models import Client
    from aftercare.messaging.models import Direction, Message
    from aftercare.practice.models import Practice

    call_command("migrate", verbosity=0)
    practice = Practice.objects.create(
        name="Bench Practice", time_zone="Europe/London", sms_number=PRACTICE_NUMBER
    )
    Practice.objects.create(name="Another Practice", time_zone="Europe/London")
    phones = [f"+4477009{index:05d}" for index in range(CLIENTS)]
    clients = Client.objects.bulk_create(
        Client(
            practice=practice,
            given_name=f"C{i}",
            phone=phone,
            email=f"c{i}@example.org",
            consent_care=True,
        )
        for i, phone in enumerate(phones)
    )
    sent = Message.objects.bulk_create(
        Message(
            practice=practice,
            client=client,
            direction=Direction.OUTBOUND,
            channel=channel,
            to_address=client.phone if channel == "sms" else client.email,
            text_body="How are you getting on?",
            status="sent",
        )
        for client in clients
        for channel in ("sms", "email")
    )
    mailed = [(m.to_address, m.reply_token) for m in sent if m.channel == "email"]
    return phones, mailed


TEXTS = (
    "Thanks, all fine here",
    "Can we move Thursday to the afternoon?",
    "The new dose makes me dizzy in the mornings",
    "ok",
)


def signed_requests(base: str, phones: list[str], count: int) -> list[Request]:
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    url = f"{base}/hooks/twilio/sms"
    requests = []
    for index in range(count):
        params = {
            "AccountSid": "AC" + "b" * 32,
            "MessageSid": f"SM{index:032x}",
            "SmsSid": f"SM{index:032x}",
            "From": phones[index % len(phones)],
            "To": PRACTICE_NUMBER,
            "Body": TEXTS[index % len(TEXTS)],
            "NumMedia": "0",
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": validator.compute_signature(url, params),
        }
        body = urllib.parse.urlencode(params).encode()
        requests.append(("POST", "/hooks/twilio/sms", body, headers))
    return requests


def email_requests(mailed: list[tuple[str, str]], count: int) -> list[Request]:
    """Raw MIME replies (``message/rfc822``), each to the reply address of an email we sent."""
    from email.message import EmailMessage

    path = f"/hooks/email/{EMAIL_TOKEN}"
    requests = []
    for index in range(count):
        address, token = mailed[index % len(mailed)]
        mail = EmailMessage()
        mail["From"] = f"Client {index} <{address}>"
        mail["To"] = f"reply+{token}@{REPLY_DOMAIN}"
        mail["Subject"] = "Re: How are you getting on?"
        mail["Message-ID"] = f"<bench-{index}@mail.example.org>"
        mail.set_content(
            f"{TEXTS[index % len(TEXTS)]}\n\nOn Monday, Bench Practice wrote:\n> How are you?\n"
        )
        headers = {"Content-Type": "message/rfc822"}
        requests.append(("POST", path, mail.as_bytes(), headers))
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000, help="inbound SMS webhooks")
    parser.add_argument("--emails", type=int, default=None, help="inbound email webhooks")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="1,000 SMS and 200 emails")
    args = parser.parse_args()
    if args.quick:
        args.messages = 1000
    if args.emails is None:
        args.emails = 200 if args.quick else args.messages // 5

    data_dir = tempfile.mkdtemp(prefix="aftercare-bench-inbound-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    port = free_port()
    env = environment(data_dir, port)
    os.environ.update(env)
    import django

    django.setup()
    phones, mailed = populate()
    base = env["AFTERCARE_BASE_URL"]
    webhooks = signed_requests(base, phones, args.messages)
    emails = email_requests(mailed, args.emails)
    minimal = [("POST", "/bench/minimal/", body, headers) for _, _, body, headers in webhooks]

    server = start_gunicorn(env, port)
    # Warm both processes (imports, caches); these webhooks count as sent once already.
    warm = 50
    load(port, minimal[:200] + webhooks[-warm:] + emails[-warm:], 4)

    reference = measure(port, server.pid, minimal, args.connections)
    burst = measure(port, server.pid, webhooks[:-warm], args.connections)
    again = measure(port, server.pid, webhooks[::10], args.connections)
    mail = measure(port, server.pid, emails[:-warm], args.connections)
    mail_again = measure(port, server.pid, emails[::10], args.connections)

    from aftercare.messaging.models import Direction, Message, MessageStatus
    from aftercare.practice.models import Practice

    inbound = Message.objects.filter(direction=Direction.INBOUND)
    counts = {}
    for channel in ("sms", "email"):
        mine = inbound.filter(channel=channel)
        counts[channel] = (
            mine.count(),
            mine.values("provider_id").distinct().count(),
            mine.filter(status=MessageStatus.ARRIVED).count(),
        )
    practices = set(inbound.values_list("practice__sms_number", flat=True).distinct())
    errors = [
        error
        for figures in (reference, burst, again, mail, mail_again)
        for error in figures["errors"]
    ]
    print(
        f"inbound webhooks: {args.messages} signed SMS + {len(webhooks[::10])} retried, "
        f"{args.emails} emails + {len(emails[::10])} retried; {args.connections} connections, "
        f"gunicorn 2x2, SQLite; load average {os.getloadavg()[0]:.1f}"
    )
    rows = (
        ("minimal view", reference),
        ("SMS webhook", burst),
        ("SMS retries", again),
        ("email webhook", mail),
        ("email retries", mail_again),
    )
    for name, figures in rows:
        print(
            f"{name:13} {figures['rate']:8.1f} req/s  p50 {figures['p50']:7.1f} ms  "
            f"p99 {figures['p99']:7.1f} ms  CPU {figures['cpu_ms']:6.2f} ms/request  "
            f"({figures['cpu_ms'] / reference['cpu_ms']:.1f}x minimal)"
        )
    for channel, (stored, distinct, arrived) in counts.items():
        print(
            f"{channel}: stored {stored}, {distinct} distinct provider ids, {arrived} arrived "
            "(for the worker to route)"
        )
    print(f"practices written to: {sorted(practices)}; errors {len(errors)}")
    if errors:
        print("first errors:", errors[:5])
    assert counts["sms"] == (args.messages,) * 3, counts
    assert counts["email"] == (args.emails,) * 3, counts
    assert practices == {PRACTICE_NUMBER}, practices
    assert Practice.objects.count() == 2
    assert not errors
    record(
        "inbound SMS webhook, CPU per request",
        burst["cpu_ms"],
        "ms",
        "minimal view, same middleware",
        reference["cpu_ms"],
        goal=f"≤ {GOAL_CPU_MS} ms",
    )
    record(
        "inbound email webhook, CPU per request",
        mail["cpu_ms"],
        "ms",
        "minimal view, same middleware",
        reference["cpu_ms"],
        goal=f"≤ {GOAL_CPU_MS} ms",
    )
    record(
        f"inbound SMS webhook burst, {args.connections} connections",
        burst["rate"],
        "req/s",
        "minimal view, same middleware",
        reference["rate"],
    )
    record(
        "inbound SMS webhook p99",
        burst["p99"],
        "ms",
        "minimal view p99",
        reference["p99"],
    )


if __name__ == "__main__":
    main()
