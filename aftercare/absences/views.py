"""Absence pages: the list, plan/change with a preview before saving, cancel, the public notice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core import signing
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from aftercare import clock, statements
from aftercare.absences import services
from aftercare.absences.forms import AbsenceForm
from aftercare.absences.models import Absence
from aftercare.absences.preview import absence_preview, active_care_suggestions
from aftercare.clients.picker import client_picker
from aftercare.practice.access import (
    Actor,
    get_scoped_or_404,
    ids_in,
    practice_required,
)
from aftercare.practice.models import Practice

NOTICE_SALT = "aftercare.absences.public_notice"
PICKER = "emergency_client_ids"
PAST_SHOWN = 10


def notice_token(practice: Practice) -> str:
    """The practice's public notice link (no expiry: the practice links to it from its site)."""
    return signing.Signer(salt=NOTICE_SALT).sign(str(practice.pk)).split(":", 1)[1]


@practice_required
def absence_list(request: HttpRequest) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    today = clock.today(actor.practice.tz)

    def listed(
        part: str, *, cancelled: bool, ended: bool, order: tuple[str, ...], limit: int = 0
    ) -> list[Absence]:
        """One part of the list (``part`` names its shape), with each absence's practitioner
        and how many are on its emergency list, through a statement (this page's three queries
        were built on every visit)."""

        def build(practice: int, today: dt.date) -> QuerySet[Absence]:
            rows = Absence.objects.filter(practice_id=practice, cancelled=cancelled)
            rows = rows.filter(last_day__lt=today) if ended else rows.filter(last_day__gte=today)
            rows = rows.annotate(emergency_count=Count("emergency_entries")).order_by(*order)
            return rows[:limit] if limit else rows

        return statements.objects(
            ("absences: the list", part),
            build,
            model=Absence,
            related=("practitioner",),
            annotations=("emergency_count",),
            practice=actor.practice.pk,
            today=today,
        )

    upcoming = listed("upcoming", cancelled=False, ended=False, order=("first_day", "id"))
    past = listed(
        "past", cancelled=False, ended=True, order=("-first_day", "-id"), limit=PAST_SHOWN
    )
    cancelled = listed("cancelled", cancelled=True, ended=False, order=("first_day", "id"))
    return render(
        request,
        "absences/list.html",
        {
            "upcoming": upcoming,
            "past": past,
            "cancelled": cancelled,
            "today": today,
            "notice_url": request.build_absolute_uri(
                reverse("absences-notice", args=[actor.practice.pk, notice_token(actor.practice)])
            ),
        },
    )


def _form_page(request: HttpRequest, actor: Actor, absence: Absence | None) -> HttpResponse:
    """GET: the form. POST "preview" (or the client picker's Search): the preview below the
    form. POST "save": save.

    The emergency list is chosen with the client picker (``aftercare/clients/picker.py``),
    which lists the clients in active care with why; without JavaScript its Search button
    submits the form like Preview, so nothing typed or ticked is lost.
    """
    preview = None
    if request.method == "POST":
        form = AbsenceForm(
            request.POST,
            instance=absence if absence is not None else Absence(practice=actor.practice),
            practice=actor.practice,
        )
        if form.is_valid():
            data = form.absence_data()
            ids = form.cleaned_data[PICKER]
            if "save" in request.POST:
                if absence is None:
                    saved = services.absence_create(
                        actor=actor, data=data, emergency_client_ids=ids
                    )
                    messages.success(request, f"Planned the absence of {saved.practitioner}.")
                else:
                    saved = services.absence_update(
                        actor=actor, absence=absence, data=data, emergency_client_ids=ids
                    )
                    messages.success(request, "Saved the absence; affected clients are re-planned.")
                return redirect("absences-list")
            preview = absence_preview(
                practice=actor.practice,
                practitioner=data["practitioner"],
                first_day=data["first_day"],
                last_day=data["last_day"],
                notify_days_before=data["notify_days_before"],
                announce_to_all=data.get("announce_to_all", False),
                emergency_ids=ids,
                exclude_absence_id=absence.pk if absence else None,
            )
        chosen_ids = ids_in(request.POST.getlist(PICKER))
        query = request.POST.get(f"{PICKER}_q", "")[:200]
        practitioner = form.cleaned_data.get("practitioner")
    else:
        # A new absence is the signed-in practitioner's by default; an existing one keeps its own.
        initial: dict[str, Any] = {} if absence is not None else {"practitioner": actor.user}
        form = AbsenceForm(instance=absence, practice=actor.practice, initial=initial)
        chosen_ids = (
            list(absence.emergency_entries.values_list("client_id", flat=True)) if absence else []
        )
        query = ""
        practitioner = absence.practitioner if absence is not None else actor.user
    if preview is not None:
        suggested = preview.active_care
    elif practitioner is not None:
        suggested = active_care_suggestions(
            practice=actor.practice, practitioner=practitioner, now=clock.now()
        )
    else:
        suggested = []
    picker = client_picker(
        actor,
        name=PICKER,
        label="Emergency list",
        help_text=(
            "Clients who may reach you while you are away. Each gets a promise in the care queue "
            "and a message telling them how. Clients in active care are suggested, with why."
        ),
        chosen_ids=chosen_ids,
        query=query,
        suggestions=[(row["client"], row["reason"]) for row in suggested],
        errors=form.errors.get(PICKER, []) if form.is_bound else [],
    )
    return render(
        request,
        "absences/form.html",
        {"form": form, "absence": absence, "preview": preview, "picker": picker},
    )


@practice_required
def absence_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, request.actor, None)  # type: ignore[attr-defined]


@practice_required
def absence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    absence = get_scoped_or_404(Absence.objects.select_related("practitioner"), actor, pk=pk)
    if absence.cancelled:
        raise Http404("A cancelled absence cannot be changed.")
    return _form_page(request, actor, absence)


@require_POST
@practice_required
def absence_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    absence = get_scoped_or_404(Absence.objects.select_related("practitioner"), actor, pk=pk)
    services.absence_cancel(actor=actor, absence=absence)
    messages.success(request, "Cancelled the absence; clients who were told get a correction.")
    return redirect("absences-list")


def public_notice(request: HttpRequest, practice_id: int, token: str) -> HttpResponse:
    """The practice's public page of upcoming absences: no login, no private data."""
    practice = Practice.objects.filter(pk=practice_id).first()
    if practice is None or not signing.constant_time_compare(token, notice_token(practice)):
        raise Http404("Unknown notice page")
    today = clock.today(practice.tz)
    absences = list(
        Absence.objects.filter(practice=practice, cancelled=False, last_day__gte=today)
        .select_related("practitioner")
        .order_by("first_day", "id")
    )
    return render(
        request,
        "absences/public_notice.html",
        {"practice": practice, "absences": absences, "today": today},
    )
