from __future__ import annotations

import pytest
from django.test import Client as WebClient

from aftercare.clients.models import Client, ConsentEvent, Tag
from aftercare.practice.models import AuditEvent
from aftercare.testing import Personas, make_client, make_user

VALID = {
    "given_name": "Hannah",
    "family_name": "Becker",
    "email": "Hannah@Example.org",
    "phone": "07912 345678",  # not Ruth's: that would be a possible duplicate
    "preferred_channel": "sms",
    "consent_care": "on",
    "tag_names": "Sleep, new medication",
    "private_notes": "Started sertraline.",
}


def signed_in(client: WebClient, user) -> WebClient:  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


def add_clients(personas: Personas, count: int) -> None:
    tags = [Tag.objects.create(practice=personas.practice, name=f"tag{i}") for i in range(3)]
    for number in range(count):
        extra = make_client(
            personas.practice,
            given_name=f"Given{number:03d}",
            family_name=f"Family{number:03d}",
            email=f"c{number}@example.org",
            primary_practitioner=personas.colleague if number % 2 else personas.owner,
        )
        extra.tags.set(tags[: number % 4])


class TestClientsList:
    def test_it_lists_the_practices_current_clients_with_their_tags(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        personas.client.tags.add(Tag.objects.create(practice=personas.practice, name="grief"))
        make_client(personas.practice, given_name="Old", family_name="Timer", archived=True)
        page = owner_client.get("/clients/").content.decode()
        assert "Ruth Miller" in page
        assert "grief" in page
        assert "Old Timer" not in page
        assert "Walter" not in page  # the other practice's client

    def test_it_shows_archived_clients_only_when_asked(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        make_client(personas.practice, given_name="Old", family_name="Timer", archived=True)
        page = owner_client.get("/clients/?archived=1").content.decode()
        assert "Old Timer" in page
        assert "Ruth Miller" not in page

    @pytest.mark.parametrize(
        "query", ["ruth", "MILLER", "ruth mil", "ruth@example", "07911 123456", "123456"]
    )
    def test_it_finds_clients_by_name_email_or_phone(
        self, owner_client: WebClient, personas: Personas, query: str
    ) -> None:
        make_client(
            personas.practice, given_name="Peter", family_name="Pan", email="p@x.org", phone=""
        )
        page = owner_client.get("/clients/", {"q": query}).content.decode()
        assert "Ruth Miller" in page
        assert "Peter Pan" not in page

    @pytest.mark.parametrize("query", ["07911 123456", "+44 7911 123456", "(07911) 123-456"])
    def test_a_whole_phone_number_finds_its_clients_through_the_phone_index(
        self, owner_client: WebClient, personas: Personas, query: str
    ) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        # Digits shared with another number and an email: not the number that was typed.
        make_client(personas.practice, given_name="Near", family_name="Miss", phone="+447911123457")
        make_client(
            personas.practice,
            given_name="Mail",
            family_name="Box",
            phone="",
            email="07911123456@example.org",
        )
        with CaptureQueriesContext(connection) as queries:
            page = owner_client.get("/clients/", {"q": query}).content.decode()
        assert "Ruth Miller" in page
        assert "Near Miss" not in page and "Mail Box" not in page
        rows = [q["sql"] for q in queries.captured_queries if '"phone_display"' in q["sql"]]
        assert len(rows) == 1 and "LIKE" not in rows[0], rows
        if connection.vendor == "sqlite":  # sought by the number, ordered in Python
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN QUERY PLAN {rows[0]}")
                plan = " ".join(row[3] for row in cursor.fetchall())
            assert "phone=?" in plan and "client_list_order" not in plan, plan

    @pytest.mark.parametrize("tagged", [False, True])
    def test_a_deep_page_finds_its_ids_first_and_shows_the_same_rows(
        self, personas: Personas, monkeypatch: pytest.MonkeyPatch, tagged: bool
    ) -> None:
        """Past ``DEFERRED_FROM`` a page reads its ids from the name index, then its rows: the
        same rows in the same order as the plain read, and the rows skipped are walked in the
        index alone (SQLite: ``COVERING INDEX``), never the whole table."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from aftercare.clients import selectors

        add_clients(personas, 9)
        filters = selectors.ClientFilters(
            tag=Tag.objects.get(practice=personas.practice, name="tag0") if tagged else None
        )
        columns = selectors.LIST_COLUMNS

        def pages() -> list[list[tuple[object, ...]]]:
            found = selectors.matching(personas.actor(), filters)
            return [found.rows(columns, offset, 3) for offset in range(0, 12, 3)]

        plain = pages()
        monkeypatch.setattr(selectors, "DEFERRED_FROM", 3)
        with CaptureQueriesContext(connection) as queries:
            deferred = pages()
        assert deferred == plain and sum(map(len, plain)) == (6 if tagged else 10)
        deep = [q["sql"] for q in queries.captured_queries if "OFFSET 6" in q["sql"]]
        assert len(deep) == 1 and '"clients_client"."id" IN (SELECT' in deep[0], deep
        if connection.vendor == "sqlite" and not tagged:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN QUERY PLAN {deep[0]}")
                plan = " ".join(row[3] for row in cursor.fetchall())
            assert "COVERING INDEX client_list_order" in plan, plan
            assert "SCAN" not in plan, plan

    def test_clients_sharing_a_whole_number_are_listed_in_name_order_a_page_at_a_time(
        self, personas: Personas
    ) -> None:
        from aftercare.clients.selectors import ClientFilters, matching

        names = ["bea", "Zoe", "Adam", "ünal", "Adam", "Émile", "carl"]
        made = [
            make_client(
                personas.practice, given_name=f"G{n}", family_name=name, phone="+447911200111"
            )
            for n, name in enumerate(names)
        ]
        make_client(
            personas.practice, given_name="Other", family_name="Aaron", phone="+447911200222"
        )
        found = matching(personas.actor(), ClientFilters(query="07911 200111"))
        assert found.exact and found.count() == len(names)
        columns = ("pk", "family_name", "given_name")
        every = found.rows(columns, 0, 100)
        # The database's own order (SQLite: binary, as Python compares text).
        expected = list(
            Client.objects.filter(pk__in=[c.pk for c in made])
            .order_by("family_name", "given_name", "id")
            .values_list(*columns)
        )
        assert every == expected
        assert found.rows(columns, 2, 3) == expected[2:5]
        assert found.rows(columns, 6, 50) == expected[6:]

    def test_part_of_a_number_or_a_number_nobody_has_still_searches_the_digits(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        make_client(personas.practice, given_name="Near", family_name="Miss", phone="+447911123457")
        part = owner_client.get("/clients/", {"q": "7911 12345"}).content.decode()
        assert "Ruth Miller" in part and "Near Miss" in part
        # A whole number no client has: the digits search as before (finds nobody here).
        nobody = owner_client.get("/clients/", {"q": "07911 999888"}).content.decode()
        assert "Ruth Miller" not in nobody and "No clients match this search." in nobody
        make_client(
            personas.practice,
            given_name="Old",
            family_name="Number",
            phone="+447911654321",
            archived=True,
        )
        active = owner_client.get("/clients/", {"q": "07911 654321"}).content.decode()
        assert "Old Number" not in active
        archived = owner_client.get("/clients/", {"q": "07911 654321", "archived": "1"})
        assert "Old Number" in archived.content.decode()

    def test_it_filters_by_tag_and_practitioner(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        tag = Tag.objects.create(practice=personas.practice, name="sleep")
        sleeper = make_client(
            personas.practice,
            given_name="Sam",
            family_name="Sleeper",
            primary_practitioner=personas.colleague,
        )
        sleeper.tags.add(tag)
        by_tag = owner_client.get("/clients/", {"tag": "sleep"}).content.decode()
        assert "Sam Sleeper" in by_tag and "Ruth Miller" not in by_tag
        by_person = owner_client.get(
            "/clients/", {"practitioner": personas.owner.pk}
        ).content.decode()
        assert "Ruth Miller" in by_person and "Sam Sleeper" not in by_person
        unassigned = owner_client.get("/clients/", {"practitioner": "none"}).content.decode()
        assert "Ruth Miller" not in unassigned and "Sam Sleeper" not in unassigned

    def test_it_pages_by_fifty(self, owner_client: WebClient, personas: Personas) -> None:
        add_clients(personas, 60)
        first = owner_client.get("/clients/").content.decode()
        # Family000…Family059 sort before Miller: 50 on the first page, 11 on the second.
        assert "Family000" in first and "Family049" in first and "Family050" not in first
        assert 'rel="next"' in first
        second = owner_client.get("/clients/?page=2").content.decode()
        assert "Family049" not in second
        assert "Family050" in second and "Family059" in second and "Ruth Miller" in second
        assert 'rel="next"' not in second and 'rel="prev"' in second

    @pytest.mark.parametrize("count", [5, 60])
    def test_it_costs_a_fixed_number_of_queries(
        self, owner_client: WebClient, personas: Personas, django_assert_max_num_queries, count: int
    ) -> None:
        add_clients(personas, count)
        with django_assert_max_num_queries(12):  # + the audit of the page read
            response = owner_client.get("/clients/", {"q": "family"})
        assert response.status_code == 200
        with django_assert_max_num_queries(12):
            owner_client.get("/clients/")


class TestClientCreate:
    def test_it_creates_a_client_with_tags_consent_and_an_audit_event(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        response = owner_client.post("/clients/new/", VALID)
        client = Client.objects.get(given_name="Hannah")
        assert response.status_code == 302
        assert response["Location"] == f"/clients/{client.pk}/"
        assert client.practice == personas.practice
        assert client.phone == "+447912345678"
        assert client.email == "hannah@example.org"
        assert sorted(tag.name for tag in client.tags.all()) == ["new medication", "sleep"]
        assert ConsentEvent.objects.filter(client=client).count() == 3
        assert AuditEvent.objects.filter(
            action="create", object_type="clients.client", object_id=str(client.pk)
        ).exists()

    @pytest.mark.parametrize(
        ("field", "value", "label"),
        [
            ("phone", "12345", "Phone"),
            ("time_zone", "Mars/Olympus", "Time zone"),
            ("given_name", "", "Given name"),
            ("birth_date", "2999-01-01", "Birth date"),
        ],
    )
    def test_bad_input_names_the_field_and_saves_nothing(
        self, owner_client: WebClient, personas: Personas, field: str, value: str, label: str
    ) -> None:
        before = Client.objects.count()
        response = owner_client.post("/clients/new/", {**VALID, field: value})
        page = response.content.decode()
        assert response.status_code == 200
        assert "Nothing was saved" in page
        assert f'<a href="#id_{field}">{label}:' in page
        assert Client.objects.count() == before
        assert not Tag.objects.filter(name="sleep").exists()

    def test_in_a_one_practitioner_practice_a_new_client_is_the_practitioners_by_default(
        self, client: WebClient, personas: Personas
    ) -> None:
        helper = make_user(
            "hal@hillside.example", "Hal Helper", personas.other_practice, "assistant"
        )
        signed_in(client, helper)
        form = client.get("/clients/new/").content.decode()
        assert f'<option value="{personas.outsider.pk}" selected>' in form
        client.post("/clients/new/", {**VALID, "phone": "(202) 555-0147"})
        created = Client.objects.get(given_name="Hannah")
        assert created.practice == personas.other_practice
        assert created.primary_practitioner == personas.outsider

    def test_a_pasted_number_longer_than_twenty_characters_is_saved_as_typed(
        self, owner_client: WebClient
    ) -> None:
        form = owner_client.get("/clients/new/").content.decode()
        assert 'maxlength="20"' not in form.split('name="phone"')[1].split(">")[0]
        owner_client.post(
            "/clients/new/",
            # Not Ruth's mobile: the same number would be a possible duplicate to confirm.
            {**VALID, "phone": "+44 (0) 7912 / 345 679 ext. 12", "preferred_channel": "sms"},
        )
        client = Client.objects.get(given_name="Hannah")
        assert (client.phone, client.phone_extension) == ("+447912345679", "12")
        page = owner_client.get(f"/clients/{client.pk}/").content.decode()
        assert "+44 7912 345679 ext. 12" in page and "tel:+447912345679;ext=12" in page

    def test_a_landline_is_saved_but_refused_as_the_sms_channel(
        self, owner_client: WebClient
    ) -> None:
        landline = {**VALID, "phone": "+49 (0) 30 / 901 820 12"}
        response = owner_client.post("/clients/new/", landline)
        assert response.status_code == 200
        assert "+49 30 90182012 is a landline: SMS needs a mobile number" in (
            response.content.decode()
        )
        assert not Client.objects.filter(given_name="Hannah").exists()
        owner_client.post("/clients/new/", {**landline, "preferred_channel": "email"})
        client = Client.objects.get(given_name="Hannah")
        assert client.phone == "+493090182012"  # not cut to +49 (0) 30 / 901 820
        page = owner_client.get(f"/clients/{client.pk}/").content.decode()
        assert "landline: no SMS or WhatsApp" in page

    def test_an_assistant_gets_no_private_notes_field(
        self, client: WebClient, personas: Personas
    ) -> None:
        signed_in(client, personas.assistant)
        assert "private_notes" not in client.get("/clients/new/").content.decode()
        client.post("/clients/new/", VALID)
        assert Client.objects.get(given_name="Hannah").private_notes == ""


class TestClientPage:
    def test_it_shows_contact_consent_history_notes_and_timeline(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        ConsentEvent.objects.create(
            client=personas.client, purpose="care", granted=True, how="intake form"
        )
        page = owner_client.get(f"/clients/{personas.client.pk}/").content.decode()
        assert "ruth@example.org" in page
        assert "+44 7911 123456" in page
        assert "intake form" in page
        assert "Grief after her husband" in page
        assert "Follow-up" in page and "Mark attended" in page

    def test_every_view_is_audited(self, owner_client: WebClient, personas: Personas) -> None:
        owner_client.get(f"/clients/{personas.client.pk}/")
        owner_client.get(f"/clients/{personas.client.pk}/")
        views = AuditEvent.objects.filter(
            action="view", object_type="clients.client", object_id=str(personas.client.pk)
        )
        assert views.count() == 2
        assert views.first().user == personas.owner

    def test_an_assistant_does_not_see_private_notes(
        self, client: WebClient, personas: Personas
    ) -> None:
        signed_in(client, personas.assistant)
        page = client.get(f"/clients/{personas.client.pk}/").content.decode()
        assert "ruth@example.org" in page
        assert "Grief" not in page
        edit = client.get(f"/clients/{personas.client.pk}/edit/").content.decode()
        assert "Grief" not in edit and "private_notes" not in edit

    def test_it_costs_a_fixed_number_of_queries(
        self, owner_client: WebClient, personas: Personas, django_assert_max_num_queries
    ) -> None:
        from aftercare.testing import make_appointment

        for tag in ("a", "b", "c"):
            personas.client.tags.add(Tag.objects.create(practice=personas.practice, name=tag))
        for day in range(1, 25):
            make_appointment(
                personas.client,
                personas.colleague,
                starts_at=personas.appointment.starts_at.replace(day=day),
            )
        # session, user, membership, client, tags, consent, audit (chain head, row, head),
        # appointments, other memberships
        # + care: promises, shared resources, referrals, resources to share
        # + supplies (panel and timeline share one query)
        # + care engine: touchpoints
        # + measures: the client's measures (panel and timeline share one query), the practice's
        #   own questionnaires, completed measures and check-in scores
        with django_assert_max_num_queries(23):  # + the audit chain head (read, move)
            response = owner_client.get(f"/clients/{personas.client.pk}/")
        assert response.content.decode().count("kind-appointment") == 25

    def test_it_costs_the_same_number_of_queries_with_few_or_many_rows(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from aftercare.testing import make_appointment

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                owner_client.get(f"/clients/{personas.client.pk}/")
            return len(captured)

        few = queries()
        for tag in ("a", "b", "c"):
            personas.client.tags.add(Tag.objects.create(practice=personas.practice, name=tag))
        for day in range(1, 25):
            make_appointment(
                personas.client,
                personas.colleague,
                starts_at=personas.appointment.starts_at.replace(day=day),
            )
        ConsentEvent.objects.create(client=personas.client, purpose="care", granted=False, how="x")
        assert queries() == few


class TestClientEdit:
    def test_it_saves_changes_records_consent_and_audits_what_changed(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        data = {
            **VALID,
            "given_name": "Ruth",
            "family_name": "Miller",
            "phone": "07400 123456",
            "consent_care": "",
        }
        response = owner_client.post(f"/clients/{personas.client.pk}/edit/", data)
        assert response.status_code == 302
        personas.client.refresh_from_db()
        assert personas.client.phone == "+447400123456"
        assert personas.client.consent_care is False
        assert ConsentEvent.objects.filter(
            client=personas.client, purpose="care", granted=False
        ).exists()
        change = AuditEvent.objects.get(action="change", object_id=str(personas.client.pk))
        assert "phone" in change.changes
        assert change.changes["private_notes"] == ["…", "…"]

    def test_bad_input_changes_nothing(self, owner_client: WebClient, personas: Personas) -> None:
        response = owner_client.post(
            f"/clients/{personas.client.pk}/edit/", {**VALID, "phone": "not a phone"}
        )
        assert "Phone:" in response.content.decode()
        personas.client.refresh_from_db()
        assert personas.client.given_name == "Ruth"
        assert not AuditEvent.objects.filter(action="change").exists()

    def test_an_assistant_edit_keeps_the_private_notes(
        self, client: WebClient, personas: Personas
    ) -> None:
        signed_in(client, personas.assistant)
        data = {**VALID, "private_notes": "overwritten"}
        assert client.post(f"/clients/{personas.client.pk}/edit/", data).status_code == 302
        personas.client.refresh_from_db()
        assert personas.client.given_name == "Hannah"
        assert personas.client.private_notes == "Grief after her husband's death."


class TestClientArchive:
    def test_it_archives_and_restores_with_audit_events(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        url = f"/clients/{personas.client.pk}/archive/"
        assert owner_client.post(url, {"archived": "1"}).status_code == 302
        personas.client.refresh_from_db()
        assert personas.client.archived
        owner_client.post(url, {"archived": "0"})
        personas.client.refresh_from_db()
        assert not personas.client.archived
        summaries = set(
            AuditEvent.objects.filter(action="change").values_list("summary", flat=True)
        )
        assert summaries == {"Archived", "Restored from archive"}

    def test_it_needs_a_post(self, owner_client: WebClient, personas: Personas) -> None:
        assert owner_client.get(f"/clients/{personas.client.pk}/archive/").status_code == 405
