"""Pages for the practice's resources, and sharing one with a client from the client page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftercare.clients.models import Client
from aftercare.practice.access import get_scoped_or_404
from aftercare.practice.pages import add_service_errors, practice_page, redirect_back
from aftercare.resources import services
from aftercare.resources.forms import ResourceForm, ShareForm
from aftercare.resources.models import Resource
from aftercare.resources.rendering import render_markdown


def _client(request: HttpRequest, client_pk: int) -> Client:
    return get_scoped_or_404(
        Client.objects.select_related("practice", "primary_practitioner"),
        request.actor,  # type: ignore[attr-defined]
        pk=client_pk,
    )


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
    return render(request, "resources/list.html", {"resources": list(resources), "topic": topic})


@require_http_methods(["GET", "POST"])
@practice_page
def resource_create(request: HttpRequest) -> HttpResponse:
    form = ResourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resource = services.resource_create(
                actor=request.actor,  # type: ignore[attr-defined]
                data=form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Added {resource.title}.")
            return redirect("resources-detail", pk=resource.pk)
    return render(
        request,
        "resources/form.html",
        {"form": form, "resource": None},
        status=400 if form.errors else 200,
    )


@require_GET
@practice_page
def resource_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resource = get_scoped_or_404(Resource.objects.all(), request.actor, pk=pk)  # type: ignore[attr-defined]
    return render(
        request,
        "resources/detail.html",
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
            services.resource_update(actor=actor, resource=resource, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("resources-detail", pk=resource.pk)
    return render(
        request,
        "resources/form.html",
        {"form": form, "resource": resource},
        status=400 if form.errors else 200,
    )


@require_POST
@practice_page
def resource_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    resource = get_scoped_or_404(Resource.objects.all(), actor, pk=pk)
    try:
        services.resource_delete(actor=actor, resource=resource)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("resources-detail", pk=resource.pk)
    messages.success(request, "Deleted.")
    return redirect("resources-list")


@require_POST
@practice_page
def resource_share(request: HttpRequest, client_pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    client = _client(request, client_pk)
    form = ShareForm(request.POST, practice=actor.practice)
    if form.is_valid():
        shared = services.resource_share(
            actor=actor,
            resource=form.cleaned_data["resource"],
            client=client,
            note=form.cleaned_data["note"],
        )
        said = " ".join(notice.text for notice in shared.notices)
        text = f"Shared {shared.share.resource.title} with {client.full_name}. {said}".strip()
        # Not reaching the client is worth a warning: the person may want to hand it over.
        if shared.notices and not shared.reached:
            messages.warning(request, text)
        else:
            messages.success(request, text)
    else:
        messages.error(
            request,
            " ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()),
        )
    return redirect_back(request, client_page(client))
