"""Home, the practice switcher and the page for users without a practice."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from aftercare.practice.access import SESSION_KEY, memberships_of, practice_required


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
