"""The messages a care rule can send, for the rule form's picker: a registry messaging fills.

The care engine sits below messaging (see docs/architecture.md), so it cannot read templates
itself. Messaging registers one function that lists a practice's templates — the built-in ones
and the practice's own — each with its name and a preview rendered for a sample client::

    register_message_catalogue(lambda practice: [MessageChoice("check_in", "Check-in", "…")])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MessageChoice:
    key: str
    name: str
    subject: str = ""
    preview: str = ""  # the text, rendered for a sample client


Catalogue = Callable[[Any], list[MessageChoice]]
_catalogues: list[Catalogue] = []


def register_message_catalogue(catalogue: Catalogue) -> Catalogue:
    if catalogue not in _catalogues:
        _catalogues.append(catalogue)
    return catalogue


def message_choices(practice: Any) -> list[MessageChoice]:
    """Every message a rule of ``practice`` can send, by name (one key once)."""
    found: dict[str, MessageChoice] = {}
    for catalogue in _catalogues:
        for choice in catalogue(practice):
            found.setdefault(choice.key, choice)
    return sorted(found.values(), key=lambda choice: choice.name.lower())
