"""Insights pages: the client's-eye view, the care-score dashboard, the lost clients."""

from __future__ import annotations

import copy
import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from aftercare import clock
from aftercare.clients.selectors import client_for_page
from aftercare.insights import services
from aftercare.insights.forms import InsightsPolicyForm
from aftercare.insights.lost import REASONS
from aftercare.insights.models import ClientInsight
from aftercare.insights.selectors import dashboard, lived_events, lost_clients, reasons_per_month
from aftercare.insights.trends import practice_trends
from aftercare.measures.selectors import score_charts, score_rows
from aftercare.practice.access import get_scoped_or_404
from aftercare.practice.audit import record_audit
from aftercare.practice.models import AuditEvent
from aftercare.practice.pages import practice_page

LOST_PER_PAGE = 50


@practice_page
def client_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The relationship as the client lived it, with the care score and its checklist."""
    actor = request.actor  # type: ignore[attr-defined]
    client = client_for_page(actor, pk)
    now = clock.now()
    insight = services.refresh_one(client, now=now)
    # Scores are health data: as on the client page, an assistant does not see them.
    charts = []
    if actor.sees_private_notes:
        charts = score_charts(client, score_rows(client), today=clock.today(client.tz))
    record_audit(actor, AuditEvent.Action.VIEW, client, summary="Read the client's-eye view")
    return render(
        request,
        "insights/client.html",
        {
            "client": client,
            "insight": insight,
            "checks": insight.checks,
            "events": lived_events(client, now=now, with_scores=actor.sees_private_notes),
            "charts": [chart for chart in charts if chart.measure == "check_in"] or charts,
            "reasons": [REASONS.get(key, key) for key in insight.likely_reasons],
        },
    )


@practice_page
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The practice's care scores: the distribution and the clients with the lowest."""
    actor = request.actor  # type: ignore[attr-defined]
    board = dashboard(actor)
    policy = services.insights_policy_of(actor.practice)
    form = InsightsPolicyForm(instance=policy) if actor.is_owner else None
    peak = max((count for _label, count in board.buckets), default=0) or 1
    return render(
        request,
        "insights/dashboard.html",
        {
            "board": board,
            "bars": [{"label": label, "count": count} for label, count in board.buckets],
            "peak": peak,
            "policy": policy,
            "form": form,
        },
    )


@practice_page
def trends_page(request: HttpRequest) -> HttpResponse:
    """How the practice cares, month by month (five charts, each with its table)."""
    actor = request.actor  # type: ignore[attr-defined]
    policy = services.insights_policy_of(actor.practice)
    trends = practice_trends(actor, reply_target=dt.timedelta(hours=policy.reply_target_hours))
    return render(request, "insights/trends.html", {"trends": trends, "policy": policy})


@require_POST
@practice_page
def refresh(request: HttpRequest) -> HttpResponse:
    """Recompute every client's score now (also done daily by ``aftercare tick``)."""
    actor = request.actor  # type: ignore[attr-defined]
    result = services.insights_refresh(practice=actor.practice)
    skipped = (
        f" {len(result.skipped)} could not be scored and were skipped." if result.skipped else ""
    )
    messages.success(request, f"Recomputed the care score of {result.refreshed} clients.{skipped}")
    return redirect("insights-dashboard")


@require_POST
@practice_page
def policy_update(request: HttpRequest) -> HttpResponse:
    """Owners change the reply target and the recall period; every score is recomputed."""
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.is_owner:
        raise Http404("Not found")
    form = InsightsPolicyForm(
        request.POST, instance=copy.copy(services.insights_policy_of(actor.practice))
    )
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label}: {errors[0]}" for name, errors in form.errors.items()
        )
        messages.error(request, f"Nothing was changed. {problems}")
        return redirect("insights-dashboard")
    services.insights_policy_update(actor=actor, data=form.cleaned_data)
    result = services.insights_refresh(practice=actor.practice)
    messages.success(request, f"Saved. Recomputed the care score of {result.refreshed} clients.")
    return redirect("insights-dashboard")


@practice_page
def lost_page(request: HttpRequest) -> HttpResponse:
    """Clients who quietly left, with their likely reasons and a one-click reach-out."""
    actor = request.actor  # type: ignore[attr-defined]
    paginator = Paginator(lost_clients(actor), LOST_PER_PAGE)
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    page = paginator.get_page(number)
    months = reasons_per_month(actor)
    reason_keys = [key for key in REASONS if any(key in month.counts for month in months)]
    return render(
        request,
        "insights/lost.html",
        {
            "page": page,
            "rows": [
                {"insight": insight, "reasons": [REASONS.get(k, k) for k in insight.likely_reasons]}
                for insight in page.object_list
            ],
            "months": [
                {"month": month.month, "counts": [month.counts.get(key, 0) for key in reason_keys]}
                for month in months
            ],
            "reason_labels": [REASONS[key] for key in reason_keys],
        },
    )


@require_POST
@practice_page
def reach_out(request: HttpRequest, pk: int) -> HttpResponse:
    """One click: a task in the care queue to reach out to a lost client."""
    actor = request.actor  # type: ignore[attr-defined]
    insight = get_scoped_or_404(ClientInsight.objects.select_related("client"), actor, client_id=pk)
    services.lost_client_reach_out(actor=actor, insight=insight)
    messages.success(request, f"Added to the care queue: reach out to {insight.client.full_name}.")
    return redirect(request.POST.get("next") or reverse("insights-lost"))
