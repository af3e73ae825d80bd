"""The one call from messaging into triage, so inbound handling does not depend on its internals.

``aftercare.messaging.triage`` (pure, word lists per language) is written by the triage
engineer. Until it is installed, a minimal fallback keeps inbound routing honest: anything
that mentions a side effect or worsening is flagged "attention" and crisis words "crisis",
so nothing that needs a person is ever filed as routine without a reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Triage:
    level: str
    reasons: tuple[str, ...]

    @property
    def headline(self) -> str:
        """``"attention: side effects"``: the level and the first reason's label."""
        if not self.reasons:
            return self.level
        return f"{self.level}: {self.reasons[0].split(':', 1)[0]}"


_FALLBACK_WORDS = {
    "crisis": (
        "crisis language",
        r"suicid|kill myself|end my life|chest pain|can'?t breathe|overdose",
    ),
    "attention": (
        "side effects",
        r"side.?effects?|nausea|sweats?|rash|dizz|vomit|headache|worse|new symptom",
    ),
}


def _fallback(
    text: str, *, score: int | None, previous_score: int | None, side_effects: str, contact_me: bool
) -> Triage:
    reasons: list[tuple[int, str]] = []
    lowered = f"{text}\n{side_effects}".lower()
    for rank, level in ((3, "crisis"), (1, "attention")):
        label, pattern = _FALLBACK_WORDS[level]
        found = re.search(pattern, lowered)
        if found:
            reasons.append((rank, f"{label}: '{found.group(0)}'"))
    if side_effects.strip() and side_effects.strip().lower() not in {"no", "none", "nothing", "-"}:
        reasons.append((1, "side effects reported"))
    if score is not None and previous_score is not None and previous_score - score >= 3:
        reasons.append((1, f"score dropped {previous_score - score} points"))
    if contact_me:
        reasons.append((1, "asked to be contacted"))
    if not reasons:
        return Triage("routine", ())
    levels = ("routine", "attention", "urgent", "crisis")
    top = max(rank for rank, _ in reasons)
    ordered = [reason for _, reason in sorted(reasons, key=lambda r: -r[0])]
    return Triage(levels[top], tuple(dict.fromkeys(ordered)))


def triage(
    text: str,
    *,
    languages: Sequence[str] = ("en",),
    score: int | None = None,
    previous_score: int | None = None,
    side_effects: str = "",
    contact_me: bool = False,
) -> Triage:
    try:
        from aftercare.messaging.triage import classify
    except ImportError:
        return _fallback(
            text,
            score=score,
            previous_score=previous_score,
            side_effects=side_effects,
            contact_me=contact_me,
        )
    result = classify(
        text,
        languages=tuple(languages),
        score=score,
        previous_score=previous_score,
        side_effects=side_effects,
        contact_me=contact_me,
    )
    return Triage(result.level, tuple(result.reasons))
