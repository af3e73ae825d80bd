from __future__ import annotations

from aftercare.testing import Personas


def test_the_owner_can_sign_in_with_email_and_password(client, personas: Personas) -> None:
    from aftercare.testing import PASSWORD

    response = client.post("/sign-in/", {"username": personas.owner.email, "password": PASSWORD})
    assert response.status_code == 302
