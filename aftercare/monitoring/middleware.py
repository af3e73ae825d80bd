"""Time every request for ``/metrics`` (see latency.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from aftercare.monitoring.latency import recorder


def route_of(request: HttpRequest) -> str:
    """The URL's name: a bounded set of labels, with no id or other data of a client in it."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.url_name or match.view_name or "unnamed"
    if request.path.startswith(f"/{settings.STATIC_URL.lstrip('/')}"):
        return "static"  # answered by WhiteNoise before Django resolves the URL
    return "unmatched"


class RequestLatencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        recorder(Path(settings.METRICS_DIR)).observe(
            route_of(request), response.status_code, elapsed
        )
        return response
