"""Decorators and helpers shared by the practice's web pages."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from aftercare.practice.access import practice_required

# For a <datalist> that suggests IANA names as people type a time zone.
TIME_ZONES = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})


def practice_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of the signed-in user's practice, shown and read in the practice's time zone.

    Forms parse typed dates and times in the active time zone and templates show aware
    datetimes in it, so activating the practice's zone makes "10:00" mean 10:00 at the
    practice, whatever the server's zone.
    """

    @functools.wraps(view)
    @practice_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with timezone.override(request.actor.practice.tz):  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

    return wrapper


def redirect_back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Redirect to the form's ``next`` field when it is a path on this site, else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)
