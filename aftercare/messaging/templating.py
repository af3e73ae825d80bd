"""Message templates: per practice, per purpose (template key), per language.

Templates use Django template syntax, rendered with a small, documented context of plain
strings (never model objects, so a template cannot reach private notes):

``name`` (the client's preferred name), ``full_name``, ``practitioner`` (the client's
practitioner's name), ``practice`` (the practice name), ``practice_phone``, ``practice_email``,
``practice_colour`` (its colour, ``#rrggbb``),
``emergency_numbers``, ``checkin_url``, ``preferences_url``, ``unsubscribe_url``,
``portal_url``, ``when_read`` (when a person will read a reply), ``message_url`` (the portal
page of a link-only text) and ``details`` (the touchpoint's context, e.g.
``details.supply_name``).

Each template has three renderings: email (``subject``, ``text``, ``html``), a short ``sms``
for SMS and WhatsApp, and — when the practice keeps SMS *link-only* (the default) — the
``message_link`` text instead, which only says there is a message and links to a portal page
showing ``text`` (``private`` templates, i.e. all but those that answer what the client just
wrote and carry nothing about their health). See ``services.render_into``.

Other apps add default templates for their purposes from ``AppConfig.ready()``::

    from aftercare.messaging.templating import DefaultTemplate, register_default_template
    register_default_template(DefaultTemplate(key="reorder_reminder", subject=…, text=…, sms=…))

A practice's own ``MessageTemplate`` row (edited on the templates page) wins over the default.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine, Node, TemplateSyntaxError
from django.template.base import VariableNode
from django.template.defaulttags import ForNode, IfNode
from django.utils.html import escape, urlize

CONTEXT_NAMES = (
    "name",
    "full_name",
    "practitioner",
    "practice",
    "practice_phone",
    "practice_email",
    "practice_colour",
    "emergency_numbers",
    "checkin_url",
    "preferences_url",
    "unsubscribe_url",
    "portal_url",
    "when_read",
    "message_url",
    "details",
)


@dataclass(frozen=True)
class DefaultTemplate:
    key: str
    subject: str
    text: str
    sms: str
    language: str = "en"
    label: str = ""
    asks_check_in: bool = False  # renders a check-in link (creates a CheckIn)
    # May carry health details: with link-only SMS/WhatsApp the text is ``message_link``
    # instead. False only for texts that carry nothing about the client's health whatever the
    # details (an acknowledgement of their message, an auto-reply), so they arrive readable.
    private: bool = True
    # The link-only text still gives the emergency numbers: help must not wait behind a link.
    urgent_help: bool = False


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str


_defaults: dict[tuple[str, str], DefaultTemplate] = {}

_text_engine = Engine(autoescape=False, builtins=[])
_html_engine = Engine(autoescape=True, builtins=[])


def register_default_template(template: DefaultTemplate) -> DefaultTemplate:
    _defaults[(template.key, template.language)] = template
    return template


def default_templates() -> list[DefaultTemplate]:
    return sorted(_defaults.values(), key=lambda t: (t.key, t.language))


def default_template(key: str, language: str = "en") -> DefaultTemplate | None:
    return _defaults.get((key, language)) or _defaults.get((key, "en"))


def template_keys() -> list[str]:
    return sorted({key for key, _ in _defaults})


def asks_check_in(key: str) -> bool:
    template = default_template(key)
    return bool(template and template.asks_check_in)


def is_private(key: str) -> bool:
    """Whether texts of ``key`` go link-only when the practice says so (unknown keys do)."""
    template = default_template(key)
    return template is None or template.private


def needs_urgent_help(key: str) -> bool:
    template = default_template(key)
    return bool(template and template.urgent_help)


def check_syntax(source: str, *, field: str) -> None:
    """Raise ValueError naming ``field`` when ``source`` is not a valid template."""
    problems = template_problems(source, part=field)
    if problems:
        raise ValueError(problems[0])


# Django's words for a template it cannot read, and ours for a person writing a message.
_SYNTAX_WORDS = (
    (
        re.compile(r"Unclosed tag on line \d+: '(\w+)'"),
        "“{{% {0} %}}” is never closed: add {{% end{0} %}} where that part ends",
    ),
    (
        re.compile(r"Invalid block tag on line \d+: '(end\w+|else|elif|empty)'"),
        "“{{% {0} %}}” has nothing to close or follow: remove it, or add the “{{% if … %}}” "
        "it belongs to",
    ),
    (
        re.compile(r"Invalid block tag on line \d+: '(\w+)'"),
        "“{{% {0} %}}” is not something a message can do: use a placeholder such as "
        "{{{{ name }}}}, or {{% if … %}} … {{% endif %}}",
    ),
    (re.compile(r"Invalid filter: '(\w+)'"), "“|{0}” is not a way a placeholder can be changed"),
    (re.compile(r"Empty variable tag"), "“{{{{ }}}}” has no placeholder name in it"),
    (
        re.compile(r"Could not parse the remainder: '(.*)' from"),
        "a placeholder has “{0}” after its name: write one name between the braces, "
        "such as {{{{ name }}}}",
    ),
    (re.compile(r"is not a registered tag library"), "messages cannot load other tags"),
)


def _syntax_words(error: TemplateSyntaxError) -> str:
    text = str(error)
    for pattern, words in _SYNTAX_WORDS:
        found = pattern.search(text)
        if found:
            return words.format(*[group.strip() for group in found.groups()])
    return "a “{% … %}” part is not written in a way we understand; check its spelling"


def _names_in(node: Node) -> list[str]:
    """The placeholders ``node`` reads (the first part of each: ``details`` of ``details.when``)."""
    names: list[str] = []
    if isinstance(node, VariableNode):
        var = getattr(node.filter_expression, "var", None)
        lookups = getattr(var, "lookups", None)
        if lookups:
            names.append(lookups[0])
    elif isinstance(node, IfNode):
        for condition, _ in node.conditions_nodelists:
            names.extend(_condition_names(condition))
    elif isinstance(node, ForNode):
        var = getattr(node.sequence, "var", None)
        if getattr(var, "lookups", None):
            names.append(var.lookups[0])
    return names


def _condition_names(condition: Any) -> list[str]:
    if condition is None:
        return []
    value = getattr(condition, "value", None)
    if value is not None:  # a literal: a placeholder or a constant
        var = getattr(value, "var", None)
        lookups = getattr(var, "lookups", None)
        return [lookups[0]] if lookups else []
    return [*_condition_names(condition.first), *_condition_names(condition.second)]


_TAG = re.compile(r"{%-?\s*(\w+)")
MESSAGE_TAGS = frozenset(
    {
        *("if", "elif", "else", "endif", "for", "empty", "endfor", "with", "endwith"),
        *("comment", "endcomment", "firstof", "now", "templatetag", "spaceless", "endspaceless"),
    }
)


def template_problems(source: str, *, part: str) -> list[str]:
    """What is wrong with a template a person wrote, in words (empty: nothing).

    1. Braces that are opened and never closed (Django would print them as they are).
    2. Tags a message has no use for.
    3. What Django cannot read, said without its vocabulary.
    4. Placeholders that are not in the documented context (a typo would print nothing).
    """
    problems = []
    for opening, closing, example in (("{{", "}}", "{{ name }}"), ("{%", "%}", "{% endif %}")):
        if source.count(opening) != source.count(closing):
            problems.append(
                f"{part}: a “{opening}” is not closed with “{closing}” (as in {example})"
            )
    if problems:
        return problems
    # Only the tags a message needs: others would reach outside the message ({% include %},
    # {% url %}) or fail only when it is sent.
    for tag in dict.fromkeys(_TAG.findall(source)):
        if tag not in MESSAGE_TAGS:
            problems.append(
                f"{part}: “{{% {tag} %}}” is not something a message can do: use a placeholder "
                "such as {{ name }}, or {% if … %} … {% endif %}"
            )
    if problems:
        return problems
    try:
        compiled = _text_engine.from_string(source)
    except TemplateSyntaxError as error:
        return [f"{part}: {_syntax_words(error)}"]
    loop_names = {
        name for node in compiled.nodelist.get_nodes_by_type(ForNode) for name in node.loopvars
    }
    known = {*CONTEXT_NAMES, *loop_names, "forloop"}
    unknown: list[str] = []
    for node_type in (VariableNode, IfNode, ForNode):
        for node in compiled.nodelist.get_nodes_by_type(node_type):
            for name in _names_in(node):
                if name not in known and name not in unknown and not name.isdigit():
                    unknown.append(name)
    problems.extend(
        f"{part}: “{{{{ {name} }}}}” is not a placeholder we fill in (known: "
        + ", ".join(CONTEXT_NAMES)
        + ")"
        for name in unknown
    )
    return problems


@functools.lru_cache(maxsize=512)
def _compiled(source: str, html: bool) -> Any:
    """Parsing is most of the cost of rendering; the same few sources render thousands of times."""
    engine = _html_engine if html else _text_engine
    return engine.from_string(source)


def render_string(source: str, context: Mapping[str, Any], *, html: bool = False) -> str:
    return _compiled(source, html).render(Context(dict(context), autoescape=html))


def text_to_html(text: str, *, practice: str = "", colour: str = "") -> str:
    """Paragraphs and clickable links from plain text, everything else escaped.

    With ``practice`` and its ``colour`` the mail opens with the practice's name on its colour
    (white text: the colour was checked for contrast when the practice chose it).
    """
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    parts = [
        "<p>" + urlize(escape(p), autoescape=False).replace("\n", "<br>") + "</p>"
        for p in paragraphs
    ]
    band = ""
    if practice and HEX_COLOUR.match(colour):
        band = (
            f'<div style="background: {colour}; color: #ffffff; padding: 12px 16px; '
            f'font-weight: 600">{escape(practice)}</div>\n'
        )
    return (
        '<!doctype html><html><body style="font-family: sans-serif; font-size: 16px; '
        'line-height: 1.5; color: #1a1a1a; max-width: 36em">'
        + band
        + "\n".join(parts)
        + "</body></html>"
    )


HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def render(
    *,
    subject: str,
    text: str,
    html: str,
    context: Mapping[str, Any],
) -> RenderedMessage:
    """Render one template's parts; the HTML part is derived from the text when empty."""
    rendered_text = render_text(text, context)
    rendered_html = (
        render_string(html, context, html=True)
        if html.strip()
        else text_to_html(
            rendered_text,
            practice=str(context.get("practice", "")),
            colour=str(context.get("practice_colour", "")),
        )
    )
    return RenderedMessage(
        subject=render_subject(subject, context), text=rendered_text, html=rendered_html
    )


def render_subject(subject: str, context: Mapping[str, Any]) -> str:
    """A subject on one line, as sent."""
    return " ".join(render_string(subject, context).split())[:300]


def render_text(text: str, context: Mapping[str, Any]) -> str:
    """The plain-text part, as sent (without the HTML part ``render`` derives from it: a
    preview that shows only the text need not pay for that)."""
    return render_string(text, context).strip() + "\n"


FOOTER = (
    "\n\n--\n{{ practice }}{% if practice_phone %} · {{ practice_phone }}{% endif %}\n"
    "Your message preferences: {{ preferences_url }}"
)

register_default_template(
    DefaultTemplate(
        key="check_in",
        label="Check-in after a visit or a new medication",
        asks_check_in=True,
        subject="How are you doing, {{ name }}?",
        text=(
            "Dear {{ name }},\n\n"
            "{{ practitioner }} would like to know how you are doing since your last visit.\n\n"
            "It takes a minute to answer: {{ checkin_url }}\n\n"
            "If anything new has come up — side effects, something that worries you — please "
            "say so there, or simply reply to this message." + FOOTER
        ),
        sms=(
            "Hello {{ name }}, {{ practitioner }} would like to know how you are doing: "
            "{{ checkin_url }}"
        ),
    )
)
register_default_template(
    DefaultTemplate(
        key="check_in",
        language="de",
        label="Nachfrage nach einem Besuch",
        asks_check_in=True,
        subject="Wie geht es Ihnen, {{ name }}?",
        text=(
            "Liebe(r) {{ name }},\n\n"
            "{{ practitioner }} möchte wissen, wie es Ihnen seit Ihrem letzten Besuch geht.\n\n"
            "Die Antwort dauert eine Minute: {{ checkin_url }}\n\n"
            "{{ practice }}\nIhre Einstellungen: {{ preferences_url }}"
        ),
        sms="Hallo {{ name }}, {{ practitioner }} fragt, wie es Ihnen geht: {{ checkin_url }}",
    )
)
register_default_template(
    DefaultTemplate(
        key="recall",
        label="Recall after weeks without a visit",
        subject="Thinking of you, {{ name }}",
        text=(
            "Dear {{ name }},\n\n"
            "It has been a while since we last saw you at {{ practice }}. If you would like to "
            "come back, or just tell us how you are, reply to this message or call us"
            "{% if practice_phone %} on {{ practice_phone }}{% endif %}.\n\n"
            "Warm regards,\n{{ practitioner }}" + FOOTER
        ),
        sms="Hello {{ name }}, {{ practice }} is thinking of you. How are you? {{ portal_url }}",
    )
)
register_default_template(
    DefaultTemplate(
        # Sent by care rule after a no-show. It asks after the person and never mentions a fee:
        # a bill and "are you all right?" in one message would undo the kindness.
        key="no_show_follow_up",
        label="After a missed appointment: is all well?",
        asks_check_in=True,
        subject="We missed you today, {{ name }} — is all well?",
        text=(
            "Dear {{ name }},\n\n"
            "We missed you at your appointment with {{ practitioner }} and hope all is well.\n\n"
            "If something has come up, or you would like to book another time, just reply to "
            "this message — or tell us how you are here: {{ checkin_url }}\n\n"
            "Warm regards,\n{{ practitioner }}" + FOOTER
        ),
        sms=(
            "Hello {{ name }}, we missed you today and hope all is well. "
            "Reply any time, or tell us how you are: {{ checkin_url }}"
        ),
    )
)
register_default_template(
    DefaultTemplate(
        key="birthday_card",
        label="Birthday card",
        subject="Happy birthday, {{ name }}!",
        text=(
            "Dear {{ name }},\n\nHappy birthday from all of us at {{ practice }}! "
            "We wish you a wonderful day and a healthy year.\n\n{{ practitioner }}" + FOOTER
        ),
        sms="Happy birthday, {{ name }}! Warm wishes from {{ practitioner }} at {{ practice }}.",
    )
)
register_default_template(
    DefaultTemplate(
        key="anniversary_note",
        label="Anniversary of the first visit",
        subject="A year together, {{ name }}",
        text=(
            "Dear {{ name }},\n\nIt is a year since your first visit to {{ practice }}. "
            "Thank you for your trust — we are glad to be part of your care.\n\n"
            "{{ practitioner }}" + FOOTER
        ),
        sms="Dear {{ name }}, a year ago you first came to {{ practice }}. Thank you for your trust.",
    )
)
register_default_template(
    DefaultTemplate(
        key="information",
        label="Useful information",
        subject="Something that may help, {{ name }}",
        text=(
            "Dear {{ name }},\n\n{{ practitioner }} thought this might be useful for you"
            "{% if details.title %}: {{ details.title }}{% endif %}.\n\n"
            "{% if details.url %}{{ details.url }}\n\n{% endif %}"
            "Questions? Just reply to this message." + FOOTER
        ),
        sms=(
            "Hello {{ name }}, {{ practitioner }} shared something that may help"
            "{% if details.title %} ({{ details.title }}){% endif %}: "
            "{% if details.url %}{{ details.url }}{% else %}{{ portal_url }}{% endif %}"
        ),
    )
)
register_default_template(
    DefaultTemplate(
        key="referral_follow_up",
        label="Follow-up after a referral",
        asks_check_in=True,
        subject="Did you find the help you needed, {{ name }}?",
        text=(
            "Dear {{ name }},\n\n"
            "{% if details.referred_to %}A little while ago we suggested you see "
            "{{ details.referred_to }}. {% endif %}"
            "{{ practitioner }} would like to know whether you found the help you needed — "
            "and if not, we will gladly think it through with you again.\n\n"
            "It takes a minute to tell us: {{ checkin_url }}\n\n"
            "Or simply reply to this message." + FOOTER
        ),
        sms="Hello {{ name }}, did you find the help you needed? Tell us: {{ checkin_url }}",
    )
)
register_default_template(
    DefaultTemplate(
        key="referral_follow_up",
        language="de",
        label="Nachfrage nach einer Überweisung",
        asks_check_in=True,
        subject="Haben Sie die Hilfe gefunden, die Sie brauchten, {{ name }}?",
        text=(
            "Liebe(r) {{ name }},\n\n"
            "{% if details.referred_to %}Vor einiger Zeit haben wir Ihnen "
            "{{ details.referred_to }} empfohlen. {% endif %}"
            "{{ practitioner }} möchte gern wissen, ob Sie die Hilfe gefunden haben, die Sie "
            "brauchten – und wenn nicht, überlegen wir gern noch einmal gemeinsam mit Ihnen.\n\n"
            "Die Antwort dauert eine Minute: {{ checkin_url }}\n\n"
            "Oder antworten Sie einfach auf diese Nachricht.\n\n"
            "{{ practice }}\nIhre Einstellungen: {{ preferences_url }}"
        ),
        sms=(
            "Hallo {{ name }}, haben Sie die Hilfe gefunden, die Sie brauchten? "
            "Sagen Sie es uns: {{ checkin_url }}"
        ),
    )
)
register_default_template(
    DefaultTemplate(
        key="reply_acknowledgement",
        label="Acknowledgement of a client's message",
        private=False,
        subject="We have your message, {{ name }}",
        text=(
            "Dear {{ name }},\n\nThank you — your message has reached {{ practice }}. "
            "{{ when_read }}\n\n"
            "If you need urgent help before then: {{ emergency_numbers }}" + FOOTER
        ),
        sms=(
            "Thank you, {{ name }}: your message reached {{ practice }}. {{ when_read }} "
            "Urgent help: {{ emergency_numbers }}"
        ),
    )
)
register_default_template(
    DefaultTemplate(
        key="sms_help",
        label="Answer to HELP or INFO by text",
        private=False,
        subject="How to reach {{ practice }}",
        text=(
            "Hello {{ name }}, this is {{ practice }}."
            "{% if practice_phone %} Call us on {{ practice_phone }}.{% endif %}"
            "{% if practice_email %} Write to {{ practice_email }}.{% endif %}"
            " Reply STOP to stop automated messages, START to have them again."
            " Urgent help: {{ emergency_numbers }}"
        ),
        sms=(
            "Hello {{ name }}, this is {{ practice }}."
            "{% if practice_phone %} Call us on {{ practice_phone }}.{% endif %}"
            "{% if practice_email %} Write to {{ practice_email }}.{% endif %}"
            " Reply STOP to stop automated messages, START to have them again."
            " Urgent help: {{ emergency_numbers }}"
        ),
    )
)
register_default_template(
    DefaultTemplate(
        key="new_link",
        label="A new link after an expired one",
        asks_check_in=True,
        subject="Your new link, {{ name }}",
        text=(
            "Dear {{ name }},\n\nHere is a fresh link to answer {{ practitioner }}: "
            "{{ checkin_url }}" + FOOTER
        ),
        sms="Hello {{ name }}, here is your new link: {{ checkin_url }}",
    )
)
register_default_template(
    DefaultTemplate(
        key="personal",
        label="A personal message written by the practice",
        subject="{{ details.subject }}",
        text="{{ details.body }}" + FOOTER,
        sms="{{ details.body }}",
    )
)
register_default_template(
    DefaultTemplate(
        key="crisis_support",
        label="Emergency numbers after a crisis answer",
        urgent_help=True,
        subject="{{ name }}, please reach out now",
        text=(
            "Dear {{ name }},\n\nWhat you wrote worries us. Please do not wait: "
            "{{ emergency_numbers }}\n\n{{ practitioner }} has been told at once." + FOOTER
        ),
        sms=(
            "{{ name }}, what you wrote worries us. Please get help now: {{ emergency_numbers }}. "
            "{{ practitioner }} has been told."
        ),
    )
)
register_default_template(
    DefaultTemplate(
        key="message_link",
        label="Link-only SMS/WhatsApp: there is a message, read it here",
        private=False,
        subject="A message from {{ practice }}",
        text=(
            "Hello {{ name }}, there is a new message for you from {{ practice }}. "
            "Read it here: {{ message_url }}"
            "{% if details.urgent_help %} If you need help now: {{ emergency_numbers }}{% endif %}"
        ),
        sms=(
            "Hello {{ name }}, there is a new message for you from {{ practice }}. "
            "Read it here: {{ message_url }}"
            "{% if details.urgent_help %} If you need help now: {{ emergency_numbers }}{% endif %}"
        ),
    )
)
register_default_template(
    DefaultTemplate(
        key="message_link",
        language="de",
        label="Nur-Link-SMS/WhatsApp: eine Nachricht, hier zu lesen",
        private=False,
        subject="Eine Nachricht von {{ practice }}",
        text=(
            "Hallo {{ name }}, Sie haben eine neue Nachricht von {{ practice }}. "
            "Hier lesen: {{ message_url }}"
            "{% if details.urgent_help %} Wenn Sie jetzt Hilfe brauchen: "
            "{{ emergency_numbers }}{% endif %}"
        ),
        sms=(
            "Hallo {{ name }}, Sie haben eine neue Nachricht von {{ practice }}. "
            "Hier lesen: {{ message_url }}"
            "{% if details.urgent_help %} Wenn Sie jetzt Hilfe brauchen: "
            "{{ emergency_numbers }}{% endif %}"
        ),
    )
)
