"""Pages for resources, and the client-page forms for promises, sharing and referrals."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftercare.care import services_promises, services_resources
from aftercare.care.forms_records import (
    OutcomeForm,
    PromiseForm,
    ReferralForm,
    ResourceForm,
    ShareForm,
    add_service_errors,
)
from aftercare.care.models import Referral, Resource
from aftercare.care.rendering import render_markdown
from aftercare.clients.models import Client
from aftercare.practice.access import get_scoped_or_404
from aftercare.practice.pages import practice_page, redirect_back


def _client(request: HttpRequest, client_pk: int) -> Client:
    return get_scoped_or_404(Client.objects.all(), request.actor, pk=client_pk)  # type: ignore[attr-defined]


def client_page(client: Client) -> str:
    return reverse("clients-detail", args=[client.pk])


@require_GET
@practice_page
def resource_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    topic = (request.GET.get("topic") or "").strip().lower()
    resources = Resource.objects.filter(practice=actor.practice)
    if topic:
        resources = resources.filter(topics__icontains=topic)
    return render(request, "care/resources.html", {"resources": list(resources), "topic": topic})


@require_http_methods(["GET", "POST"])
@practice_page
def resource_create(request: HttpRequest) -> HttpResponse:
    form = ResourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resource = services_resources.resource_create(
                actor=request.actor,  # type: ignore[attr-defined]
                data=form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Added {resource.title}.")
            return redirect("care-resources-detail", pk=resource.pk)
    return render(
        request,
        "care/resource_form.html",
        {"form": form, "resource": None},
        status=400 if form.errors else 200,
    )


@require_GET
@practice_page
def resource_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resource = get_scoped_or_404(Resource.objects.all(), request.actor, pk=pk)  # type: ignore[attr-defined]
    return render(
        request,
        "care/resource_detail.html",
        {
            "resource": resource,
            "body_html": render_markdown(resource.body),
            "shared_count": resource.shares.count(),
        },
    )


@require_http_methods(["GET", "POST"])
@practice_page
def resource_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    resource = get_scoped_or_404(Resource.objects.all(), actor, pk=pk)
    form = ResourceForm(
        request.POST or None,
        initial={name: getattr(resource, name) for name in ("title", "body", "link", "topics")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services_resources.resource_update(
                actor=actor, resource=resource, data=form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("care-resources-detail", pk=resource.pk)
    return render(
        request,
        "care/resource_form.html",
        {"form": form, "resource": resource},
        status=400 if form.errors else 200,
    )


@require_POST
@practice_page
def resource_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    resource = get_scoped_or_404(Resource.objects.all(), actor, pk=pk)
    try:
        services_resources.resource_delete(actor=actor, resource=resource)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("care-resources-detail", pk=resource.pk)
    messages.success(request, "Deleted.")
    return redirect("care-resources")


@require_POST
@practice_page
def resource_share(request: HttpRequest, client_pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    client = _client(request, client_pk)
    form = ShareForm(request.POST, practice=actor.practice)
    if form.is_valid():
        share = services_resources.resource_share(
            actor=actor,
            resource=form.cleaned_data["resource"],
            client=client,
            note=form.cleaned_data["note"],
        )
        messages.success(request, f"Shared {share.resource.title} with {client.full_name}.")
    else:
        messages.error(
            request,
            " ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()),
        )
    return redirect_back(request, client_page(client))


@require_http_methods(["GET", "POST"])
@practice_page
def promise_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    client = _client(request, client_pk)
    form = PromiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services_promises.promise_create(
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
        "care/record_form.html",
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
            services_resources.referral_create(
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
        "care/record_form.html",
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
        services_resources.referral_record_outcome(
            actor=actor, referral=referral, outcome=form.cleaned_data["outcome"]
        )
    except ValidationError as error:
        messages.error(
            request, " ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
        )
    else:
        messages.success(request, "Outcome recorded.")
    return redirect_back(request, client_page(referral.client))
