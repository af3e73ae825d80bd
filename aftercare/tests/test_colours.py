"""A practice's colour: readable with white text on it and on the page (WCAG AA)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aftercare import colours


def test_the_contrast_is_the_wcag_ratio():
    assert round(colours.contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(colours.contrast("#ffffff", "#ffffff"), 1) == 1.0
    assert round(colours.contrast("#767676", "#ffffff"), 2) == 4.54  # the lightest AA grey


def test_the_default_colour_passes_and_a_light_one_does_not():
    assert colours.passes(colours.DEFAULT_COLOUR)
    assert not colours.passes("#ffcc00")
    assert colours.darkened(colours.DEFAULT_COLOUR) == colours.DEFAULT_COLOUR


@given(st.from_regex(colours.HEX, fullmatch=True))
def test_a_darker_shade_of_any_colour_passes(colour):
    shade = colours.darkened(colour.lower())
    assert colours.HEX.match(shade)
    assert colours.passes(shade)
    assert colours.luminance(shade) <= colours.luminance(colour.lower()) + 1e-9
