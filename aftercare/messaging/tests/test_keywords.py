"""Opt-out, opt-in and help keywords, read the way Twilio reads them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftercare.messaging.keywords import STOP_WORDS, keyword_action


@pytest.mark.parametrize(
    "text",
    ["STOP", "stop", " Stop ", "Stop.", "STOP!", "StopAll", "STOP ALL", "Unsubscribe", "cancel",
     "End", "QUIT", "revoke", "OPTOUT", "opt-out", "Opt out", "stop\n", "STOPP", "Arrêt",
     "ARRET", "alto", "Afmelden", "abmelden"],
)  # fmt: skip
def test_every_opt_out_word_twilio_applies_stops_in_any_case_and_spacing(text: str) -> None:
    assert keyword_action(text) == "stop"


@pytest.mark.parametrize("text", ["START", "unstop", "Yes", "yes!"])
def test_start_unstop_and_yes_return(text: str) -> None:
    assert keyword_action(text) == "start"


@pytest.mark.parametrize("text", ["HELP", "info", "Help?", "Hilfe", "aide", "AYUDA"])
def test_help_and_info_ask_for_help(text: str) -> None:
    assert keyword_action(text) == "help"


@pytest.mark.parametrize(
    "text",
    ["Please stop the reminders for now, I'm on holiday",
     "The pain will not stop",
     "yes the rash is worse",
     "I need help, I feel awful",
     "Cancel my appointment on Tuesday please",
     "the end of the tablets is near"],
)  # fmt: skip
def test_a_sentence_with_a_keyword_in_it_is_a_reply_for_a_person(text: str) -> None:
    assert keyword_action(text) == ""


@given(st.sampled_from(sorted(STOP_WORDS)), st.text(" \t\n.!", max_size=3))
def test_any_stop_word_with_any_case_and_trailing_spacing_stops(word: str, tail: str) -> None:
    assert keyword_action(word.upper() + tail) == "stop"
    assert keyword_action(tail + word.title()) == "stop"
