"""Shared test personas and helpers (like healthchecks' hc/test.py).

- ``owner``: Olivia, owner of Riverside Practice (Europe/London).
- ``colleague``: Colin, practitioner in the same practice.
- ``assistant``: Ada, assistant in the same practice (no private notes).
- ``outsider``: Oscar, owner of Hillside Clinic, another practice; sees nothing of Riverside.

``ApiClient`` speaks JSON to the API with a persona's bearer token; the fixtures
(``owner_api``, ``colleague_api``, ``assistant_api``, ``outsider_api``, ``anonymous_api``)
live in the root conftest.py so every app's API tests share them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.test import Client as DjangoClient

from aftercare.appointments.models import Appointment
from aftercare.clients.models import Client
from aftercare.practice.access import Actor
from aftercare.practice.models import Membership, Practice, Role, User
from aftercare.practice.services import token_create

PASSWORD = "correct horse battery staple"  # noqa: S105 - test persona


@dataclass
class Personas:
    practice: Practice
    owner: User
    colleague: User
    assistant: User
    other_practice: Practice
    outsider: User
    client: Client
    other_client: Client
    appointment: Appointment
    other_appointment: Appointment

    def actor(self, user: User | None = None) -> Actor:
        user = user or self.owner
        membership = Membership.objects.select_related("practice").get(user=user)
        return Actor(user=user, practice=membership.practice, membership=membership, via="test")


def make_user(email: str, full_name: str, practice: Practice, role: str) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, full_name=full_name)
    Membership.objects.create(user=user, practice=practice, role=role)
    return user


def make_client(practice: Practice, **fields: Any) -> Client:
    defaults: dict[str, Any] = {
        "given_name": "Ruth",
        "family_name": "Miller",
        "email": "ruth@example.org",
        "phone": "+447911123456",
        "preferred_channel": "email",
        "consent_care": True,
    }
    defaults.update(fields)
    return Client.objects.create(practice=practice, **defaults)


def make_appointment(
    client: Client, practitioner: User | None = None, **fields: Any
) -> Appointment:
    starts_at = fields.pop("starts_at", dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))
    defaults: dict[str, Any] = {
        "starts_at": starts_at,
        "ends_at": starts_at + dt.timedelta(minutes=50),
        "kind": "follow_up",
        "status": "booked",
    }
    defaults.update(fields)
    return Appointment.objects.create(
        practice=client.practice, client=client, practitioner=practitioner, **defaults
    )


def make_personas() -> Personas:
    practice = Practice.objects.create(
        name="Riverside Practice", time_zone="Europe/London", country="GB"
    )
    other_practice = Practice.objects.create(
        name="Hillside Clinic", time_zone="America/New_York", country="US"
    )
    owner = make_user("olivia@riverside.example", "Olivia Owner", practice, Role.OWNER)
    colleague = make_user("colin@riverside.example", "Colin Colleague", practice, Role.PRACTITIONER)
    assistant = make_user("ada@riverside.example", "Ada Assistant", practice, Role.ASSISTANT)
    outsider = make_user("oscar@hillside.example", "Oscar Outsider", other_practice, Role.OWNER)
    client = make_client(
        practice, primary_practitioner=owner, private_notes="Grief after her husband's death."
    )
    other_client = make_client(
        other_practice,
        given_name="Walter",
        family_name="Stone",
        email="walter@example.com",
        phone="+12025550143",
    )
    appointment = make_appointment(client, owner)
    other_appointment = make_appointment(other_client, outsider)
    return Personas(
        practice=practice,
        owner=owner,
        colleague=colleague,
        assistant=assistant,
        other_practice=other_practice,
        outsider=outsider,
        client=client,
        other_client=other_client,
        appointment=appointment,
        other_appointment=other_appointment,
    )


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
    """A JSON API client with a new token of ``user`` in their practice."""
    _token, raw = token_create(actor=personas.actor(user), user=user, name="test")
    return ApiClient(raw)


def command_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for running ``aftercare`` in a subprocess against its own data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AFTERCARE_", "DJANGO_"))}
    return env | {
        "DJANGO_SETTINGS_MODULE": "aftercare.settings",
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_SECRET_KEY": "subprocess-test-secret-key-that-is-long-enough",
        **extra,
    }


def run_module(env: dict[str, str], module: str, *args: str, check: bool = True) -> Any:
    """``python -m module args`` (``aftercare`` for the command); its CompletedProcess."""
    done = subprocess.run(  # noqa: S603 - our own code
        [sys.executable, "-m", module, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert done.returncode == 0, done.stderr[-3000:]  # noqa: S101 - a test helper
    return done
