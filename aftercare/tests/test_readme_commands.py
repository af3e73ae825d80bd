"""Every ``aftercare`` command of ours has its line under ``## Commands`` in the README."""

from __future__ import annotations

from pathlib import Path

from django.core.management import get_commands

README = Path(__file__).resolve().parents[2] / "README.md"


def commands_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Commands\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_every_aftercare_command_is_documented_in_the_readme() -> None:
    section = commands_section()
    ours = sorted(name for name, app in get_commands().items() if app.startswith("aftercare."))
    missing = [name for name in ours if f"- `aftercare {name}" not in section]
    assert missing == [], (
        f"add a line '- `aftercare NAME [options]` — what it does' under ## Commands in "
        f"README.md for: {', '.join(missing)}"
    )
    assert {"up", "demo", "practice", "token"} <= set(ours)
