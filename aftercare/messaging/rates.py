"""Per-sender rate limits, kept by any number of workers together.

A provider caps how fast one sender may send (Twilio: 1 SMS a second from a long code), and
queues or fails what goes beyond. Each sender has one ``SendingTurn`` row: the moment it may
next send. A worker takes the turn with one conditional UPDATE (``WHERE next_at <= now``),
which moves it on by the sender's interval, so of several workers only one gets each turn,
whichever database they share. Workers on several machines need clocks kept by NTP (a
skew of a second lets a fast clock take turns early).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from aftercare import clock
from aftercare.messaging.models import SendingTurn


def take_turn(sender: str, per_second: float) -> dt.datetime | None:
    """Take ``sender``'s turn to send now: None when taken, else when its next turn comes.

    ``per_second`` 0 (or less) means no limit.
    """
    if per_second <= 0:
        return None
    now = clock.now()
    interval = dt.timedelta(seconds=1 / per_second)
    taken = SendingTurn.objects.filter(sender=sender, next_at__lte=now).update(
        next_at=now + interval
    )
    if taken:
        return None
    next_at = SendingTurn.objects.filter(sender=sender).values_list("next_at", flat=True).first()
    if next_at is not None:
        return next_at
    try:
        with transaction.atomic():
            SendingTurn.objects.create(sender=sender, next_at=now + interval)
    except IntegrityError:  # another worker created it first: its turn, ask again
        return take_turn(sender, per_second)
    return None
