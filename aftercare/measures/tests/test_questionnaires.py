"""The questionnaires as data: the bundled wording, and a practice's own file refused when wrong."""

from __future__ import annotations

import copy
import json

import pytest

from aftercare.measures.questionnaires import (
    BUILT_IN_DIR,
    QuestionnaireError,
    built_in_questionnaires,
    parse_questionnaire,
)

PFIZER_LINE = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc. No permission required to reproduce, "
    "translate, display or distribute."
)


def test_the_three_bundled_questionnaires_carry_their_copyright_lines() -> None:
    found = built_in_questionnaires()
    assert list(found) == ["gad7", "phq9", "who5"]
    assert found["phq9"].wording("en").copyright == PFIZER_LINE
    assert found["gad7"].wording("en").copyright == PFIZER_LINE
    assert "Psychiatric Research Unit, Mental Health Centre North Zealand" in (
        found["who5"].wording("en").copyright
    )


def test_the_phq9_has_the_published_items_word_for_word() -> None:
    phq9 = built_in_questionnaires()["phq9"].wording("en")
    assert phq9.instructions == (
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    )
    assert [option.label for option in phq9.items[0].options] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]
    assert phq9.items[8].text == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert len(phq9.items) == 10 and not phq9.items[9].scored


def test_a_language_without_an_official_translation_falls_back_to_english() -> None:
    who5 = built_in_questionnaires()["who5"]
    assert who5.wording("de-CH").language == "en"
    assert who5.wording("en").items[0].text == "I have felt cheerful and in good spirits"


def phq9_document() -> dict:
    return json.loads((BUILT_IN_DIR / "phq9.json").read_text())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["bands"].pop(2), "bands: moderately_severe starts at 15; expected 10"),
        (
            lambda d: d["bands"][-1].update({"to": 26}),
            "bands: totals from 27 to 27 fall in no band",
        ),
        (lambda d: d["bands"][0].update({"level": "panic"}), "bands[0].level"),
        (lambda d: d.update({"key": "PHQ 9"}), "key: use up to 30 lower-case"),
        (lambda d: d["safety_items"][0].update({"item": "99"}), "safety_items[0].item"),
        (lambda d: d["languages"]["en"].pop("copyright"), "languages.en.copyright"),
        (
            lambda d: d["languages"].update(
                {"xx": {**d["languages"]["en"], "items": d["languages"]["en"]["items"][:3]}}
            ),
            "languages.xx.items: every language needs the same items",
        ),
        (lambda d: d["scoring"].update({"method": "mean"}), "scoring.method"),
    ],
)
def test_a_wrong_document_is_refused_naming_the_field(change, message: str) -> None:
    document = phq9_document()
    change(document)
    with pytest.raises(QuestionnaireError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_questionnaire(document)


def test_a_practice_may_add_its_own_questionnaire_as_data() -> None:
    document = copy.deepcopy(phq9_document())
    document.update(key="sleep4", name="Sleep-4", safety_items=[], reliable_change={})
    document["languages"]["en"]["items"] = document["languages"]["en"]["items"][:4]
    document["bands"] = [
        {"key": "low", "from": 0, "to": 5, "label": "Low"},
        {"key": "high", "from": 6, "to": 12, "label": "High", "level": "attention"},
    ]
    questionnaire = parse_questionnaire(document)
    assert questionnaire.key == "sleep4" and questionnaire.highest == 12
    assert questionnaire.reliable_change_points is None and not questionnaire.built_in
