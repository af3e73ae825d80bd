"""``row_urls``: one ``reverse`` for a page of rows, the same URLs as ``reverse``."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from aftercare.row_urls import id_url, path_maker, path_to


@pytest.mark.parametrize(
    "name", ["clients-detail", "appointments-edit", "appointments-move", "appointments-status"]
)
def test_it_gives_the_url_reverse_gives_for_each_id(name: str) -> None:
    url = id_url(name)
    for pk in (1, 42, 987654321, 10**12):
        assert url(pk) == reverse(name, args=[pk])


def test_it_keeps_the_script_prefix_and_appends_the_query() -> None:
    set_script_prefix("/aftercare/")
    try:
        url = id_url("clients-detail", query="?next=/x/")
        assert url(7) == "/aftercare/clients/7/?next=/x/"
        assert url(7) == reverse("clients-detail", args=[7]) + "?next=/x/"
    finally:
        set_script_prefix("/")


def test_path_to_gives_one_rows_url_and_nothing_for_a_page_the_urls_lack() -> None:
    assert path_to("messaging-conversation", 42) == reverse("messaging-conversation", args=[42])
    assert path_to("no-such-page", 42) == ""
    with pytest.raises(NoReverseMatch):
        id_url("no-such-page")


def test_path_maker_is_path_to_for_many_rows() -> None:
    page_of = path_maker("clients-detail")
    for pk in (1, 42, 10**12):
        assert page_of(pk) == path_to("clients-detail", pk) == reverse("clients-detail", args=[pk])
    assert path_maker("no-such-page")(42) == ""
