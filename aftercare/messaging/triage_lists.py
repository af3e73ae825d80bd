"""Triage word lists: the file format, its parser, and the compiled per-language matchers.

Pure Python (no Django), used by :mod:`aftercare.messaging.triage`. The format is described
in ``docs/triage.md`` and at the top of ``triage_words/en.txt``: ``[LEVEL: reason label]``
sections of phrases, ``when together`` rules, and special sections (negation cues, clause
breaks, "no" answers, phrases not meant literally). Text and phrases are normalised the same
way (case-folded, accents removed, apostrophes unified), and each language's phrases are
compiled into one regular expression dispatched on the first letter.
"""

from __future__ import annotations

import re
import threading
import typing
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

LEVELS = ("routine", "attention", "urgent", "crisis")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}

BUILTIN_WORDS_DIR = Path(__file__).resolve().parent / "triage_words"

SPECIAL_SECTIONS = (
    "negation",
    "negation after",
    "clause break",
    "no answer",
    "not meant",
    "list joiner",
)

_APOSTROPHES = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "`": "'",
        "\u2032": "'",
        "\u201b": "'",
        "\uff07": "'",
    }
)
_LIGATURES = {"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d"}


class WordListError(ValueError):
    """A word-list file cannot be parsed; the message names the file and the line."""


# --- normalisation -------------------------------------------------------------------------


def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char).translate(_APOSTROPHES).casefold()
    folded = "".join(_LIGATURES.get(c, c) for c in folded)
    decomposed = unicodedata.normalize("NFD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise(text: str) -> str:
    """Case-fold, strip accents and unify apostrophes, as the word lists are matched."""
    return _normalise_with_map(text)[0]


# Every character seen so far -> its folded form; str.translate applies it at C speed.
_FOLDED: dict[int, str] = {}
# Characters whose folded form is not exactly one character ("ß" -> "ss", a lone accent -> "").
_RESIZED: set[str] = set()
_FOLD_LOCK = threading.Lock()
FOLD_CACHE_LIMIT = 20_000


def _normalise_with_map(text: str) -> tuple[str, list[int] | None]:
    """Return the normalised text and, unless it is identical in length, a map to ``text``.

    The map holds, for each normalised character, the index of the character of ``text``
    it came from (plus one sentinel at the end), so reasons quote the client's own words.
    """
    if text.isascii() and "`" not in text:
        return text.lower(), None
    characters = set(text)
    unseen = [char for char in characters if ord(char) not in _FOLDED]
    if len(_FOLDED) + len(unseen) > FOLD_CACHE_LIMIT:
        # Text made of ever new characters must not grow the table without end.
        folded_parts = [_fold_char(char) for char in text]
        index = [position for position, part in enumerate(folded_parts) for _ in part]
        return "".join(folded_parts), [*index, len(text)]
    if unseen:
        with _FOLD_LOCK:
            for char in unseen:
                folded = _fold_char(char)
                if len(folded) != 1:
                    _RESIZED.add(char)
                _FOLDED[ord(char)] = folded
    if characters.isdisjoint(_RESIZED):
        return text.translate(_FOLDED), None
    out: list[str] = []
    index: list[int] = []
    for position, char in enumerate(text):
        folded = _FOLDED[ord(char)]
        out.append(folded)
        index.extend([position] * len(folded))
    index.append(len(text))
    return "".join(out), index


# --- word lists ----------------------------------------------------------------------------

_HEADER = re.compile(r"^\[(?P<name>[^\]]+)\]\s*(?:\((?P<options>[^)]*)\))?\s*$")


@dataclass
class Section:
    kind: str  # "level", "together" or one of SPECIAL_SECTIONS
    level: str = ""
    label: str = ""
    negated_level: str = "routine"
    lines: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class WordList:
    language: str
    path: Path
    sections: list[Section]


def parse_word_list(text: str, *, language: str, path: Path) -> WordList:
    """Parse a word-list file (format in docs/triage.md); raise WordListError naming the line."""
    sections: list[Section] = []
    current: Section | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        where = f"{path}, line {number}"
        header = _HEADER.match(line)
        if header:
            current = _parse_header(header["name"], header["options"], where)
            sections.append(current)
            continue
        if line.startswith("["):
            raise WordListError(f"{where}: a section header looks like [attention: side effects]")
        if current is None:
            raise WordListError(f"{where}: a phrase before the first [section] header")
        try:
            _phrase_pattern(line, together=current.kind == "together")
        except (re.error, ValueError) as error:
            raise WordListError(f"{where}: cannot use {line!r} ({error})") from error
        current.lines.append((number, line))
    return WordList(language=language, path=path, sections=sections)


def _parse_header(name: str, options: str | None, where: str) -> Section:
    name = " ".join(name.split()).lower()
    if name in SPECIAL_SECTIONS:
        if options:
            raise WordListError(f"{where}: [{name}] takes no options")
        return Section(kind=name)
    head, colon, label = name.partition(":")
    head, label = head.strip(), label.strip()
    kind = "level"
    if head.endswith(" when together"):
        kind, head = "together", head.removesuffix(" when together").strip()
    if not colon or head not in LEVELS[1:] or not label:
        raise WordListError(
            f"{where}: unknown section [{name}]; use [attention|urgent|crisis: reason], "
            f"[urgent when together: reason] or one of "
            + ", ".join(f"[{special}]" for special in SPECIAL_SECTIONS)
        )
    section = Section(kind=kind, level=head, label=label)
    if options:
        key, _, value = options.partition(":")
        key, value = key.strip().lower(), value.strip().lower()
        if key != "negated" or value not in LEVELS:
            raise WordListError(
                f"{where}: unknown option ({options}); use (negated: routine|attention|urgent)"
            )
        if LEVEL_RANK[value] >= LEVEL_RANK[head]:
            raise WordListError(f"{where}: a negated phrase must count for less than {head}")
        section.negated_level = value
    return section


# A gap of up to three words that stays inside one sentence.
# Spaces and punctuation between two words of a phrase, within one sentence.
_BETWEEN_WORDS = r"[^\w.!?;\n]+"
GAP_WORD = ".."  # between two words: up to three other words
_GAP = r"[^\w.!?;\n]+(?:\w+[^\w.!?;\n]+){0,3}?"


def _token_pattern(token: str) -> str:
    leading = token.startswith("*")
    trailing = token.endswith("*")
    core = token.strip("*")
    if not core or "*" in core:
        raise ValueError("'*' stands only at the start or end of a word")
    parts = []
    for char in core:
        if char == "'":
            parts.append("'?")
        elif char == "-":
            parts.append(r"[-\s]?")
        else:
            parts.append(re.escape(char))
    return (r"\w*" if leading else "") + "".join(parts) + (r"\w*" if trailing else "")


def _alternative_pattern(phrase: str) -> str:
    tokens = phrase.split()
    if not tokens or GAP_WORD in (tokens[0], tokens[-1]):
        raise ValueError("'..' stands only between two words")
    pieces: list[str] = []
    joiner = _BETWEEN_WORDS
    for token in tokens:
        if token == GAP_WORD:
            joiner = _GAP
            continue
        if pieces:
            pieces.append(joiner)
        pieces.append(_token_pattern(token))
        joiner = _BETWEEN_WORDS
    return r"(?<!\w)" + "".join(pieces) + r"(?!\w)"


def _phrase_pattern(line: str, *, together: bool = False) -> str | list[str]:
    """Turn one word-list line into a regular expression over normalised text.

    A ``together`` line is groups joined by ``+``; it returns one pattern per group.
    """
    if line.startswith("re:"):
        raw = line[3:].strip()
        re.compile(raw)
        return [raw] if together else raw
    text = normalise(line)
    groups = [text] if not together else [group.strip() for group in text.split(" + ")]
    if together and len(groups) < 2:
        raise ValueError("a together rule needs two or more groups joined by ' + '")
    patterns = []
    for group in groups:
        alternatives = [alt.strip() for alt in group.split("|")]
        if any(not alt for alt in alternatives):
            raise ValueError("an empty alternative around '|'")
        compiled = "|".join(_alternative_pattern(alt) for alt in alternatives)
        patterns.append(f"(?:{compiled})")
    return patterns if together else patterns[0]


@dataclass(frozen=True)
class _Phrase:
    label: str
    level: str
    negated_level: str
    pattern: str  # the word-list line


@dataclass(frozen=True)
class _TogetherRule:
    label: str
    level: str
    line: str
    groups: tuple[re.Pattern[str], ...]


class Vocabulary:
    """One language's word list, compiled once."""

    def __init__(self, word_list: WordList) -> None:
        self.language = word_list.language
        self.path = word_list.path
        self.phrases: list[_Phrase] = []
        alternatives: list[tuple[str, str]] = []
        special: dict[str, list[tuple[str, str]]] = {name: [] for name in SPECIAL_SECTIONS}
        together: list[_TogetherRule] = []
        for section in word_list.sections:
            for _number, line in section.lines:
                if section.kind == "together":
                    together.append(
                        _TogetherRule(
                            label=section.label,
                            level=section.level,
                            line=line,
                            groups=tuple(
                                _compile_finder(_patterns(group), also="")
                                for group in _together_groups(line)
                            ),
                        )
                    )
                elif section.kind == "level":
                    for alternative, pattern in _patterns(line):
                        group = f"p{len(self.phrases)}"
                        self.phrases.append(
                            _Phrase(
                                section.label, section.level, section.negated_level, alternative
                            )
                        )
                        alternatives.append((alternative, f"(?P<{group}>{pattern})"))
                else:
                    special[section.kind].extend(_patterns(line))
        self.finder = _compile_finder(alternatives)
        self.not_meant = _compile_finder(special["not meant"])
        self.negation = _compile_finder(special["negation"])
        self.negation_after = _compile_finder(special["negation after"])
        self.no_answer = _compile_finder(special["no answer"])
        self.clause_break = _compile_finder(special["clause break"], also=r"[.;!?:\n()]|\s-\s|,")
        self.list_joiner = _compile_finder(special["list joiner"])
        self.together = tuple(together)


def _patterns(line: str) -> list[tuple[str, str]]:
    """Each "|" alternative of a word-list line with its regular expression."""
    result = []
    for alternative in _alternatives(line):
        pattern = _phrase_pattern(alternative)
        assert isinstance(pattern, str)  # noqa: S101 - narrowed for mypy
        result.append((alternative, pattern))
    return result


def _together_groups(line: str) -> list[str]:
    """The " + " groups of a together rule (checked at parse time)."""
    if line.startswith("re:"):
        return [line]
    return [group.strip() for group in line.split(" + ")]


@typing.overload
def _compile_finder(alternatives: Sequence[tuple[str, str]], also: str) -> re.Pattern[str]: ...
@typing.overload
def _compile_finder(
    alternatives: Sequence[tuple[str, str]], also: None = None
) -> re.Pattern[str] | None: ...
def _compile_finder(
    alternatives: Sequence[tuple[str, str]], also: str | None = None
) -> re.Pattern[str] | None:
    """One regular expression for many phrases, dispatched on the first letter.

    Python's ``re`` tries every branch of an alternation at every position; a lookahead
    on the first letter skips all but a handful of branches at once, which makes the
    search about ten times faster than a flat alternation of a few hundred phrases.
    ``also`` is one more branch, tried everywhere (punctuation for clause breaks).
    """
    if not alternatives and also is None:
        return None
    by_first: dict[str, list[tuple[str, str]]] = {}
    for alternative, pattern in alternatives:
        first = normalise(alternative)[:1]
        key = first if first.isalnum() and not alternative.startswith("re:") else ""
        by_first.setdefault(key, []).append((alternative, pattern))
    branches = []
    for first, items in sorted(by_first.items()):
        # Longer phrases first, so "much worse" wins over "worse" at one place.
        items.sort(key=lambda item: -len(item[0]))
        union = "|".join(pattern for _, pattern in items)
        branches.append(f"(?={re.escape(first)})(?:{union})" if first else f"(?:{union})")
    words = r"(?<!\w)(?:" + "|".join(branches) + ")" if branches else ""
    return re.compile("|".join(part for part in (words, also) if part))


def _alternatives(line: str) -> list[str]:
    """The "|" alternatives of a line, each its own phrase (a raw "re:" line stays whole)."""
    if line.startswith("re:"):
        return [line]
    return [alternative.strip() for alternative in line.split("|")]


def load_word_list(path: Path, *, language: str | None = None) -> WordList:
    """Read and parse one word-list file; raise WordListError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise WordListError(f"{path}: cannot read the word list ({error})") from error
    return parse_word_list(text, language=language or path.stem, path=path)


def check_words_dir(folder: Path) -> list[str]:
    """Parse every ``*.txt`` list in ``folder``; return the languages; raise WordListError."""
    if not folder.is_dir():
        raise WordListError(f"{folder}: not a folder")
    languages = []
    for path in sorted(folder.glob("*.txt")):
        load_word_list(path)
        languages.append(path.stem)
    return languages
