"""Questionnaires as data: the PHQ-9, GAD-7 and WHO-5, and any a practice adds (no Django).

A questionnaire is one JSON document (``aftercare/measures/questionnaires/<key>.json`` for the
built-in ones, a ``PracticeQuestionnaire`` row for a practice's own licensed one) holding:

- ``key`` (``phq9``), ``name`` (``PHQ-9``) and ``about`` (``depression``: words for the page);
- ``scoring``: ``method`` ``sum`` of the scored items' values, times ``multiplier`` (the WHO-5's
  percentage score is the raw sum × 4), and ``higher_is`` ``worse`` or ``better``;
- ``bands``: contiguous ranges of the total (``from``/``to`` inclusive) covering every total
  that can be reached, each with a ``label`` and a triage ``level`` (``routine``,
  ``attention``, ``urgent``) that a completed questionnaire in that band raises;
- ``reliable_change``: the ``points`` of change that count as reliable, with its ``source``
  (optional: some instruments define none);
- ``safety_items``: items whose answer above ``above`` is a **crisis** at once, with the
  ``reason`` a person reads;
- ``source`` and, per language in ``languages``, the ``title``, ``instructions``, answer
  ``options`` (value and label), ``items`` (``key``, ``text``; ``scored: false`` for an item
  outside the total; ``asked_if_any_above`` to ask it only when some scored answer is above
  that value, like the PHQ-9's question 10; its own ``options`` when they differ) and the
  ``copyright`` line, shown on every page of the questionnaire.

Wording is the source's, word for word; a language is added only from a published official
translation. ``parse_questionnaire`` checks all of this and raises ``QuestionnaireError``
naming the field at fault, so a practice's file is refused before anyone is sent it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUILT_IN_DIR = Path(__file__).resolve().parent / "questionnaires"
LEVELS = ("routine", "attention", "urgent")
KEY_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


class QuestionnaireError(ValueError):
    """A questionnaire document that cannot be used: the message names the field at fault."""


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    options: tuple[Option, ...]
    scored: bool = True
    asked_if_any_above: int | None = None

    @property
    def values(self) -> frozenset[int]:
        return frozenset(option.value for option in self.options)

    def label_of(self, value: int) -> str:
        for option in self.options:
            if option.value == value:
                return option.label
        return str(value)


@dataclass(frozen=True)
class Wording:
    """One language's words for a questionnaire, as published."""

    language: str
    title: str
    instructions: str
    items: tuple[Item, ...]
    copyright: str
    period: str = ""


@dataclass(frozen=True)
class Band:
    key: str
    low: int
    high: int
    label: str
    level: str = "routine"

    def holds(self, total: int) -> bool:
        return self.low <= total <= self.high


@dataclass(frozen=True)
class SafetyItem:
    item: str
    above: int
    reason: str


@dataclass(frozen=True)
class Questionnaire:
    key: str
    name: str
    about: str
    multiplier: int
    higher_is_better: bool
    bands: tuple[Band, ...]
    languages: Mapping[str, Wording]
    source: str
    bands_source: str = ""
    reliable_change_points: int | None = None
    reliable_change_source: str = ""
    safety_items: tuple[SafetyItem, ...] = ()
    built_in: bool = True

    @property
    def items(self) -> tuple[Item, ...]:
        """The items (keys, values, whether scored) as the first language has them."""
        return self.wording("en").items

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.scored)

    @property
    def lowest(self) -> int:
        return sum(min(item.values) for item in self.scored_items) * self.multiplier

    @property
    def highest(self) -> int:
        return sum(max(item.values) for item in self.scored_items) * self.multiplier

    def wording(self, language: str) -> Wording:
        """The wording in ``language`` (``de-CH`` uses ``de``), else English, else the first."""
        base = (language or "en").split("-", 1)[0].lower()
        if base in self.languages:
            return self.languages[base]
        if "en" in self.languages:
            return self.languages["en"]
        return next(iter(self.languages.values()))

    def item(self, key: str) -> Item | None:
        for item in self.items:
            if item.key == key:
                return item
        return None


def _text(data: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise QuestionnaireError(f"{where}{name}: expected text")
    return value.strip()


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise QuestionnaireError(f"{where}: expected a whole number, got {value!r}")
    return value


def _options(raw: Any, where: str) -> tuple[Option, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        raise QuestionnaireError(f"{where}: expected a list of at least two answer options")
    options = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise QuestionnaireError(f"{where}[{i}]: expected an object")
        options.append(
            Option(
                _int(entry.get("value"), f"{where}[{i}].value"),
                _text(entry, "label", f"{where}[{i}]."),
            )
        )
    if len({option.value for option in options}) != len(options):
        raise QuestionnaireError(f"{where}: two options have the same value")
    return tuple(options)


def _wording(language: str, raw: Any) -> Wording:
    where = f"languages.{language}."
    if not isinstance(raw, dict):
        raise QuestionnaireError(f"{where[:-1]}: expected an object")
    options = _options(raw.get("options"), f"{where}options")
    raw_items = raw.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise QuestionnaireError(f"{where}items: expected a list of items")
    items = []
    for i, entry in enumerate(raw_items):
        item_where = f"{where}items[{i}]."
        if not isinstance(entry, dict):
            raise QuestionnaireError(f"{item_where[:-1]}: expected an object")
        condition = entry.get("asked_if_any_above")
        items.append(
            Item(
                key=_text(entry, "key", item_where),
                text=_text(entry, "text", item_where),
                options=(
                    _options(entry["options"], f"{item_where}options")
                    if "options" in entry
                    else options
                ),
                scored=bool(entry.get("scored", True)),
                asked_if_any_above=(
                    None
                    if condition is None
                    else _int(condition, f"{item_where}asked_if_any_above")
                ),
            )
        )
    if len({item.key for item in items}) != len(items):
        raise QuestionnaireError(f"{where}items: two items have the same key")
    return Wording(
        language=language,
        title=_text(raw, "title", where),
        instructions=_text(raw, "instructions", where),
        items=tuple(items),
        copyright=_text(raw, "copyright", where),
        period=_text(raw, "period", where, required=False),
    )


def parse_questionnaire(data: Any, *, built_in: bool = False) -> Questionnaire:
    """A checked ``Questionnaire`` from its JSON document; QuestionnaireError names the fault."""
    if not isinstance(data, dict):
        raise QuestionnaireError("expected a JSON object")
    key = _text(data, "key", "")
    if not set(key) <= KEY_CHARACTERS or len(key) > 30:
        raise QuestionnaireError("key: use up to 30 lower-case letters, digits and _")
    scoring = data.get("scoring") or {}
    if not isinstance(scoring, dict) or scoring.get("method", "sum") != "sum":
        raise QuestionnaireError("scoring.method: only 'sum' is supported")
    multiplier = _int(scoring.get("multiplier", 1), "scoring.multiplier")
    if multiplier < 1:
        raise QuestionnaireError("scoring.multiplier: must be 1 or more")
    higher_is = scoring.get("higher_is", "worse")
    if higher_is not in {"worse", "better"}:
        raise QuestionnaireError("scoring.higher_is: 'worse' or 'better'")
    raw_languages = data.get("languages")
    if not isinstance(raw_languages, dict) or not raw_languages:
        raise QuestionnaireError("languages: expected at least one language")
    languages = {code: _wording(code, raw) for code, raw in raw_languages.items()}
    first = next(iter(languages.values()))
    shape = [(item.key, item.values, item.scored) for item in first.items]
    for wording in languages.values():
        if [(item.key, item.values, item.scored) for item in wording.items] != shape:
            raise QuestionnaireError(
                f"languages.{wording.language}.items: every language needs the same items, "
                "values and scoring"
            )
    raw_change = data.get("reliable_change") or {}
    points = raw_change.get("points") if isinstance(raw_change, dict) else None
    questionnaire = Questionnaire(
        key=key,
        name=_text(data, "name", ""),
        about=_text(data, "about", "", required=False),
        multiplier=multiplier,
        higher_is_better=higher_is == "better",
        bands=_bands(data.get("bands")),
        languages=dict(sorted(languages.items(), key=lambda pair: pair[0] != "en")),
        source=_text(data, "source", ""),
        bands_source=_text(data, "bands_source", "", required=False),
        reliable_change_points=None if points is None else _int(points, "reliable_change.points"),
        reliable_change_source=(
            _text(raw_change, "source", "reliable_change.") if points is not None else ""
        ),
        safety_items=_safety_items(data.get("safety_items") or [], first),
        built_in=built_in,
    )
    _check_bands_cover(questionnaire)
    return questionnaire


def _bands(raw: Any) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        raise QuestionnaireError("bands: expected a list of bands")
    bands = []
    for i, entry in enumerate(raw):
        where = f"bands[{i}]."
        if not isinstance(entry, dict):
            raise QuestionnaireError(f"bands[{i}]: expected an object")
        level = entry.get("level", "routine")
        if level not in LEVELS:
            raise QuestionnaireError(f"{where}level: one of {', '.join(LEVELS)}")
        bands.append(
            Band(
                key=_text(entry, "key", where),
                low=_int(entry.get("from"), f"{where}from"),
                high=_int(entry.get("to"), f"{where}to"),
                label=_text(entry, "label", where),
                level=level,
            )
        )
    return tuple(sorted(bands, key=lambda band: band.low))


def _check_bands_cover(questionnaire: Questionnaire) -> None:
    """Bands must follow each other without gap or overlap from the lowest total to the highest."""
    expected = questionnaire.lowest
    for band in questionnaire.bands:
        if band.low != expected or band.high < band.low:
            raise QuestionnaireError(
                f"bands: {band.key} starts at {band.low}; expected {expected} "
                "(bands must cover every total without gaps or overlaps)"
            )
        expected = band.high + 1
    if expected <= questionnaire.highest:
        raise QuestionnaireError(
            f"bands: totals from {expected} to {questionnaire.highest} fall in no band"
        )


def _safety_items(raw: Any, wording: Wording) -> tuple[SafetyItem, ...]:
    if not isinstance(raw, list):
        raise QuestionnaireError("safety_items: expected a list")
    keys = {item.key for item in wording.items}
    found = []
    for i, entry in enumerate(raw):
        where = f"safety_items[{i}]."
        item = _text(entry, "item", where) if isinstance(entry, dict) else ""
        if item not in keys:
            raise QuestionnaireError(f"{where}item: no item called {item!r}")
        found.append(
            SafetyItem(
                item=item,
                above=_int(entry.get("above", 0), f"{where}above"),
                reason=_text(entry, "reason", where),
            )
        )
    return tuple(found)


def load_questionnaire_text(text: str, *, built_in: bool = False) -> Questionnaire:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise QuestionnaireError(f"not valid JSON: {error}") from error
    return parse_questionnaire(data, built_in=built_in)


@functools.cache
def built_in_questionnaires() -> Mapping[str, Questionnaire]:
    """The bundled questionnaires by key (PHQ-9, GAD-7, WHO-5), read once per process."""
    found = {}
    for path in sorted(BUILT_IN_DIR.glob("*.json")):
        questionnaire = load_questionnaire_text(path.read_text(encoding="utf-8"), built_in=True)
        found[questionnaire.key] = questionnaire
    return found


BUILT_IN_KEYS: Sequence[str] = ("phq9", "gad7", "who5")
