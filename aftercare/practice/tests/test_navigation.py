"""The main navigation (practice/navigation.py): reversed once, yet always current."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse, set_script_prefix

from aftercare.practice import navigation


def labels_and_urls(path: str) -> list[tuple[str, str, bool]]:
    items = navigation.nav_items(RequestFactory().get(path))
    return [(item["label"], item["url"], item["active"]) for item in items]  # type: ignore[misc]


def test_it_links_every_installed_page_and_marks_the_one_shown() -> None:
    items = labels_and_urls("/clients/42/")
    assert ("Clients", reverse("clients-list"), True) in items
    assert ("Schedule", reverse("appointments-week"), False) in items
    assert len(items) == len(navigation.NAV_ITEMS)


def test_an_item_added_later_or_another_script_prefix_is_not_hidden_by_the_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    labels_and_urls("/")  # fill the cache
    extended = [*navigation.NAV_ITEMS, ("Account", "account"), ("Missing", "no-such-page")]
    monkeypatch.setattr(navigation, "NAV_ITEMS", extended)
    assert labels_and_urls("/")[-1] == ("Account", reverse("account"), False)
    set_script_prefix("/aftercare/")
    try:
        account = labels_and_urls("/")[-1][1]
        assert account == reverse("account")
        assert account.startswith("/aftercare/")
    finally:
        set_script_prefix("/")
