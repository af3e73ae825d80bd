"""Settings for the test suite: in-memory SQLite, or AFTERCARE_TEST_DATABASE_URL when set."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("AFTERCARE_DATA_DIR", tempfile.mkdtemp(prefix="aftercare-test-"))
os.environ.setdefault(
    "AFTERCARE_SECRET_KEY", "test-secret-key-that-is-long-enough-for-django-checks"
)
os.environ["AFTERCARE_DATABASE_URL"] = os.environ.get("AFTERCARE_TEST_DATABASE_URL", "")

from aftercare import config
from aftercare.settings import *  # noqa: F403

if os.environ.get("AFTERCARE_TEST_DATABASE_URL"):
    DATABASES = {
        "default": config.parse_database_url(
            "AFTERCARE_TEST_DATABASE_URL", os.environ["AFTERCARE_TEST_DATABASE_URL"]
        )
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# Otherwise Django runs SQLite tests in memory (shared with live-server threads).

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_AUTOREFRESH = True
# Tests pin the clock; the rate limits' own tests turn them on (messaging/tests/test_rates.py).
TWILIO_SMS_PER_SECOND = 0
TWILIO_WHATSAPP_PER_SECOND = 0
