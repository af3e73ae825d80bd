"""The layout every practitioner page shares (``base.html``), drawn in Python.

``{% page_header %}`` draws the top bar (the brand, the main navigation, the practice and the
user, sign-out), ``{% page_banners %}`` the page-wide banners and ``{% asset path %}`` a static
file's URL. The markup is what ``base.html`` drew with template tags
(``practice/tests/test_page_layout.py``): on a page of nothing else the layout cost half the
signed-in floor — four ``{% url %}`` reversals, three ``{% static %}`` lookups, two CSRF inputs
and a dozen variables resolved through the template engine on every request (issue 16).
"""

from __future__ import annotations

import functools
from typing import Any

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@functools.lru_cache(maxsize=64)
def _static(path: str, static_url: str, storage: str) -> str:
    return static(path)


@register.simple_tag
def asset(path: str) -> str:
    """``{% static path %}``, looked up once per process (a file's URL, hashed or not, does not
    change while the process runs: a manifest is read when the storage starts)."""
    return _static(path, settings.STATIC_URL, settings.STORAGES["staticfiles"]["BACKEND"])


@functools.lru_cache(maxsize=16)
def _layout_urls(root_urlconf: str, urlconf: str | None, prefix: str) -> dict[str, str]:
    """The header's own links, reversed once per URLconf and script prefix."""
    return {
        name: reverse(name, urlconf=urlconf)
        for name in ("home", "practice-switch", "account", "logout")
    }


def _csrf_input(context: template.Context) -> SafeString:
    """What ``{% csrf_token %}`` draws."""
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":  # noqa: S105 (Django's marker for no request)
        return SafeString("")
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


def _called(value: Any) -> Any:
    """A context value as the template engine reads it (a callable is called)."""
    return value() if callable(value) else value


@register.simple_tag(takes_context=True)
def page_header(context: template.Context) -> SafeString:
    urls = _layout_urls(settings.ROOT_URLCONF, get_urlconf(), get_script_prefix())
    parts = [
        '<header class="top">\n    ',
        format_html('<a class="brand" href="{}">Aftercare</a>', urls["home"]),
    ]
    membership = context.get("membership")
    if membership:
        practice = context.get("current_practice")
        parts.append('\n    <nav aria-label="Main">\n      <ul>\n        ')
        for item in _called(context.get("nav_items")) or ():
            current = ' aria-current="page"' if item["active"] else ""
            parts.append(
                format_html(
                    '<li><a href="{}"{}>{}</a></li>', item["url"], mark_safe(current), item["label"]
                )
            )
        parts.append('\n      </ul>\n    </nav>\n    <div class="who">\n      ')
        others = _called(context.get("other_memberships"))
        if others:
            parts.append(_switcher(context, urls, practice, others))
        else:
            parts.append(
                format_html(
                    '<span class="practice-name">{}</span>', practice.name if practice else ""
                )
            )
        parts.append(
            format_html(
                '\n      <a class="user" href="{}">{} · {}</a>\n      '
                '<form method="post" action="{}">{}<button type="submit" class="link">'
                "Sign out</button></form>\n    </div>",
                urls["account"],
                membership.user.display_name,
                membership.get_role_display(),
                urls["logout"],
                _csrf_input(context),
            )
        )
    parts.append("\n  </header>")
    # The literal parts are this module's own markup; every value went through format_html.
    return mark_safe("".join(parts))


def _switcher(
    context: template.Context, urls: dict[str, str], practice: Any, others: list[Any]
) -> SafeString:
    options = "".join(
        format_html('<option value="{}">{}</option>', other.practice_id, other.practice.name)
        for other in others
    )
    return format_html(
        '<form method="post" action="{}" class="switcher">\n        {}\n'
        '        <label for="practice-switch">Practice</label>\n'
        '        <select id="practice-switch" name="practice_id">\n'
        '          <option value="{}" selected>{}</option>\n          {}\n'
        "        </select>\n"
        '        <button type="submit">Switch</button>\n'
        "      </form>",
        urls["practice-switch"],
        _csrf_input(context),
        practice.pk,
        practice.name,
        mark_safe(options),
    )


@register.simple_tag(takes_context=True)
def page_banners(context: template.Context) -> SafeString:
    return mark_safe(
        "".join(
            format_html(
                '<div class="banner banner-{}" role="status">{}</div>', banner.level, banner.text
            )
            for banner in _called(context.get("banners")) or ()
        )
    )
