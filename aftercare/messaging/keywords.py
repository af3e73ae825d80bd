"""Opt-out, opt-in and help keywords in a text message, read the way Twilio reads them.

Twilio blocks a number that texts one of its opt-out keywords (STOP, STOPALL, UNSUBSCRIBE,
CANCEL, END, QUIT, REVOKE, OPTOUT) and unblocks it on START, UNSTOP or YES; it reads a message
as a keyword when the keyword is the whole message, whatever its case and the spaces or
punctuation around it (https://help.twilio.com/articles/223134027). Aftercare must read the
same messages the same way, or it would think a client subscribed whom Twilio blocks — and a
message it then queues fails with Twilio error 21610. The common words of the languages we
triage are read too ("STOPP", "ARRÊT", "ALTO", "AFMELDEN"), and "STOP ALL" or "opt-out"
written apart are one keyword.

A sentence that contains a keyword ("please stop the reminders") is not a keyword: Twilio does
not block it, so it is a reply for a person to read.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Action = Literal["stop", "start", "help", ""]

STOP_WORDS = frozenset(
    {
        # Twilio's defaults (https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out)
        "stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout",
        # the languages triage reads: de, fr, es, nl (and the Scandinavian STOPP)
        "stopp", "stoppen", "abmelden", "abbestellen", "arret", "arrete", "desabonner",
        "desinscrire", "alto", "baja", "parar", "cancelar", "afmelden", "uitschrijven",
    }
)  # fmt: skip
START_WORDS = frozenset({"start", "unstop", "yes", "subscribe"})
HELP_WORDS = frozenset({"help", "info", "hilfe", "aide", "ayuda", "hulp"})


def normalise(text: str) -> str:
    """Letters only, lower case, accents removed: " Stop! " and "S-T-O-P" become "stop"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"[^a-z]", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


def keyword_action(text: str) -> Action:
    """What a text that is one keyword asks for: ``stop``, ``start``, ``help`` or ``""``."""
    if len(text) > 40 or len(text.split()) > 2:
        return ""  # a sentence, not a keyword ("stop sending me these please")
    word = normalise(text)
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return ""
