"""Signed, expiring links to the client portal (no login: the link is the key).

Each link signs a small payload with ``django.core.signing`` and a salt per page, so a
preferences link cannot be used as a check-in link. Expired links are still *readable*
(``load_expired``) so the portal can offer a new one by the same channel.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from aftercare import clock

CHECK_IN_MAX_AGE = dt.timedelta(days=14)
PREFERENCES_MAX_AGE = dt.timedelta(days=180)
# List-Unsubscribe links must keep working long after the mail was sent (RFC 8058 clients
# may POST months later): a year and a month. Every message carries a link signed when it is
# written, so a client who hears from the practice at least once a year always holds a
# working one; an older link offers to send a fresh one. The salt is different so the token
# does nothing else.
UNSUBSCRIBE_MAX_AGE = dt.timedelta(days=400)
# One-tap re-order links (supplies) expire after 60 days: a reminder is about this cycle.
REORDER_MAX_AGE = dt.timedelta(days=60)
# A handout shared with a client (the token holds the ResourceShare's id).
RESOURCE_MAX_AGE = dt.timedelta(days=365)
# One message read on the portal because the SMS/WhatsApp carrying it is link-only (the token
# holds the Message's id). A text can be seen by others on a shared phone: not for long.
MESSAGE_MAX_AGE = dt.timedelta(days=30)
# A questionnaire (PHQ-9, GAD-7, WHO-5) to fill in: the token holds the Measure's id.
MEASURE_MAX_AGE = dt.timedelta(days=14)
# An appointment reminder's confirm / ask-to-rebook page: the token holds the Appointment's
# id; a reminder is sent at most weeks ahead, and the page is useless after the visit.
APPOINTMENT_MAX_AGE = dt.timedelta(days=60)
# A consent request, the first message to an imported client (the token holds the Client's
# id): answered whenever the client gets to it, so it lasts; the practice can send another.
CONSENT_MAX_AGE = dt.timedelta(days=90)

SALTS = {
    "check_in": "aftercare.portal.check_in",
    "preferences": "aftercare.portal.preferences",
    "unsubscribe": "aftercare.portal.unsubscribe",
    "resource": "aftercare.portal.resource",
    "message": "aftercare.portal.message",
    "measure": "aftercare.portal.measure",
    "appointment": "aftercare.portal.appointment",
    "consent": "aftercare.portal.consent",
}
MAX_AGES = {
    "check_in": CHECK_IN_MAX_AGE,
    "preferences": PREFERENCES_MAX_AGE,
    "unsubscribe": UNSUBSCRIBE_MAX_AGE,
    "resource": RESOURCE_MAX_AGE,
    "message": MESSAGE_MAX_AGE,
    "measure": MEASURE_MAX_AGE,
    "appointment": APPOINTMENT_MAX_AGE,
    "consent": CONSENT_MAX_AGE,
}
URL_NAMES = {
    "check_in": "portal-check-in",
    "preferences": "portal-preferences",
    "unsubscribe": "portal-unsubscribe",
    "resource": "portal-resource",
    "message": "portal-message",
    "measure": "portal-measure",
    "appointment": "portal-appointment",
    "consent": "portal-consent",
}


class LinkExpired(Exception):
    """The signature is right but the link is too old; ``object_id`` says what it was for."""

    def __init__(self, object_id: int) -> None:
        super().__init__("link expired")
        self.object_id = object_id


class LinkInvalid(Exception):
    """The link was tampered with or belongs to another page."""


class _ClockSigner(signing.TimestampSigner):
    """A timestamp signer that asks ``aftercare.clock`` for the time (so tests can travel)."""

    def timestamp(self) -> str:
        return signing.b62_encode(int(clock.now().timestamp()))


def make_token(kind: str, object_id: int) -> str:
    return _ClockSigner(salt=SALTS[kind]).sign_object({"id": object_id}, compress=False)


def read_token(kind: str, token: str) -> int:
    """The object id in ``token``; LinkExpired or LinkInvalid otherwise."""
    signer = _ClockSigner(salt=SALTS[kind])
    try:
        data = signer.unsign_object(token)  # signature only
    except signing.BadSignature as error:
        raise LinkInvalid from error
    object_id = int(data["id"])
    # Signer.unsign (not TimestampSigner's) keeps the timestamp on the value.
    _, _, stamp = signing.Signer.unsign(signer, token).rpartition(signer.sep)
    signed_at = signing.b62_decode(stamp)
    if clock.now().timestamp() - signed_at > MAX_AGES[kind].total_seconds():
        raise LinkExpired(object_id)
    return object_id


def sign_text(salt: str, value: str) -> str:
    """``value`` signed with the time it was signed (for links whose payload is not one id)."""
    return _ClockSigner(salt=salt).sign(value)


def read_text(salt: str, token: str, max_age: dt.timedelta) -> str:
    """The value of a ``sign_text`` token; LinkInvalid, or LinkExpired (object id 0)."""
    signer = _ClockSigner(salt=salt)
    try:
        value, _, stamp = signing.Signer.unsign(signer, token).rpartition(signer.sep)
        signed_at = signing.b62_decode(stamp)
    except (signing.BadSignature, ValueError) as error:
        raise LinkInvalid from error
    if clock.now().timestamp() - signed_at > max_age.total_seconds():
        raise LinkExpired(0)
    return value


def portal_url(kind: str, object_id: int) -> str:
    path = reverse(URL_NAMES[kind], args=[make_token(kind, object_id)])
    return f"{settings.BASE_URL}{path}"
