"""Supply pages: what runs out soon, add and edit a client's supply, change its status."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.locales import format_date
from aftercare.practice.access import get_scoped_or_404, practice_required
from aftercare.row_urls import id_url
from aftercare.supplies import selectors, services
from aftercare.supplies.forms import SupplyForm
from aftercare.supplies.models import Status, Supply
from aftercare.supplies.reorder import reorder_plans
from aftercare.supplies.rows import RowText, running_out_rows

DEFAULT_DAYS = 14
MAX_DAYS = 366


def client_page_url(client: Client) -> str:
    """The client page once the UI has one, else the running-out list."""
    try:
        return reverse("clients-detail", args=[client.pk])
    except NoReverseMatch:
        return reverse("supplies-running-out")


@practice_required
def running_out(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    raw = request.GET.get("days", "")
    error = ""
    try:
        days = int(raw) if raw else DEFAULT_DAYS
        if not 0 <= days <= MAX_DAYS:
            raise ValueError
    except ValueError:
        error = f"days: give a whole number of days from 0 to {MAX_DAYS}; showing {DEFAULT_DAYS}."
        days = DEFAULT_DAYS
    today = clock.today(actor.practice.tz)
    raw_page = request.GET.get("page", "1")
    number = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 100_000 else 1
    page_error = ""
    try:
        page = selectors.running_out_page(actor=actor, today=today, days=days, number=number)
    except selectors.NoSuchPage as no_page:
        # An old link after supplies were re-ordered: say so (a 404), and show the first page.
        page_error = f"{no_page} Showing the first page."
        page = selectors.running_out_page(actor=actor, today=today, days=days)
    supplies = page.supplies
    rows = running_out_rows(
        supplies,
        plans=reorder_plans(supplies, today=today),
        steps=selectors.reorder_steps(supplies),
        text=RowText(
            today=today,
            edit_url=id_url("supplies-edit"),
            status_url=id_url("supplies-status"),
            csrf_field=csrf_input(request),
            here=request.get_full_path(),
        ),
    )
    kept = {"days": days} if raw else {}

    def page_url(number: int) -> str:
        return "?" + urlencode({**kept, "page": number})

    return render(
        request,
        "supplies/running_out.html",
        {
            "rows": rows,
            "page": page,
            "days": days,
            "today": today,
            "error": error,
            "page_error": page_error,
            "previous_url": page_url(page.number - 1) if page.has_previous else "",
            "next_url": page_url(page.number + 1) if page.has_next else "",
            "first_url": page_url(1) if page.number > 2 else "",
            "last_url": page_url(page.pages) if page.number < page.pages - 1 else "",
        },
        status=404 if page_error else 400 if error else 200,
    )


@practice_required
def create(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    client = get_scoped_or_404(Client.objects.all(), actor, pk=client_id)
    if request.method == "POST":
        form = SupplyForm(request.POST)
        if form.is_valid():
            supply = services.supply_create(actor=actor, client=client, data=form.supply_data())
            messages.success(
                request,
                f"Added {supply.name}; it runs out on {format_date(supply.runs_out_on, 'j F Y')}.",
            )
            return redirect(client_page_url(client))
    else:
        form = SupplyForm(initial={"started_on": clock.today(actor.practice.tz)})
    return render(request, "supplies/form.html", {"form": form, "client": client, "supply": None})


@practice_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    supply = get_scoped_or_404(Supply.objects.select_related("client"), actor, pk=pk)
    if request.method == "POST":
        form = SupplyForm(request.POST, instance=Supply.objects.get(pk=supply.pk))
        if form.is_valid():
            services.supply_update(actor=actor, supply=supply, data=form.supply_data())
            messages.success(request, f"Saved {supply.name}.")
            return redirect(client_page_url(supply.client))
    else:
        form = SupplyForm(instance=supply)
    return render(
        request, "supplies/form.html", {"form": form, "client": supply.client, "supply": supply}
    )


@require_POST
@practice_required
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    supply = get_scoped_or_404(Supply.objects.select_related("client"), actor, pk=pk)
    status = request.POST.get("status", "")
    if status not in Status.values:
        raise Http404("Unknown status")
    services.supply_set_status(actor=actor, supply=supply, status=status)
    messages.success(request, f"{supply.name}: {Status(status).label.lower()}.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = client_page_url(supply.client)
    return redirect(next_url)
