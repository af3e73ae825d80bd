"""Django settings, all read from ``AFTERCARE_*`` environment variables (see aftercare.config)."""

from __future__ import annotations

import sys
from pathlib import Path

from aftercare import config

try:
    CONFIG = config.load()
except config.ConfigError as error:
    sys.stderr.write(f"aftercare: configuration error: {error}\n")
    raise SystemExit(2) from error

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = CONFIG.data_dir
SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts
BASE_URL = CONFIG.base_url
CSRF_TRUSTED_ORIGINS = [CONFIG.base_url]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "aftercare.practice",
    "aftercare.clients",
    "aftercare.appointments",
    "aftercare.resources",
    "aftercare.care",
    "aftercare.queue",
    "aftercare.promises",
    "aftercare.messaging",
    "aftercare.absences",
    "aftercare.supplies",
    "aftercare.measures",
    "aftercare.portal",
    "aftercare.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "aftercare.urls"
WSGI_APPLICATION = "aftercare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aftercare.practice.context_processors.practice",
            ],
        },
    },
]

DATABASES = {"default": CONFIG.database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "practice.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = CONFIG.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# The project-wide static files (aftercare/static) belong to no app, so finders need telling.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the package so `aftercare up` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Email for sign-in matters (password reset). Without AFTERCARE_EMAIL_URL the mail is
# printed to the server's console, so a local install can still reset a password.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = CONFIG.email_from
SERVER_EMAIL = CONFIG.email_from
for _name, _value in CONFIG.email.items():
    globals()[_name] = _value

# Messaging: without AFTERCARE_EMAIL_URL / Twilio settings, messages go to the preview outbox.
MESSAGING_EMAIL_LIVE = bool(CONFIG.email)
TWILIO_ACCOUNT_SID = CONFIG.twilio_account_sid
TWILIO_AUTH_TOKEN = CONFIG.twilio_auth_token
TWILIO_FROM = CONFIG.twilio_from
TWILIO_WHATSAPP_FROM = CONFIG.twilio_whatsapp_from
REPLY_DOMAIN = CONFIG.reply_domain
INBOUND_EMAIL_TOKEN = CONFIG.inbound_email_token

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
