"""The score chart: valid SVG, readable without colour, described for screen readers."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from aftercare.measures.chart import BandLine, Chart, Marker, Point, Span, render_svg

SVG = "{http://www.w3.org/2000/svg}"
START = dt.date(2026, 9, 1)


def phq9_chart(points: list[Point]) -> Chart:
    return Chart(
        title="PHQ-9",
        points=points,
        low=0,
        high=27,
        start=START,
        end=dt.date(2026, 12, 1),
        bands=[BandLine(0, 4, "None–minimal"), BandLine(5, 27, "Mild or worse")],
        markers=[
            Marker(dt.date(2026, 9, 10), "visit", "Visit"),
            Marker(dt.date(2026, 10, 2), "medication", "Sertraline"),
        ],
        spans=[Span(dt.date(2026, 10, 20), dt.date(2026, 11, 3))],
    )


def test_the_chart_writes_every_score_and_names_every_band_in_text() -> None:
    svg = render_svg(
        phq9_chart([Point(dt.date(2026, 9, 5), 19), Point(dt.date(2026, 11, 20), 6)]),
        chart_id="phq9",
    )
    root = ET.fromstring(svg)  # noqa: S314
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert "19" in texts and "6" in texts  # numbers on the chart, not colours
    assert "None–minimal" in texts and "M" in texts and "away" in texts
    assert "5" in texts  # where the second band starts, on the y axis
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "phq9-title phq9-desc"
    description = root.find(f"{SVG}desc").text
    assert description == (
        "PHQ-9, 2 scores from 5 Sept 2026 to 20 Nov 2026 (lower is better): first 19, latest 6. "
        "Marked: 1 visit, 1 new medication, 1 absence."
    )


def test_a_chart_without_scores_says_so() -> None:
    root = ET.fromstring(render_svg(phq9_chart([])))  # noqa: S314
    assert root.find(f"{SVG}desc").text == "PHQ-9: no scores yet."


def test_text_is_escaped() -> None:
    chart = Chart(title="<script>", points=[], low=0, high=10, start=START, end=START)
    assert "<script>" not in render_svg(chart)


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=91), st.integers(min_value=0, max_value=27)),
        max_size=30,
    )
)
def test_every_point_lies_inside_the_plot(values: list[tuple[int, int]]) -> None:
    points = [Point(START + dt.timedelta(days=d), v) for d, v in sorted(values)]
    root = ET.fromstring(render_svg(phq9_chart(points)))  # noqa: S314
    for circle in root.iter(f"{SVG}circle"):
        assert 30 <= float(circle.get("cx")) <= 410 - 122
        assert 18 <= float(circle.get("cy")) <= 210 - 44
