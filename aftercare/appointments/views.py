"""Appointment pages: book, edit, mark what became of it, and a practitioner's day."""

from __future__ import annotations

import copy
import csv
import datetime as dt

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from aftercare import clock
from aftercare.appointments import services
from aftercare.appointments.forms import (
    AppointmentForm,
    FeeOverrideForm,
    FeePolicyForm,
    StatusForm,
)
from aftercare.appointments.models import Appointment, Kind
from aftercare.appointments.selectors import (
    appointment_for_page,
    day_schedule,
    fee_decision_words,
    fee_decisions,
    fee_report,
    practitioners,
    status_actions,
)
from aftercare.clients.models import Client
from aftercare.clients.selectors import search_condition
from aftercare.practice.access import Actor, get_scoped_or_404, scoped
from aftercare.practice.models import User
from aftercare.practice.pages import practice_page, redirect_back

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
    form.fields["ends_at"].help_text = f"In the practice's time zone ({tz_name})"
    return form


def _next_hour(minutes: int = 0) -> dt.datetime:
    now = clock.now()
    return now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1, minutes=minutes)


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
        return render(request, "appointments/pick_client.html", {"query": query, "found": found})
    client = get_scoped_or_404(
        Client.objects.select_related("primary_practitioner"), actor, pk=client_id
    )
    starts_at = _next_hour()
    form = _appointment_form(
        request,
        actor,
        instance=Appointment(practice=actor.practice),
        initial={
            "client": client.pk,
            "practitioner": client.primary_practitioner_id
            or (actor.user.pk if actor.sees_private_notes else None),
            "starts_at": starts_at,
            "ends_at": starts_at + dt.timedelta(minutes=50),
            "kind": Kind.FOLLOW_UP,
        },
    )
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["client"].pk != client.pk:
            raise Http404("Not found")
        appointment = services.appointment_create(actor=actor, data=form.cleaned_data)
        messages.success(
            request,
            f"Booked {client.full_name} for {appointment.starts_at.astimezone(actor.practice.tz):%a %d %b %Y, %H:%M}.",
        )
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
            services.appointment_update(
                actor=actor, appointment=appointment, data=form.cleaned_data
            )
            messages.success(request, "Saved the appointment.")
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
        f"{appointment.client.full_name}, {appointment.starts_at.astimezone(actor.practice.tz):%a %d %b %H:%M}: "
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
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = today
    people = practitioners(actor)
    practitioner = _chosen_practitioner(request, people)
    schedule = day_schedule(actor, day=day, practitioner=practitioner)
    chosen = str(practitioner.pk) if practitioner else "all"

    def day_url(other: dt.date) -> str:
        return "?" + urlencode({"date": other.isoformat(), "practitioner": chosen})

    return render(
        request,
        "appointments/day.html",
        {
            "schedule": schedule,
            "rows": [
                {"appointment": appointment, "actions": status_actions(appointment)}
                for appointment in schedule.appointments
            ],
            "people": people,
            "chosen": chosen,
            "is_today": day == today,
            "previous_url": day_url(day - dt.timedelta(days=1)),
            "next_url": day_url(day + dt.timedelta(days=1)),
            "today_url": day_url(today),
            "here": request.get_full_path(),
            "time_zone": actor.practice.time_zone,
        },
    )
