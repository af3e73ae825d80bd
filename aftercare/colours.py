"""A practice's colour, checked for contrast (pure: WCAG 2.2 formulas, no Django).

Client pages and emails put white text on the practice's colour (buttons, the name band) and
the colour on a near-white page (links). WCAG AA asks 4.5:1 for normal text, so a colour is
accepted only when it reaches that against both; a lighter one is refused with a darker shade of
it that passes (``darkened``), so the practice keeps its hue.
"""

from __future__ import annotations

import re

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
WHITE = "#ffffff"
PAGE = "#fafaf7"  # the portal's page background (static/portal/portal.css)
AA_NORMAL_TEXT = 4.5
DEFAULT_COLOUR = "#0b5394"


def _channel(value: int) -> float:
    part = value / 255
    return part / 12.92 if part <= 0.04045 else ((part + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """The relative luminance of ``#rrggbb`` (WCAG 2.2)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast(first: str, second: str) -> float:
    """The contrast ratio of two colours, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def worst_contrast(colour: str) -> float:
    """The lower of white text on ``colour`` and ``colour`` on the page."""
    return min(contrast(colour, WHITE), contrast(colour, PAGE))


def passes(colour: str) -> bool:
    return worst_contrast(colour) >= AA_NORMAL_TEXT


def darkened(colour: str) -> str:
    """The same hue made darker, step by step, until it passes (black at worst)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    for step in range(101):
        factor = 1 - step / 100
        shade = f"#{round(red * factor):02x}{round(green * factor):02x}{round(blue * factor):02x}"
        if passes(shade):
            return shade
    return "#000000"
