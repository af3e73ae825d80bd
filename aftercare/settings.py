"""Django settings, all read from ``AFTERCARE_*`` environment variables (see aftercare.config)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from csp.constants import NONE, SELF

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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "aftercare.practice",
    "aftercare.clients",
    "aftercare.appointments",
    "aftercare.resources",
    "aftercare.care",
    "aftercare.queue",
    "aftercare.promises",
    "aftercare.messaging",
    "aftercare.absences",
    "aftercare.imports",
    "aftercare.supplies",
    "aftercare.measures",
    "aftercare.portal",
    "aftercare.insights",
    "aftercare.monitoring",
    "aftercare.api",
]

MIDDLEWARE = [
    # First, so the latency it records for /metrics is the whole of Django's time.
    "aftercare.monitoring.middleware.RequestLatencyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "aftercare.practice.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "aftercare.practice.middleware.SessionLimitsMiddleware",
    "aftercare.practice.middleware.LocaleInUseMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the sign-in page's answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "aftercare.urls"
WSGI_APPLICATION = "aftercare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["aftercare.practice.templatetags.locale_formats"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aftercare.practice.context_processors.practice",
            ],
        },
    },
]

# Widgets and labels written in Python, the markup of Django's templates (``form_renderer``).
FORM_RENDERER = "aftercare.form_renderer.FormRenderer"

DATABASES = {"default": CONFIG.database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "practice.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes checks every sign-in first (locking by email and address together).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2id for new passwords; an older PBKDF2 hash is upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]

# Sign-in throttling (docs/security.md). Five wrong passwords from one address for one email
# lock that pair for 15 minutes (django-axes); SIGN_IN_FAILURES_PER_HOUR failures against one
# account from anywhere lock the account for the rest of the hour (aftercare.practice.sign_in).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the sign-in form's field (the email)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "aftercare.practice.sign_in.locked_out_response"
AXES_CLIENT_IP_CALLABLE = "aftercare.practice.access.client_ip"
AXES_VERBOSE = False
SIGN_IN_FAILURES_PER_HOUR = 20

# Sessions: a new key at sign-in (Django's login), 30 minutes idle, 12 hours at most
# (aftercare.practice.middleware.SessionLimitsMiddleware, which asks aftercare.clock).
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_IDLE_SECONDS = 30 * 60
SESSION_COOKIE_SAMESITE = "Lax"
OTP_TOTP_ISSUER = "Aftercare"

LANGUAGE_CODE = "en"
TIME_ZONE = CONFIG.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# The project-wide static files (aftercare/static) belong to no app, so finders need telling.
STATICFILES_DIRS = [BASE_DIR / "static"]
# What clients send (photos, voice notes, PDFs) is kept here and only served behind sign-in or
# an API token (messaging/attachments.py); never under a public URL.
MEDIA_ROOT = DATA_DIR / "attachments"
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
# With an https base URL: redirect plain http, and tell browsers to use https only.
SECURE_SSL_REDIRECT = BASE_URL.startswith("https://")
# A load balancer's probe and Prometheus reach a web machine directly over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = CONFIG.hsts_seconds
SECURE_HSTS_INCLUDE_SUBDOMAINS = bool(CONFIG.hsts_seconds)
SECURE_PROXY_SSL_HEADER = CONFIG.proxy_ssl_header
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is a promise for the whole registered domain, submitted by its owner to
    # the browsers' lists; a self-hosted app on care.example.org must not make it.
    "security.W021",
]

# Content-Security-Policy: no inline scripts or styles anywhere (django-csp 4).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

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
# Messages a second each sending number may hand over, across every worker (0: no limit).
TWILIO_SMS_PER_SECOND = CONFIG.twilio_sms_per_second
TWILIO_WHATSAPP_PER_SECOND = CONFIG.twilio_whatsapp_per_second
# Outside WhatsApp's 24-hour window only approved templates go out: {template key: ContentSid}.
TWILIO_WHATSAPP_TEMPLATES = dict(CONFIG.twilio_whatsapp_templates)
MAILGUN_WEBHOOK_SIGNING_KEY = CONFIG.mailgun_webhook_signing_key
REPLY_DOMAIN = CONFIG.reply_domain
INBOUND_EMAIL_TOKEN = CONFIG.inbound_email_token

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Monitoring (docs/deployment.md): /metrics needs this bearer token (unset: /metrics is off);
# /healthz answers 503 past these limits. Each web process keeps its request latencies in
# METRICS_DIR so that /metrics, answered by any one process, reports the machine's.
METRICS_TOKEN = CONFIG.metrics_token
METRICS_DIR = DATA_DIR / "metrics"
HEALTH_WORKER_STALE_SECONDS = CONFIG.health_worker_stale_seconds
HEALTH_OUTBOX_AGE_SECONDS = CONFIG.health_outbox_age_seconds
HEALTH_TICK_LAG_SECONDS = CONFIG.health_tick_lag_seconds
