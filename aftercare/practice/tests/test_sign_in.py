"""Sign-in: Argon2id, password rules, throttling, the second factor, session limits, the admin."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from aftercare.practice import two_factor
from aftercare.practice.models import AuditEvent, User
from aftercare.testing import PASSWORD, Personas

NOON = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)
ARGON2 = ["django.contrib.auth.hashers.Argon2PasswordHasher"]


@pytest.fixture(autouse=True)
def pinned_clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOON, tick=True) as traveller:
        yield traveller


def sign_in(client: Client, email: str, password: str = PASSWORD, ip: str = "203.0.113.9"):  # type: ignore[no-untyped-def]
    return client.post("/sign-in/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def code_now(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def turn_on_two_factor(user: User) -> TOTPDevice:
    device = two_factor.pending_app_device(user)
    assert two_factor.confirm_app_device(user, device, code_now(device)) is not None
    device.refresh_from_db()
    return device


class TestPasswords:
    def test_an_old_pbkdf2_hash_is_upgraded_to_argon2id_at_sign_in(
        self, client: Client, personas: Personas, settings
    ) -> None:  # type: ignore[no-untyped-def]
        settings.PASSWORD_HASHERS = [*ARGON2, "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
        owner = personas.owner
        owner.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
        owner.save(update_fields=["password"])
        assert sign_in(client, owner.email).status_code == 302
        owner.refresh_from_db()
        assert owner.password.startswith("argon2$argon2id$")

    def test_new_passwords_need_twelve_characters_and_may_not_be_common(self) -> None:
        with pytest.raises(ValidationError, match="at least 12"):
            validate_password("Xq7!pR2#vT9")
        with pytest.raises(ValidationError, match="too common"):
            validate_password("password1234")
        validate_password("a quiet river at dawn")


class TestThrottling:
    def test_five_failures_from_one_address_lock_that_address_out_for_the_account(
        self, client: Client, personas: Personas
    ) -> None:
        email = personas.owner.email
        for _ in range(4):
            assert sign_in(client, email, "wrong password!").status_code == 200
        assert sign_in(client, email, "wrong password!").status_code == 429  # the fifth
        locked = sign_in(client, email)  # even the right password, from that address
        assert locked.status_code == 429
        assert "Too many failed sign-ins from this address" in locked.content.decode()
        assert sign_in(Client(), email, ip="198.51.100.7").status_code == 302  # another address
        assert AuditEvent.objects.filter(
            practice=personas.practice, action="locked_out", object_id=str(personas.owner.pk)
        ).exists()

    def test_twenty_failures_from_anywhere_lock_the_account_and_tell_the_owner(
        self, personas: Personas, django_capture_on_commit_callbacks
    ) -> None:  # type: ignore[no-untyped-def]
        colleague = personas.colleague
        refused = 0
        for attempt in range(30):
            # Each guess from a new address, as a botnet would: axes alone never locks.
            with django_capture_on_commit_callbacks(execute=True):
                response = sign_in(
                    Client(), colleague.email, f"guess {attempt}", ip=f"10.0.0.{attempt}"
                )
            refused += response.status_code == 429
        assert refused == 10  # attempts 21 to 30
        response = sign_in(Client(), colleague.email, ip="192.0.2.200")  # the right password
        assert response.status_code == 429
        assert "This account is locked until" in response.content.decode()
        assert [m.to for m in mail.outbox] == [[personas.owner.email]]
        assert "locked" in mail.outbox[0].subject
        failures = AuditEvent.objects.filter(
            practice=personas.practice, action="sign_in_failed", object_id=str(colleague.pk)
        )
        assert failures.count() == 31

    def test_the_account_opens_again_an_hour_after_the_first_failure(
        self, personas: Personas, pinned_clock
    ) -> None:  # type: ignore[no-untyped-def]
        for attempt in range(20):
            sign_in(Client(), personas.colleague.email, "nope", ip=f"10.0.1.{attempt}")
        assert sign_in(Client(), personas.colleague.email, ip="10.0.2.1").status_code == 429
        pinned_clock.shift(dt.timedelta(minutes=61))
        assert sign_in(Client(), personas.colleague.email, ip="10.0.2.2").status_code == 302

    def test_sign_ins_and_failures_are_in_the_audit_trail(
        self, client: Client, personas: Personas
    ) -> None:
        sign_in(client, personas.owner.email, "wrong password!")
        sign_in(client, "nobody@example.org", "whatever")
        sign_in(client, personas.owner.email)
        events = AuditEvent.objects.filter(practice=personas.practice).order_by("seq")
        assert [e.action for e in events if e.object_id == str(personas.owner.pk)] == [
            "sign_in_failed",
            "sign_in",
        ]
        unknown = AuditEvent.objects.get(practice=None, action="sign_in_failed")
        assert "nobody@example.org" not in unknown.summary


class TestSecondFactor:
    def test_a_user_with_an_app_needs_its_code_after_the_password(
        self, client: Client, personas: Personas, pinned_clock
    ) -> None:  # type: ignore[no-untyped-def]
        device = turn_on_two_factor(personas.owner)
        response = sign_in(client, personas.owner.email)
        assert response["Location"] == "/sign-in/code/"
        assert client.get("/clients/").status_code == 302  # not signed in yet
        wrong = client.post("/sign-in/code/", {"code": "000000"})
        assert "did not match" in wrong.content.decode()
        # A new 30-second step: a code is never accepted twice (here: the one that set it up).
        pinned_clock.shift(dt.timedelta(seconds=31))
        ok = client.post("/sign-in/code/", {"code": code_now(device)})
        assert ok.status_code == 302
        assert client.get("/clients/").status_code == 200

    def test_a_recovery_code_works_once(self, personas: Personas) -> None:
        device = two_factor.pending_app_device(personas.owner)
        codes = two_factor.confirm_app_device(personas.owner, device, code_now(device))
        assert codes is not None and len(codes) == 10
        first = Client()
        sign_in(first, personas.owner.email)
        assert first.post("/sign-in/code/", {"code": codes[0]}).status_code == 302
        second = Client()
        sign_in(second, personas.owner.email)
        reused = second.post("/sign-in/code/", {"code": codes[0]})
        assert "did not match" in reused.content.decode()

    def test_the_setup_page_shows_a_qr_code_and_turns_the_app_on(
        self, owner_client: Client, personas: Personas
    ) -> None:
        page = owner_client.get("/account/two-factor/").content.decode()
        assert "<svg" in page and "Scan this code" in page
        device = TOTPDevice.objects.get(user=personas.owner, confirmed=False)
        done = owner_client.post(
            "/account/two-factor/", {"action": "confirm", "code": code_now(device)}
        )
        assert "Your recovery codes" in done.content.decode()
        assert two_factor.is_on(personas.owner)

    def test_an_owner_can_require_it_and_members_without_it_must_set_it_up(
        self, client: Client, personas: Personas
    ) -> None:
        personas.practice.require_two_factor = True
        personas.practice.save(update_fields=["require_two_factor"])
        client.force_login(personas.colleague)
        response = client.get("/clients/")
        assert response["Location"] == "/account/two-factor/"
        assert client.get("/account/two-factor/").status_code == 200


class TestSessions:
    def test_signing_in_gives_a_new_session_key(self, client: Client, personas: Personas) -> None:
        client.get("/sign-in/")
        client.session.save()
        before = client.session.session_key
        sign_in(client, personas.owner.email)
        assert client.session.session_key != before

    def test_thirty_minutes_idle_sign_the_user_out(
        self, client: Client, personas: Personas, pinned_clock
    ) -> None:  # type: ignore[no-untyped-def]
        sign_in(client, personas.owner.email)
        pinned_clock.shift(dt.timedelta(minutes=29))
        assert client.get("/clients/").status_code == 200
        pinned_clock.shift(dt.timedelta(minutes=29))
        assert client.get("/clients/").status_code == 200  # active: the idle time restarted
        pinned_clock.shift(dt.timedelta(minutes=31))
        assert client.get("/clients/")["Location"].startswith("/sign-in/")

    def test_twelve_hours_after_sign_in_the_session_ends_however_busy(
        self, client: Client, personas: Personas, pinned_clock
    ) -> None:  # type: ignore[no-untyped-def]
        sign_in(client, personas.owner.email)
        for _ in range(26):
            pinned_clock.shift(dt.timedelta(minutes=29))
            client.get("/clients/")
        assert client.get("/clients/")["Location"].startswith("/sign-in/")

    def test_sign_out_everywhere_ends_every_session_of_the_user(
        self, personas: Personas, pinned_clock
    ) -> None:  # type: ignore[no-untyped-def]
        laptop, phone = Client(), Client()
        sign_in(laptop, personas.owner.email)
        sign_in(phone, personas.owner.email, ip="198.51.100.8")
        pinned_clock.shift(dt.timedelta(seconds=2))
        assert "Sign out everywhere" in laptop.get("/account/").content.decode()
        laptop.post("/account/sign-out-everywhere/")
        assert phone.get("/clients/")["Location"].startswith("/sign-in/")
        assert laptop.get("/clients/")["Location"].startswith("/sign-in/")
        again = Client()
        sign_in(again, personas.owner.email)
        assert again.get("/clients/").status_code == 200


class TestAdmin:
    def test_staff_without_superuser_rights_cannot_use_the_admin(
        self, client: Client, personas: Personas
    ) -> None:
        personas.owner.is_staff = True
        personas.owner.save(update_fields=["is_staff"])
        client.force_login(personas.owner)
        assert client.get("/admin/")["Location"].startswith("/admin/login/")

    def test_a_superuser_needs_a_verified_second_factor(
        self, personas: Personas, pinned_clock
    ) -> None:  # type: ignore[no-untyped-def]
        root = User.objects.create_superuser("root@example.org", PASSWORD)
        device = turn_on_two_factor(root)
        pinned_clock.shift(dt.timedelta(seconds=31))
        unverified = Client()
        unverified.force_login(root)
        assert unverified.get("/admin/")["Location"].startswith("/admin/login/")
        verified = Client()
        sign_in(verified, root.email)
        verified.post("/sign-in/code/", {"code": code_now(device)})
        assert verified.get("/admin/").status_code == 200
