"""The new text of an email reply, apart from what the client quoted; HTML made readable.

Triage must read only what the client wrote now: a reply that quotes our own check-in ("Any
side effects? Chest pain?") must not be flagged for our words. Mail programs quote in many
ways, so the work is left to kept libraries where they exist:

1. Quoted blocks (lines starting with ``>``) are taken out wherever they stand, with the
   attribution line above them ("On … wrote:", "Am … schrieb …:", "Le … a écrit :",
   "El … escribió:", "Op … schreef …:"), which Gmail wraps over two lines when it is long. This
   handles bottom-posting (new text *below* the quote, as on an iPhone), which the libraries
   do not.
2. ``mail-parser-reply`` (multi-language attributions and Outlook's "From: / Sent: / To: /
   Subject:" block, with or without its horizontal rule; "-----Original Message-----") cuts
   what is left to the latest reply. Its signature guesses ("Thanks,", "Best,") are *not* used:
   a client who writes "Thanks, but the rash is back" would lose the rash.
3. Mobile signatures ("Sent from my iPhone", "Von meinem iPhone gesendet", "Get Outlook for
   Android") are dropped as lines, and everything after an RFC 3676 signature line ("-- ").
4. When that leaves nothing, the whole text is kept: a reply that said something is never
   stored empty (the client may have written inside the quote) — unless a photo or a file
   came with it, which then is what it said ("sent a photo").

HTML-only mail becomes text with ``inscriptis`` (CSS and scripts dropped, entities decoded,
links kept as ``[text](url)``). This module imports nothing from Django, so it can be tested
alone.
"""

from __future__ import annotations

import re

from inscriptis import get_text
from inscriptis.model.config import ParserConfig
from mailparser_reply import EmailReplyParser

# Languages whose attribution lines the reply parser knows (mail-parser-reply's list holds
# these among others); English is always added.
REPLY_LANGUAGES = ("en", "de", "fr", "es", "nl")

QUOTED = re.compile(r"^\s*>")
ATTRIBUTION = re.compile(
    r"(\bwrote\b|\bschrieb\b|\ba écrit\b|\ba ecrit\b|\bescribió\b|\bescribio\b|\bschreef\b"
    r"|\bheeft .* geschreven\b)\s*:?\s*$",
    re.IGNORECASE | re.DOTALL,
)
OPENER = re.compile(r"^(on|am|le|el|op|em|il)\b", re.IGNORECASE)
MOBILE_SIGNATURE = re.compile(
    r"^\s*(sent from my\b.*|sent from (outlook|yahoo mail|mail) for\b.*|get outlook for\b.*"
    r"|von meinem .* gesendet|gesendet von meinem\b.*|envoyé de mon\b.*|envoye de mon\b.*"
    r"|enviado desde mi\b.*|verzonden (vanaf|met) mijn\b.*|verstuurd vanaf mijn\b.*)\s*$",
    re.IGNORECASE,
)
SIGNATURE_LINE = "-- "


def html_to_text(html: str) -> str:
    """Readable text of an HTML mail: no CSS, entities decoded, links kept."""
    if not html.strip():
        return ""
    try:
        text = get_text(html, ParserConfig(display_links=True))
    except Exception:  # a parser failure must not lose the message: fall back to tags off
        text = re.sub(r"<[^>]+>", " ", html)
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def attribution_start(kept: list[str]) -> int | None:
    """Where the attribution line(s) at the end of ``kept`` begin, or None when there is none.

    Gmail wraps a long attribution ("On Mon, 30 Nov 2026 at 09:00, Riverside Practice <" /
    "reply+…@…> wrote:"), so up to three non-blank lines are joined; the farthest one that
    opens an attribution ("On", "Am", "Le", "El", "Op") wins, and a blank line is never
    crossed, so the client's own text above it stays.
    """
    end = len(kept)
    while end and not kept[end - 1].strip():
        end -= 1
    found = None
    for start in range(end - 1, max(end - 3, 0) - 1, -1):
        if not kept[start].strip():
            break
        joined = " ".join(line.strip() for line in kept[start:end])
        if ATTRIBUTION.search(joined) and (start == end - 1 or OPENER.match(joined)):
            found = start
    return found


def without_quoted_blocks(lines: list[str]) -> list[str]:
    """Step 1: drop ``>`` lines and the attribution just above each quoted block."""
    kept: list[str] = []
    for line in lines:
        if QUOTED.match(line):
            start = attribution_start(kept)
            if start is not None:
                del kept[start:]
            continue
        kept.append(line)
    return kept


def without_signatures(lines: list[str]) -> list[str]:
    """Step 3: mobile signature lines out; nothing after a ``-- `` line."""
    kept = []
    for line in lines:
        if line == SIGNATURE_LINE or (line.rstrip() == "--" and kept and not kept[-1].strip()):
            break
        if MOBILE_SIGNATURE.match(line):
            continue
        kept.append(line)
    return kept


def latest_reply(text: str) -> str:
    """Step 2: the latest reply by mail-parser-reply, or the text itself when it finds none."""
    try:
        reply = EmailReplyParser(languages=list(REPLY_LANGUAGES)).read(text)
    except Exception:  # a library bug must never lose a client's words
        return text
    if not reply.replies:
        return text
    return reply.replies[0].content or text


def new_text(text: str, *, keep_whole_when_empty: bool = True) -> str:
    """What the client wrote in this reply (the steps in the module docstring).

    ``keep_whole_when_empty=False`` is for a reply that carries something else (a photo): its
    words may be only our quoted question, which must not be triaged as theirs.
    """
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = without_quoted_blocks(normalised.split("\n"))
    remaining = latest_reply("\n".join(lines).strip())
    cleaned = "\n".join(without_signatures(remaining.split("\n"))).strip()
    if cleaned:
        return re.sub(r"\n{3,}", "\n\n", cleaned)
    return normalised.strip() if keep_whole_when_empty else ""
