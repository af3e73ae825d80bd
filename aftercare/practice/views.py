"""Home, the practice switcher, settings, API tokens and the page for users without a practice."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from aftercare.practice import services
from aftercare.practice.access import (
    SESSION_KEY,
    Actor,
    get_scoped_or_404,
    memberships_of,
    practice_required,
    scoped,
)
from aftercare.practice.forms import PracticeForm, TokenForm
from aftercare.practice.models import ApiToken, Membership
from aftercare.practice.pages import TIME_ZONES, practice_page


@practice_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("care-queue")


@login_required
def no_practice(request: HttpRequest) -> HttpResponse:
    return render(request, "practice/no_practice.html")


@require_POST
@practice_required
def switch_practice(request: HttpRequest) -> HttpResponse:
    try:
        practice_id = int(request.POST.get("practice_id", ""))
    except ValueError as error:
        raise Http404("Unknown practice") from error
    if not any(m.practice_id == practice_id for m in memberships_of(request.user)):
        raise Http404("Unknown practice")
    request.session[SESSION_KEY] = practice_id
    return redirect("home")


@practice_page
def practice_settings(request: HttpRequest) -> HttpResponse:
    """The practice's details (the owner edits them) and its members (read-only)."""
    actor = request.actor  # type: ignore[attr-defined]
    if request.method == "POST" and not actor.is_owner:
        raise Http404("Only the practice owner can change the settings.")
    practice = actor.practice
    form = (
        PracticeForm(request.POST or None, instance=copy.copy(practice)) if actor.is_owner else None
    )
    if form is not None and request.method == "POST" and form.is_valid():
        services.practice_update(actor=actor, practice=practice, data=form.cleaned_data)
        messages.success(request, "Saved the practice settings.")
        return redirect("practice-settings")
    members = (
        Membership.objects.filter(practice=practice)
        .select_related("user")
        .order_by("role", "user__full_name", "user__email")
    )
    if form is not None:
        form.fields["time_zone"].widget.attrs["list"] = "time-zones"
    return render(
        request,
        "practice/settings.html",
        {"form": form, "practice": practice, "members": members, "time_zones": TIME_ZONES},
    )


def _visible_tokens(actor: Actor) -> QuerySet[ApiToken]:
    """The owner sees every member's tokens in the practice; others only their own."""
    tokens = scoped(ApiToken, actor).select_related("user")
    return tokens if actor.is_owner else tokens.filter(user=actor.user)


@never_cache
@practice_page
def api_tokens(request: HttpRequest) -> HttpResponse:
    """Create an API token (its value is shown once, right here) and list the tokens."""
    actor = request.actor  # type: ignore[attr-defined]
    form = TokenForm(request.POST or None)
    raw_token = ""
    if request.method == "POST" and form.is_valid():
        _token, raw_token = services.token_create(
            actor=actor, user=actor.user, name=form.cleaned_data["name"]
        )
        form = TokenForm()
    tokens = _visible_tokens(actor).order_by("revoked_at", "-created_at")
    return render(
        request,
        "practice/tokens.html",
        {"form": form, "raw_token": raw_token, "tokens": tokens},
    )


@require_POST
@practice_page
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    token = get_scoped_or_404(_visible_tokens(actor), actor, pk=pk)
    if token.revoked_at is None:
        services.token_revoke(actor=actor, token=token)
    messages.success(request, f"Revoked the token {token.prefix}… ({token.name or 'no name'}).")
    return redirect("practice-tokens")
