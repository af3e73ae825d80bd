"""URLs of many rows at the cost of one ``reverse`` (pure string work after that).

A page of 300 appointments reversed 900 URLs, each a walk through the URL resolver (issue 16).
A URL name is reversed once (per URLconf and script prefix) with a marker id; each row's id is
then put where the marker was: the same URL ``reverse(name, args=[pk])`` gives.

- ``id_url(name)``: a function of an id, for a page that links many rows of one kind.
- ``path_to(name, pk)``: one row's URL, "" when the URLconf has no such page (the queue's
  items, built by code that may run without the web app's URLs); ``path_maker(name)`` the same
  as a function of an id, for many rows (looking the parts up cost more than the string work).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

# Digits only, so it fits an ``<int:pk>`` converter, and unlike any real prefix or suffix.
MARKER = "987654321"


@functools.lru_cache(maxsize=128)
def _url_parts(
    url_name: str, root_urlconf: str, urlconf: str | None, script_prefix: str
) -> tuple[str, str] | None:
    try:
        path = reverse(url_name, args=[int(MARKER)], urlconf=urlconf)
    except NoReverseMatch:
        return None
    before, marker, after = path.rpartition(MARKER)
    return (before, after) if marker else None


def _parts(url_name: str) -> tuple[str, str] | None:
    return _url_parts(url_name, settings.ROOT_URLCONF, get_urlconf(), get_script_prefix())


def path_to(url_name: str, object_id: int) -> str:
    """``reverse(url_name, args=[object_id])`` from the remembered parts; "" for no such page."""
    parts = _parts(url_name)
    return "" if parts is None else f"{parts[0]}{int(object_id)}{parts[1]}"


def path_maker(url_name: str) -> Callable[[int], str]:
    """``path_to`` for many rows: the parts looked up once, then pure string work per row."""
    parts = _parts(url_name)
    if parts is None:
        return lambda object_id: ""
    before, after = parts
    return lambda object_id: f"{before}{int(object_id)}{after}"


def id_url(name: str, *, query: str = "") -> Callable[[int], str]:
    """A function of an id giving ``reverse(name, args=[id]) + query`` (``query`` as is)."""
    parts = _parts(name)
    if parts is None:
        reverse(name, args=[int(MARKER)])  # raises NoReverseMatch, naming the page
        raise NoReverseMatch(name)
    before, after = parts[0], parts[1] + query
    return lambda pk: f"{before}{pk}{after}"
