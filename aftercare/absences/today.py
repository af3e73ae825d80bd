"""What absences show on the Today page: your next absence and what it will send."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from aftercare import statements
from aftercare.absences.models import Absence
from aftercare.absences.preview import absence_summary
from aftercare.locales import format_date, practice_locale
from aftercare.practice.access import Actor
from aftercare.queue import today


def next_absence_card(actor: Actor, now: dt.datetime, scope: str) -> today.TodayCard | None:
    """The actor's next (or current) absence, with the notices it will send and to how many.

    In the whole-practice view, the practice's next absence, whoever is away.
    """
    if actor.user is None:
        return None
    day = now.astimezone(actor.practice.tz).date()

    def build(practice: int, day: dt.date, user: int | None = None) -> Any:
        rows = Absence.objects.filter(practice_id=practice, cancelled=False, last_day__gte=day)
        if scope == "mine":
            rows = rows.filter(practitioner_id=user)
        return rows.order_by("first_day", "id")[:1]

    mine = {"user": actor.user.pk} if scope == "mine" else {}
    found = statements.objects(
        ("absences: the next", scope),
        build,
        model=Absence,
        related=("practitioner",),
        practice=actor.practice.pk,
        day=day,
        **mine,
    )
    absence = found[0] if found else None
    plan = today.TodayAction("Plan an absence", reverse("absences-create"))
    if absence is None:
        return today.TodayCard(
            key="absence",
            title="Your next absence" if scope == "mine" else "Next absence",
            order=60,
            empty_text="No absence planned.",
            link=plan,
        )
    # Counts only (a full preview builds a row per affected client: it grew with the practice).
    preview = absence_summary(
        practice=actor.practice,
        practitioner=absence.practitioner,
        first_day=absence.first_day,
        last_day=absence.last_day,
        notify_days_before=absence.notify_days_before,
        announce_to_all=absence.announce_to_all,
        emergency_ids=[
            client
            for (client,) in statements.rows(
                "absences: the emergency list of one",
                lambda absence: Absence.emergency_clients.through.objects.filter(
                    absence_id=absence
                ).values_list("client_id"),
                absence=absence.pk,
            )
        ],
    )
    away = absence.practitioner.display_name if scope == "practice" else "You are"
    if scope == "practice":
        away = f"{away} is"
    locale = practice_locale(actor.practice)
    first, last = (format_date(d, "l j F", locale) for d in (absence.first_day, absence.last_day))
    when = (
        f"{away} away from {first} to {last}"
        if absence.first_day > day
        else f"{away} away until {last}"
    )
    sends = today.plural(preview.notices, "personal notice")
    if preview.notices:
        sends += f" from {format_date(preview.notify_on, 'j F', locale)}"
    if preview.announce_count:
        sends += f" and an announcement to {today.plural(preview.announce_count, 'client')}"
    entries = (
        today.TodayEntry(
            title=when,
            detail=f"It will send {sends}.",
            note=f"Emergency list: {today.plural(preview.emergency_clients, 'client')}; "
            f"{today.plural(preview.appointments, 'appointment')} to rebook.",
            action=today.TodayAction("Review", reverse("absences-edit", args=[absence.pk])),
        ),
    )
    return today.TodayCard(
        key="absence",
        title="Your next absence" if scope == "mine" else "Next absence",
        entries=entries,
        order=60,
        link=plan,
    )
