"""Tests for aftercare/messaging/triage.py: rules, negation, word lists, the labelled set."""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftercare import config
from aftercare.messaging import triage, triage_lists
from aftercare.messaging.triage import LEVELS, Classifier, WordListError, classify

CASES = Path(__file__).resolve().parents[3] / "benchmarks" / "triage_cases.csv"


def level_of(text: str, languages: tuple[str, ...] = ("en",), **kwargs: object) -> str:
    return classify(text, languages=languages, **kwargs).level  # type: ignore[arg-type]


# --- the rules --------------------------------------------------------------------------------


def test_a_quiet_answer_is_routine() -> None:
    result = classify("Feeling much better this week, thank you. See you on the 12th.", score=8)
    assert result.level == "routine"
    assert result.reasons == ()


def test_the_demo_answer_is_attention_for_side_effects() -> None:
    result = classify("hot sweats and nausea since the new tablets")
    assert result.level == "attention"
    assert result.reasons[0].startswith("side effects")
    assert "'hot sweats'" in result.reasons[0]
    assert "'nausea'" in result.reasons[0]


def test_a_drop_of_three_points_needs_attention_and_says_by_how_much() -> None:
    result = classify("ok", score=3, previous_score=7)
    assert result.level == "attention"
    assert result.reasons == ("score dropped 4 points (7 → 3)",)


def test_a_drop_of_two_points_or_a_rise_is_routine() -> None:
    assert level_of("ok", score=5, previous_score=7) == "routine"
    assert level_of("ok", score=9, previous_score=4) == "routine"
    assert level_of("ok", score=6) == "routine"


def test_a_very_low_score_needs_attention_without_an_earlier_one() -> None:
    result = classify("", score=1)
    assert result.level == "attention"
    assert result.reasons == ("very low score (1 of 10)",)


def test_contact_me_needs_attention() -> None:
    result = classify("", contact_me=True)
    assert (result.level, result.reasons) == ("attention", ("asked to be contacted",))


def test_the_side_effects_field_counts_unless_it_says_no() -> None:
    reported = classify("", side_effects="my toes feel funny at night")
    assert reported.level == "attention"
    assert reported.reasons == ("side effects reported: 'my toes feel funny at night'",)
    for answer in ("no", "None", "Nope, all good", "nothing new", "-", "Keine", "nein", "aucun",
                   "Rien", "ninguno", "Nada, todo bien", "no side effects at all"):  # fmt: skip
        result = classify("", languages=("en", "de", "fr", "es"), side_effects=answer)
        assert result.level == "routine", answer


def test_side_effect_words_in_the_field_are_named() -> None:
    result = classify("", side_effects="None really, but a bit dizzy in the mornings")
    assert result.level == "attention"
    assert result.reasons == ("side effects: 'dizzy'",)


def test_a_long_side_effects_field_is_shortened_in_the_reason() -> None:
    result = classify("", side_effects="my toes " * 20)
    assert len(result.reasons[0]) < 90
    assert result.reasons[0].endswith("…'")


def test_rash_alone_is_attention_but_with_a_swollen_face_it_is_urgent() -> None:
    assert level_of("I have a rash on my arms") == "attention"
    result = classify("Got a rash on my neck this morning and now my face is swelling up")
    assert result.level == "urgent"
    assert result.reasons[0] == "allergic reaction: 'rash' + 'face is swelling'"


def test_swelling_with_trouble_breathing_is_crisis() -> None:
    assert level_of("my lips are swollen and it is hard to breathe") == "crisis"


def test_worsening_is_attention_and_much_worse_is_urgent() -> None:
    assert level_of("The back pain is getting worse, not better") == "attention"
    assert level_of("My knee is much worse since Tuesday") == "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "I keep thinking about suicide",
        "Honestly I just want to die",
        "I have been cutting myself again",
        "I took too many of the sleeping tablets last night",
        "I think I overdosed",
        "bad chest pain since this morning",
        "I can't breathe properly",
        "I can’t breathe properly",
        "I CANNOT BREATHE",
        "i cant breathe",
        "everyone would be better off without me",
    ],
)
def test_crisis_language_is_crisis(text: str) -> None:
    result = classify(text)
    assert result.level == "crisis"
    assert result.reasons[0].startswith("crisis language: '")


def test_the_reason_quotes_the_clients_own_words() -> None:
    result = classify("I can’t breathe")
    assert result.reasons == ("crisis language: 'can’t breathe'",)
    match = result.matches[0]
    assert "I can’t breathe"[match.start : match.end] == "can’t breathe"


# --- negation, boundaries, false friends ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "no side effects",
        "No side effects so far!",
        "not worse",
        "I don't feel any worse than last week",
        "No nausea, headaches or dizziness",
        "I haven't had any headaches",
        "the rash has cleared up",
        "The nausea went away after two days",
        "no chest pain anymore",
        "Dying to see you next week!",
        "My therapist says I'm doing well",
        "I can't breathe through my nose with this cold, otherwise fine",
        "Much less pain than before",
        "Could be worse, honestly doing ok",
    ],
)
def test_negated_and_harmless_phrases_are_routine(text: str) -> None:
    assert level_of(text) == "routine", classify(text).reasons


def test_a_negation_stops_at_the_end_of_its_clause() -> None:
    result = classify("No nausea but I have a rash now")
    assert (result.level, result.reasons) == ("attention", ("side effects: 'rash'",))
    assert level_of("Not really, I feel worse") == "attention"


def test_negated_suicide_language_still_gets_a_persons_attention() -> None:
    result = classify("I'm not suicidal, just exhausted by all this")
    assert result.level == "attention"
    assert "negated crisis language: 'not suicidal'" in result.reasons


def test_word_boundaries_keep_the_rapist_out_of_the_therapist() -> None:
    assert level_of("I saw the therapist on Monday") == "routine"
    assert level_of("He is a rapist") == "crisis"


# --- languages --------------------------------------------------------------------------------


def test_languages_are_matched_with_their_own_lists() -> None:
    assert level_of("Ich will nicht mehr leben", ("de",)) == "crisis"
    assert level_of("Ich will nicht mehr leben", ("en",)) == "routine"
    assert level_of("Ich will nicht mehr leben", ("en", "de")) == "crisis"
    assert level_of("Ich will nicht mehr leben", ("de-CH",)) == "crisis"


@pytest.mark.parametrize(
    ("language", "text", "level", "reason"),
    [
        ("de", "Hitzewallungen und Übelkeit seit den neuen Tabletten", "attention", "side effects"),
        ("de", "Keine Nebenwirkungen, alles gut", "routine", ""),
        ("de", "Es ist nicht schlimmer geworden", "routine", ""),
        ("de", "Ausschlag am Arm und das Gesicht ist geschwollen", "urgent", "allergic reaction"),
        ("de", "Ich bekomme keine Luft", "crisis", "crisis language"),
        (
            "de",
            "Ich bin nicht suizidgefährdet, keine Sorge",
            "attention",
            "negated crisis language",
        ),
        ("fr", "Bouffées de chaleur et nausées depuis les comprimés", "attention", "side effects"),
        ("fr", "Pas de douleur depuis lundi", "routine", ""),
        ("fr", "Pas de douleur thoracique, juste un peu fatiguée", "attention", "side effects"),
        ("fr", "Je ne vais pas bien", "attention", "worsening"),
        ("fr", "J’ai envie de mourir", "crisis", "crisis language"),
        ("fr", "Je meurs d'envie de vous revoir", "routine", ""),
        ("es", "Sofocos y náuseas desde las pastillas nuevas", "attention", "side effects"),
        ("es", "Sin efectos secundarios", "routine", ""),
        ("es", "Ronchas en el cuello y la cara hinchada", "urgent", "allergic reaction"),
        ("es", "No puedo respirar", "crisis", "crisis language"),
        ("es", "¡Me muero de ganas de verte!", "routine", ""),
        ("nl", "Opvliegers en misselijk sinds de nieuwe pillen", "attention", "side effects"),
        ("nl", "Geen bijwerkingen tot nu toe", "routine", ""),
        ("nl", "De hoofdpijn is weg", "routine", ""),
        ("nl", "Uitslag en mijn gezicht is opgezwollen", "urgent", "allergic reaction"),
        ("nl", "Ik krijg geen lucht", "crisis", "crisis language"),
        ("nl", "Ik ben doodmoe van de verhuizing", "routine", ""),
    ],
)
def test_each_rule_works_in_other_languages(
    language: str, text: str, level: str, reason: str
) -> None:
    result = classify(text, languages=(language,))
    assert result.level == level, result.reasons
    if reason:
        assert result.reasons[0].startswith(reason), result.reasons


def test_accents_and_casing_do_not_matter() -> None:
    for text in ("ÜBELKEIT", "ubelkeit", "Uebelkeit", "übelkeit"):
        assert level_of(text, ("de",)) == "attention", text
    for text in ("NAUSÉES", "nausees", "Nausées"):
        assert level_of(text, ("fr",)) == "attention", text
    decomposed = "naus\u0065\u0301e"  # "nausée" typed with a combining accent
    result = classify(decomposed, languages=("fr",))
    assert result.level == "attention"
    assert result.matches[0].phrase == decomposed


def test_a_phrase_two_languages_share_is_read_by_the_language_the_text_is_in() -> None:
    # "suicid*" is in the English and the French list; only French knows "ne … pas".
    for languages in (("en", "fr"), ("fr", "en")):
        result = classify("Je ne suis pas suicidaire, juste épuisée.", languages=languages)
        assert result.level == "attention", languages
        assert result.reasons[0].startswith("negated crisis language")
    assert level_of("I am not suicidal", ("fr", "es", "en")) == "attention"
    assert level_of("je suis suicidaire", ("en", "fr")) == "crisis"


def test_a_language_without_a_list_is_skipped_and_the_other_rules_still_apply() -> None:
    result = classify("anything", languages=("xx", "tlh"), contact_me=True)
    assert result.level == "attention"


def test_bad_scores_are_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"^score: expected a whole number from 0 to 10"):
        classify("", score=11)
    with pytest.raises(ValueError, match=r"^previous_score:"):
        classify("", score=3, previous_score=-1)


@given(
    st.text(max_size=200),
    st.sampled_from([("en",), ("de", "fr"), ("es", "nl")]),
    st.text(max_size=40),
)
def test_any_text_gets_a_level_and_reasons_quoting_the_clients_words(
    text: str, languages: tuple[str, ...], side_effects: str
) -> None:
    result = classify(text, languages=languages, side_effects=side_effects)
    assert result.level in LEVELS
    assert (result.level == "routine") == (result.reasons == ())
    for match in result.matches:
        source = text if match.source == "text" else side_effects.strip()
        assert 0 <= match.start <= match.end <= len(source)
        assert source[match.start : match.end] == match.phrase


@given(
    st.text(max_size=80),
    st.text(max_size=80),
    st.sampled_from(["I can’t breathe", "I CANNOT BREATHE", "i cant breathe", "suicidal"]),
)
def test_a_crisis_sentence_is_crisis_whatever_surrounds_it(
    before: str, after: str, sentence: str
) -> None:
    text = f"{before}. {sentence}. {after}"
    result = classify(text)
    assert result.level == "crisis", (text, result.reasons)


def test_the_result_is_frozen() -> None:
    result = classify("fine")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.level = "crisis"  # type: ignore[misc]


# --- word-list files --------------------------------------------------------------------------


def test_a_folder_of_overriding_lists_replaces_a_language(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "en.txt").write_text(
        "# our practice's words\n[urgent: practice word]\nbanana* # we mean it\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("AFTERCARE_TRIAGE_WORDS_DIR", str(tmp_path))
    result = classify("Bananas again")
    assert (result.level, result.reasons) == ("urgent", ("practice word: 'Bananas'",))
    assert classify("nausea").level == "routine"  # the built-in English list is replaced
    assert classify("Übelkeit", languages=("de",)).level == "attention"  # others stay
    monkeypatch.delenv("AFTERCARE_TRIAGE_WORDS_DIR")
    assert classify("Bananas again").level == "routine"


def test_the_setting_is_checked_at_start_naming_the_variable_file_and_line(tmp_path: Path) -> None:
    env = {"AFTERCARE_DATA_DIR": str(tmp_path / "data"), "AFTERCARE_SECRET_KEY": "x" * 40}
    words = tmp_path / "words"
    words.mkdir()
    (words / "en.txt").write_text("[attention: ok]\nfine\n[serious: nope]\nx\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match=r"AFTERCARE_TRIAGE_WORDS_DIR: .*en.txt, line 3"):
        config.load({**env, "AFTERCARE_TRIAGE_WORDS_DIR": str(words)})
    with pytest.raises(config.ConfigError, match=r"AFTERCARE_TRIAGE_WORDS_DIR: .* is not a folder"):
        config.load({**env, "AFTERCARE_TRIAGE_WORDS_DIR": str(tmp_path / "missing")})
    (words / "en.txt").write_text("[attention: ok]\nfine\n", encoding="utf-8")
    loaded = config.load({**env, "AFTERCARE_TRIAGE_WORDS_DIR": str(words)})
    assert loaded.triage_words_dir == words.resolve()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("nausea\n", "line 1: a phrase before the first"),
        ("[attention: x]\nfoo | \n", "line 2: cannot use"),
        ("[attention: x]\nfo*o\n", "line 2: cannot use"),
        ("[attention: x]\n.. foo\n", "line 2: cannot use"),
        ("[crisis: x] (negated: crisis)\nfoo\n", "line 1: a negated phrase"),
        ("[urgent when together: x]\nfoo\n", "line 2: cannot use"),
        ("[negation] (negated: routine)\n", "line 1: .negation. takes no options"),
        ("[attention: x]\nre: (\n", "line 2: cannot use"),
        ("[attention x]\n", "line 1: unknown section"),
    ],
)
def test_a_bad_word_list_names_the_line(content: str, error: str) -> None:
    with pytest.raises(WordListError, match=error):
        triage.parse_word_list(content, language="en", path=Path("en.txt"))


def test_every_built_in_list_parses_and_has_every_section() -> None:
    languages = triage.check_words_dir(triage.BUILTIN_WORDS_DIR)
    assert {"en", "de", "fr", "es", "nl"} <= set(languages)
    for language in languages:
        vocabulary = Classifier().vocabulary(language)
        assert vocabulary is not None
        levels = {phrase.level for phrase in vocabulary.phrases}
        assert levels == {"attention", "urgent", "crisis"}, language
        assert vocabulary.negation is not None, language
        assert vocabulary.no_answer is not None, language
        assert vocabulary.together, language


# --- the labelled set -------------------------------------------------------------------------

# Measured on benchmarks/triage_cases.csv (see docs/triage.md); the floors leave a little
# room so a practice-sized edit of a list does not fail the suite, except crisis recall.
MIN_ACCURACY = 0.95
MIN_PRECISION = 0.90
MIN_RECALL = 0.90


def read_cases() -> list[dict[str, str]]:
    with CASES.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


CLASSIFIER = Classifier()  # the built-in lists, whatever AFTERCARE_TRIAGE_WORDS_DIR says


def run_case(row: dict[str, str]) -> triage.TriageResult:
    return CLASSIFIER.classify(
        row["text"],
        languages=(row["language"],),
        score=int(row["score"]) if row["score"] else None,
        previous_score=int(row["previous_score"]) if row["previous_score"] else None,
        side_effects=row["side_effects"],
        contact_me=row["contact_me"] == "yes",
    )


def test_the_labelled_set_is_big_varied_and_well_formed() -> None:
    rows = read_cases()
    assert len(rows) >= 400
    languages = {row["language"] for row in rows}
    assert {"en", "de", "fr", "es", "nl"} <= languages
    for row in rows:
        assert row["expected_level"] in LEVELS, row
        assert row["set"] in {"tuning", "held-out"}, row
        assert (row["expected_level"] == "routine") == (row["expected_reasons"] == ""), row
    for level in LEVELS:
        for language in ("en", "de", "fr", "es", "nl"):
            assert any(
                row["expected_level"] == level and row["language"] == language for row in rows
            ), (level, language)


def test_the_labelled_set_meets_the_stated_precision_and_recall() -> None:
    rows = read_cases()
    got = [run_case(row) for row in rows]
    correct = sum(
        result.level == row["expected_level"] for row, result in zip(rows, got, strict=True)
    )
    assert correct / len(rows) >= MIN_ACCURACY
    for level in LEVELS:
        expected = [row["expected_level"] == level for row in rows]
        predicted = [result.level == level for result in got]
        hits = sum(e and p for e, p in zip(expected, predicted, strict=True))
        recall = hits / sum(expected)
        precision = hits / sum(predicted) if any(predicted) else 1.0
        assert recall >= MIN_RECALL, (level, recall)
        assert precision >= MIN_PRECISION, (level, precision)
    missed_crisis = [
        row["text"]
        for row, result in zip(rows, got, strict=True)
        if row["expected_level"] == "crisis" and result.level != "crisis"
    ]
    assert missed_crisis == []  # crisis recall is 1.0: the one level that must never miss


def test_the_labelled_set_meets_the_issues_targets() -> None:
    spec = importlib.util.spec_from_file_location("bench_triage", CASES.parent / "bench_triage.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = read_cases()
    figures = bench.target_figures(rows, [run_case(row) for row in rows])
    assert figures["crisis recall"] == 1.0
    assert figures["attention-or-higher recall"] >= 0.95
    assert figures["routine falsely flagged"] <= 0.05


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Lately I want to go to sleep and never wake up again."),
        ("en", "My family would be happier without me, I'm such a burden to them."),
        ("en", "I've sorted out my will and I'm giving all my things away."),
        ("de", "Ich bin nur noch eine Last für meine Kinder."),
        ("fr", "Je ne vois pas d'autre issue que d'en finir."),
        ("es", "A veces pienso que estarían mejor sin mí."),
        ("nl", "Ik zie echt geen uitweg meer."),
    ],
)
def test_idioms_of_wanting_to_die_or_being_a_burden_are_crisis(language: str, text: str) -> None:
    assert classify(text, languages=(language,)).level == "crisis"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I would never hurt myself, I promise."),
        ("de", "Ich würde mir niemals etwas antun."),
        ("fr", "Je ne me ferais jamais de mal."),
        ("es", "Nunca me haría daño."),
        ("nl", "Ik zou mezelf nooit iets aandoen."),
    ],
)
def test_a_denial_of_self_harm_is_attention_not_crisis(language: str, text: str) -> None:
    result = classify(text, languages=(language,))
    assert result.level == "attention"
    assert result.reasons[0].startswith("negated crisis language")


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I fell asleep on the sofa, best sleep in weeks."),
        ("en", "I bought a skipping rope for the exercises."),
        ("de", "Die Schmerzen verschwinden langsam."),
        ("fr", "La douleur commence à disparaître."),
        ("es", "Tengo un plan para las vacaciones."),
        ("nl", "We hebben een plan gemaakt voor de oefeningen."),
    ],
)
def test_harmless_sentences_with_crisis_words_stay_out_of_crisis(language: str, text: str) -> None:
    assert classify(text, languages=(language,)).level != "crisis"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I have pain in my knee"),
        ("en", "Went to A&E last night, they sent me home"),
        ("en", "The doctor changed my dose"),
        ("en", "I feel ill and weak"),
        ("de", "Ich war gestern in der Notaufnahme"),
        ("fr", "J'ai mal au genou depuis lundi"),
        ("es", "Me duele la rodilla"),
        ("nl", "Ik heb pijn in mijn knie"),
    ],
)
def test_health_that_triage_cannot_place_is_attention_not_routine(language: str, text: str) -> None:
    result = classify(text, languages=(language,))
    assert result.level == "attention", result.reasons


@pytest.mark.parametrize("text", ["No pain at all, thank you", "See you on Tuesday"])
def test_routine_stays_routine_when_nothing_about_health_is_said(text: str) -> None:
    assert classify(text).level == "routine"


def test_no_crisis_row_is_missed_when_the_practice_lists_every_language() -> None:
    every = tuple(CLASSIFIER.available_languages())
    missed = []
    for row in read_cases():
        if row["expected_level"] == "crisis":
            result = CLASSIFIER.classify(
                row["text"],
                languages=every,
                score=int(row["score"]) if row["score"] else None,
                previous_score=int(row["previous_score"]) if row["previous_score"] else None,
            )
            if result.level != "crisis":
                missed.append(row["text"])
    assert missed == []


def test_offsets_stay_right_past_the_fold_cache_limit(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(triage_lists, "FOLD_CACHE_LIMIT", 0)
    text = "Straße: ich bekomme keine Luft"
    result = classify(text, languages=("de",))
    assert result.level == "crisis"
    match = result.matches[0]
    assert text[match.start : match.end] == "bekomme keine Luft"


def test_each_labelled_reason_is_among_the_reasons_given() -> None:
    misses = []
    for row in read_cases():
        result = run_case(row)
        if result.level != row["expected_level"]:
            continue
        for expected in filter(None, row["expected_reasons"].split(";")):
            if not any(reason.startswith(expected.strip()) for reason in result.reasons):
                misses.append((row["text"], expected, result.reasons))
    assert misses == []


def test_the_benchmark_prints_the_quality_table(capsys) -> None:  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_triage", CASES.parent / "bench_triage.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--markdown"]) == 0
    table = capsys.readouterr().out
    assert table.startswith("| rows | n | accuracy |")
    assert "| held-out | 238 |" in table
    assert "- crisis recall: 100% (target ≥ 100%, met)" in table
    assert "| nl | 67 |" in table
