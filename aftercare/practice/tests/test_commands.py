"""``aftercare practice create`` and ``aftercare token create|revoke``."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from aftercare.practice.models import ApiToken, AuditEvent, Membership, Practice, Role, User
from aftercare.practice.services import token_authenticate
from aftercare.testing import Personas


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_practice_create_sets_up_a_practice_and_an_owner_who_can_sign_in() -> None:
    out = run(
        "practice",
        "create",
        "--name",
        "Lindenhof",
        "--owner-email",
        "Anna@Lindenhof.Example",
        "--time-zone",
        "Europe/Berlin",
        "--country",
        "de",
    )
    practice = Practice.objects.get(name="Lindenhof")
    assert (practice.time_zone, practice.country) == ("Europe/Berlin", "DE")
    owner = User.objects.get(email="anna@lindenhof.example")
    assert Membership.objects.get(user=owner, practice=practice).role == Role.OWNER
    password = out.split("Password: ")[1].split()[0]
    assert owner.check_password(password)
    assert AuditEvent.objects.filter(practice=practice, action="create", via="cli").exists()


@pytest.mark.django_db
def test_practice_create_with_json_prints_one_object_and_nothing_else() -> None:
    out = run("practice", "create", "--name", "Solo", "--owner-email", "sam@solo.example", "--json")
    data = json.loads(out)
    assert set(data) == {"practice_id", "owner_email", "password"}
    assert data["owner_email"] == "sam@solo.example"
    assert Practice.objects.get(pk=data["practice_id"]).name == "Solo"
    assert User.objects.get(email="sam@solo.example").check_password(data["password"])


def test_practice_create_makes_an_existing_user_owner_without_a_new_password(
    personas: Personas,
) -> None:
    out = run(
        "practice",
        "create",
        "--name",
        "Second",
        "--owner-email",
        personas.colleague.email,
        "--json",
    )
    data = json.loads(out)
    assert data["password"] is None
    assert Membership.objects.get(user=personas.colleague, practice_id=data["practice_id"]).is_owner


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--time-zone", "Mars/Olympus", "--time-zone: unknown time zone 'Mars/Olympus'"),
        ("--owner-email", "not-an-email", "--owner-email: 'not-an-email' is not an email"),
        ("--country", "XX", "--country: unknown country code 'XX'"),
        ("--name", "  ", "--name: the practice needs a name"),
    ],
)
def test_practice_create_refuses_bad_input_with_status_2_naming_the_option(
    option: str, value: str, message: str
) -> None:
    options = {"--name": "Good", "--owner-email": "good@example.org", option: value}
    args = [item for pair in options.items() for item in pair]
    with pytest.raises(CommandError, match=message) as raised:
        run("practice", "create", *args)
    assert raised.value.returncode == 2
    assert not Practice.objects.exists()
    assert not User.objects.exists()


def test_token_create_prints_a_token_that_authenticates_in_the_users_practice(
    personas: Personas,
) -> None:
    out = run("token", "create", "--user", personas.owner.email, "--name", "booking", "--json")
    raw = json.loads(out)["token"]
    token = token_authenticate(raw)
    assert token is not None
    assert (token.user, token.practice, token.name) == (
        personas.owner,
        personas.practice,
        "booking",
    )


def test_token_create_asks_which_practice_when_the_user_has_several(personas: Personas) -> None:
    Membership.objects.create(user=personas.owner, practice=personas.other_practice)
    with pytest.raises(CommandError, match=r"--practice: .* belongs to several practices"):
        run("token", "create", "--user", personas.owner.email)
    out = run(
        "token",
        "create",
        "--user",
        personas.owner.email,
        "--practice",
        str(personas.other_practice.pk),
        "--json",
    )
    token = token_authenticate(json.loads(out)["token"])
    assert token is not None
    assert token.practice == personas.other_practice


def test_token_create_refuses_a_practice_the_user_is_not_in(personas: Personas) -> None:
    with pytest.raises(CommandError, match=r"--practice: .* is not a member") as raised:
        run(
            "token",
            "create",
            "--user",
            personas.owner.email,
            "--practice",
            str(personas.other_practice.pk),
        )
    assert raised.value.returncode == 2
    assert not ApiToken.objects.exists()


def test_token_create_refuses_an_unknown_user(personas: Personas) -> None:
    with pytest.raises(CommandError, match="--user: no active user"):
        run("token", "create", "--user", "nobody@example.org")


def test_token_revoke_by_prefix_stops_the_token_from_working(personas: Personas) -> None:
    raw = json.loads(run("token", "create", "--user", personas.owner.email, "--json"))["token"]
    other = json.loads(run("token", "create", "--user", personas.outsider.email, "--json"))["token"]
    out = run("token", "revoke", raw[:10])
    assert "Revoked" in out
    assert token_authenticate(raw) is None
    assert token_authenticate(other) is not None
    with pytest.raises(CommandError, match="No live API token"):
        run("token", "revoke", raw[:10])


def test_token_revoke_refuses_something_that_is_not_a_prefix(personas: Personas) -> None:
    with pytest.raises(CommandError, match="PREFIX: expected a token prefix"):
        run("token", "revoke", "abc")


@pytest.mark.django_db
def test_demo_creates_the_practice_and_prints_credentials_that_sign_in() -> None:
    out = run("demo", "--clients", "12", "--seed", "4", "--practice-name", "Demo Town", "-v", "0")
    practice = Practice.objects.get(name="Demo Town")
    # The clients asked for, besides the few the imports demo brings in from a file.
    assert practice.clients.filter(external_id="").count() == 12
    sign_in = out.split("Sign in as ")[1].splitlines()[0]
    email, password = sign_in.split(" with the password ")
    owner = User.objects.get(email=email)
    assert owner.check_password(password.strip())
    assert Membership.objects.get(user=owner).practice == practice


@pytest.mark.django_db
def test_demo_refuses_a_negative_number_of_clients() -> None:
    with pytest.raises(CommandError, match="--clients: expected zero or more") as raised:
        run("demo", "--clients", "-1")
    assert raised.value.returncode == 2
