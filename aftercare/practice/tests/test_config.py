from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from aftercare import config

README = Path(__file__).resolve().parents[3] / "README.md"


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"AFTERCARE_DATA_DIR": str(tmp_path), **values}


def test_it_generates_a_secret_key_once_and_keeps_it(tmp_path: Path) -> None:
    first = config.load(env(tmp_path))
    second = config.load(env(tmp_path))
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_it_reads_secrets_from_files(tmp_path: Path) -> None:
    secret_file = tmp_path / "key.txt"
    secret_file.write_text("k" * 40 + "\n")
    assert (
        config.load(env(tmp_path, AFTERCARE_SECRET_KEY_FILE=str(secret_file))).secret_key
        == "k" * 40
    )


def test_it_defaults_to_sqlite_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    database = config.load(env(tmp_path)).database
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "aftercare.sqlite3")
    options = database["OPTIONS"]
    assert "journal_mode=WAL" in options["init_command"]
    assert "synchronous=FULL" in options["init_command"]
    assert options["transaction_mode"] == "IMMEDIATE"


def test_its_sqlite_pragmas_hold_on_a_connection(tmp_path: Path) -> None:
    """The init command as SQLite runs it: every PRAGMA takes (a misspelt one is ignored)."""
    options = config.load(env(tmp_path)).database["OPTIONS"]
    connection = sqlite3.connect(tmp_path / "pragmas.sqlite3")
    try:
        connection.executescript(options["init_command"])

        def pragma(name: str) -> object:
            return connection.execute(f"PRAGMA {name}").fetchone()[0]

        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert pragma("secure_delete") == 1
        assert pragma("mmap_size") == config.SQLITE_MMAP_BYTES
    finally:
        connection.close()


def test_it_reads_a_postgres_url(tmp_path: Path) -> None:
    database = config.load(
        env(tmp_path, AFTERCARE_DATABASE_URL="postgres://care:s%40cret@db.internal:5433/aftercare")
    ).database
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (
        database["NAME"],
        database["USER"],
        database["PASSWORD"],
        database["HOST"],
        database["PORT"],
    ) == (
        "aftercare",
        "care",
        "s@cret",
        "db.internal",
        "5433",
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("AFTERCARE_TIME_ZONE", "Mars/Olympus", "AFTERCARE_TIME_ZONE: unknown time zone"),
        ("AFTERCARE_DEBUG", "maybe", "AFTERCARE_DEBUG: expected true or false"),
        ("AFTERCARE_DATABASE_URL", "mysql://x/y", "AFTERCARE_DATABASE_URL: unsupported database"),
        (
            "AFTERCARE_BASE_URL",
            "care.example.org",
            "AFTERCARE_BASE_URL: expected an http(s) address",
        ),
        ("AFTERCARE_SECRET_KEY", "short", "AFTERCARE_SECRET_KEY: use at least 32"),
        ("AFTERCARE_EMAIL_URL", "pop3://mail", "AFTERCARE_EMAIL_URL: expected smtp://"),
        ("AFTERCARE_SECRET_KEY_FILE", "/nonexistent/key", "AFTERCARE_SECRET_KEY_FILE: cannot read"),
    ],
)
def test_a_bad_value_stops_the_start_naming_the_variable(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(config.ConfigError, match=re.escape(message)):
        config.load(env(tmp_path, **{name: value}))


def test_it_reads_an_smtp_url(tmp_path: Path) -> None:
    email = config.load(
        env(tmp_path, AFTERCARE_EMAIL_URL="smtp://me:pw@127.0.0.1:2525?tls=true")
    ).email
    assert email["EMAIL_HOST"] == "127.0.0.1"
    assert email["EMAIL_PORT"] == 2525
    assert email["EMAIL_USE_TLS"] is True


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    missing = [name for name in config.SETTINGS if f"`{name}`" not in readme]
    assert missing == [], f"settings missing from README.md: {missing}"


def test_every_setting_the_code_reads_is_listed() -> None:
    package = Path(config.__file__).parent
    used = set()
    for path in package.rglob("*.py"):
        if "tests" in path.parts:
            continue
        used |= set(
            re.findall(r'"(AFTERCARE_[A-Z_]+?)(?:_FILE)?"', path.read_text(encoding="utf-8"))
        )
    assert used - set(config.SETTINGS) == set()


def test_it_reads_the_metrics_token_and_health_limits(tmp_path: Path) -> None:
    token_file = tmp_path / "metrics-token"
    token_file.write_text("m" * 24 + "\n")
    loaded = config.load(
        env(
            tmp_path,
            AFTERCARE_METRICS_TOKEN_FILE=str(token_file),
            AFTERCARE_HEALTH_OUTBOX_AGE_SECONDS="120",
        )
    )
    assert loaded.metrics_token == "m" * 24
    assert loaded.health_outbox_age_seconds == 120
    assert loaded.health_worker_stale_seconds == 300
    with pytest.raises(config.ConfigError, match="AFTERCARE_METRICS_TOKEN: use at least 16"):
        config.load(env(tmp_path, AFTERCARE_METRICS_TOKEN="short"))
    with pytest.raises(config.ConfigError, match="AFTERCARE_HEALTH_TICK_LAG_SECONDS"):
        config.load(env(tmp_path, AFTERCARE_HEALTH_TICK_LAG_SECONDS="ten"))
