"""The app as ``bench_inbound.py`` serves it: every route, plus a minimal view to compare with.

``/bench/minimal/`` answers "ok" to a POST through the same middleware as the webhook (and no
database), so the ratio says what the webhook itself costs.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/minimal/", minimal), path("", include("aftercare.urls"))]
