"""Middleware for sessions and caching: how long a sign-in lasts, and that no page is stored."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from aftercare import locales

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# Seen-at is written at most once a minute: every request need not write the session.
SEEN_RESOLUTION = 60


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every answer Django makes (static files are served
    before this by WhiteNoise): pages, the portal and the API all carry client data, and a
    shared computer's browser cache or a proxy must keep none of it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store, private"
        return response


class SessionLimitsMiddleware:
    """End a session 30 minutes after its last request, 12 hours after sign-in, or when the
    user chose "sign out everywhere"."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            ended = self.ended(request)
            if ended:
                auth.logout(request)
                messages.info(request, ended)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    def ended(self, request: HttpRequest) -> str:
        """Why this session is over, or "" while it lasts (and note that it was used now).

        Wall-clock time, not ``aftercare.clock``: a session lives in the real world, and a
        preview run "as of" another day must not sign anybody out (tests travel with
        time-machine).
        """
        session = request.session
        now = time.time()
        signed_in = session.get(SIGNED_IN_AT)
        if signed_in is None:
            signed_in = session[SIGNED_IN_AT] = now
        seen = session.get(SEEN_AT, signed_in)
        revoked = request.user.sessions_revoked_at  # type: ignore[union-attr]
        if revoked is not None and signed_in < revoked.timestamp():
            return "You were signed out on every device. Please sign in again."
        if now - seen > settings.SESSION_IDLE_SECONDS:
            minutes = settings.SESSION_IDLE_SECONDS // 60
            return f"You were signed out after {minutes} minutes without activity."
        if now - signed_in > settings.SESSION_COOKIE_AGE:
            hours = settings.SESSION_COOKIE_AGE // 3600
            return f"You were signed out {hours} hours after signing in. Please sign in again."
        if now - seen >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
        return ""


def start_session(request: HttpRequest) -> None:
    """Called at sign-in (after Django gave the session a new key)."""
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now


class LocaleInUseMiddleware:
    """Each request starts in the default locale and leaves none behind for the next one.

    A practice's pages use its locale (``practice_required``), a portal page its practice's
    (``{% practice_locale %}``); a thread serves many practices one after the other.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with locales.using(locales.DEFAULT_LOCALE):
            return self.get_response(request)
