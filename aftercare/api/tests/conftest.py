"""Fixtures for API tests: a token per persona and a JSON client that sends it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as DjangoClient

from aftercare.practice.models import User
from aftercare.practice.services import token_create
from aftercare.testing import Personas


class ApiClient:
    """Django's test client speaking JSON with a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.http = DjangoClient()
        self.token = token

    def request(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        headers = dict(extra.pop("headers", {}))
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        if body is None:
            data: Any = ""
        elif isinstance(body, str | bytes):
            data = body
        else:
            data = json.dumps(body)
        return self.http.generic(
            method, path, data=data, content_type="application/json", headers=headers, **extra
        )

    def get(self, path: str, params: dict[str, Any] | None = None, **extra: Any) -> Any:
        if params:
            from urllib.parse import urlencode

            path = f"{path}?{urlencode(params, doseq=True)}"
        return self.request("GET", path, **extra)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.request("POST", path, body, **extra)

    def patch(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.request("PATCH", path, body, **extra)

    def put(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.request("PUT", path, body, **extra)

    def delete(self, path: str, **extra: Any) -> Any:
        return self.request("DELETE", path, **extra)


def api_client_for(personas: Personas, user: User) -> ApiClient:
    _token, raw = token_create(actor=personas.actor(user), user=user, name="test")
    return ApiClient(raw)


@pytest.fixture
def owner_api(personas: Personas) -> ApiClient:
    return api_client_for(personas, personas.owner)


@pytest.fixture
def colleague_api(personas: Personas) -> ApiClient:
    return api_client_for(personas, personas.colleague)


@pytest.fixture
def assistant_api(personas: Personas) -> ApiClient:
    return api_client_for(personas, personas.assistant)


@pytest.fixture
def outsider_api(personas: Personas) -> ApiClient:
    return api_client_for(personas, personas.outsider)


@pytest.fixture
def anonymous_api() -> ApiClient:
    return ApiClient(None)
