"""The one JSON API of Aftercare, mounted at ``/api/v1/`` (schema at ``/api/v1/openapi.json``).

How another app adds its resources:

1. Write ``aftercare/<app>/api.py`` with ``router = Router(tags=["Supplies"])`` and its
   operations. Every route is authenticated by ``TokenAuth`` (``Authorization: Bearer <token>``)
   unless it says ``auth=None``; get the acting user with ``actor = api_actor(request)`` (from
   ``aftercare.api.auth``; ``via="api"``, scoped to the token's practice) and load every
   object through the access helpers (``get_scoped_or_404``), so another practice's record is
   a 404.
2. Errors: raise ``ApiError(status, detail, errors)``, ``invalid({"field": ["message"]})``
   (422), ``Http404`` or Django's ``ValidationError`` from ``aftercare.api.errors``; all
   become ``{"detail": ..., "errors": {field: [messages]}}``. To reuse a Django form, feed it
   the JSON (``parse_json_object(request)``) and raise ``invalid(form_errors(form))``. Look the
   object up *before* validating the body, so an outsider gets 404, not a validation error.
   Times must carry an offset: ``as_aware_datetime`` in ``aftercare.api.inputs`` (or
   ``pydantic.AwareDatetime`` in a Schema) refuses a naive one with a message.
3. Lists: take ``page: Query[PageParams]`` and return
   ``paginate(request, queryset, page, serialize)`` from ``aftercare.api.pagination``
   (``count``, ``next``, ``previous``, ``results``; a fixed number of queries per page).
4. Register it below with one line:
   ``api.add_router("/supplies", "aftercare.supplies.api.router")``.
5. Add your path parameters (``supply_id`` …) to ``OWNER_RECORDS`` in
   ``aftercare/api/tests/test_outsider.py``: that test walks every registered route as the
   outsider persona and fails for a parameter it cannot fill; add a row for your prefix to
   the "Other resources" table in ``docs/api.md`` (``test_docs.py`` checks it).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Router, Schema

from aftercare.api.auth import TokenAuth, api_actor
from aftercare.api.bounds import document_bounds
from aftercare.api.errors import JsonBodyParser, install_error_handlers


class AftercareAPI(NinjaAPI):
    """The schema also states the input bounds and every error status (aftercare.api.bounds)."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        return document_bounds(super().get_openapi_schema(**kwargs))


api = AftercareAPI(
    title="Aftercare API",
    version="1",
    description=(
        "JSON API for integrations (booking tools, calendars). Authenticate with "
        "`Authorization: Bearer <token>`; create a token with `aftercare token create --user EMAIL`. "
        'Errors are `{"detail": "...", "errors": {"field": ["message"]}}`.'
    ),
    auth=TokenAuth(),
    parser=JsonBodyParser(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
install_error_handlers(api)


class MeOut(Schema):
    user_id: int
    email: str
    full_name: str
    practice_id: int
    practice_name: str
    practice_time_zone: str
    role: str


me_router = Router(tags=["Token"])


@me_router.get("", response=MeOut, summary="Who the token acts as")
def me(request: HttpRequest) -> dict[str, object]:
    """The user, practice and role of the token (a cheap way to check a token works)."""
    actor = api_actor(request)
    assert actor.user is not None  # noqa: S101 - a token always has a user
    return {
        "user_id": actor.user.pk,
        "email": actor.user.email,
        "full_name": actor.user.full_name,
        "practice_id": actor.practice.pk,
        "practice_name": actor.practice.name,
        "practice_time_zone": actor.practice.time_zone,
        "role": actor.membership.role if actor.membership else "",
    }


# The one place where routers are mounted. Each app owns its ``api.py``; they are named here by
# their dotted path (like INSTALLED_APPS), so this shared wiring imports no app above it.
api.add_router("/me", me_router)
api.add_router("/clients", "aftercare.clients.api.router")
api.add_router("/clients", "aftercare.measures.api.router")
api.add_router("/appointments", "aftercare.appointments.api.router")
api.add_router("/care-queue", "aftercare.queue.api.router")
api.add_router("/promises", "aftercare.promises.api.router")
api.add_router("/messages", "aftercare.messaging.api.router")
api.add_router("/supplies", "aftercare.supplies.api.router")
api.add_router("/touchpoints", "aftercare.care.api.touchpoints_router")
api.add_router("/care-rules", "aftercare.care.api.rules_router")
api.add_router("/absences", "aftercare.absences.api.router")
api.add_router("/clients", "aftercare.insights.api.clients_router")
api.add_router("/lost-clients", "aftercare.insights.api.lost_router")
