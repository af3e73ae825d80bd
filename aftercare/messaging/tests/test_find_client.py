"""An inbound message's client, found by the sender's address: email in any case."""

from __future__ import annotations

import pytest

from aftercare.messaging.inbound import find_client
from aftercare.testing import Personas, make_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("sender", ["ruth@example.org", "Ruth@Example.ORG", "RUTH@EXAMPLE.ORG"])
def test_an_email_finds_its_client_whatever_the_case_it_was_written_in(
    personas: Personas, sender: str
) -> None:
    personas.client.email = "Ruth@example.org"  # as the client once typed it
    personas.client.save(update_fields=["email"])
    practice, client, original = find_client(
        practice=personas.practice, channel="email", address=sender
    )
    assert (practice, client, original) == (personas.practice, personas.client, None)


def test_the_same_address_at_another_practice_is_not_this_practices_client(
    personas: Personas,
) -> None:
    make_client(personas.other_practice, given_name="Ruth", email="ruth@example.org")
    personas.client.email = "someone.else@example.org"
    personas.client.save(update_fields=["email"])
    _, client, _ = find_client(
        practice=personas.practice, channel="email", address="RUTH@example.org"
    )
    assert client is None
