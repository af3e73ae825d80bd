"""The one call from messaging into triage, so inbound handling does not depend on its internals.

``aftercare.messaging.triage`` is the pure classifier (word lists per language); this module
adapts its result to what the inbox and the care queue show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aftercare.messaging.triage import classify


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


def triage(
    text: str,
    *,
    languages: Sequence[str] = ("en",),
    score: int | None = None,
    previous_score: int | None = None,
    side_effects: str = "",
    contact_me: bool = False,
) -> Triage:
    result = classify(
        text,
        languages=tuple(languages),
        score=score,
        previous_score=previous_score,
        side_effects=side_effects,
        contact_me=contact_me,
    )
    return Triage(result.level, tuple(result.reasons))
