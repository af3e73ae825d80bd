"""A small score chart as server-rendered SVG (pure Python, no Django, no JavaScript).

One chart shows one measure's scores over time (the PHQ-9, or the check-ins' 0–10 scores), with
what happened in between marked on the same time axis: visits, new medications (supplies
started) and absences. Several charts with the same ``start`` and ``end`` line up as small
multiples. Insights (the client's-eye view) reuses it.

Readable without colour: every score is written next to its point, the bands are labelled
with their names in the margin, visits are dotted lines, medications are triangles with a
letter, absences are hatched spans labelled "away", and a text legend under the plot says
so. The SVG is an image with a title and description; the page puts the same numbers in a
table for screen readers.

1. The x axis maps days from ``start`` to ``end`` linearly across the plot; the y axis maps
   ``low``…``high`` bottom to top.
2. Bands are drawn first (alternating light fills and a boundary line with the band's name),
   then absences, visits and medications, then the line of scores and its points with values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from aftercare.locales import format_date

# Small on purpose: on a 390 px phone the chart is drawn about 330 px wide, so its 12-unit
# text stays about 10 px high.
WIDTH = 410
HEIGHT = 210
MARGIN_LEFT = 30
MARGIN_RIGHT = 122  # band names
MARGIN_TOP = 18
MARGIN_BOTTOM = 44  # dates and markers


@dataclass(frozen=True)
class Point:
    on: dt.date
    value: int


@dataclass(frozen=True)
class BandLine:
    low: int
    high: int
    label: str


@dataclass(frozen=True)
class Marker:
    """A moment on the time axis: a visit or a new medication."""

    on: dt.date
    kind: str  # "visit" or "medication"
    label: str = ""


@dataclass(frozen=True)
class Span:
    """A stretch of days, inclusive: an absence of the practitioner."""

    first_day: dt.date
    last_day: dt.date
    label: str = "away"


@dataclass(frozen=True)
class Chart:
    title: str
    points: Sequence[Point]
    low: int
    high: int
    start: dt.date
    end: dt.date
    higher_is_better: bool = False
    bands: Sequence[BandLine] = ()
    markers: Sequence[Marker] = ()
    spans: Sequence[Span] = ()
    unit: str = ""
    notes: Sequence[str] = field(default_factory=tuple)

    def description(self) -> str:
        """One sentence for the image's description (screen readers also get the table)."""
        if not self.points:
            return f"{self.title}: no scores yet."
        first, last = self.points[0], self.points[-1]
        better = "higher is better" if self.higher_is_better else "lower is better"
        words = (
            f"{self.title}, {len(self.points)} score{'s' if len(self.points) != 1 else ''} "
            f"from {format_date(first.on, 'j M Y')} to {format_date(last.on, 'j M Y')} ({better}): "
            f"first {first.value}, latest {last.value}."
        )
        visits = sum(1 for m in self.markers if m.kind == "visit")
        medications = sum(1 for m in self.markers if m.kind == "medication")
        extra = []
        if visits:
            extra.append(f"{visits} visit{'s' if visits != 1 else ''}")
        if medications:
            extra.append(f"{medications} new medication{'s' if medications != 1 else ''}")
        if self.spans:
            extra.append(f"{len(self.spans)} absence{'s' if len(self.spans) != 1 else ''}")
        return words + (" Marked: " + ", ".join(extra) + "." if extra else "")


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def render_svg(chart: Chart, *, chart_id: str = "chart") -> str:
    """The chart as an ``<svg>`` element (a string safe to put in HTML as it is)."""
    plot_left, plot_right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    plot_top, plot_bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    days = max(1, (chart.end - chart.start).days)
    span_y = max(1, chart.high - chart.low)

    def x(day: dt.date) -> float:
        offset = min(max((day - chart.start).days, 0), days)
        return plot_left + (plot_right - plot_left) * offset / days

    def y(value: float) -> float:
        return plot_bottom - (plot_bottom - plot_top) * (value - chart.low) / span_y

    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="score-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" font-family="system-ui, sans-serif" '
        f'font-size="12">',
        f'<title id="{title_id}">{escape(chart.title)}</title>',
        f'<desc id="{desc_id}">{escape(chart.description())}</desc>',
        "<defs>"
        f'<pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#555" '
        'stroke-width="1.5"/></pattern></defs>',
    ]
    # 2. Bands: alternate fills, a boundary line and the band's name in the right margin.
    for index, band in enumerate(chart.bands):
        top, bottom = y(min(band.high + 1, chart.high)), y(band.low)
        if band.high >= chart.high:
            top = y(chart.high)
        fill = "#f2f2f2" if index % 2 == 0 else "#ffffff"
        parts.append(
            f'<rect x="{plot_left}" y="{_fmt(top)}" width="{plot_right - plot_left}" '
            f'height="{_fmt(max(0.0, bottom - top))}" fill="{fill}"/>'
        )
        parts.append(
            f'<line x1="{plot_left}" x2="{plot_right}" y1="{_fmt(bottom)}" y2="{_fmt(bottom)}" '
            'stroke="#bbb" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{plot_right + 5}" y="{_fmt((top + bottom) / 2 + 4)}" fill="#333" '
            'font-size="11">'
            f"{escape(band.label)}</text>"
        )
        if band.low > chart.low:  # where the band starts, on the y axis
            parts.append(
                f'<text x="{plot_left - 4}" y="{_fmt(bottom + 4)}" text-anchor="end" '
                f'fill="#555">{band.low}</text>'
            )
    # Absences: hatched spans with "away".
    for span in chart.spans:
        if span.last_day < chart.start or span.first_day > chart.end:
            continue
        left, right = x(span.first_day), x(span.last_day + dt.timedelta(days=1))
        parts.append(
            f'<rect x="{_fmt(left)}" y="{plot_top}" width="{_fmt(max(2.0, right - left))}" '
            f'height="{plot_bottom - plot_top}" fill="url(#{chart_id}-hatch)" opacity="0.35">'
            f"<title>{escape(span.label)}: {format_date(span.first_day, 'j M')} – {format_date(span.last_day, 'j M Y')}</title></rect>"
        )
        parts.append(
            f'<text x="{_fmt(left + 2)}" y="{plot_top + 11}" fill="#333">{escape(span.label)}</text>'
        )
    # Visits (dotted lines) and new medications (triangles marked "M") on the time axis.
    for marker in chart.markers:
        if not chart.start <= marker.on <= chart.end:
            continue
        mx = _fmt(x(marker.on))
        label = escape(marker.label or marker.kind)
        if marker.kind == "medication":
            parts.append(
                f'<path d="M{mx} {plot_bottom + 4} l6 11 h-12 z" fill="#222">'
                f"<title>{label} ({format_date(marker.on, 'j M Y')})</title></path>"
            )
            parts.append(
                f'<text x="{mx}" y="{plot_bottom + 27}" text-anchor="middle" fill="#222">M</text>'
            )
        else:
            parts.append(
                f'<line x1="{mx}" x2="{mx}" y1="{plot_top}" y2="{plot_bottom}" stroke="#666" '
                f'stroke-dasharray="2 3"><title>{label} ({format_date(marker.on, "j M Y")})</title></line>'
            )
    # Axes and dates.
    parts.append(
        f'<line x1="{plot_left}" x2="{plot_right}" y1="{plot_bottom}" y2="{plot_bottom}" stroke="#333"/>'
        f'<line x1="{plot_left}" x2="{plot_left}" y1="{plot_top}" y2="{plot_bottom}" stroke="#333"/>'
        f'<text x="{plot_left - 4}" y="{_fmt(y(chart.high) + 4)}" text-anchor="end">{chart.high}</text>'
        f'<text x="{plot_left - 4}" y="{_fmt(y(chart.low) + 4)}" text-anchor="end">{chart.low}</text>'
        f'<text x="{plot_left}" y="{HEIGHT - 4}">{format_date(chart.start, "j M Y")}</text>'
        f'<text x="{plot_right}" y="{HEIGHT - 4}" text-anchor="end">{format_date(chart.end, "j M Y")}</text>'
    )
    # The scores: a line, a point each, and the value written above it.
    if chart.points:
        path = " ".join(f"{_fmt(x(p.on))},{_fmt(y(p.value))}" for p in chart.points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#0b5394" stroke-width="2.5"/>')
        for point in chart.points:
            px, py = _fmt(x(point.on)), _fmt(y(point.value))
            parts.append(
                f'<circle cx="{px}" cy="{py}" r="4.5" fill="#fff" stroke="#0b5394" stroke-width="2.5">'
                f"<title>{point.value}{escape(chart.unit)} on {format_date(point.on, 'j M Y')}</title></circle>"
            )
            parts.append(
                f'<text x="{px}" y="{_fmt(float(py) - 9)}" text-anchor="middle" font-weight="700" '
                f'fill="#111">{point.value}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


LEGEND = (
    "Dotted line: a visit. Triangle marked M: a new medication. Hatched: the practitioner was away."
)
