from __future__ import annotations

import re

import pytest
from django import forms

from aftercare.practice.forms import LongSelect, PracticeForm, time_zone_choices
from aftercare.practice.models import Practice


def _tags(html: str) -> list[str]:
    """The tags and texts of ``html`` with attributes in name order (Django's order varies)."""
    parts = [part.strip() for part in re.split(r"(<[^>]+>)", html) if part.strip()]
    return [
        re.sub(
            r"<(\w+) ([^>]*)>",
            lambda tag: (
                f"<{tag[1]} " + " ".join(sorted(re.findall(r'[\w-]+(?:="[^"]*")?', tag[2]))) + ">"
            ),
            part,
        )
        for part in parts
    ]


def test_a_long_select_renders_what_djangos_select_renders() -> None:
    choices = (*time_zone_choices()[:3], ("Odd/<&>", 'A "quoted" <zone>'))
    attrs = {"id": "id_time_zone", "aria-describedby": "help", "aria-invalid": "true"}
    for value in ("Africa/Accra", "Odd/<&>", "Not/Listed", None):
        ours = LongSelect(choices).render("time_zone", value, attrs)
        djangos = forms.Select(choices=choices).render("time_zone", value, attrs)
        assert _tags(ours) == _tags(djangos)


@pytest.mark.django_db
def test_a_refused_time_zone_is_shown_as_not_chosen_with_its_error() -> None:
    form = PracticeForm({"time_zone": "Mars/Olympus"}, instance=Practice(name="Riverside"))
    assert not form.is_valid() and "time_zone" in form.errors
    html = str(form["time_zone"])
    assert 'aria-invalid="true"' in html and " selected" not in html
