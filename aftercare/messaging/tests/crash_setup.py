"""Fill a fresh database with N clients, each with one due touchpoint (crash and fault tests).

Run as ``python -m aftercare.messaging.tests.crash_setup N`` with the environment of the
workers under test. Quiet hours are switched off so the test does not depend on the hour.
"""

from __future__ import annotations

import datetime as dt
import sys


def main(count: int) -> None:
    import django

    django.setup()
    populate(count)


def populate(count: int, *, sms: int = 0) -> None:
    """``count`` clients reached by email and ``sms`` more reached by SMS, spread evenly.

    Spread, not one after the other: the workers send in due order, so kills made while they
    send land on both channels.
    """
    from aftercare import clock
    from aftercare.care.models import Action, CarePolicy, Touchpoint, TouchpointStatus
    from aftercare.clients.models import Client
    from aftercare.practice.models import Practice

    practice = Practice.objects.create(name="Crash Practice", time_zone="Europe/London")
    CarePolicy.objects.create(
        practice=practice, quiet_hours_start=dt.time(0, 0), quiet_hours_end=dt.time(0, 0)
    )
    clients = Client.objects.bulk_create(
        Client(
            practice=practice,
            given_name=f"C{i}",
            email=f"c{i}@example.org",
            phone=f"+447700{900000 + i:06d}",
            preferred_channel="sms" if is_sms(i, sms, count + sms) else "email",
            consent_care=True,
        )
        for i in range(count + sms)
    )
    due = clock.now() - dt.timedelta(minutes=5)
    Touchpoint.objects.bulk_create(
        Touchpoint(
            practice=practice,
            client=client,
            key=f"{client.pk}:crash:0",
            kind="recall",
            action=Action.MESSAGE,
            template_key="recall",
            purpose="care",
            channel=client.preferred_channel,
            due_at=due,
            status=TouchpointStatus.DUE,
        )
        for client in clients
    )


def is_sms(i: int, sms: int, total: int) -> bool:
    """Whether client ``i`` of ``total`` is one of the ``sms`` spread evenly among them."""
    return (i + 1) * sms // total > i * sms // total


if __name__ == "__main__":
    main(int(sys.argv[1]))
