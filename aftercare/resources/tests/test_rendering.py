"""Resource bodies: Markdown rendered, then sanitised."""

from __future__ import annotations

from aftercare.resources.rendering import render_markdown


def test_it_renders_markdown_lists_and_emphasis() -> None:
    html = render_markdown("Sleep tips:\n\n- **No screens** after 21:00\n- Same wake time")
    assert "<strong>No screens</strong>" in html
    assert html.count("<li>") == 2


def test_it_removes_scripts_event_handlers_and_javascript_links() -> None:
    html = render_markdown(
        '<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n[click](javascript:alert(3))'
    )
    assert "<script" not in html
    assert "onerror" not in html
    assert "javascript:" not in html


def test_links_open_safely() -> None:
    html = render_markdown("[NHS sleep advice](https://www.nhs.uk/live-well/sleep/)")
    assert 'href="https://www.nhs.uk/live-well/sleep/"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
