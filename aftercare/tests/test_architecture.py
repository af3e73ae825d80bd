"""The house stays as docs/architecture.md draws it: no app imports one above it.

The layered list in docs/architecture.md ("## Layers") is the source of truth: each numbered
line names the apps and modules of one layer, lowest first. This test reads every module of
``aftercare/`` (tests and migrations aside: tests may use anything, migrations name models by
string), finds every ``aftercare.…`` import — at the top, inside functions, under
``TYPE_CHECKING`` alike — and fails when a module imports one from a higher layer, or when an
app or top-level module is missing from the list (a new room must be placed on purpose).
Management commands are entry points, like ``cli.py``: they belong to the top layer.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "aftercare"
DOC = ROOT / "docs" / "architecture.md"
ENTRY_POINTS = "entry points"


def documented_layers() -> dict[str, int]:
    """``{room: layer}`` from the numbered lines under "## Layers" (1 is the lowest)."""
    text = DOC.read_text()
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    layers: dict[str, int] = {}
    for line in section.splitlines():
        match = re.match(r"^(\d+)\. (.*)$", line.strip())
        if not match:
            continue
        number = int(match.group(1))
        names_part = match.group(2).split(" — ", 1)[0]
        for name in re.findall(r"`([^`]+)`", names_part):
            layers[name] = number
    return layers


def room_of(path: Path) -> str:
    """The app (``care``) or top-level module (``clock``) a file belongs to."""
    relative = path.relative_to(PACKAGE)
    if "management" in relative.parts and "commands" in relative.parts:
        return ENTRY_POINTS
    if len(relative.parts) == 1:
        return relative.stem
    return relative.parts[0]


def source_files() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    )


def imported_rooms(path: Path) -> list[tuple[int, str]]:
    """``(line, room)`` for every ``aftercare.<room>`` a module imports, wherever it does."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
            if node.module == "aftercare":  # ``from aftercare import clock, links``
                modules = [f"aftercare.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[0] == "aftercare" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def test_the_documented_layers_name_every_app_and_top_level_module() -> None:
    layers = documented_layers()
    rooms = {room_of(path) for path in source_files()} - {ENTRY_POINTS, "__init__"}
    installed = {
        config.name.split(".", 1)[1]
        for config in apps.get_app_configs()
        if config.name.startswith("aftercare.")
    }
    missing = sorted((rooms | installed) - set(layers))
    assert not missing, f"Place these in the layers of docs/architecture.md: {missing}"
    stale = sorted(set(layers) - rooms - installed - {ENTRY_POINTS})
    assert not stale, f"docs/architecture.md names rooms that no longer exist: {stale}"


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_one_above_its_layer(path: Path) -> None:
    layers = documented_layers()
    room = room_of(path)
    if room not in layers:  # ``aftercare/__init__.py`` and entry points: nothing above them
        return
    upward = [
        f"line {line}: {room} (layer {layers[room]}) imports {other} (layer {layers[other]})"
        for line, other in imported_rooms(path)
        if other in layers and layers[other] > layers[room]
    ]
    assert not upward, "\n".join(upward)


def test_the_layer_check_notices_an_upward_import(tmp_path: Path) -> None:
    """The check itself can fail: an import of a higher room is found wherever it hides."""
    module = tmp_path / "sample.py"
    module.write_text(
        "from aftercare import clock\n"
        "def f():\n"
        "    from aftercare.messaging.models import Message\n"
        "    import aftercare.portal.views\n"
    )
    assert [room for _, room in imported_rooms(module)] == ["clock", "messaging", "portal"]
