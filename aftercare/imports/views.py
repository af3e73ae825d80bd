"""Import and export pages: upload, map the columns, check the dry run, import, follow it.

A client file goes: upload (stored as an ``ImportJob``) → columns (the mapping, the date
order when the file cannot tell) → dry run (row by row) → queued for the worker → progress.
A calendar file is checked to be a calendar, stored and queued for the worker at once, and
followed on the same progress page, which ends with what it booked, moved, cancelled, could
not place and refused; occurrences without a client wait on the review page until a person
picks the client for the series.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from aftercare.clients.models import Client
from aftercare.clients.picker import ClientField, client_picker
from aftercare.imports.appointments import calendar_file_problem, match_series_by_hand
from aftercare.imports.clients import import_clients
from aftercare.imports.columns import FIELDS, mapping_problems
from aftercare.imports.dates import ORDERS
from aftercare.imports.exports import export_table
from aftercare.imports.models import CalendarSubscription, ImportJob, UnmatchedEvent
from aftercare.imports.reading import read_client_file, remember_mapping
from aftercare.imports.subscriptions import SubscriptionError, subscribe
from aftercare.imports.tabular import TableError
from aftercare.practice.access import get_scoped_or_404, ids_in, practice_required
from aftercare.practice.members import practitioners_listed, practitioners_of
from aftercare.practice.models import User

MAX_UPLOAD = 20 * 1024 * 1024
SAMPLES = 3
DRY_RUN_ROWS_SHOWN = 300


def _uploaded(request: HttpRequest, name: str) -> tuple[bytes, str] | str:
    upload = request.FILES.get(name)
    if upload is None:
        return "Choose a file to upload."
    if upload.size > MAX_UPLOAD:
        return f"{upload.name} is larger than 20 MB; split it into smaller files."
    return upload.read(), upload.name or "upload"


@practice_required
def home(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    jobs = ImportJob.objects.filter(practice=actor.practice).defer("content")[:10]
    waiting = UnmatchedEvent.objects.filter(practice=actor.practice).count()
    practitioners = practitioners_listed(actor.practice)
    subscriptions = CalendarSubscription.objects.filter(practice=actor.practice).select_related(
        "practitioner"
    )
    return render(
        request,
        "imports/home.html",
        {
            "jobs": jobs,
            "waiting": waiting,
            "practitioners": practitioners,
            "subscriptions": subscriptions,
        },
    )


def _practitioner(request: HttpRequest) -> User | None:
    """Whose calendar it is: one who sees clients, as the form offers (an assistant's or an
    outsider's id, forged, is nobody's)."""
    actor = request.actor  # type: ignore[attr-defined]
    return (
        practitioners_of(actor.practice)
        .filter(pk__in=ids_in([request.POST.get("practitioner", "")]))
        .first()
    )


@practice_required
@require_POST
def subscribe_calendar(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        subscribe(actor=actor, url=request.POST.get("url", ""), practitioner=_practitioner(request))
    except SubscriptionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, "Subscribed: the calendar is read within a minute, then every 15 minutes."
        )
    return redirect("imports-home")


@practice_required
@require_POST
def unsubscribe_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    subscription = get_scoped_or_404(CalendarSubscription.objects.all(), actor, pk=pk)
    subscription.delete()
    messages.success(request, "The calendar is no longer read; its appointments stay.")
    return redirect("imports-home")


@practice_required
@require_POST
def upload_clients(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    uploaded = _uploaded(request, "file")
    if isinstance(uploaded, str):
        messages.error(request, uploaded)
        return redirect("imports-home")
    data, name = uploaded
    try:
        reading = read_client_file(data, practice=actor.practice)
    except TableError as error:
        messages.error(request, f"{name}: {error}")
        return redirect("imports-home")
    job = ImportJob.objects.create(
        practice=actor.practice,
        created_by=actor.user,
        file_name=name[:255],
        content=data,
        mapping=reading.mapping,
        date_order=reading.date_order or "",
        total_rows=len(reading.table.rows),
    )
    return redirect("imports-columns", job.pk)


def _job(request: HttpRequest, pk: int) -> ImportJob:
    actor = request.actor  # type: ignore[attr-defined]
    return get_scoped_or_404(ImportJob.objects.all(), actor, pk=pk)


@practice_required
def columns(request: HttpRequest, pk: int) -> HttpResponse:
    """The mapping screen: what each column holds, with the first values to judge by."""
    actor = request.actor  # type: ignore[attr-defined]
    job = _job(request, pk)
    if job.status != ImportJob.Status.UPLOADED:
        return redirect("imports-progress", job.pk)
    reading = read_client_file(bytes(job.content), practice=actor.practice, mapping=job.mapping)
    headers = reading.table.headers
    problems: list[str] = []
    mapping = dict(job.mapping)
    date_order = job.date_order
    if request.method == "POST":
        mapping = {
            header: request.POST.get(f"column_{index}", "")
            for index, header in enumerate(headers)
            if request.POST.get(f"column_{index}", "")
        }
        date_order = request.POST.get("date_order", "")
        problems = mapping_problems(mapping)
        if "birth_date" in mapping.values() and date_order not in ORDERS:
            problems.append("Say how the file writes its dates.")
        if not problems:
            ImportJob.objects.filter(pk=job.pk).update(mapping=mapping, date_order=date_order)
            return redirect("imports-dry-run", job.pk)
    decided = read_client_file(
        bytes(job.content), practice=actor.practice, mapping=mapping
    ).date_order
    rows = [
        {
            "index": index,
            "header": header or f"(column {index + 1}, no name)",
            "field": mapping.get(header, ""),
            "samples": [v for v in reading.table.values(index) if v][:SAMPLES],
        }
        for index, header in enumerate(headers)
    ]
    return render(
        request,
        "imports/columns.html",
        {
            "job": job,
            "source": reading.source,
            "rows": rows,
            "fields": FIELDS,
            "orders": ORDERS,
            "date_order": date_order or decided or "",
            "ambiguous": decided is None,
            "problems": problems,
        },
        status=400 if problems else 200,
    )


@practice_required
def dry_run(request: HttpRequest, pk: int) -> HttpResponse:
    """What the import would do, row by row, before anything is written."""
    actor = request.actor  # type: ignore[attr-defined]
    job = _job(request, pk)
    if job.status != ImportJob.Status.UPLOADED:
        return redirect("imports-progress", job.pk)
    reading = read_client_file(
        bytes(job.content),
        practice=actor.practice,
        mapping=job.mapping,
        date_order=job.date_order,
    )
    rows = reading.rows(actor.practice)
    result = import_clients(actor=actor, rows=rows.rows, refused=rows.refused, dry_run=True)
    refused = [o for o in result.outcomes if o.outcome == "refused"]
    others = [o for o in result.outcomes if o.outcome != "refused"]
    return render(
        request,
        "imports/dry_run.html",
        {
            "job": job,
            "result": result,
            "refused": refused,
            "shown": others[:DRY_RUN_ROWS_SHOWN],
            "hidden": max(0, len(others) - DRY_RUN_ROWS_SHOWN),
            "consent_mapped": any(f.startswith("consent_") for f in job.mapping.values()),
        },
    )


@practice_required
@require_POST
def start(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    job = _job(request, pk)
    if job.status == ImportJob.Status.UPLOADED:
        reading = read_client_file(bytes(job.content), practice=actor.practice, mapping=job.mapping)
        remember_mapping(actor.practice, reading.table.headers, job.mapping)
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.UPLOADED).update(
            status=ImportJob.Status.QUEUED
        )
    return redirect("imports-progress", job.pk)


@practice_required
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    return render(
        request,
        "imports/progress.html",
        {"job": job, "finished": job.status in {ImportJob.Status.DONE, ImportJob.Status.FAILED}},
    )


@practice_required
@require_POST
def upload_calendar(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    uploaded = _uploaded(request, "file")
    if isinstance(uploaded, str):
        messages.error(request, uploaded)
        return redirect("imports-home")
    data, name = uploaded
    problem = calendar_file_problem(data)
    if problem:
        messages.error(request, f"{name}: {problem}")
        return redirect("imports-home")
    job = ImportJob.objects.create(
        practice=actor.practice,
        created_by=actor.user,
        kind=ImportJob.Kind.APPOINTMENTS,
        file_name=name[:255],
        content=data,
        practitioner=_practitioner(request),
        status=ImportJob.Status.QUEUED,
    )
    return redirect("imports-progress", job.pk)


@practice_required
def unmatched(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    events = UnmatchedEvent.objects.filter(practice=actor.practice).order_by("uid", "starts_at")
    series: dict[str, dict[str, object]] = {}
    for event in events:
        entry = series.setdefault(event.uid, {"first": event, "count": 0})
        entry["count"] = int(entry["count"]) + 1  # type: ignore[call-overload]
    return render(request, "imports/unmatched.html", {"series": list(series.values())})


@practice_required
def match(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick the client of one event's series; every occurrence follows, now and later."""
    actor = request.actor  # type: ignore[attr-defined]
    event = get_scoped_or_404(UnmatchedEvent.objects.all(), actor, pk=pk)
    errors: list[str] = []
    if request.method == "POST" and not request.POST.get("client_search"):
        field = ClientField(practice=actor.practice, required=True)
        try:
            client_id = field.clean(request.POST.get("client", ""))
        except ValidationError as error:
            errors = list(error.messages)
        else:
            client = Client.objects.get(practice=actor.practice, pk=client_id)
            result = match_series_by_hand(actor=actor, event=event, client=client)
            messages.success(
                request,
                f"Booked {result.created} appointments for {client.full_name}; "
                "later imports of this series will find them too.",
            )
            return redirect("imports-unmatched")
    picker = client_picker(
        actor,
        name="client",
        label="Whose appointments are these?",
        chosen_ids=ids_in(request.POST.getlist("client")),
        query=request.POST.get("client_q", "") or event.title,
        multiple=False,
        errors=errors,
    )
    return render(
        request,
        "imports/match.html",
        {"event": event, "picker": picker},
        status=400 if errors else 200,
    )


@practice_required
def export(request: HttpRequest, what: str, fmt: str) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    if what not in {"clients", "appointments"} or fmt not in {"csv", "json"}:
        raise Http404("Export clients or appointments, as csv or json.")
    text = export_table(actor, what, fmt)
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    response = HttpResponse(text, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{what}.{fmt}"'
    return response
