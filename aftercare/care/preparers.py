"""What runs as a due message touchpoint is written into a message: the touchpoint preparers.

The messaging worker claims a due message touchpoint and, inside one savepoint, runs every
registered preparer and then writes the message. A preparer may add to the message's
``details`` (a title, a link) and write rows that must commit with the message, or raise
``SkipTouchpoint`` to skip the touchpoint with its message as the reason. Another app adds
its own without editing the worker::

    from aftercare.care.preparers import register_preparer

    register_preparer(my_preparer)   # from your AppConfig.ready()

The care engine's own preparer shares the resource a care rule names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aftercare.care.models import Touchpoint
from aftercare.links import portal_url
from aftercare.resources.models import Resource
from aftercare.resources.services import resource_share_by_rule

Preparer = Callable[[Touchpoint, dict[str, Any]], None]

_preparers: list[Preparer] = []


class SkipTouchpoint(Exception):
    """Raised by a preparer: skip this touchpoint with the message as the reason."""


def register_preparer(preparer: Preparer) -> Preparer:
    """Add ``preparer`` (usable as a decorator); registering twice is harmless."""
    if preparer not in _preparers:
        _preparers.append(preparer)
    return preparer


def prepare_touchpoint(touchpoint: Touchpoint, details: dict[str, Any]) -> None:
    """Run every preparer on the touchpoint's message ``details`` (may raise SkipTouchpoint)."""
    for preparer in list(_preparers):
        preparer(touchpoint, details)


def share_rule_resource(touchpoint: Touchpoint, details: dict[str, Any]) -> None:
    """Share the resource a care rule names, as its due message is written.

    The resource is looked up again now: one deleted since planning skips the touchpoint with
    the reason instead of sending a broken link.
    """
    resource_id = details.get("resource_id")
    if not resource_id:
        return
    resource = Resource.objects.filter(pk=resource_id, practice_id=touchpoint.practice_id).first()
    if resource is None:
        raise SkipTouchpoint(
            "The resource this message would share was deleted after it was planned; "
            "nothing was sent."
        )
    rule = touchpoint.rule if touchpoint.rule_id else None
    rule_name = rule.name if rule is not None else touchpoint.title or "a care rule"
    share = resource_share_by_rule(resource=resource, client=touchpoint.client, rule_name=rule_name)
    details["title"] = resource.title
    details["url"] = portal_url("resource", share.pk)
    details["resource_share_id"] = share.pk
