"""Read Aftercare's configuration from ``AFTERCARE_*`` environment variables.

Pure Python (no Django), so settings are validated before Django starts and a bad value
stops the start with a message that names the variable. ``SETTINGS`` documents every
variable; a test checks that each one is described in the README.
"""

from __future__ import annotations

import os
import re
import secrets
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message names the variable."""


# name -> one-line description (the README holds the full text)
SETTINGS: dict[str, str] = {
    "AFTERCARE_DATA_DIR": "folder for the SQLite database, the secret key and uploads",
    "AFTERCARE_DATABASE_URL": "database URL; default SQLite in the data folder",
    "AFTERCARE_SECRET_KEY": "Django secret key; generated once into the data folder when unset",
    "AFTERCARE_BASE_URL": "public address of the app, used in links sent to clients",
    "AFTERCARE_DEBUG": "true for development error pages",
    "AFTERCARE_TIME_ZONE": "default time zone for new practices and the server",
    "AFTERCARE_ALLOWED_HOSTS": "comma-separated host names the app answers to",
    "AFTERCARE_EMAIL_URL": "SMTP server for outgoing email (smtp:// or smtps://)",
    "AFTERCARE_EMAIL_FROM": "From address of outgoing email",
    "AFTERCARE_TEST_DATABASE_URL": "database URL the test suite uses (default in-memory SQLite)",
    "AFTERCARE_TRIAGE_WORDS_DIR": "folder of triage word lists (<language>.txt) overriding the built-in ones",
    "AFTERCARE_TWILIO_ACCOUNT_SID": "Twilio account SID for SMS and WhatsApp",
    "AFTERCARE_TWILIO_AUTH_TOKEN": "Twilio auth token (also signs Twilio's webhooks)",
    "AFTERCARE_TWILIO_FROM": "the Twilio number SMS are sent from (E.164)",
    "AFTERCARE_TWILIO_WHATSAPP_FROM": "the Twilio WhatsApp sender (E.164)",
    "AFTERCARE_TWILIO_SMS_PER_SECOND": "SMS a second each Twilio number may send, across all workers (default 1; 0 no limit)",
    "AFTERCARE_TWILIO_WHATSAPP_PER_SECOND": "WhatsApp messages a second the sender may send, across all workers (default 80)",
    "AFTERCARE_TWILIO_WHATSAPP_TEMPLATES": "approved WhatsApp content templates per template key, check_in=HX…,recall=HX…",
    "AFTERCARE_REPLY_DOMAIN": "mail domain that receives client replies (reply+TOKEN@domain)",
    "AFTERCARE_INBOUND_EMAIL_TOKEN": "secret in the inbound email webhook's address",
    "AFTERCARE_MAILGUN_WEBHOOK_SIGNING_KEY": "Mailgun's HTTP webhook signing key, to check inbound mail it posts",
    "AFTERCARE_PROXY_SSL_HEADER": "header a trusted reverse proxy sets on https requests (X-Forwarded-Proto)",
    "AFTERCARE_METRICS_TOKEN": "bearer token Prometheus sends to /metrics (unset: /metrics is off)",
    "AFTERCARE_HEALTH_WORKER_STALE_SECONDS": "/healthz fails when no worker was seen for this long",
    "AFTERCARE_HEALTH_OUTBOX_AGE_SECONDS": "/healthz fails when a due message waited this long",
    "AFTERCARE_HEALTH_TICK_LAG_SECONDS": "/healthz fails when no tick finished for this long",
    "AFTERCARE_HSTS_SECONDS": "how long browsers must use https only (Strict-Transport-Security)",
}

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def read_secret(env: Mapping[str, str], name: str) -> str | None:
    """Return ``name`` from the environment, or the contents of the file named by ``name_FILE``."""
    if env.get(name):
        return env[name]
    file_name = env.get(f"{name}_FILE")
    if not file_name:
        return None
    try:
        return Path(file_name).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigError(f"{name}_FILE: cannot read {file_name!r} ({error.strerror})") from error


def parse_bool(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def parse_time_zone(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(
            f"{name}: unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
        ) from error
    return value


def parse_base_url(env: Mapping[str, str], name: str, default: str) -> str:
    value = (env.get(name) or default).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(
            f"{name}: expected an http(s) address such as https://care.example.org, got {value!r}"
        )
    return value


def parse_database_url(name: str, value: str) -> dict[str, object]:
    """Turn a database URL into a Django ``DATABASES`` entry (SQLite or PostgreSQL only)."""
    parts = urlsplit(value)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:////abs/path -> /abs/path; sqlite:///rel -> rel; sqlite:///:memory:
        if path.startswith("//") or path.startswith("/"):
            path = path[1:]
        if not path:
            raise ConfigError(
                f"{name}: a sqlite URL needs a file path, e.g. sqlite:////var/aftercare/db.sqlite3"
            )
        return sqlite_database(path)
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        if not parts.path.strip("/"):
            raise ConfigError(
                f"{name}: a postgres URL needs a database name, e.g. postgres://user@host/aftercare"
            )
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.strip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ConfigError(
        f"{name}: unsupported database {parts.scheme or value!r}; use sqlite:// or postgres://"
    )


# How much of the SQLite file is read through a memory map (1 GiB; a larger file reads the
# rest as before).
SQLITE_MMAP_BYTES = 1 << 30


def sqlite_database(path: str) -> dict[str, object]:
    """SQLite tuned so a web server and workers can write at once and a confirmed write is durable."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy
            # timeout instead of failing with "database is locked" on lock upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # WAL lets readers work while one writer writes; synchronous=FULL makes a
            # committed transaction survive a power cut; secure_delete overwrites deleted
            # content with zeros, so an erased client leaves no bytes in the file.
            # mmap_size reads the file through memory mapped once and shared by every process
            # and connection, instead of a read() into each connection's 2 MB page cache per
            # page missed: pages that look rows up one by one across a large table (Today's
            # absence card: 4,000 supplies each checked against its client) read them 40 %
            # faster at 100,000 clients (docs/scaling.md). It is address space, not memory:
            # only the pages read are mapped in, and writes still go through the journal.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                f"PRAGMA secure_delete=ON; PRAGMA mmap_size={SQLITE_MMAP_BYTES};"
            ),
        },
        # A connection kept for a minute per thread: opening one and running the PRAGMAs
        # above cost every request 3-7 ms of CPU (measured by benchmarks/bench_load.py at
        # 20,000 clients: the signed-in floor went from 4.5 to 1.8 ms). ``restore`` asks for
        # the server to be stopped, so no kept connection outlives a replaced file.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def parse_email_url(name: str, value: str) -> dict[str, object]:
    """``smtp://user:password@host:port?tls=true`` (or ``smtps://`` for implicit TLS)."""
    parts = urlsplit(value)
    if parts.scheme not in {"smtp", "smtps", "console", "file"}:
        raise ConfigError(
            f"{name}: expected smtp://user:password@host:port, got scheme {parts.scheme!r}"
        )
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": unquote(parts.path),
        }
    if not parts.hostname:
        raise ConfigError(f"{name}: the SMTP URL needs a host name")
    query = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError as error:
        raise ConfigError(f"{name}: the port is not a number") from error
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": query.get("tls") in TRUE_WORDS,
        "EMAIL_TIMEOUT": 30,
    }


def parse_triage_words_dir(env: Mapping[str, str], name: str) -> Path | None:
    """An existing folder whose ``<language>.txt`` word lists all parse, or None when unset."""
    from aftercare.messaging import triage  # pure Python; imported here to keep config light

    value = env.get(name)
    if not value:
        return None
    folder = Path(value).expanduser().resolve()
    if not folder.is_dir():
        raise ConfigError(f"{name}: {str(folder)!r} is not a folder")
    try:
        triage.check_words_dir(folder)
    except triage.WordListError as error:
        raise ConfigError(f"{name}: {error}") from error
    return folder


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database: dict[str, object]
    secret_key: str
    base_url: str
    debug: bool
    time_zone: str
    allowed_hosts: list[str]
    email: dict[str, object]
    email_from: str
    triage_words_dir: Path | None = None
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_whatsapp_from: str = ""
    twilio_whatsapp_templates: tuple[tuple[str, str], ...] = ()
    twilio_sms_per_second: float = 1.0
    twilio_whatsapp_per_second: float = 80.0
    mailgun_webhook_signing_key: str = ""
    reply_domain: str = ""
    inbound_email_token: str = ""
    proxy_ssl_header: tuple[str, str] | None = None
    hsts_seconds: int = 0
    metrics_token: str = ""
    health_worker_stale_seconds: int = 300
    health_outbox_age_seconds: int = 900
    health_tick_lag_seconds: int = 600


def load(env: Mapping[str, str] | None = None, *, create_dirs: bool = True) -> Config:
    """Validate the environment and return the configuration; raise ConfigError naming the variable."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("AFTERCARE_DATA_DIR") or "./var").resolve()
    if create_dirs:
        make_private_dir(data_dir)

    database_url = env.get("AFTERCARE_DATABASE_URL") or read_secret(env, "AFTERCARE_DATABASE_URL")
    if database_url:
        database = parse_database_url("AFTERCARE_DATABASE_URL", database_url)
    else:
        database = sqlite_database(str(data_dir / "aftercare.sqlite3"))
    if create_dirs and database["ENGINE"] == "django.db.backends.sqlite3":
        make_private_file(str(database["NAME"]))

    secret_key = read_secret(env, "AFTERCARE_SECRET_KEY") or stored_secret_key(
        data_dir, create=create_dirs
    )
    if len(secret_key) < 32:
        raise ConfigError("AFTERCARE_SECRET_KEY: use at least 32 random characters")

    base_url = parse_base_url(env, "AFTERCARE_BASE_URL", "http://127.0.0.1:8000")
    hosts_raw = env.get("AFTERCARE_ALLOWED_HOSTS")
    if hosts_raw:
        allowed_hosts = [host.strip() for host in hosts_raw.split(",") if host.strip()]
    else:
        allowed_hosts = [urlsplit(base_url).hostname or "127.0.0.1", "127.0.0.1", "localhost"]

    email_url = read_secret(env, "AFTERCARE_EMAIL_URL")
    email = parse_email_url("AFTERCARE_EMAIL_URL", email_url) if email_url else {}

    return Config(
        data_dir=data_dir,
        database=database,
        secret_key=secret_key,
        base_url=base_url,
        debug=parse_bool(env, "AFTERCARE_DEBUG"),
        time_zone=parse_time_zone(env, "AFTERCARE_TIME_ZONE", "UTC"),
        allowed_hosts=allowed_hosts,
        email=email,
        email_from=env.get("AFTERCARE_EMAIL_FROM")
        or f"Aftercare <no-reply@{urlsplit(base_url).hostname}>",
        triage_words_dir=parse_triage_words_dir(env, "AFTERCARE_TRIAGE_WORDS_DIR"),
        proxy_ssl_header=parse_proxy_ssl_header(env, "AFTERCARE_PROXY_SSL_HEADER"),
        hsts_seconds=parse_seconds(
            env, "AFTERCARE_HSTS_SECONDS", 31_536_000 if base_url.startswith("https://") else 0
        ),
        **messaging_settings(env),
        **monitoring_settings(env),
    )


def make_private_dir(path: Path) -> None:
    """Create the data folder readable by its owner alone (0700): it holds health data."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except OSError as error:
        raise ConfigError(
            f"AFTERCARE_DATA_DIR: cannot create {str(path)!r} ({error.strerror})"
        ) from error


def make_private_file(name: str) -> None:
    """Create the SQLite file 0600 before SQLite does (it would follow the umask, often 0644).

    SQLite gives its -wal and -shm files the database file's permissions, so they follow.
    """
    if name in {"", ":memory:"} or name.startswith("file:"):
        return
    try:
        fd = os.open(name, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        if os.stat(name).st_mode & 0o077:
            os.chmod(name, 0o600)
    except OSError as error:
        raise ConfigError(
            f"AFTERCARE_DATABASE_URL: cannot create {name!r} ({error.strerror})"
        ) from error


def parse_proxy_ssl_header(env: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """``X-Forwarded-Proto`` or ``X-Forwarded-Proto: https`` → Django's ``SECURE_PROXY_SSL_HEADER``."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    header, _, value = raw.partition(":")
    header, value = header.strip(), (value.strip() or "https")
    if not re.fullmatch(r"[A-Za-z0-9-]+", header):
        raise ConfigError(
            f"{name}: expected a header name such as X-Forwarded-Proto (optionally ': https'), "
            f"got {raw!r}"
        )
    return "HTTP_" + header.upper().replace("-", "_"), value


def parse_seconds(env: Mapping[str, str], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > 100 * 365 * 86400:
        raise ConfigError(f"{name}: expected a number of seconds such as 31536000, got {raw!r}")
    return int(raw)


def parse_rate(env: Mapping[str, str], name: str, default: float) -> float:
    """Messages per second such as ``1`` or ``0.5``; ``0`` means no limit."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        rate = float(raw)
    except ValueError:
        rate = -1.0
    if not 0 <= rate <= 10_000:
        raise ConfigError(f"{name}: expected messages per second such as 1 or 0.5, got {raw!r}")
    return rate


def messaging_settings(env: Mapping[str, str]) -> dict[str, object]:
    """Twilio and inbound-mail settings; Twilio needs its SID, token and a sender together."""
    values: dict[str, Any] = {
        "twilio_account_sid": read_secret(env, "AFTERCARE_TWILIO_ACCOUNT_SID") or "",
        "twilio_auth_token": read_secret(env, "AFTERCARE_TWILIO_AUTH_TOKEN") or "",
        "twilio_from": (env.get("AFTERCARE_TWILIO_FROM") or "").strip(),
        "twilio_whatsapp_from": (env.get("AFTERCARE_TWILIO_WHATSAPP_FROM") or "").strip(),
        "reply_domain": (env.get("AFTERCARE_REPLY_DOMAIN") or "").strip().lower(),
        "inbound_email_token": read_secret(env, "AFTERCARE_INBOUND_EMAIL_TOKEN") or "",
        "mailgun_webhook_signing_key": read_secret(env, "AFTERCARE_MAILGUN_WEBHOOK_SIGNING_KEY")
        or "",
        # Twilio queues what a number sends beyond its rate (a long code: 1 SMS a second) and
        # fails it after hours; the workers keep to the rate together instead (messaging.rates).
        "twilio_sms_per_second": parse_rate(env, "AFTERCARE_TWILIO_SMS_PER_SECOND", 1.0),
        "twilio_whatsapp_per_second": parse_rate(env, "AFTERCARE_TWILIO_WHATSAPP_PER_SECOND", 80.0),
    }
    senders = values["twilio_from"] or values["twilio_whatsapp_from"]
    if senders and not (values["twilio_account_sid"] and values["twilio_auth_token"]):
        raise ConfigError(
            "AFTERCARE_TWILIO_ACCOUNT_SID: a Twilio sender is set, so the account SID and "
            "AFTERCARE_TWILIO_AUTH_TOKEN are needed too"
        )
    for name in ("twilio_from", "twilio_whatsapp_from"):
        number = values[name]
        if number and not re.fullmatch(r"\+[1-9][0-9]{6,14}", number):
            raise ConfigError(
                f"AFTERCARE_{name.upper()}: expected an E.164 number such as +447911123456, "
                f"got {number!r}"
            )
    domain = values["reply_domain"]
    if domain and not re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", domain):
        raise ConfigError(
            f"AFTERCARE_REPLY_DOMAIN: expected a mail domain such as reply.example.org, got {domain!r}"
        )
    token = values["inbound_email_token"]
    if token and len(token) < 16:
        raise ConfigError("AFTERCARE_INBOUND_EMAIL_TOKEN: use at least 16 random characters")
    return {**values, "twilio_whatsapp_templates": parse_whatsapp_templates(env)}  # type: ignore[dict-item]


def parse_whatsapp_templates(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """``check_in=HX…,recall=HX…``: the approved content template (ContentSid) per template key."""
    name = "AFTERCARE_TWILIO_WHATSAPP_TEMPLATES"
    pairs = []
    for item in filter(None, (part.strip() for part in (env.get(name) or "").split(","))):
        key, _, sid = item.partition("=")
        key, sid = key.strip(), sid.strip()
        if not re.fullmatch(r"[a-z0-9_]{1,40}", key) or not re.fullmatch(r"HX[0-9a-fA-F]{32}", sid):
            raise ConfigError(
                f"{name}: expected template_key=ContentSid pairs such as "
                f"check_in=HX0123456789abcdef0123456789abcdef, got {item!r}"
            )
        pairs.append((key, sid))
    return tuple(pairs)


def stored_secret_key(data_dir: Path, *, create: bool) -> str:
    """Read the secret key kept in the data folder, generating it on first start."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(50)
    if create:
        # O_EXCL: two processes starting at once keep one key, not two.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text(encoding="utf-8").strip()
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key)
    return key


def monitoring_settings(env: Mapping[str, str]) -> dict[str, object]:
    """``/metrics``' token and the limits past which ``/healthz`` answers 503."""
    token = read_secret(env, "AFTERCARE_METRICS_TOKEN") or ""
    if token and len(token) < 16:
        raise ConfigError("AFTERCARE_METRICS_TOKEN: use at least 16 random characters")
    return {
        "metrics_token": token,
        "health_worker_stale_seconds": parse_seconds(
            env, "AFTERCARE_HEALTH_WORKER_STALE_SECONDS", 300
        ),
        "health_outbox_age_seconds": parse_seconds(env, "AFTERCARE_HEALTH_OUTBOX_AGE_SECONDS", 900),
        "health_tick_lag_seconds": parse_seconds(env, "AFTERCARE_HEALTH_TICK_LAG_SECONDS", 600),
    }
