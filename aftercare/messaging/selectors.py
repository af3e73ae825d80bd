"""Reads of a practice's message templates, shared by the templates pages and the rule picker."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import TemplateSyntaxError
from django.utils import translation

from aftercare import statements
from aftercare.care.catalogue import MessageChoice
from aftercare.clients.models import Client
from aftercare.messaging import templating
from aftercare.messaging.models import MessageTemplate
from aftercare.messaging.services import render_context
from aftercare.practice.models import Practice

# Built-in templates the messaging itself sends (answers, notices, a person's own words): a care
# rule has no use for them, so the rule form's picker leaves them out.
NOT_FOR_RULES = frozenset(
    {"message_link", "personal", "reply_acknowledgement", "sms_help", "new_link", "crisis_support"}
)


@dataclass(frozen=True)
class TemplateRow:
    key: str
    language: str
    name: str
    built_in: bool  # a built-in template (its wording may be the practice's own)
    own_wording: bool  # the practice wrote or changed the wording


def template_name(key: str, language: str = "en", own_name: str = "") -> str:
    """A template as people call it: its name, never its key."""
    if own_name:
        return own_name
    default = templating.default_template(key, language)
    if default is not None and default.label:
        return default.label
    return key.replace("_", " ").capitalize()


def template_rows(practice: Practice) -> list[TemplateRow]:
    """Every template of ``practice``: the built-ins (with whether it changed them) and its own."""
    own = {
        (row.key, row.language): row for row in MessageTemplate.objects.filter(practice=practice)
    }
    rows = [
        TemplateRow(
            key=t.key,
            language=t.language,
            name=template_name(t.key, t.language),
            built_in=True,
            own_wording=(t.key, t.language) in own,
        )
        for t in templating.default_templates()
    ]
    built_in = set(templating.template_keys())
    rows.extend(
        TemplateRow(
            key=row.key,
            language=row.language,
            name=template_name(row.key, row.language, row.name),
            built_in=False,
            own_wording=True,
        )
        for row in own.values()
        if row.key not in built_in
    )
    return rows


def sample_client(practice: Practice) -> Client:
    """A client who does not exist, to show what a template says (never saved)."""
    return Client(
        pk=0, practice=practice, given_name="Alex", family_name="Sample", language=practice.language
    )


def sample_context(practice: Practice) -> dict[str, Any]:
    """The placeholders filled for the sample client, with example details a rule would add.

    Its links end in "…" where a client's own would hold a signed token: the sample client
    has none (and a preview that changes every second could not be kept, ``_choice``)."""
    context = render_context(sample_client(practice), message_url=f"{settings.BASE_URL}/p/m/…/")
    for name in ("checkin_url", "preferences_url", "unsubscribe_url", "portal_url"):
        context[name] = context[name].rstrip("/").rpartition("/")[0] + "/…/"
    context["details"] = {
        "when": "Tuesday 1 December at 10:00",
        "title": "Sleeping well",
        "supply_name": "Magnesium",
        "referred_to": "Dr Jones",
    }
    return context


@dataclass(frozen=True)
class OwnWording:
    """A practice's own template, as the rule picker shows it."""

    name: str
    subject: str
    text: str


def rule_message_choices(practice: Practice) -> list[MessageChoice]:
    """The messages a care rule can send, each with a preview for the sample client."""
    language = practice.language or "en"
    context = sample_context(practice)
    # The practice's own wording in its language, else in English (through a statement: the
    # rule pages ask on every visit).
    own: dict[str, OwnWording] = {}
    for key, in_language, name, subject, text in statements.rows(
        "messaging: a practice's own wording for rules",
        lambda practice, languages: MessageTemplate.objects.filter(
            practice_id=practice, language__in=languages
        ).values_list("key", "language", "name", "subject", "text"),
        practice=practice.pk,
        languages=tuple(dict.fromkeys((language, "en"))),  # (Django asks for "en" once)
    ):
        if key not in own or in_language == language:
            own[key] = OwnWording(name, subject, text)
    choices = []
    for key in templating.template_keys():
        if key in NOT_FOR_RULES:
            continue
        default = templating.default_template(key, language)
        row = own.get(key)
        subject, text = (row.subject, row.text) if row else (default.subject, default.text)
        choices.append(_choice(key, template_name(key, language), subject, text, context))
    for key, row in own.items():
        if templating.default_template(key) is None:
            choices.append(
                _choice(key, template_name(key, own_name=row.name), row.subject, row.text, context)
            )
    return choices


def _choice(key: str, name: str, subject: str, text: str, context: dict[str, Any]) -> MessageChoice:
    frozen = tuple(
        (field, tuple(sorted(value.items())) if isinstance(value, dict) else value)
        for field, value in sorted(context.items())
    )
    shown = _previewed(subject, text, frozen, translation.get_language())
    if shown is None:  # stored before templates were checked: not the form's concern
        return MessageChoice(key, name, subject, "")
    return MessageChoice(key, name, shown[0], shown[1].strip())


@functools.lru_cache(maxsize=256)
def _previewed(
    subject: str, text: str, context: tuple[tuple[str, Any], ...], language: str | None
) -> tuple[str, str] | None:
    """A template's subject and text for the sample client (None if it does not parse), kept
    by its words, the sample's context and the language: the rule pages show twenty of them,
    the same on every visit until the practice changes a template or its details.

    The subject and text only: the HTML part (links found in every line) is not shown, and
    deriving it for twenty templates was a third of the rule form's CPU.
    """
    # (``_choice`` froze each dict of the context, the details, as the tuple of its items.)
    values = {field: dict(value) if isinstance(value, tuple) else value for field, value in context}
    try:
        return templating.render_subject(subject, values), templating.render_text(text, values)
    except TemplateSyntaxError:
        return None
