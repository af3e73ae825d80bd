"""The app as ``bench_pages.py`` serves it: every route, plus the two floors to compare with.

``/bench/floor/`` is Django's floor (the whole middleware stack, no session, no query);
``/bench/signed-in-floor/`` our pages' honest floor (session, user, membership and one query
of the practice's rows).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from aftercare.clients.models import Client
from aftercare.practice.models import Membership


def bare_floor(request: HttpRequest) -> HttpResponse:
    """Django's floor: the whole middleware stack, no session, no query."""
    return HttpResponse("ok")


def signed_in_floor(request: HttpRequest) -> HttpResponse:
    """Our pages' honest floor: session, user, membership and one query of the practice."""
    if not request.user.is_authenticated:
        return HttpResponse(status=403)
    membership = Membership.objects.select_related("practice").get(user=request.user)
    # No ordering: the clients' default order (by name) would sort every client of the
    # practice for this one row, and the floor would grow with the practice.
    first = list(
        Client.objects.filter(practice=membership.practice).order_by().values_list("id")[:1]
    )
    return HttpResponse(f"ok {len(first)}")


urlpatterns = [
    path("bench/floor/", bare_floor),
    path("bench/signed-in-floor/", signed_in_floor),
    path("", include("aftercare.urls")),
]
