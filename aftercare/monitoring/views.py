"""``/healthz``, ``/readyz`` and ``/metrics``: for machines, not people (docs/deployment.md)."""

from __future__ import annotations

import hmac
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from aftercare.monitoring import health, metrics
from aftercare.monitoring.latency import recorder


def _answer(checks: dict[str, health.Check]) -> JsonResponse:
    ok = all(check.ok for check in checks.values())
    body = {
        "status": "ok" if ok else "failing",
        "checks": {name: check.as_json() for name, check in checks.items()},
    }
    return JsonResponse(body, status=200 if ok else 503)


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, a worker is alive, the outbox and the tick keep up; else 503.

    No sign-in and no client data: a monitor (or a load balancer) may call it anonymously.
    """
    return _answer(health.health())


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when this web process can serve pages (its database answers); else 503."""
    return _answer({"database": health.database_check()})


@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text, only with ``Authorization: Bearer AFTERCARE_METRICS_TOKEN``.

    Without the setting the address does not exist (404).
    """
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("metrics are off")
    given = request.headers.get("Authorization", "")
    scheme, _, credentials = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        credentials.strip().encode(), token.encode()
    ):
        response = HttpResponse(
            "A bearer token is needed.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    latencies = recorder(Path(settings.METRICS_DIR)).machine_totals()
    return HttpResponse(metrics.render(latencies), content_type=metrics.CONTENT_TYPE)
