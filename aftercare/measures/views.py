"""The practice's pages for outcome measures: send one, fill one in together, read one, and the
clients whose scores worsened."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from aftercare.clients.selectors import client_for_page
from aftercare.measures.models import Measure
from aftercare.measures.scoring import change, items_to_ask
from aftercare.measures.selectors import questionnaires_for, worsened_clients
from aftercare.measures.services import MeasureError, measure_fill_in_session, measure_send
from aftercare.practice.access import get_scoped_or_404
from aftercare.practice.audit import record_audit
from aftercare.practice.pages import practice_page, redirect_back


def _health_data_allowed(request: HttpRequest) -> None:
    """Answers and scores are health data: not for assistants (404, like another practice's)."""
    if not request.actor.sees_private_notes:  # type: ignore[attr-defined]
        raise Http404("Not found")


@require_POST
@practice_page
def measure_send_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    client = client_for_page(actor, pk)
    try:
        measure = measure_send(
            actor=actor, client=client, questionnaire_key=request.POST.get("measure", "")
        )
    except MeasureError as error:
        messages.error(request, f"Not sent: {error.message}.")
    else:
        name = questionnaires_for(actor.practice)[measure.questionnaire].name
        messages.success(request, f"The {name} is on its way to {client.full_name}.")
    return redirect_back(request, reverse("clients-detail", args=[client.pk]))


@practice_page
def measure_fill(request: HttpRequest, pk: int) -> HttpResponse:
    """All the questions on one page, for a practitioner and client side by side."""
    _health_data_allowed(request)
    actor = request.actor  # type: ignore[attr-defined]
    client = client_for_page(actor, pk)
    key = request.POST.get("measure") or request.GET.get("measure", "")
    questionnaire = questionnaires_for(actor.practice).get(key)
    if questionnaire is None:
        raise Http404("No such questionnaire")
    wording = questionnaire.wording(client.language or client.practice.language)
    values: dict[str, str] = {}
    error_item = ""
    if request.method == "POST":
        answers: dict[str, object] = {}
        for item in wording.items:
            raw = request.POST.get(f"item_{item.key}", "")
            values[item.key] = raw
            if raw.lstrip("-").isdigit():
                answers[item.key] = int(raw)
        asked = {item.key for item in items_to_ask(questionnaire, answers)}
        answers = {k: v for k, v in answers.items() if k in asked}
        try:
            measure = measure_fill_in_session(
                actor=actor, client=client, questionnaire_key=key, answers=answers
            )
        except MeasureError as error:
            error_item = error.field.removeprefix("item_")
        else:
            messages.success(request, f"Saved the {questionnaire.name} for {client.full_name}.")
            return redirect("measures-detail", pk=measure.pk)
    return render(
        request,
        "measures/fill.html",
        {
            "client": client,
            "questionnaire": questionnaire,
            "wording": wording,
            "values": values,
            "errors": bool(error_item),
            "error_item": error_item,
        },
        status=400 if error_item else 200,
    )


@practice_page
def measure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One questionnaire's answers, score, band and change (every read audited)."""
    _health_data_allowed(request)
    actor = request.actor  # type: ignore[attr-defined]
    measure = get_scoped_or_404(
        Measure.objects.select_related("client__practice", "entered_by"), actor, pk=pk
    )
    questionnaire = questionnaires_for(actor.practice).get(measure.questionnaire)
    if questionnaire is None:
        raise Http404("No such questionnaire")
    record_audit(actor, "view", measure, summary=f"Read the {questionnaire.name} answers")
    wording = questionnaire.wording(measure.language)
    answers = {key: int(value) for key, value in measure.answers.items()}
    rows = [
        {
            "item": item,
            "answer": answers.get(item.key),
            "label": item.label_of(answers[item.key]) if item.key in answers else "",
            "safety": any(s.item == item.key for s in questionnaire.safety_items),
        }
        for item in wording.items
        if item.key in answers or item.asked_if_any_above is None
    ]
    changed = None
    if measure.total is not None and measure.previous_total is not None:
        changed = change(questionnaire, measure.previous_total, measure.total)
    return render(
        request,
        "measures/detail.html",
        {
            "measure": measure,
            "client": measure.client,
            "questionnaire": questionnaire,
            "wording": wording,
            "rows": rows,
            "change": changed,
        },
    )


@practice_page
def measure_worsened(request: HttpRequest) -> HttpResponse:
    """Clients whose latest score is reliably worse than the one before it."""
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.sees_private_notes:  # scores are health data; the page is in everyone's menu
        return render(request, "measures/worsened.html", {"rows": [], "hidden": True})
    return render(request, "measures/worsened.html", {"rows": worsened_clients(actor.practice)})
