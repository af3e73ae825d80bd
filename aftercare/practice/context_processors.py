from __future__ import annotations

from django.http import HttpRequest

from aftercare.practice.access import memberships_of
from aftercare.practice.navigation import banners, nav_items


def practice(request: HttpRequest) -> dict[str, object]:
    """The current practice, the user's other practices (for the switcher), navigation, banners."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {
            "membership": None,
            "current_practice": None,
            "other_memberships": [],
            "nav_items": [],
            "banners": [],
        }

    def others() -> list[object]:
        # Read with the current one (``current_membership``); the query is for a page that
        # set ``request.membership`` some other way.
        every = getattr(request, "memberships", None)
        if every is None:
            every = memberships_of(request.user)
        return [m for m in every if m.practice_id != membership.practice_id]

    return {
        "membership": membership,
        "current_practice": membership.practice,
        "other_memberships": others,
        "nav_items": lambda: nav_items(request),
        "banners": lambda: banners(request),
    }
