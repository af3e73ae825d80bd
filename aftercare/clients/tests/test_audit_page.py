"""The owner's audit trail page: filtered by member, by client with the client picker, by
action and by days; 50 a page with the filters kept; a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext

from aftercare import clock
from aftercare.practice.audit import index_pending, record_audit
from aftercare.testing import Personas, make_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(personas: Personas) -> None:
    """Olivia opened Ruth on 2 November; Colin changed Ben on 20 November (London time)."""
    ben = make_client(personas.practice, given_name="Ben", family_name="Hale", email="b@x.org")
    with clock.at(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)):
        record_audit(personas.actor(), "view", personas.client, summary="Opened Ruth Miller")
    with clock.at(dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC)):
        record_audit(personas.actor(personas.colleague), "change", ben, summary="Changed Ben Hale")


def test_the_filters_are_pickers_by_name_not_ids(
    owner_client: WebClient, personas: Personas, history: None
) -> None:
    page = owner_client.get("/settings/audit/").content.decode()
    assert '<option value="' in page and ">Colin Colleague</option>" in page
    assert 'type="date" id="audit-from" name="from"' in page
    assert 'name="client_q"' in page  # the client picker's search
    found = owner_client.get("/settings/audit/", {"client_q": "hale"}).content.decode()
    assert "Ben Hale" in found and "b@x.org" in found and 'type="radio" name="client"' in found


def test_it_filters_by_member_client_action_and_days(
    owner_client: WebClient, personas: Personas, history: None
) -> None:
    def shown(**params: str) -> set[str]:
        page = owner_client.get("/settings/audit/", params).content.decode()
        return {text for text in ("Opened Ruth Miller", "Changed Ben Hale") if text in page}

    assert shown() == {"Opened Ruth Miller", "Changed Ben Hale"}
    assert shown(user=str(personas.colleague.pk)) == {"Changed Ben Hale"}
    assert shown(client=str(personas.client.pk)) == {"Opened Ruth Miller"}
    assert shown(action="change") == {"Changed Ben Hale"}
    assert shown(**{"from": "2026-11-10"}) == {"Changed Ben Hale"}
    assert shown(to="2026-11-10") == {"Opened Ruth Miller"}
    # 23:30 UTC on 20 November is 23:30 in London: the day is the practice's.
    assert shown(**{"from": "2026-11-20", "to": "2026-11-20"}) == {"Changed Ben Hale"}
    assert shown(**{"from": "2026-11-21"}) == set()


def test_the_chosen_client_is_shown_by_name_with_a_way_back_to_everyone(
    owner_client: WebClient, personas: Personas, history: None
) -> None:
    page = owner_client.get(
        "/settings/audit/", {"client": personas.client.pk, "action": "view"}
    ).content.decode()
    assert f'type="radio" name="client" value="{personas.client.pk}" checked' in page
    assert "Ruth Miller" in page and "ruth@example.org" in page
    assert 'href="?action=view">Entries about every client</a>' in page


def test_a_bad_date_is_named_and_ignored(
    owner_client: WebClient, personas: Personas, history: None
) -> None:
    page = owner_client.get("/settings/audit/", {"from": "last week"}).content.decode()
    assert "“last week” is not a date (From): it was ignored." in page
    assert "Opened Ruth Miller" in page and "Changed Ben Hale" in page


def test_pages_keep_the_filters_and_cost_a_fixed_number_of_queries(
    owner_client: WebClient, personas: Personas
) -> None:
    url = f"/settings/audit/?client={personas.client.pk}&from=2026-11-01&user={personas.owner.pk}"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(url).status_code == 200
        return len(captured)

    actor = personas.actor()
    record_audit(actor, "view", personas.client, summary="Opened Ruth Miller (first)")
    few = queries()
    for number in range(60):
        record_audit(actor, "view", personas.client, summary=f"Opened Ruth Miller ({number})")
    assert queries() == few  # one row to index or sixty: one batch
    index_pending()
    caught_up = queries()
    # The session, the membership, the members, the chosen client and the page (no count), and
    # whether rows wait for the index (``audit.index_pending``) ...
    assert caught_up <= 9
    # ... and when they do, one batch: its transaction, the head, the rows, their clients, the mark.
    assert few == caught_up + 6
    page = owner_client.get(url).content.decode()
    assert "Page 1" in page and "Newer" not in page
    assert (
        f'href="?user={personas.owner.pk}&amp;client={personas.client.pk}&amp;from=2026-11-01&amp;page=2"'
        in page
    )


def test_an_entry_is_shown_in_the_practice_time_with_every_value_escaped(
    owner_client: WebClient, personas: Personas, history: None
) -> None:
    """The rows are written in Python (``audit_rows``): what the template showed, escaped."""
    record_audit(
        personas.actor(), "change", personas.client, summary="Renamed <script>alert(1)</script>"
    )
    page = owner_client.get("/settings/audit/").content.decode()
    assert "<script>alert(1)" not in page
    assert "Renamed &lt;script&gt;alert(1)&lt;/script&gt;" in page
    # In London's time (GMT in November) as the locale writes it; the action's label, not its key.
    assert '<td data-label="When">20 Nov 2026, 23:30</td>' in page
    assert '<td data-label="Who">Colin Colleague</td>' in page
    assert '<td data-label="What">Change</td>' in page
    assert '<td data-label="What">Read</td>' in page  # "view" as people say it


def test_a_page_past_the_last_says_so_and_links_back(
    owner_client: WebClient, personas: Personas, history: None
) -> None:
    page = owner_client.get("/settings/audit/", {"page": "3"}).content.decode()
    assert "Nothing recorded yet." in page
    assert "Page 3" in page and "page=2" in page and "Older" not in page
