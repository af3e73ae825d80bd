"""Email addresses as mail programs and providers write them: ``Mara Eval <mara@example.org>``.

A header or a provider's JSON field may carry a display name, quotes, a comment, several
addresses separated by commas, or an encoded word (``=?utf-8?q?Mar=C3=A9?= <…>``). Matching a
sender to a client, or a recipient to a reply token, needs the bare address, so every such
value goes through here, parsed by the standard library (``email.utils.getaddresses``, which
follows RFC 5322) rather than by a regular expression of our own.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.utils import getaddresses


def addresses_in(values: Iterable[object]) -> list[str]:
    """The bare addresses in header-like values, in order; empty and malformed ones left out."""
    found = []
    for _, address in getaddresses([str(value) for value in values if value]):
        address = address.strip()
        if "@" in address:
            found.append(address)
    return found


def email_address(value: object) -> str:
    """The first bare address in ``value`` (``""`` when it holds none)."""
    found = addresses_in([value])
    return found[0] if found else ""
