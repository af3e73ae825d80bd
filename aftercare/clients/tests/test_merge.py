"""Merging two records of one person (clients/merge.py and the merge page)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext

from aftercare.absences.models import Absence, EmergencyListEntry
from aftercare.appointments.models import Appointment
from aftercare.care.models import ObservedTag, PlanFingerprint, Touchpoint, TouchpointStatus
from aftercare.clients import merge
from aftercare.clients.models import Client, ConsentEvent, Tag
from aftercare.imports.models import SeriesLink
from aftercare.insights.models import ClientInsight
from aftercare.measures.models import Measure
from aftercare.messaging.models import CheckIn, Message
from aftercare.messaging.services import message_queue
from aftercare.practice.models import AuditEvent
from aftercare.promises.models import Promise, Referral
from aftercare.queue.tests.factories import make_promise, make_task
from aftercare.resources.models import Resource, ResourceShare
from aftercare.supplies.models import Supply
from aftercare.supplies.tests.factories import add_supply
from aftercare.testing import Personas, make_appointment, make_client

pytestmark = pytest.mark.django_db

# Every foreign key to a client that ``fill`` gives a row, by ``merge.relation_label``. A new
# app's foreign key to Client fails ``test_every_foreign_key_to_a_client_is_merged`` until it is
# added here and to ``fill`` (and the merge handles it: the big test then proves it moves).
FILLED = {
    "absences.emergencylistentry.client",
    "appointments.appointment.client",
    "care.observedtag.client",
    "care.planfingerprint.client",
    "care.touchpoint.client",
    "clients.client_tags.client",
    "clients.consentevent.client",
    "imports.serieslink.client",
    "insights.clientinsight.client",
    "measures.measure.client",
    "messaging.checkin.client",
    "messaging.message.client",
    "promises.promise.client",
    "promises.referral.client",
    "resources.resourceshare.client",
    "supplies.supply.client",
}


def fill(personas: Personas, client: Client, absence: Absence, resource: Resource, n: int) -> None:
    """One row (or more) of every kind that points at a client."""
    actor = personas.actor()
    start = dt.datetime(2026, 11, 10 + n, 10, 0, tzinfo=dt.UTC)
    make_appointment(client, personas.owner, starts_at=start, status="attended")
    ConsentEvent.objects.create(
        client=client, purpose="care", granted=True, how="intake", at=start - dt.timedelta(days=30)
    )
    add_supply(actor, client, name=f"Supply {n}")
    make_promise(client, personas.owner, what=f"Promise {n}")
    Referral.objects.create(
        practice=client.practice, client=client, referred_to=f"Dr {n}", why="sleep"
    )
    make_task(client, title=f"Call {n}")
    message_queue(client=client, template_key="check_in", channel="email")
    CheckIn.objects.create(practice=client.practice, client=client)
    Measure.objects.create(practice=client.practice, client=client, questionnaire="phq9")
    ResourceShare.objects.create(practice=client.practice, resource=resource, client=client)
    EmergencyListEntry.objects.create(absence=absence, client=client)
    ObservedTag.objects.create(practice=client.practice, client=client, tag_name="sleep")
    PlanFingerprint.objects.create(client=client, digest=f"{n:032d}")
    ClientInsight.objects.create(practice=client.practice, client=client, score=40 + n)
    SeriesLink.objects.create(practice=client.practice, uid=f"series-{n}", client=client)
    tag, _ = Tag.objects.get_or_create(practice=client.practice, name="sleep")
    client.tags.add(tag, Tag.objects.create(practice=client.practice, name=f"tag {n}"))


@pytest.fixture
def pair(personas: Personas) -> tuple[Client, Client]:
    kept = personas.client
    other = make_client(
        personas.practice,
        given_name="Ruth",
        family_name="Millar",
        email="ruth.m@example.org",
        phone="+447911123456",
        birth_date=dt.date(1950, 2, 3),
        private_notes="Prefers morning calls.",
        consent_information=True,
    )
    absence = Absence.objects.create(
        practice=personas.practice,
        practitioner=personas.owner,
        first_day=dt.date(2026, 12, 20),
        last_day=dt.date(2027, 1, 3),
    )
    resource = Resource.objects.create(practice=personas.practice, title="Sleep diary")
    fill(personas, kept, absence, resource, 1)
    fill(personas, other, absence, resource, 2)
    ConsentEvent.objects.create(
        client=other,
        purpose="information",
        granted=True,
        how="portal",
        at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    return kept, other


def counts(client_id: int) -> dict[str, int]:
    return {
        label: relation.related_model._default_manager.filter(
            **{f"{relation.field.name}_id": client_id}
        ).count()
        for relation in merge.relations()
        for label in [merge.relation_label(relation)]
    }


def test_every_foreign_key_to_a_client_is_merged() -> None:
    """A new foreign key to Client must be known to the merge: found, with a way to move."""
    found = {merge.relation_label(relation) for relation in merge.relations()}
    assert found == FILLED
    for relation in merge.relations():
        assert merge.merge_strategy(relation) in {"move", "keep one", "move unless a twin"}


def test_a_merge_moves_everything_and_keeps_both_histories(
    personas: Personas, pair: tuple[Client, Client]
) -> None:
    kept, other = pair
    other_pk = other.pk
    before_kept, before_other = counts(kept.pk), counts(other.pk)
    planned = Touchpoint.objects.create(
        practice=other.practice,
        client=other,
        key=f"{other.pk}:rule:planned",
        kind="check_in",
        action="message",
        due_at=dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC),
        context={"trigger": "appointment_attended"},
    )
    merge.client_merge(
        actor=personas.actor(),
        kept=kept,
        other=other,
        choices={"family_name": "kept", "birth_date": "other", "email": "other"},
    )
    assert not Client.objects.filter(pk=other_pk).exists()
    after = counts(kept.pk)
    twins = {  # the kept client's own row stays; the other's twin goes
        "care.observedtag.client": 1,
        "insights.clientinsight.client": 1,
        "absences.emergencylistentry.client": 1,
        "clients.client_tags.client": 3,  # sleep, tag 1, tag 2
    }
    twins["care.touchpoint.client"] = (  # the planned one too, cancelled, kept as history
        before_kept["care.touchpoint.client"] + before_other["care.touchpoint.client"] + 1
    )
    twins["clients.consentevent.client"] = (  # and the merge's decision on information
        before_kept["clients.consentevent.client"] + before_other["clients.consentevent.client"] + 1
    )
    # Both plan fingerprints go (care's merge step): the next sweep plans the kept client anew.
    twins["care.planfingerprint.client"] = 0
    for label, number in after.items():
        assert number == twins.get(label, before_kept[label] + before_other[label]), label
    assert Appointment.objects.filter(client=kept).count() == 3  # the personas' and one each
    assert (
        Message.objects.filter(client=kept).count()
        == before_kept["messaging.message.client"] + before_other["messaging.message.client"]
    )
    assert Supply.objects.filter(client=kept).count() == 2
    assert Promise.objects.filter(client=kept).count() == 2
    planned.refresh_from_db()
    assert planned.client_id == kept.pk
    assert planned.status == TouchpointStatus.CANCELLED
    assert "Merged into the record of Ruth Miller" in planned.status_reason
    kept.refresh_from_db()
    assert kept.family_name == "Miller"
    assert kept.birth_date == dt.date(1950, 2, 3)
    assert kept.email == "ruth.m@example.org"
    assert "Grief after her husband's death." in kept.private_notes
    assert "Prefers morning calls." in kept.private_notes
    # Consent: the other's later "information: given" wins, recorded; both histories are kept.
    assert kept.consent_information is True
    history = list(kept.consent_events.values_list("purpose", "how"))
    assert ("information", "portal") in history
    assert any(how.startswith("merging the records of") for _, how in history)
    event = AuditEvent.objects.get(summary__startswith="Merged the record of Ruth Millar")
    assert event.object_id == str(kept.pk)
    assert f",{other_pk}," in event.clients and f",{kept.pk}," in event.clients
    assert event.changes["email"] == ["ruth@example.org", "ruth.m@example.org"]


def test_a_merge_that_fails_changes_nothing(
    personas: Personas, pair: tuple[Client, Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    kept, other = pair
    before = counts(other.pk)

    def broken(kept: Client, other: Client) -> None:
        raise RuntimeError("disk full")

    merge.register_merge_step(broken)
    try:
        with pytest.raises(RuntimeError):
            merge.client_merge(actor=personas.actor(), kept=kept, other=other)
    finally:
        merge._steps.remove(broken)
    assert counts(other.pk) == before


def test_a_record_cannot_be_merged_with_itself_or_another_practices(personas: Personas) -> None:
    with pytest.raises(merge.MergeError):
        merge.client_merge(actor=personas.actor(), kept=personas.client, other=personas.client)
    with pytest.raises(merge.MergeError):
        merge.client_merge(
            actor=personas.actor(), kept=personas.client, other=personas.other_client
        )


class TestMergePage:
    def test_the_client_page_and_the_duplicate_warning_lead_to_it(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        page = owner_client.get(f"/clients/{personas.client.pk}/").content.decode()
        assert f'href="/clients/{personas.client.pk}/merge/"' in page
        response = owner_client.post(
            "/clients/new/",
            {
                "given_name": "Ruthie",
                "family_name": "Miller",
                "email": "RUTH@example.org",
                "preferred_channel": "email",
                "language": "en",
                "confirm_new": "1",
                "merge_into": str(personas.client.pk),
            },
        )
        new = Client.objects.get(given_name="Ruthie")
        assert response["Location"] == f"/clients/{personas.client.pk}/merge/?other={new.pk}"
        page = owner_client.get(response["Location"]).content.decode()
        assert "Merge two records of one person" in page
        assert 'name="take_given_name" value="other"' in page

    def test_choosing_the_other_record_suggests_likely_duplicates(
        self, owner_client: WebClient, personas: Personas
    ) -> None:
        twin = make_client(personas.practice, given_name="Ruthie", email="ruth@example.org")
        page = owner_client.get(f"/clients/{personas.client.pk}/merge/").content.decode()
        assert "Ruthie Miller" in page and "the same email" in page
        assert f'value="{twin.pk}"' in page
        found = owner_client.get(
            f"/clients/{personas.client.pk}/merge/", {"other_q": "ruthie", "other_search": "1"}
        ).content.decode()
        assert "Ruthie Miller" in found

    def test_the_page_shows_both_side_by_side_and_merges_on_post(
        self, owner_client: WebClient, personas: Personas, pair: tuple[Client, Client]
    ) -> None:
        kept, other = pair
        url = f"/clients/{kept.pk}/merge/"
        page = owner_client.get(url, {"other": other.pk}).content.decode()
        assert "ruth.m@example.org" in page and "ruth@example.org" in page
        assert "3 February 1950" in page
        assert (
            '<th scope="row">Supplies</th><td data-label="Kept record">1</td><td data-label="Merged record">1</td>'
            in page
        )
        assert "Appointments" in page and "Places on emergency lists" in page
        assert "clients.client" not in page and "_id" not in page
        response = owner_client.post(
            url, {"other": other.pk, "take_email": "other", "take_family_name": "other"}
        )
        assert response.status_code == 302 and response["Location"] == f"/clients/{kept.pk}/"
        kept.refresh_from_db()
        assert (kept.email, kept.family_name) == ("ruth.m@example.org", "Millar")
        assert owner_client.get(f"/clients/{other.pk}/").status_code == 404

    def test_the_confirmation_costs_a_fixed_number_of_queries(
        self, owner_client: WebClient, personas: Personas, pair: tuple[Client, Client]
    ) -> None:
        kept, other = pair
        url = f"/clients/{kept.pk}/merge/?other={other.pk}"

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert owner_client.get(url).status_code == 200
            return len(captured)

        few = queries()
        for number in range(3, 6):
            add_supply(personas.actor(), other, name=f"Supply {number}")
            make_promise(other, personas.owner, what=f"Promise {number}")
            make_task(other, title=f"Call {number}")
            message_queue(client=other, template_key="check_in", channel="email")
        for day in range(1, 10):
            make_appointment(
                other, personas.owner, starts_at=dt.datetime(2026, 10, day, tzinfo=dt.UTC)
            )
        assert queries() == few
        # The session and membership, both records with their tags and consent, the audit of
        # the read, and one count for each kind of row (11).
        assert few <= 26

    def test_assistants_and_other_practices_get_404_and_nothing_changes(
        self, client: WebClient, personas: Personas, pair: tuple[Client, Client]
    ) -> None:
        kept, other = pair
        client.force_login(personas.assistant)
        url = f"/clients/{kept.pk}/merge/"
        assert client.get(url, {"other": other.pk}).status_code == 404
        assert client.post(url, {"other": other.pk}).status_code == 404
        client.force_login(personas.outsider)
        assert client.get(url).status_code == 404
        assert client.post(url, {"other": other.pk}).status_code == 404
        outsider_url = f"/clients/{personas.other_client.pk}/merge/"
        assert client.post(outsider_url, {"other": other.pk}).status_code == 200  # not merged
        assert Client.objects.filter(pk=other.pk).exists()

    def test_the_colleague_cannot_merge_a_record_of_another_practice_into_theirs(
        self, client: WebClient, personas: Personas
    ) -> None:
        client.force_login(personas.colleague)
        response = client.post(
            f"/clients/{personas.client.pk}/merge/", {"other": personas.other_client.pk}
        )
        assert response.status_code == 200
        assert "No client" in response.content.decode()
        assert Client.objects.filter(pk=personas.other_client.pk).exists()


def test_care_already_sent_to_the_other_record_is_not_sent_again(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:
    """The other record's birthday card went yesterday; the kept one takes its birth date."""
    from aftercare.care.models import CareRule
    from aftercare.care.services import care_setup_practice

    care_setup_practice(practice=personas.practice)
    rule = CareRule.objects.get(practice=personas.practice, trigger="birthday")
    other = make_client(
        personas.practice,
        given_name="Ruth",
        email="r2@example.org",
        birth_date=dt.date(1950, 11, 29),
    )
    sent = Touchpoint.objects.create(
        practice=other.practice,
        client=other,
        key=f"{other.pk}:rule{rule.pk}:birthday2026",
        rule=rule,
        kind="birthday_card",
        action="message",
        template_key="birthday_card",
        purpose="celebrations",
        due_at=dt.datetime(2026, 11, 29, 9, tzinfo=dt.UTC),
        status=TouchpointStatus.SENT,
        context={"trigger": "birthday"},
    )
    Client.objects.filter(pk=personas.client.pk).update(consent_celebrations=True)
    personas.client.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        merge.client_merge(
            actor=personas.actor(),
            kept=personas.client,
            other=other,
            choices={"birth_date": "other"},
        )
    sent.refresh_from_db()
    assert sent.key == f"{personas.client.pk}:rule{rule.pk}:birthday2026"
    cards = Touchpoint.objects.filter(client=personas.client, template_key="birthday_card")
    assert [(card.key, card.status) for card in cards if "2026" in card.key] == [
        (sent.key, TouchpointStatus.SENT)
    ]
