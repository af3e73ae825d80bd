"""The team page: invitations by a single-use link, roles, removal with clients handed over;
changing one's own password."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from aftercare.clients.models import Client
from aftercare.practice.models import ApiToken, AuditEvent, Membership, Role, User
from aftercare.practice.services import token_create
from aftercare.testing import PASSWORD, Personas, make_client

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new long passphrase 42"


def invitation_link() -> str:
    body = mail.outbox[-1].body
    return re.search(r"http://testserver(/join/\S+/)", body).group(1)


def test_an_invited_assistant_chooses_a_password_once_and_is_signed_in(
    owner_client, personas: Personas, client
) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.post(
        reverse("practice-team"),
        {"email": "Amy@Riverside.example", "full_name": "Amy Aide", "role": "assistant"},
    )
    assert response.status_code == 302
    amy = User.objects.get(email="amy@riverside.example")
    assert not amy.has_usable_password()
    assert Membership.objects.get(user=amy).role == Role.ASSISTANT
    assert mail.outbox[-1].to == ["amy@riverside.example"]
    assert "Riverside Practice" in mail.outbox[-1].body
    link = invitation_link()

    page = client.get(link)
    assert "Choose a password to sign in with" in page.content.decode()
    done = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302
    amy.refresh_from_db()
    assert amy.check_password(NEW_PASSWORD)
    assert client.get(reverse("queue-today")).status_code == 200
    client.logout()
    again = client.get(link)
    assert again.status_code == 404
    assert "no longer works" in again.content.decode()


def test_a_bad_invitation_says_what_is_wrong_and_adds_nobody(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    before = Membership.objects.count()
    response = owner_client.post(
        reverse("practice-team"), {"email": "not-an-email", "role": "assistant"}
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    duplicate = owner_client.post(
        reverse("practice-team"), {"email": personas.colleague.email, "role": "assistant"}
    )
    assert "is already a member of this practice" in duplicate.content.decode()
    assert Membership.objects.count() == before
    assert not mail.outbox


def test_only_the_owner_manages_the_team(client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    client.force_login(personas.colleague)
    assert client.get(reverse("practice-team")).status_code == 404
    membership = Membership.objects.get(user=personas.assistant)
    client.post(reverse("practice-team-role", args=[membership.pk]), {"role": "owner"})
    membership.refresh_from_db()
    assert membership.role == Role.ASSISTANT


def test_changing_a_role_is_audited_and_the_last_owner_stays(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    colin = Membership.objects.get(user=personas.colleague)
    owner_client.post(reverse("practice-team-role", args=[colin.pk]), {"role": "assistant"})
    colin.refresh_from_db()
    assert colin.role == Role.ASSISTANT
    assert AuditEvent.objects.filter(summary__contains="Practitioner → Assistant").exists()

    olivia = Membership.objects.get(user=personas.owner)
    response = owner_client.post(
        reverse("practice-team-role", args=[olivia.pk]), {"role": "practitioner"}, follow=True
    )
    olivia.refresh_from_db()
    assert olivia.role == Role.OWNER
    assert "A practice needs an owner" in response.content.decode()


def test_removing_a_member_hands_their_clients_over_and_revokes_their_tokens(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    colins = [
        make_client(
            personas.practice,
            given_name=f"C{n}",
            email=f"c{n}@x.org",
            primary_practitioner=personas.colleague,
        )
        for n in range(3)
    ]
    token, _raw = token_create(
        actor=personas.actor(personas.colleague), user=personas.colleague, name="booking"
    )
    colin = Membership.objects.get(user=personas.colleague)

    owner_client.post(
        reverse("practice-team-remove", args=[colin.pk]), {"successor": personas.owner.pk}
    )

    assert not Membership.objects.filter(pk=colin.pk).exists()
    assert set(
        Client.objects.filter(pk__in=[c.pk for c in colins]).values_list(
            "primary_practitioner", flat=True
        )
    ) == {personas.owner.pk}
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditEvent.objects.filter(summary__contains="passed to Olivia Owner").exists()


def test_a_member_of_another_practice_cannot_be_chosen_as_successor(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    colin = Membership.objects.get(user=personas.colleague)
    owner_client.post(
        reverse("practice-team-remove", args=[colin.pk]), {"successor": personas.outsider.pk}
    )
    assert Membership.objects.filter(pk=colin.pk).exists()


def test_a_successor_past_any_id_is_nobody_not_a_server_error(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    """A successor "id" too large for the database's integers names no member: the page says
    to choose another, nothing is removed (SQLite refused the number: a server error)."""
    colin = Membership.objects.get(user=personas.colleague)
    response = owner_client.post(
        reverse("practice-team-remove", args=[colin.pk]), {"successor": "9" * 30}, follow=True
    )
    assert response.status_code == 200
    assert "Choose another practitioner of this practice, or nobody." in response.content.decode()
    assert Membership.objects.filter(pk=colin.pk).exists()


def test_changing_ones_password_needs_the_current_one(client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    client.force_login(personas.colleague)
    url = reverse("account-password")
    wrong = client.post(
        url,
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200
    assert "Your old password was entered incorrectly" in wrong.content.decode()
    right = client.post(
        url,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert right.status_code == 302
    personas.colleague.refresh_from_db()
    assert personas.colleague.check_password(NEW_PASSWORD)
    assert client.get(reverse("account")).status_code == 200  # still signed in here
