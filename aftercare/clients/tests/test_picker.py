"""The client picker: the form fields, what it lists and finds, and its fragment as people type."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import forms
from django.test import Client as WebClient
from django.urls import reverse

from aftercare import clock
from aftercare.clients.picker import (
    CHOSEN_BY_STATEMENT,
    ClientField,
    ClientsField,
    chosen_clients,
    client_picker,
    picker_results,
)
from aftercare.practice.access import ids_in
from aftercare.testing import Personas, make_client

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 2, 1, 10, 0, tzinfo=dt.UTC)
NAME = "emergency_client_ids"


@pytest.fixture(autouse=True)
def pinned_clock():  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        yield


@pytest.fixture
def namesake(personas: Personas):  # type: ignore[no-untyped-def]
    """A second Ruth Miller in the practice: only her email and phone tell them apart."""
    return make_client(
        personas.practice, email="ruth.m@example.net", phone="+447700900123", consent_care=True
    )


def field(personas: Personas, cls: type[ClientsField] = ClientsField) -> ClientsField:
    return cls(required=False, practice=personas.practice)


# --- the form fields ----------------------------------------------------------------------


def test_the_field_takes_ticked_boxes_a_json_list_or_text_with_commas_or_spaces(
    personas: Personas, namesake: Any
) -> None:
    both = sorted([personas.client.pk, namesake.pk])
    chosen = field(personas)
    assert chosen.clean([str(namesake.pk), str(personas.client.pk)]) == both
    assert chosen.clean([namesake.pk, personas.client.pk]) == both
    assert chosen.clean(f"{personas.client.pk},{namesake.pk}") == both
    assert chosen.clean(f" {personas.client.pk}  {namesake.pk} ") == both
    assert chosen.clean("") == [] and chosen.clean(None) == []


@pytest.mark.parametrize("bad", ["abc", "12abc", "-3", "0", "99999999999999999999999", True])
def test_anything_but_a_client_is_refused_naming_it(personas: Personas, bad: Any) -> None:
    with pytest.raises(forms.ValidationError) as refused:
        field(personas).clean([str(personas.client.pk), bad])
    assert f"“{bad}” is not a client" in refused.value.messages[0]


def test_another_practices_client_is_refused_naming_it(personas: Personas) -> None:
    with pytest.raises(forms.ValidationError) as refused:
        field(personas).clean([personas.client.pk, personas.other_client.pk])
    assert refused.value.messages == [
        f"No client {personas.other_client.pk} in this practice: it may have been removed."
    ]


def test_the_one_client_field_takes_one(personas: Personas, namesake: Any) -> None:
    one = field(personas, ClientField)
    assert one.clean(str(namesake.pk)) == namesake.pk
    assert one.clean("") is None
    with pytest.raises(forms.ValidationError, match="Choose one client"):
        one.clean([personas.client.pk, namesake.pk])


def test_ids_for_showing_skip_what_is_not_an_id() -> None:
    assert ids_in(["3", "4, 5", "x", "-1", "0", "3", "9" * 30]) == [3, 4, 5]


# --- what the picker lists and finds --------------------------------------------------------


def test_suggestions_come_first_with_why_then_the_chosen_then_the_search(
    personas: Personas, namesake: Any
) -> None:
    nina = make_client(personas.practice, given_name="Nina", family_name="Adler", email="")
    picker = client_picker(
        personas.actor(),
        name=NAME,
        label="Emergency list",
        chosen_ids=[namesake.pk, nina.pk],
        suggestions=[(nina, "first visit on 28 Jan")],
        query="miller",
    )
    assert [(r.client, r.checked, r.reason) for r in picker.listed] == [
        (nina, True, "first visit on 28 Jan"),
        (namesake, True, ""),
    ]
    # The search finds the other Ruth Miller only: the chosen one is listed already.
    assert [r.client for r in picker.results] == [personas.client]
    assert picker.results[0].contact == "ruth@example.org · +44 7911 123456"


@pytest.mark.parametrize("many", [False, True])
def test_the_chosen_are_the_practices_own_however_many(personas: Personas, many: bool) -> None:
    """A few are read through a statement, many by a query built for them: the same answer."""
    mine = [make_client(personas.practice, given_name=f"C{n}") for n in range(3)]
    theirs = make_client(personas.other_practice, given_name="Hidden")
    wanted = [c.pk for c in mine] + [theirs.pk, 987654321]
    if many:
        extra = [make_client(personas.practice) for _ in range(CHOSEN_BY_STATEMENT)]
        mine += extra
        wanted += [c.pk for c in extra]
    found = chosen_clients(personas.actor(), [*wanted, mine[0].pk])  # a repeat counts once
    assert sorted(c.pk for c in found) == sorted(c.pk for c in mine)
    assert {c.practice for c in found} == {personas.practice}
    assert chosen_clients(personas.actor(), []) == []


@pytest.mark.parametrize(
    "query", ["ruth mil", "RUTH@EXAMPLE", "07911 123456", "+44 7911 123456", "7911123456"]
)
def test_it_finds_a_client_by_name_email_or_phone_as_people_type_it(
    personas: Personas, query: str
) -> None:
    picker = client_picker(
        personas.actor(), name=NAME, label="Emergency list", chosen_ids=[], query=query
    )
    assert [row.client for row in picker.results] == [personas.client]


def test_it_never_finds_archived_clients_or_another_practices(personas: Personas) -> None:
    make_client(personas.practice, given_name="Walter", family_name="Gone", archived=True)
    picker = client_picker(
        personas.actor(), name=NAME, label="Emergency list", chosen_ids=[], query="walter"
    )
    assert picker.results == []  # Walter Stone is Hillside's; Walter Gone is archived
    nothing = client_picker(personas.actor(), name=NAME, label="x", chosen_ids=[], query="  ")
    assert nothing.results == [] and not nothing.searched


def test_a_long_list_of_matches_is_cut_and_says_so(personas: Personas) -> None:
    for number in range(12):
        make_client(personas.practice, given_name=f"Sam{number:02d}", family_name="Lee")
    picker = client_picker(
        personas.actor(), name=NAME, label="Emergency list", chosen_ids=[], query="lee"
    )
    assert len(picker.results) == 10 and picker.more


def test_a_picker_is_named_like_a_form_field(personas: Personas) -> None:
    with pytest.raises(ValueError, match="form field's name"):
        client_picker(personas.actor(), name='x" onclick="', label="x", chosen_ids=[])


# --- the fragment as people type ------------------------------------------------------------


def pick(web: WebClient, **params: Any) -> Any:
    return web.get(reverse("clients-pick"), {"field": NAME, **params})


def test_typing_shows_namesakes_with_their_email_and_phone(
    owner_client: WebClient, personas: Personas, namesake: Any
) -> None:
    response = pick(owner_client, **{f"{NAME}_q": "ruth"})
    assert response.status_code == 200
    text = response.text
    assert text.count('type="checkbox" name="emergency_client_ids"') == 2
    assert "ruth@example.org · +44 7911 123456" in text
    assert "ruth.m@example.net · +44 7700 900123" in text
    assert "<html" not in text  # a fragment, not a page


def test_a_result_ticked_earlier_stays_ticked_at_the_top_as_people_type_on(
    owner_client: WebClient, personas: Personas, namesake: Any
) -> None:
    nina = make_client(personas.practice, given_name="Nina", family_name="Adler", email="")
    response = pick(
        owner_client,
        **{
            f"{NAME}_q": "nina",
            NAME: [str(namesake.pk), str(personas.client.pk)],
            f"{NAME}_listed": [str(personas.client.pk)],
        },
    )
    text = response.text
    kept = f'value="{namesake.pk}" checked'
    assert kept in text and text.index(kept) < text.index(f'value="{nina.pk}"')
    # Listed on the page already: not shown again.
    assert f'value="{personas.client.pk}"' not in text


def test_a_one_client_picker_shows_radio_buttons(
    owner_client: WebClient, personas: Personas
) -> None:
    response = pick(owner_client, **{f"{NAME}_q": "ruth", f"{NAME}_single": "1"})
    assert 'type="radio" name="emergency_client_ids"' in response.text


def test_the_fragment_costs_the_same_queries_for_one_match_or_ten(
    owner_client: WebClient, personas: Personas, django_assert_max_num_queries: Any
) -> None:
    pick(owner_client, **{f"{NAME}_q": "miller"})  # warm the session
    with django_assert_max_num_queries(9) as few:
        pick(owner_client, **{f"{NAME}_q": "miller", NAME: [str(personas.client.pk)]})
    for number in range(15):
        make_client(personas.practice, given_name=f"Sam{number:02d}", email=f"s{number}@x.org")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = pick(owner_client, **{f"{NAME}_q": "miller", NAME: [str(personas.client.pk)]})
    assert "More clients match" in response.text


@pytest.mark.parametrize("bad", ["", "x y", "Emergency", "a" * 41, "1abc"])
def test_an_unknown_picker_name_is_a_bad_request_not_an_error(
    owner_client: WebClient, bad: str
) -> None:
    assert owner_client.get(reverse("clients-pick"), {"field": bad}).status_code == 400


def test_garbage_in_the_fragments_parameters_is_ignored(owner_client: WebClient) -> None:
    response = pick(owner_client, **{NAME: ["abc", "9" * 40], f"{NAME}_listed": ["-"]})
    assert response.status_code == 200


def test_nobody_outside_the_practice_finds_its_clients(
    client: WebClient, personas: Personas
) -> None:
    assert pick(client, **{f"{NAME}_q": "ruth"}).status_code == 302  # sign in first
    client.force_login(personas.outsider)
    response = pick(client, **{f"{NAME}_q": "ruth", NAME: [str(personas.client.pk)]})
    assert "Ruth" not in response.text
    assert (
        picker_results(
            personas.actor(personas.outsider),
            name=NAME,
            query="walter",
            chosen_ids=[],
            listed_ids=[],
        )
        .results[0]
        .client
        == personas.other_client
    )
