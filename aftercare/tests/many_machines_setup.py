"""Fill a fresh database for the many-machines test: N clients, each with one planned message.

Run as ``python -m aftercare.tests.many_machines_setup N`` with the environment of the
processes under test, so "now" is their clock, not the test's pinned one. The touchpoints are
*planned*, due from two minutes ago to ``SPREAD`` seconds ahead: the tick processes make them
due while the workers already send, as on a live installation.
"""

from __future__ import annotations

import datetime as dt
import sys

SPREAD = 12


def main(count: int) -> None:
    import django

    django.setup()

    from aftercare import clock
    from aftercare.care.models import CarePolicy, Touchpoint, TouchpointStatus
    from aftercare.care.sweep import practice_today
    from aftercare.messaging.tests.crash_setup import populate

    populate(count)
    now = clock.now()
    first = now - dt.timedelta(minutes=2)
    step = (dt.timedelta(minutes=2) + dt.timedelta(seconds=SPREAD)) / count
    for index, pk in enumerate(Touchpoint.objects.order_by("id").values_list("pk", flat=True)):
        Touchpoint.objects.filter(pk=pk).update(
            status=TouchpointStatus.PLANNED, due_at=first + step * index
        )
    # Today's daily re-plan counts as done: these touchpoints come from no care rule, and this
    # test is about ticks and workers racing, not about what the planner would want instead.
    for policy in CarePolicy.objects.select_related("practice"):
        policy.swept_on = practice_today(policy.practice.time_zone, now)
        policy.save(update_fields=["swept_on"])


if __name__ == "__main__":
    main(int(sys.argv[1]))
