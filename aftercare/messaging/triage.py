"""Classify a client's answer or message as routine, attention, urgent or crisis, with reasons.

Pure Python (no Django): the messaging app calls :func:`classify` for every inbound answer
or message, and the benchmark and tests call it without a database.

The words live in data files, one per language (``triage_words/<language>.txt``), read and
compiled by :mod:`aftercare.messaging.triage_lists` once per language and folder. A
practice can override a language's list, or add a language, with a folder named by
``AFTERCARE_TRIAGE_WORDS_DIR``.

The algorithm, per text:

1. Normalise: Unicode NFKC, case-folded, accents removed, typographic apostrophes made
   plain, keeping a map back to the client's own characters for the reasons.
2. Find every phrase of every section of the client's languages (one precompiled
   alternation per language), then drop matches inside a "not meant" phrase
   ("dying to see you", "less pain").
3. Decide per match whether it is negated: a negation cue ("no", "keine", "pas", "sin")
   among the few words before it in the same clause, or a list that continues a negated
   clause ("no nausea, headaches or rashes").
4. Check the "together" rules (rash + swollen face → urgent) on the un-negated matches.
5. Add the non-word rules: a score drop of 3+ points, a very low score, side effects
   given in the side-effects field, "contact me" ticked.
6. The level is the highest any rule reached; reasons are ordered from the most serious.
"""

from __future__ import annotations

import bisect
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aftercare.messaging.triage_lists import (
    BUILTIN_WORDS_DIR,
    LEVEL_RANK,
    LEVELS,
    Vocabulary,
    WordListError,
    _normalise_with_map,
    _Phrase,
    check_words_dir,
    load_word_list,
    normalise,
    parse_word_list,
)

__all__ = [
    "BUILTIN_WORDS_DIR",
    "LEVELS",
    "Classifier",
    "Match",
    "TriageResult",
    "WordListError",
    "check_words_dir",
    "classify",
    "default_classifier",
    "load_word_list",
    "normalise",
    "parse_word_list",
]

WORDS_DIR_SETTING = "AFTERCARE_TRIAGE_WORDS_DIR"

# A drop of this many points from the client's last score needs a person's attention.
SCORE_DROP_POINTS = 3
# A score this low (of 10) needs attention even without an earlier one to compare with.
LOW_SCORE = 2
MAX_SCORE = 10
# How many words before a phrase a negation cue may stand ("I have not had any nausea").
NEGATION_WINDOW_WORDS = 4
# How many words after a phrase a resolution cue may stand ("the rash has cleared up").
NEGATION_AFTER_WINDOW_WORDS = 3
# The side-effects field is quoted in the reason up to this many characters.
QUOTE_CHARS = 60

SIDE_EFFECTS_LABEL = "side effects"


@dataclass(frozen=True)
class Match:
    """One phrase of a word list found in the client's words."""

    label: str  # the section's reason label, e.g. "side effects", "crisis language"
    level: str  # the level this match raises the answer to ("routine" when negated away)
    phrase: str  # the client's own words, as written
    pattern: str  # the word-list line that matched
    language: str
    source: str  # "text" or "side effects" (the check-in's side-effects field)
    start: int  # offsets in the source string
    end: int
    negated: bool = False


@dataclass(frozen=True)
class TriageResult:
    level: str
    reasons: tuple[str, ...]
    matches: tuple[Match, ...]


# --- the classifier ------------------------------------------------------------------------


class Classifier:
    """Word lists of every language, compiled on first use and kept."""

    def __init__(self, words_dir: Path | str | None = None) -> None:
        self.words_dir = Path(words_dir) if words_dir else None
        self._vocabularies: dict[str, Vocabulary | None] = {}
        self._lock = threading.Lock()

    def available_languages(self) -> list[str]:
        """Languages with a word list: the built-in ones plus any in the override folder."""
        folders = [BUILTIN_WORDS_DIR, *([self.words_dir] if self.words_dir else [])]
        return sorted({path.stem for folder in folders for path in folder.glob("*.txt")})

    def vocabulary(self, language: str) -> Vocabulary | None:
        """The compiled list for ``language`` ("de-CH" uses "de"), or None when there is none."""
        code = language.strip().lower().replace("_", "-").split("-")[0]
        if code in self._vocabularies:
            return self._vocabularies[code]
        with self._lock:
            if code not in self._vocabularies:
                self._vocabularies[code] = self._load(code)
        return self._vocabularies[code]

    def _load(self, code: str) -> Vocabulary | None:
        if not re.fullmatch(r"[a-z]{2,3}", code):
            return None
        for folder in (self.words_dir, BUILTIN_WORDS_DIR):
            if folder is not None and (folder / f"{code}.txt").is_file():
                return Vocabulary(load_word_list(folder / f"{code}.txt", language=code))
        return None

    def classify(
        self,
        text: str,
        *,
        languages: Sequence[str] = ("en",),
        score: int | None = None,
        previous_score: int | None = None,
        side_effects: str = "",
        contact_me: bool = False,
    ) -> TriageResult:
        """Classify one answer or message; see the module docstring for the steps."""
        _check_score("score", score)
        _check_score("previous_score", previous_score)
        vocabularies = []
        for language in dict.fromkeys(languages):
            vocabulary = self.vocabulary(language)
            if vocabulary is not None and vocabulary not in vocabularies:
                vocabularies.append(vocabulary)

        findings: list[tuple[int, str]] = []  # (level rank, reason)
        matches: list[Match] = []

        text_matches = _find(text or "", "text", vocabularies)
        matches.extend(text_matches)

        side_text = (side_effects or "").strip()
        if side_text:
            side_matches = _find(side_text, "side effects", vocabularies)
            matches.extend(side_matches)
            if not _is_no_answer(side_text, side_matches, vocabularies):
                reported = any(
                    match.label == SIDE_EFFECTS_LABEL and not match.negated
                    for match in side_matches
                )
                if not reported:
                    quoted = side_text if len(side_text) <= QUOTE_CHARS else side_text[:57] + "…"
                    findings.append(
                        (LEVEL_RANK["attention"], f"{SIDE_EFFECTS_LABEL} reported: '{quoted}'")
                    )

        findings.extend(_word_findings(matches))
        findings.extend(_together_findings(text or "", side_text, matches, vocabularies))

        if score is not None and previous_score is not None:
            drop = previous_score - score
            if drop >= SCORE_DROP_POINTS:
                findings.append(
                    (
                        LEVEL_RANK["attention"],
                        f"score dropped {drop} points ({previous_score} → {score})",
                    )
                )
        if score is not None and score <= LOW_SCORE:
            findings.append((LEVEL_RANK["attention"], f"very low score ({score} of {MAX_SCORE})"))
        if contact_me:
            findings.append((LEVEL_RANK["attention"], "asked to be contacted"))

        rank = max((found_rank for found_rank, _ in findings), default=0)
        ordered = sorted(enumerate(findings), key=lambda item: (-item[1][0], item[0]))
        reasons = tuple(dict.fromkeys(reason for _, (_, reason) in ordered))
        return TriageResult(level=LEVELS[rank], reasons=reasons, matches=tuple(matches))


def _check_score(name: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SCORE:
        raise ValueError(f"{name}: expected a whole number from 0 to {MAX_SCORE}, got {value!r}")


def _find(text: str, source: str, vocabularies: Sequence[Vocabulary]) -> list[Match]:
    """Steps 1–3: every phrase found in ``text``, each marked negated or not."""
    if not text:
        return []
    normal, index = _normalise_with_map(text)
    found: list[Match] = []
    # Spans already read, per label, by a language that looked more like the text's own.
    taken: dict[str, list[tuple[int, int]]] = {}
    if len(vocabularies) > 1:
        vocabularies = sorted(vocabularies, key=lambda vocabulary: -_evidence(vocabulary, normal))
    for vocabulary in vocabularies:
        if vocabulary.finder is None:
            continue
        hits = [
            hit
            for hit in _overlapping_hits(vocabulary, normal)
            if not _overlaps(hit[0], hit[1], taken.get(hit[2].label, ()))
        ]
        if not hits:
            continue
        if vocabulary.not_meant is not None:
            spans = [(m.start(), m.end()) for m in vocabulary.not_meant.finditer(normal)]
            hits = [hit for hit in hits if not _overlaps(hit[0], hit[1], spans)]
        if not hits:
            continue
        found_breaks = list(vocabulary.clause_break.finditer(normal))
        breaks = [m.end() for m in found_breaks]
        break_starts = [m.start() for m in found_breaks]
        negated_clauses: set[int] = set()
        done: list[tuple[int, int]] = []
        for start, end, phrase in hits:
            clause = bisect.bisect_right(breaks, start)
            clause_start = breaks[clause - 1] if clause else 0
            cue_start = _negation_cue(vocabulary, normal, clause_start, start)
            continues = clause in negated_clauses or (
                clause - 1 in negated_clauses and normal[clause_start - 1] == ","
            )
            if cue_start is None and continues:
                # "no nausea, headaches or rashes": a bare list continues the negation.
                between = _cut(normal, clause_start, start, done)
                if _is_bare_list(vocabulary, between):
                    cue_start = start
            done.append((start, end))
            if cue_start is not None:
                negated_clauses.add(clause)
            quote_start = cue_start if cue_start is not None else start
            quote_end = end
            if cue_start is None:
                next_break = bisect.bisect_left(break_starts, end)
                clause_end = break_starts[next_break] if next_break < len(breaks) else len(normal)
                cue_end = _negation_after(vocabulary, normal, end, clause_end)
                if cue_end is not None:
                    cue_start, quote_end = start, cue_end
                    negated_clauses.add(clause)
            original_start = index[quote_start] if index else quote_start
            original_end = index[quote_end] if index else quote_end
            found.append(
                Match(
                    label=phrase.label,
                    level=phrase.negated_level if cue_start is not None else phrase.level,
                    phrase=text[original_start:original_end],
                    pattern=phrase.pattern,
                    language=vocabulary.language,
                    source=source,
                    start=original_start,
                    end=original_end,
                    negated=cue_start is not None,
                )
            )
        for start, end, phrase in hits:
            taken.setdefault(phrase.label, []).append((start, end))
    found.sort(key=lambda match: match.start)
    return found


def _evidence(vocabulary: Vocabulary, normal: str) -> int:
    """How much ``normal`` looks like this language: its negations, joiners and clause words.

    When two languages both know a phrase ("suicid*" in English and French), the one whose
    little words the text uses reads it, so "je ne suis pas suicidaire" is negated by the
    French list even when English is listed first.
    """
    count = 0
    for pattern in (vocabulary.negation, vocabulary.list_joiner, vocabulary.clause_break):
        if pattern is not None:
            count += sum(1 for hit in pattern.finditer(normal) if hit.group().strip(".;!?:,()- \n"))
    return count


def _overlapping_hits(vocabulary: Vocabulary, normal: str) -> list[tuple[int, int, _Phrase]]:
    """The longest phrase starting at each word, minus phrases inside an earlier one.

    A plain ``finditer`` would let "forte douleur" swallow "douleur à la poitrine"; a
    phrase fully inside another ("worse" in "much worse") adds nothing and is dropped.
    """
    assert vocabulary.finder is not None  # noqa: S101 - checked by the caller
    hits: list[tuple[int, int, _Phrase]] = []
    position = 0
    while hit := vocabulary.finder.search(normal, position):
        if hit.lastgroup and not any(hit.end() <= end for _, end, _ in hits):
            hits.append((hit.start(), hit.end(), vocabulary.phrases[int(hit.lastgroup[1:])]))
        # Phrases begin at a word boundary, so searching on from the next character is enough.
        position = hit.start() + 1
    return hits


def _cut(normal: str, start: int, end: int, spans: Sequence[tuple[int, int]]) -> str:
    """``normal[start:end]`` with the phrases already found in it blanked out."""
    chars = list(normal[start:end])
    for span_start, span_end in spans:
        for position in range(max(span_start, start), min(span_end, end)):
            chars[position - start] = " "
    return "".join(chars)


def _overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < span_end and span_start < end for span_start, span_end in spans)


_WORD = re.compile(r"\w+(?:'\w+)?")


def _negation_cue(vocabulary: Vocabulary, normal: str, clause_start: int, start: int) -> int | None:
    """Where a negation cue starts among the few words before ``start`` in its clause.

    A phrase that is itself negative ("not good", "pas bien") is not negated again by the
    first half of the same negation ("je ne vais pas bien").
    """
    if vocabulary.negation is None or vocabulary.negation.match(normal, start):
        return None
    words = list(_WORD.finditer(normal, clause_start, start))
    if not words:
        return None
    window_start = words[-NEGATION_WINDOW_WORDS:][0].start()
    cue = vocabulary.negation.search(normal, window_start, start)
    return cue.start() if cue else None


def _negation_after(vocabulary: Vocabulary, normal: str, end: int, clause_end: int) -> int | None:
    """Where a cue such as "has gone" ends among the few words after a phrase ("rash has gone")."""
    if vocabulary.negation_after is None:
        return None
    words = list(_WORD.finditer(normal, end, clause_end))[:NEGATION_AFTER_WINDOW_WORDS]
    if not words:
        return None
    # The cue starts within the window but may reach further: "hat nach drei Tagen aufgehört".
    cue = vocabulary.negation_after.search(normal, end, clause_end)
    return cue.end() if cue and cue.start() < words[-1].end() else None


def _is_bare_list(vocabulary: Vocabulary, between: str) -> bool:
    """True when only list words ("or", "and", "oder") stand between a comma and a phrase."""
    rest = between
    if vocabulary.list_joiner is not None:
        rest = vocabulary.list_joiner.sub(" ", rest)
    return not _WORD.search(rest)


def _is_no_answer(text: str, matches: Sequence[Match], vocabularies: Sequence[Vocabulary]) -> bool:
    """True when the side-effects field says "no" ("none", "keine", "nope, all fine")."""
    normal = normalise(text).strip()
    if not re.search(r"\w", normal):
        return True  # "-", "/", "?"
    if any(not match.negated and match.level != "routine" for match in matches):
        return False
    first_word = _WORD.search(normal)
    head = normal[first_word.start() :] if first_word else normal
    for vocabulary in vocabularies:
        for pattern in (vocabulary.no_answer, vocabulary.negation):
            if pattern is not None and pattern.match(head):
                return True
    # "no side effects" in the middle, everything negated: still a no.
    return bool(matches) and all(match.negated for match in matches)


def _word_findings(matches: Sequence[Match]) -> list[tuple[int, str]]:
    """One reason per label and level: "side effects: 'nausea', 'hot sweats'"."""
    grouped: dict[tuple[str, str, bool], list[str]] = {}
    for match in matches:
        if match.level == "routine":
            continue
        key = (match.level, match.label, match.negated)
        quoted = f"'{' '.join(match.phrase.split())}'"
        if quoted not in grouped.setdefault(key, []):
            grouped[key].append(quoted)
    return [
        (LEVEL_RANK[level], f"{'negated ' if negated else ''}{label}: {', '.join(phrases)}")
        for (level, label, negated), phrases in grouped.items()
    ]


def _together_findings(
    text: str, side_text: str, matches: Sequence[Match], vocabularies: Sequence[Vocabulary]
) -> list[tuple[int, str]]:
    """Step 4: rules whose groups all appear, un-negated, in the text and side-effects field."""
    negated_spans: dict[str, list[tuple[int, int]]] = {"text": [], "side effects": []}
    for match in matches:
        if match.negated:
            negated_spans[match.source].append((match.start, match.end))
    findings = []
    sources = [("text", text), ("side effects", side_text)]
    normalised = [(name, *_normalise_with_map(value)) for name, value in sources if value]
    for vocabulary in vocabularies:
        for rule in vocabulary.together:
            quoted = []
            for group in rule.groups:
                hit = _first_unnegated(group, normalised, sources, negated_spans)
                if hit is None:
                    break
                quoted.append(f"'{hit}'")
            else:
                findings.append((LEVEL_RANK[rule.level], f"{rule.label}: {' + '.join(quoted)}"))
    return findings


def _first_unnegated(
    group: re.Pattern[str],
    normalised: Sequence[tuple[str, str, list[int] | None]],
    sources: Sequence[tuple[str, str]],
    negated_spans: dict[str, list[tuple[int, int]]],
) -> str | None:
    originals = dict(sources)
    for name, normal, index in normalised:
        for hit in group.finditer(normal):
            start = index[hit.start()] if index else hit.start()
            end = index[hit.end()] if index else hit.end()
            if not _overlaps(start, end, negated_spans[name]):
                return " ".join(originals[name][start:end].split())
    return None


# --- the module-level API ------------------------------------------------------------------

_classifiers: dict[str, Classifier] = {}
_classifiers_lock = threading.Lock()


def default_classifier() -> Classifier:
    """The classifier for the word lists in use: built-in, overridden by the settings' folder."""
    words_dir = os.environ.get(WORDS_DIR_SETTING, "")
    classifier = _classifiers.get(words_dir)
    if classifier is None:
        with _classifiers_lock:
            classifier = _classifiers.setdefault(words_dir, Classifier(words_dir or None))
    return classifier


def classify(
    text: str,
    *,
    languages: Sequence[str] = ("en",),
    score: int | None = None,
    previous_score: int | None = None,
    side_effects: str = "",
    contact_me: bool = False,
) -> TriageResult:
    """Classify a client's answer or message: routine, attention, urgent or crisis, with reasons.

    ``languages`` are the practice's languages (word lists are tried in each); ``score`` and
    ``previous_score`` are 0–10 wellbeing scores; ``side_effects`` is the check-in's
    side-effects field; ``contact_me`` is the "I'd like you to contact me" box.
    """
    return default_classifier().classify(
        text,
        languages=languages,
        score=score,
        previous_score=previous_score,
        side_effects=side_effects,
        contact_me=contact_me,
    )
