from __future__ import annotations

from aftercare.testing import Personas


def test_the_owner_can_sign_in_with_email_and_password(client, personas: Personas) -> None:
    from aftercare.testing import PASSWORD

    response = client.post("/sign-in/", {"username": personas.owner.email, "password": PASSWORD})
    assert response.status_code == 302


def test_a_member_of_two_practices_switches_and_the_switcher_costs_no_query_of_its_own(
    client, personas: Personas
) -> None:
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from aftercare.practice.models import Membership, Role

    Membership.objects.create(
        user=personas.owner, practice=personas.other_practice, role=Role.OWNER
    )
    client.force_login(personas.owner)
    # The user's memberships (the clients list reads the practice's practitioners too).
    users_memberships = re.compile(r'FROM "practice_membership".* WHERE .*"user_id" = \d')

    def page() -> tuple[str, list[str], int]:
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("clients-list")).content.decode()
        switcher = html.split('id="practice-switch"', 1)[1].split("</select>", 1)[0]
        options = re.findall(r'<option value="(\d+)"( selected)?>', switcher)
        reads = sum(bool(users_memberships.search(q["sql"])) for q in queries.captured_queries)
        current = next(value for value, selected in options if selected)
        return current, [value for value, selected in options if not selected], reads

    first, second = sorted(
        [personas.practice, personas.other_practice], key=lambda practice: practice.name
    )
    # The first practice by name, the other offered; the memberships read once for both.
    assert page() == (str(first.pk), [str(second.pk)], 1)
    response = client.post(reverse("practice-switch"), {"practice_id": second.pk})
    assert response.status_code == 302
    assert page() == (str(second.pk), [str(first.pk)], 1)
