"""Decorators and helpers shared by the practice's web pages."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from aftercare.practice.access import practice_required

# For a <datalist> that suggests IANA names as people type a time zone.
TIME_ZONES = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})


class UncountedPage:
    """The links of a page read without a count of every row: there is a next page when one
    more row than the page holds was found (``has_next``). The names of a Django ``Page``, for
    the templates that ask for them."""

    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def practice_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of the signed-in user's practice (``practice_required`` shows and reads it in
    the practice's time zone)."""
    return practice_required(view)


def redirect_back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Redirect to the form's ``next`` field when it is a path on this site, else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, by field where the form has that field."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)
