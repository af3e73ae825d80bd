"""Token authentication for the API and the ``Actor`` every handler acts as.

A request carries ``Authorization: Bearer act_…``; the token belongs to one user in one
practice, so every handler works as that user in that practice and nothing else. Other apps'
routers reuse this: the API applies ``TokenAuth`` to every route, and a handler calls
``api_actor(request)`` to get the ``Actor`` to pass to services and access helpers.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from aftercare.practice.access import Actor, client_ip
from aftercare.practice.models import ApiToken
from aftercare.practice.services import token_authenticate


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a live token; 401 with a reason otherwise."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header, "")
        if not header:
            raise AuthenticationError(
                message="Authentication required: send the header 'Authorization: Bearer <token>'."
            )
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise AuthenticationError(message="The Authorization header must be 'Bearer <token>'.")
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        api_token = token_authenticate(token)
        if api_token is None:
            raise AuthenticationError(message="The API token is unknown or has been revoked.")
        membership = api_token.membership  # type: ignore[attr-defined]
        request.actor = Actor(  # type: ignore[attr-defined]
            user=api_token.user,
            practice=api_token.practice,
            membership=membership,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            via="api",
        )
        return api_token


def api_actor(request: HttpRequest) -> Actor:
    """The ``Actor`` of an authenticated API request (scoped to the token's practice)."""
    actor = getattr(request, "actor", None)
    if not isinstance(actor, Actor):  # a route that opted out of auth has no actor
        raise AuthenticationError(message="Authentication required.")
    return actor
