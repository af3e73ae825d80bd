"""One place where other parts learn that something about a client changed.

Services call ``client_changed(client)`` after a write; other apps (the care engine's
re-planning) register a hook here instead of being called by name from every service, so
apps stay independent. Hooks run inside the caller's transaction and should defer their
work with ``transaction.on_commit`` where it must see committed data.
"""

from __future__ import annotations

from collections.abc import Callable

from aftercare.clients.models import Client

ClientHook = Callable[[Client], None]

_hooks: list[ClientHook] = []


def on_client_changed(hook: ClientHook) -> ClientHook:
    """Register ``hook`` (usable as a decorator); registering twice is harmless."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def client_changed(client: Client) -> None:
    for hook in list(_hooks):
        hook(client)
