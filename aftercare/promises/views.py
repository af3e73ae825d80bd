"""The client-page forms for promises and referrals, and a referral's follow-up outcome."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from aftercare.clients.models import Client
from aftercare.practice.access import get_scoped_or_404
from aftercare.practice.pages import add_service_errors, practice_page, redirect_back
from aftercare.promises import services
from aftercare.promises.forms import OutcomeForm, PromiseForm, ReferralForm
from aftercare.promises.models import Referral


def _client(request: HttpRequest, client_pk: int) -> Client:
    return get_scoped_or_404(Client.objects.all(), request.actor, pk=client_pk)  # type: ignore[attr-defined]


def client_page(client: Client) -> str:
    return reverse("clients-detail", args=[client.pk])


@require_http_methods(["GET", "POST"])
@practice_page
def promise_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    client = _client(request, client_pk)
    form = PromiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.promise_create(
                actor=actor,
                client=client,
                what=data["what"],
                due_at=data["due_at"],
                due_from=data["due_from"],
                due_until=data["due_until"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Promise recorded; it will show in the care queue.")
            return redirect(client_page(client))
    return render(
        request,
        "promises/record_form.html",
        {"form": form, "client": client, "title": "Record a promise", "submit": "Save promise"},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@practice_page
def referral_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    client = _client(request, client_pk)
    form = ReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_create(
                actor=actor,
                client=client,
                referred_to=form.cleaned_data["referred_to"],
                why=form.cleaned_data["why"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Referral recorded.")
            return redirect(client_page(client))
    return render(
        request,
        "promises/record_form.html",
        {"form": form, "client": client, "title": "Record a referral", "submit": "Save referral"},
        status=400 if form.errors else 200,
    )


@require_POST
@practice_page
def referral_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    referral = get_scoped_or_404(Referral.objects.select_related("client"), actor, pk=pk)
    form = OutcomeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"outcome": "Write what the follow-up found."})
        services.referral_record_outcome(
            actor=actor, referral=referral, outcome=form.cleaned_data["outcome"]
        )
    except ValidationError as error:
        messages.error(
            request, " ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
        )
    else:
        messages.success(request, "Outcome recorded.")
    return redirect_back(request, client_page(referral.client))
