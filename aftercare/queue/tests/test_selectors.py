"""The queue's links to client pages: reversed once, the same as ``reverse`` every time."""

from __future__ import annotations

from django.urls import reverse, set_script_prefix

from aftercare.queue.selectors import client_urls


def test_a_client_link_is_what_reverse_gives() -> None:
    client_url = client_urls()
    for client_id in (1, 42, 987654321, 10**12):
        assert client_url(client_id) == reverse("clients-detail", args=[client_id])
    assert client_url(None) == ""


def test_a_client_link_follows_the_script_prefix() -> None:
    try:
        set_script_prefix("/aftercare/")
        assert client_urls()(7) == "/aftercare/clients/7/"
    finally:
        set_script_prefix("/")
    assert client_urls()(7) == "/clients/7/"
