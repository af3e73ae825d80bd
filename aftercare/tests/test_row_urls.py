"""``row_urls.id_url``: one ``reverse`` for a page of rows, the same URLs as ``reverse``."""

from __future__ import annotations

import pytest
from django.urls import reverse, set_script_prefix

from aftercare.row_urls import id_url


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
