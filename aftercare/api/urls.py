"""Mount the API at ``/api/v1/`` with JSON answers for unknown paths and wrong methods."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import Resolver404, URLPattern, URLResolver, re_path, resolve, reverse
from django.views.decorators.csrf import csrf_exempt

from aftercare.api.api import api
from aftercare.api.bounds import query_errors
from aftercare.api.errors import json_error

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers a wrong method with a plain-text 405; answer it in the API's format."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            replacement = json_error(
                405, f"Method {request.method} is not allowed here; use {allowed}."
            )
            replacement["Allow"] = allowed
            return replacement
        return response

    return wrapper


def _guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Check the query before the view; run a write in one transaction, undone on an error."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        errors = query_errors(request)
        if errors:
            field = next(iter(errors))
            return json_error(422, f"Invalid input: {field}.", errors)
        if request.method not in WRITE_METHODS:
            try:
                return view(request, *args, **kwargs)
            except Http404:
                return json_error(404, "Not found.")
        try:
            with transaction.atomic():
                response = view(request, *args, **kwargs)
                if response.status_code >= 400:
                    transaction.set_rollback(True)
        except Http404:
            return json_error(404, "Not found.")
        return response

    return wrapper


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    if request.path.endswith("/"):
        without_slash = request.path.rstrip("/")
        try:
            match = resolve(without_slash)
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            return json_error(404, f"Not found: no such API path; did you mean {without_slash}?")
    return json_error(404, "Not found: no such API path.")


@csrf_exempt
def index(request: HttpRequest) -> HttpResponse:
    """``/api/v1/``: where the schema and the documentation are (no token needed)."""
    return JsonResponse(
        {
            "title": api.title,
            "version": api.version,
            "openapi": request.build_absolute_uri(reverse("api:openapi-json")),
            "docs": request.build_absolute_uri(reverse("api:openapi-view")),
            "authentication": "Authorization: Bearer <token>",
        }
    )


def _api_patterns() -> list[URLPattern | URLResolver]:
    patterns, _app_name, _namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            if pattern.name == "api-root":
                # ninja's root page is an HTML 404; answer in JSON like the rest of the API.
                pattern.callback = index
            else:
                pattern.callback = _guarded(_json_method_not_allowed(pattern.callback))
    return patterns


app_name = "api"
urlpatterns: list[URLPattern | URLResolver] = [
    *_api_patterns(),
    # [\s\S]: a path with a newline in it is still the API's, and answered in JSON.
    re_path(r"^(?P<path>[\s\S]*)$", not_found, name="api-not-found"),
]
