"""``aftercare questionnaire add|list``: a practice's own licensed questionnaire, as data."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from aftercare.measures.questionnaires import BUILT_IN_DIR
from aftercare.measures.services import measure_send
from aftercare.messaging.models import Message
from aftercare.testing import Personas


def own_questionnaire(tmp_path: Path, **changes: object) -> Path:
    document = json.loads((BUILT_IN_DIR / "gad7.json").read_text())
    document.update(key="worry3", name="Worry-3", safety_items=[], reliable_change={})
    document["languages"]["en"]["items"] = document["languages"]["en"]["items"][:3]
    document["languages"]["en"]["copyright"] = "© Example Licensor. Licensed to Riverside Practice."
    document["bands"] = [
        {"key": "low", "from": 0, "to": 4, "label": "Low"},
        {"key": "high", "from": 5, "to": 9, "label": "High", "level": "urgent"},
    ]
    document.update(changes)
    path = tmp_path / "worry3.json"
    path.write_text(json.dumps(document))
    return path


def test_a_practice_adds_its_own_questionnaire_and_can_send_it(
    personas: Personas, tmp_path: Path
) -> None:
    out = StringIO()
    call_command(
        "questionnaire",
        "add",
        str(own_questionnaire(tmp_path)),
        "--practice",
        str(personas.practice.pk),
        stdout=out,
    )
    assert "Added Worry-3 (worry3) to Riverside Practice" in out.getvalue()
    listing = StringIO()
    call_command("questionnaire", "list", "--practice", str(personas.practice.pk), stdout=listing)
    assert "worry3  Worry-3  (the practice's own; en)" in listing.getvalue()
    measure = measure_send(
        actor=personas.actor(), client=personas.client, questionnaire_key="worry3"
    )
    message = Message.objects.get(pk=measure.message_id)
    assert "/p/q/" in message.text_body and message.status == "queued"
    # Another practice does not get it.
    other = StringIO()
    call_command(
        "questionnaire", "list", "--practice", str(personas.other_practice.pk), stdout=other
    )
    assert "worry3" not in other.getvalue()


def test_a_wrong_file_is_refused_naming_the_field(personas: Personas, tmp_path: Path) -> None:
    path = own_questionnaire(tmp_path, bands=[{"key": "all", "from": 0, "to": 5, "label": "All"}])
    with pytest.raises(CommandError, match="bands: totals from 6 to 9 fall in no band"):
        call_command("questionnaire", "add", str(path), "--practice", str(personas.practice.pk))
    with pytest.raises(CommandError, match="bundled questionnaire"):
        call_command(
            "questionnaire",
            "add",
            str(BUILT_IN_DIR / "phq9.json"),
            "--practice",
            str(personas.practice.pk),
        )
