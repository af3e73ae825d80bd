"""The second factor: a TOTP authenticator app (django-otp) and ten single-use recovery codes.

A user turns it on from their account page; an owner can require it for the whole practice,
and then a member without it can do nothing but set it up. ``/admin/`` always requires it.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.db import transaction
from django_otp import devices_for_user, match_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from aftercare.practice.models import Membership, User

RECOVERY_CODES = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def is_on(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def required_for(user: User) -> bool:
    """True when any practice of the user requires a second factor."""
    return Membership.objects.filter(user=user, practice__require_two_factor=True).exists()


def pending_app_device(user: User) -> TOTPDevice:
    """The unconfirmed device being set up (a new secret each time set-up starts afresh)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's ``otpauth://`` address as an SVG QR code (no inline styles: CSP)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@transaction.atomic
def confirm_app_device(user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the app with a first code; return new recovery codes, or None for a wrong code."""
    if not device.verify_token(_digits(code)):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(user)


@transaction.atomic
def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones (shown once)."""
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def turn_off(user: User) -> None:
    for device in devices_for_user(user, confirmed=None):
        device.delete()


def check_code(user: User, code: str) -> Device | None:
    """The device a code from the app (or a recovery code, used up now) belongs to."""
    code = code.strip().replace(" ", "")
    if not code:
        return None
    return match_token(user, code if not code.isdigit() else _digits(code))


def _digits(code: str) -> str:
    return "".join(ch for ch in code if ch.isdigit())
