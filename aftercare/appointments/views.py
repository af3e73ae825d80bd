"""Appointment pages: book, edit, mark what became of it, and a practitioner's day."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from aftercare import clock
from aftercare.appointments import schedule, services
from aftercare.appointments.forms import (
    AppointmentForm,
    FeeOverrideForm,
    FeePolicyForm,
    MoveForm,
    StatusForm,
)
from aftercare.appointments.models import Appointment, Kind
from aftercare.appointments.rows import ScheduleText, week_hours, week_items
from aftercare.appointments.selectors import (
    appointment_for_page,
    day_schedule,
    fee_decision_words,
    fee_decisions,
    fee_report,
    overlaps_with,
    practitioners,
    usual_hours,
    visit_kinds,
    week_schedule,
)
from aftercare.clients.models import Client
from aftercare.clients.selectors import search_condition
from aftercare.dates import APPOINTMENT_DAYS
from aftercare.locales import format_date
from aftercare.practice.access import Actor, get_scoped_or_404, scoped
from aftercare.practice.models import User
from aftercare.practice.pages import add_service_errors, practice_page, redirect_back

CLIENT_PICKER_LIMIT = 20


def _appointment_form(
    request: HttpRequest, actor: Actor, *, instance: Appointment, initial: dict | None = None
) -> AppointmentForm:
    form = AppointmentForm(
        request.POST or None, instance=instance, initial=initial, practice=actor.practice
    )
    # The client is chosen before the form (from the client page or the picker); a select
    # of every client would not scale to a large practice.
    form.fields["client"].widget = forms.HiddenInput()
    form.fields["practitioner"].empty_label = "Nobody in particular"
    tz_name = actor.practice.time_zone
    form.fields["starts_at"].help_text = f"In the practice's time zone ({tz_name})"
    form.fields[
        "ends_at"
    ].help_text = (
        f"In the practice's time zone ({tz_name}); it follows the start and the kind's length"
    )
    # Kinds are the practice's managed list, shown by name; a kind no longer on the list (an
    # import, an archived kind) stays choosable for the appointment that has it.
    kinds = visit_kinds(actor)
    choices = [(kind.key, f"{kind.name} ({kind.minutes} min)") for kind in kinds]
    current = instance.kind if instance.pk else ""
    if current and current not in {kind.key for kind in kinds}:
        choices.append((current, instance.kind_label))
    form.fields["kind"].widget = forms.Select(choices=choices)
    form.fields["kind"].label = "Kind of visit"
    form.fields["kind"].help_text = ""
    form.kind_minutes = json.dumps({kind.key: kind.minutes for kind in kinds})
    return form


def _warn_about_overlaps(request: HttpRequest, actor: Actor, appointment: Appointment) -> None:
    others = overlaps_with(actor, appointment)
    if others:
        tz = actor.practice.tz
        names = ", ".join(
            f"{other.client.full_name} {other.starts_at.astimezone(tz):%H:%M}–"
            f"{other.ends_at.astimezone(tz):%H:%M}"
            for other in others
        )
        messages.warning(request, f"This overlaps another booking of the practitioner: {names}.")


def _new_booking_start(request: HttpRequest, actor: Actor, minutes: int) -> dt.datetime:
    """``?starts=`` (a slot clicked in the week view) when it parses, else the next slot in the
    practice's usual hours."""
    tz = actor.practice.tz
    raw = request.GET.get("starts", "")
    try:
        chosen = dt.datetime.fromisoformat(raw[:16]) if raw else None
    except ValueError:
        chosen = None
    if chosen is not None:
        return chosen.replace(tzinfo=tz) if chosen.tzinfo is None else chosen.astimezone(tz)
    hours = usual_hours(actor)
    return schedule.default_start(
        clock.now().astimezone(tz),
        day_starts=hours.day_starts,
        day_ends=hours.day_ends,
        minutes=minutes,
    )


@practice_page
def appointment_create(request: HttpRequest) -> HttpResponse:
    """Book an appointment for ``?client=ID``; without a client, first find the client."""
    actor = request.actor  # type: ignore[attr-defined]
    client_id = request.POST.get("client") or request.GET.get("client")
    if not client_id:
        query = request.GET.get("q", "").strip()[:100]
        found = (
            list(
                scoped(Client, actor)
                .filter(archived=False)
                .filter(search_condition(query, country=actor.practice.country))
                .order_by("family_name", "given_name", "id")[:CLIENT_PICKER_LIMIT]
            )
            if query
            else []
        )
        # A slot chosen in the week view (start, practitioner, where to return) rides along.
        carried = {
            name: request.GET[name][:200]
            for name in ("starts", "practitioner", "next")
            if request.GET.get(name)
        }
        return render(
            request,
            "appointments/pick_client.html",
            {"query": query, "found": found, "carried": carried, "carry": urlencode(carried)},
        )
    client = get_scoped_or_404(
        Client.objects.select_related("primary_practitioner"), actor, pk=client_id
    )
    kinds = {kind.key: kind for kind in visit_kinds(actor)}
    kind = Kind.FOLLOW_UP if Kind.FOLLOW_UP in kinds else next(iter(kinds), Kind.FOLLOW_UP)
    minutes = kinds[kind].minutes if kind in kinds else 50
    starts_at = _new_booking_start(request, actor, minutes)
    chosen_practitioner = request.GET.get("practitioner", "")
    form = _appointment_form(
        request,
        actor,
        instance=Appointment(practice=actor.practice),
        initial={
            "client": client.pk,
            "practitioner": int(chosen_practitioner)
            if chosen_practitioner.isdigit()
            else client.primary_practitioner_id
            or (actor.user.pk if actor.sees_private_notes else None),
            "starts_at": starts_at,
            "ends_at": starts_at + dt.timedelta(minutes=minutes),
            "kind": kind,
        },
    )
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["client"].pk != client.pk:
            raise Http404("Not found")
        appointment = services.appointment_create(actor=actor, data=form.cleaned_data)
        messages.success(
            request,
            f"Booked {client.full_name} for "
            f"{format_date(appointment.starts_at.astimezone(actor.practice.tz), 'D j M Y, H:i')}.",
        )
        _warn_about_overlaps(request, actor, appointment)
        return redirect_back(request, reverse("clients-detail", args=[client.pk]))
    return render(
        request,
        "appointments/form.html",
        {"form": form, "client": client, "appointment": None, "next": request.GET.get("next", "")},
    )


@practice_page
def appointment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    appointment = appointment_for_page(actor, pk)
    # The form writes into its instance; the service compares against the untouched one.
    form = _appointment_form(request, actor, instance=copy.copy(appointment))
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["client"].pk != appointment.client_id:
            form.add_error("client", "An appointment cannot move to another client.")
        else:
            saved = services.appointment_update(
                actor=actor, appointment=appointment, data=form.cleaned_data
            )
            messages.success(request, "Saved the appointment.")
            _warn_about_overlaps(request, actor, saved)
            return redirect_back(request, reverse("clients-detail", args=[appointment.client_id]))
    return render(
        request,
        "appointments/form.html",
        {
            "form": form,
            "client": appointment.client,
            "appointment": appointment,
            "next": request.GET.get("next", ""),
            "fee_form": FeeOverrideForm() if appointment.fee_action else None,
        },
    )


@practice_page
def appointment_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a booked appointment to another day or time; the end follows (same length).

    The form (the keyboard way, and the way on a phone) and the week view's drag and drop post
    here alike: ``day`` and ``time`` in the practice's time zone, ``next`` where to return.
    """
    actor = request.actor  # type: ignore[attr-defined]
    appointment = appointment_for_page(actor, pk)
    tz = actor.practice.tz
    local = appointment.starts_at.astimezone(tz)
    form = MoveForm(
        request.POST or None,
        appointment=appointment,
        practice=actor.practice,
        initial={"day": local.date(), "time": local.time().replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        moved = services.appointment_move(
            actor=actor, appointment=appointment, starts_at=form.cleaned_data["starts_at"]
        )
        when = moved.starts_at.astimezone(tz)
        messages.success(
            request,
            f"Moved {appointment.client.full_name} to {format_date(when, 'D j M Y, H:i')}. "
            + services.move_notice_words(moved),
        )
        _warn_about_overlaps(request, actor, moved)
        week = reverse("appointments-week") + "?" + urlencode({"date": when.date().isoformat()})
        return redirect_back(request, week)
    minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    return render(
        request,
        "appointments/move.html",
        {
            "form": form,
            "appointment": appointment,
            "minutes": minutes,
            "told": services.move_notice_words(appointment),
            "next": request.POST.get("next") or request.GET.get("next", ""),
            "time_zone": actor.practice.time_zone,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@practice_page
def appointment_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark an appointment attended, no-show, late-cancelled, cancelled (or booked again)."""
    actor = request.actor  # type: ignore[attr-defined]
    appointment = appointment_for_page(actor, pk)
    form = StatusForm(request.POST)
    fallback = reverse("clients-detail", args=[appointment.client_id])
    if not form.is_valid():
        messages.error(request, f"Status: {form.errors['status'][0]}")
        return redirect_back(request, fallback)
    status = form.cleaned_data["status"]
    if status != appointment.status:
        appointment = services.appointment_set_status(
            actor=actor, appointment=appointment, status=status
        )
    fee = f" {fee_decision_words(appointment)}" if appointment.fee_action else ""
    messages.success(
        request,
        f"{appointment.client.full_name}, "
        f"{format_date(appointment.starts_at.astimezone(actor.practice.tz), 'D j M, H:i')}: "
        f"{appointment.get_status_display()}.{fee}",
    )
    return redirect_back(request, fallback)


@require_POST
@practice_page
def appointment_fee_override(request: HttpRequest, pk: int) -> HttpResponse:
    """Override the policy's fee decision with a reason (from the appointment's page)."""
    actor = request.actor  # type: ignore[attr-defined]
    appointment = appointment_for_page(actor, pk)
    form = FeeOverrideForm(request.POST)
    back = reverse("appointments-edit", args=[appointment.pk])
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label}: {errors[0]}" for name, errors in form.errors.items()
        )
        messages.error(request, f"The fee was not changed. {problems}")
        return redirect_back(request, back)
    try:
        services.appointment_override_fee(
            actor=actor,
            appointment=appointment,
            action=form.cleaned_data["action"],
            reason=form.cleaned_data["reason"],
        )
    except ValueError as error:
        messages.error(request, f"The fee was not changed. {error}")
        return redirect_back(request, back)
    messages.success(request, f"Saved. {fee_decision_words(appointment)}")
    return redirect_back(request, back)


def _report_range(request: HttpRequest, today: dt.date) -> tuple[dt.date, dt.date, list[str]]:
    """``?from=&to=`` (ISO dates, at most two years apart); the last 90 days by default."""
    problems = []
    until, since = today, today - dt.timedelta(days=89)
    for name in ("from", "to"):
        raw = request.GET.get(name, "").strip()
        if not raw:
            continue
        try:
            day = dt.date.fromisoformat(raw[:10])
        except ValueError:
            problems.append(
                f"“{raw[:20]}” is not a date (use YYYY-MM-DD); showing the last 90 days."
            )
            return today - dt.timedelta(days=89), today, problems
        if name == "from":
            since = day
        else:
            until = day
    if since > until:
        problems.append("The start was after the end; they were swapped.")
        since, until = until, since
    if (until - since).days > 731:
        problems.append("At most two years at a time; showing the two years to the end date.")
        since = until - dt.timedelta(days=731)
    return since, until, problems


@practice_page
def fee_report_page(request: HttpRequest) -> HttpResponse:
    """Every no-show and late-cancel fee decision, with totals charged, waived, overridden."""
    actor = request.actor  # type: ignore[attr-defined]
    since, until, problems = _report_range(request, clock.today(actor.practice.tz))
    for problem in problems:
        messages.warning(request, problem)
    report = fee_report(actor, since=since, until=until)
    return render(
        request,
        "appointments/fees.html",
        {
            "report": report,
            "export_query": urlencode({"from": since.isoformat(), "to": until.isoformat()}),
            "time_zone": actor.practice.time_zone,
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


FEE_EXPORT_COLUMNS = [
    "appointment_id",
    "client_id",
    "client",
    "starts_at",
    "status",
    "action",
    "amount",
    "reason",
    "overridden",
    "policy_action",
    "decided_at",
]


@practice_page
def fee_export(request: HttpRequest) -> StreamingHttpResponse:
    """The fee decisions as CSV for the billing tool (Aftercare takes no payments)."""
    actor = request.actor  # type: ignore[attr-defined]
    since, until, _problems = _report_range(request, clock.today(actor.practice.tz))
    writer = csv.writer(_Echo())

    def rows():  # type: ignore[no-untyped-def]
        yield writer.writerow(FEE_EXPORT_COLUMNS)
        for appointment in fee_decisions(actor, since=since, until=until).iterator(chunk_size=500):
            decision = appointment.fee_decision or {}
            yield writer.writerow(
                [
                    appointment.pk,
                    appointment.client_id,
                    appointment.client.full_name,
                    appointment.starts_at.isoformat(),
                    appointment.status,
                    decision.get("action"),
                    decision.get("amount"),
                    decision.get("reason"),
                    "yes" if decision.get("overridden") else "no",
                    decision.get("policy_action"),
                    appointment.fee_decided_at.isoformat() if appointment.fee_decided_at else "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="fee-decisions-{since.isoformat()}-{until.isoformat()}.csv"'
    )
    return response


@practice_page
def fee_policy_page(request: HttpRequest) -> HttpResponse:
    """The practice's fees and kindness rules; owners change them."""
    actor = request.actor  # type: ignore[attr-defined]
    policy = services.fee_policy_of(actor.practice)
    if request.method == "POST" and not actor.is_owner:
        raise Http404("Not found")
    form = FeePolicyForm(request.POST or None, instance=policy) if actor.is_owner else None
    if form is not None and request.method == "POST" and form.is_valid():
        services.fee_policy_update(actor=actor, policy=policy, data=form.cleaned_data)
        messages.success(request, "Saved the fee policy. It applies to the next no-show you mark.")
        return redirect_back(request, reverse("appointments-fee-policy"))
    return render(request, "appointments/fee_policy.html", {"form": form, "policy": policy})


def _chosen_day(request: HttpRequest, today: dt.date) -> dt.date:
    """The day of ``?date=YYYY-MM-DD``; today when it is missing, malformed or out of range.

    Out of range (``APPOINTMENT_DAYS``) there is nothing to show, and a day near year 9999 would
    overflow the previous/next-day links.
    """
    try:
        day = dt.date.fromisoformat(request.GET.get("date", "")[:10])
    except ValueError:
        return today
    return today if APPOINTMENT_DAYS.problem(day, today) else day


def _chosen_practitioner(request: HttpRequest, people: list[User]) -> User | None:
    """The practitioner of ``?practitioner=ID`` (404 unless in the practice), ``all`` for None.

    Without a choice: the signed-in user when they have a schedule, else everyone.
    """
    actor = request.actor  # type: ignore[attr-defined]
    raw = request.GET.get("practitioner", "")
    if raw == "all":
        return None
    if raw:
        for person in people:
            if str(person.pk) == raw:
                return person
        raise Http404("Not found")
    return next((person for person in people if person.pk == actor.user.pk), None)


@practice_page
def appointment_day(request: HttpRequest) -> HttpResponse:
    """One day of a practitioner's schedule (``?date=YYYY-MM-DD&practitioner=ID``)."""
    actor = request.actor  # type: ignore[attr-defined]
    tz = actor.practice.tz
    today = clock.today(tz)
    day = _chosen_day(request, today)
    people = practitioners(actor)
    practitioner = _chosen_practitioner(request, people)
    schedule = day_schedule(actor, day=day, practitioner=practitioner)
    chosen = str(practitioner.pk) if practitioner else "all"
    here = request.get_full_path()

    def day_url(other: dt.date) -> str:
        return "?" + urlencode({"date": other.isoformat(), "practitioner": chosen})

    return render(
        request,
        "appointments/day.html",
        {
            "schedule": schedule,
            "rows": schedule.entries,  # written by ``{% day_rows %}``
            "everyone": practitioner is None,
            "people": people,
            "chosen": chosen,
            "is_today": day == today,
            "previous_url": day_url(day - dt.timedelta(days=1)),
            "next_url": day_url(day + dt.timedelta(days=1)),
            "today_url": day_url(today),
            "here": here,
            "time_zone": actor.practice.time_zone,
        },
    )


@practice_page
def appointment_week(request: HttpRequest) -> HttpResponse:
    """A week of one practitioner's (or everyone's) schedule (``?date=…&practitioner=ID|all``).

    Each day offers a booking at its usual opening; each appointment opens its edit form, where
    moving it is changing its start.
    """
    actor = request.actor  # type: ignore[attr-defined]
    tz = actor.practice.tz
    today = clock.today(tz)
    day = _chosen_day(request, today)
    people = practitioners(actor)
    practitioner = _chosen_practitioner(request, people)
    week = week_schedule(actor, day=day, practitioner=practitioner)
    chosen = str(practitioner.pk) if practitioner else "all"
    hours = usual_hours(actor)
    here = request.get_full_path()

    def week_url(other: dt.date) -> str:
        return "?" + urlencode({"date": other.isoformat(), "practitioner": chosen})

    create_url = reverse("appointments-create")

    def book_url(on: dt.date) -> str:
        params = {"starts": dt.datetime.combine(on, hours.day_starts).strftime("%Y-%m-%dT%H:%M")}
        if practitioner is not None:
            params["practitioner"] = str(practitioner.pk)
        params["next"] = here
        return create_url + "?" + urlencode(params)

    monday = week.days[0].day
    text = ScheduleText(here=here)
    days = [
        {
            "day": one.day,
            "iso": one.day.isoformat(),  # as ``|date:'Y-m-d'`` writes it
            "is_today": one.day == today,
            "items": week_items(
                one.entries,
                text,
                everyone=practitioner is None,
                overlapping=week.overlapping,
            ),
            "book_url": book_url(one.day),
        }
        for one in week.days
    ]
    return render(
        request,
        "appointments/week.html",
        {
            "week": week,
            "days": days,
            "people": people,
            "chosen": chosen,
            "everyone": practitioner is None,
            "monday": monday,
            "sunday": week.days[-1].day,
            "previous_url": week_url(monday - dt.timedelta(days=7)),
            "next_url": week_url(monday + dt.timedelta(days=7)),
            "this_week_url": week_url(today),
            "is_this_week": monday <= today <= week.days[-1].day,
            "here": here,
            "time_zone": actor.practice.time_zone,
            "hours": hours,
            "week_hours": week_hours(
                schedule.drop_slots(hours.day_starts, hours.day_ends), schedule.DROP_STEP
            ),
        },
    )


class UsualHoursForm(forms.Form):
    day_starts = forms.TimeField(
        label="Day starts", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    day_ends = forms.TimeField(
        label="Day ends", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )


class VisitKindForm(forms.Form):
    key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)
    name = forms.CharField(label="Name", max_length=80)
    minutes = forms.IntegerField(label="Length in minutes", min_value=5, max_value=480)
    archived = forms.BooleanField(label="No longer offered", required=False)


@practice_page
def schedule_settings(request: HttpRequest) -> HttpResponse:
    """The practice's usual hours and its visit kinds (the owner changes them)."""
    actor = request.actor  # type: ignore[attr-defined]
    if request.method == "POST" and not actor.is_owner:
        raise Http404("Only the practice owner can change these.")
    hours = usual_hours(actor)
    which = request.POST.get("form", "")
    hours_form = UsualHoursForm(
        request.POST if which == "hours" else None,
        initial={"day_starts": hours.day_starts, "day_ends": hours.day_ends},
    )
    kind_form = VisitKindForm(request.POST if which == "kind" else None, prefix="new")
    form = hours_form if which == "hours" else kind_form if which == "kind" else None
    if form is not None and form.is_valid():
        try:
            if which == "hours":
                services.usual_hours_set(actor=actor, **form.cleaned_data)
            else:
                services.visit_kind_save(actor=actor, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect_back(request, reverse("appointments-settings"))
    kinds = visit_kinds(actor, include_archived=True)
    return render(
        request,
        "appointments/settings.html",
        {
            "hours_form": hours_form,
            "kind_form": kind_form,
            "kinds": kinds,
            "is_owner": actor.is_owner,
        },
        status=400 if form is not None and form.errors else 200,
    )
