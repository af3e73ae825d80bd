"""Practices (the tenants), the people who work in them, API tokens and the audit trail."""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models

from aftercare import clock
from aftercare.colours import DEFAULT_COLOUR, HEX

LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("nl", "Nederlands"),
]


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(
            "Unknown time zone %(value)s; use an IANA name such as Europe/Berlin.",
            params={"value": repr(value)},
            code="time_zone",
        ) from error


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("A user needs an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: practitioners, assistants, owners. Signs in by email."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(
        max_length=20, blank=True, help_text="The practitioner's own number (E.164)"
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=clock.now)
    sessions_revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="Sessions signed in before this moment are signed out"
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]


class Practice(models.Model):
    """The tenant: one clinic or solo practice. Every other row belongs to one practice."""

    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    country = models.CharField(
        max_length=2,
        default="GB",
        help_text="ISO country code; the default region for phone numbers",
    )
    language = models.CharField(max_length=8, choices=LANGUAGES, default="en")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    # The number clients text or WhatsApp (E.164, the Twilio number's): an inbound message
    # written to it belongs to this practice (messaging/inbound.py, ``practice_for_number``).
    # Indexed for that lookup: SQLite's planner does not prove the unique constraint's
    # partial condition from a bound parameter, so it would not use that index.
    sms_number = models.CharField(
        max_length=20,
        blank=True,
        default="",
        db_index=True,
        help_text="The number clients text or WhatsApp, in international form (+447700100123)",
    )
    address = models.TextField(blank=True)
    website = models.URLField(blank=True)
    emergency_numbers = models.TextField(
        blank=True,
        default="",
        help_text="Shown to clients who need urgent help, e.g. 'Emergency: 999'",
    )
    # Client pages and emails carry the practice's colour: checked for contrast when it is set
    # (practice/forms.py), so white text on it and it on the page can be read (WCAG AA).
    colour = models.CharField(max_length=7, default=DEFAULT_COLOUR)
    require_two_factor = models.BooleanField(
        default=False,
        help_text="Every member must sign in with a code from an authenticator app",
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            # One practice per number (and the index that finds it for each inbound message).
            models.UniqueConstraint(
                fields=["sms_number"],
                condition=~models.Q(sms_number=""),
                name="one_practice_per_sms_number",
                violation_error_message="Another practice already uses this number for text "
                "messages.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def colour_rgb(self) -> str:
        """The colour as ``rrggbb`` for the portal's style sheet (the default when unusable)."""
        colour = (self.colour or "").lower()
        return (colour if HEX.match(colour) else DEFAULT_COLOUR)[1:]


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    PRACTITIONER = "practitioner", "Practitioner"
    ASSISTANT = "assistant", "Assistant"


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PRACTITIONER)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "practice"], name="one_membership_per_practice")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.practice} ({self.role})"

    @property
    def sees_private_notes(self) -> bool:
        return self.role in {Role.OWNER, Role.PRACTITIONER}

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class ApiToken(models.Model):
    """A per-user API token scoped to one practice. Only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    PREFIX = "act_"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def generate(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)


class AuditEvent(models.Model):
    """Who did what to which record, when and from where. Append-only, chained per practice.

    The database refuses updates and deletes (triggers in migration 0002), with one exception:
    ``redact`` may blank the personal details (summary, changes, address, browser) when a client
    is erased or a practice deleted; what was done, by which user id, when, stays. Each row's
    ``hash`` covers its fields, a keyed digest of its personal details and the previous row's
    hash, so ``aftercare audit verify`` notices a changed, removed or inserted row.

    ``practice`` and ``user`` are plain ids without a database constraint: the rows outlive a
    deleted practice or user, as pseudonymous rows.
    """

    class Action(models.TextChoices):
        CREATE = "create"
        CHANGE = "change"
        DELETE = "delete"
        VIEW = "view", "Read"
        EXPORT = "export"
        ERASE = "erase"
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in refused"
        LOCKED_OUT = "locked_out", "Locked out"
        SIGN_OUT = "sign_out", "Signed out"

    practice = models.ForeignKey(
        Practice,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="audit_events",
        null=True,
    )
    user = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    seq = models.PositiveBigIntegerField(
        default=0, help_text="Position in the practice's chain (1, 2, 3 …)"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64, blank=True)
    clients = models.TextField(
        blank=True, default="", help_text="Ids of the clients concerned, as ',1,2,' (filtering)"
    )
    summary = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    via = models.CharField(max_length=10, default="web", help_text="web, api or cli")
    at = models.DateTimeField(default=clock.now, db_index=True)
    detail_salt = models.CharField(max_length=32, blank=True, default="")
    detail_digest = models.CharField(max_length=64, blank=True, default="")
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["practice", "object_type", "object_id"])]
        constraints = [
            models.UniqueConstraint(fields=["practice", "seq"], name="one_audit_row_per_seq")
        ]
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.object_type} {self.object_id}"

    @property
    def redacted(self) -> bool:
        return not self.detail_salt


class AuditEventClient(models.Model):
    """A client an audit event concerns: one row per (event, client), written with the event.

    The event's ``clients`` text (``,1,2,``) is the record, covered by its hash; this table is
    the index the trail is filtered by (a ``LIKE '%,2,%'`` reads every event of the practice).
    Ids without a database constraint, as the events': the rows outlive an erased client."""

    practice = models.ForeignKey(
        Practice, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    client_id = models.BigIntegerField()
    event = models.ForeignKey(
        AuditEvent, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["practice", "client_id", "event"], name="audit_event_by_client")
        ]

    def __str__(self) -> str:
        return f"audit event {self.event_id} concerns client {self.client_id}"


class AuditChainHead(models.Model):
    """The newest row of each practice's audit chain; locked while a row is appended."""

    practice = models.OneToOneField(
        Practice, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True, default="")
    indexed_seq = models.PositiveBigIntegerField(
        default=0, help_text="The rows up to this seq have their clients in AuditEventClient"
    )

    def __str__(self) -> str:
        return f"audit chain of practice {self.practice_id}: {self.seq} rows"
