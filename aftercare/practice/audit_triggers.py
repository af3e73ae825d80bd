"""The SQL of the audit trail's append-only triggers, for SQLite and PostgreSQL.

The database refuses to change or delete audit rows, with one exception: redaction, which
blanks the personal details (summary, changes, address, browser, salt) and nothing else, when a
client is erased or a practice deleted. Migration 0003 installs these triggers.

Beware: on SQLite, a later migration that alters ``practice_auditevent`` makes Django rebuild
the table, which drops its triggers; such a migration must run ``statements("sqlite")`` again
(``test_audit.py`` fails if the triggers are missing).
"""

from __future__ import annotations

# What a redacting UPDATE may change; every other column must stay as it was.
KEPT = [
    "id",
    "practice_id",
    "user_id",
    "seq",
    "action",
    "object_type",
    "object_id",
    "clients",
    "via",
    "at",
    "detail_digest",
    "prev_hash",
    "hash",
]
MESSAGE = "audit events are append-only"


def _kept_sqlite() -> str:
    return " AND ".join(f"NEW.{column} IS OLD.{column}" for column in KEPT)


def _kept_postgres() -> str:
    return " AND ".join(f"NEW.{column} IS NOT DISTINCT FROM OLD.{column}" for column in KEPT)


SQLITE = [
    f"""
    CREATE TRIGGER practice_auditevent_no_delete BEFORE DELETE ON practice_auditevent
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    f"""
    CREATE TRIGGER practice_auditevent_no_update BEFORE UPDATE ON practice_auditevent
    WHEN NOT ({_kept_sqlite()} AND NEW.detail_salt = '' AND NEW.summary = '(redacted)'
              AND NEW.ip_address IS NULL AND NEW.user_agent = '' AND NEW.changes = '{{}}')
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS practice_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS practice_auditevent_no_update",
]

POSTGRES = [
    f"""
    CREATE FUNCTION practice_auditevent_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND {_kept_postgres()} AND NEW.detail_salt = ''
           AND NEW.summary = '(redacted)' AND NEW.ip_address IS NULL AND NEW.user_agent = ''
           AND NEW.changes = '{{}}'::jsonb THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER practice_auditevent_append_only BEFORE UPDATE OR DELETE ON practice_auditevent
    FOR EACH ROW EXECUTE FUNCTION practice_auditevent_append_only()
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS practice_auditevent_append_only ON practice_auditevent",
    "DROP FUNCTION IF EXISTS practice_auditevent_append_only()",
]


def statements(vendor: str, *, drop: bool = False) -> list[str]:
    if vendor == "postgresql":
        return POSTGRES_DROP if drop else POSTGRES
    if vendor == "sqlite":
        return SQLITE_DROP if drop else SQLITE
    raise NotImplementedError(f"no append-only triggers for {vendor}")
