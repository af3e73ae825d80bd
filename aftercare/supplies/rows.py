"""The running-out list's rows as ``<tr>`` markup, written in Python.

The list shows fifty supplies a page; its template looked up some thirty values per row through
the template engine (and reversed two URLs), about two fifths of the page's CPU. ``running_out_rows``
writes the same markup, every value escaped, as ``clients.rows.list_rows`` does for the clients
list and ``appointments.rows`` for the schedule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

from aftercare.practice.templatetags.locale_formats import ldate
from aftercare.supplies.models import Kind, PreparedBy, Status
from aftercare.supplies.projection import ReorderPlan
from aftercare.supplies.selectors import ReorderStep, RunningOutSupply

KIND_WORDS = {kind.value: escape(str(kind.label).lower()) for kind in Kind}
PREPARED_BY_LABELS = {value.value: escape(str(value.label)) for value in PreparedBy}
STATUS_LABELS = {status.value: escape(str(status.label)) for status in Status}
NOTHING_PLANNED = (
    '<br><span class="muted">Nothing planned yet: the care engine plans it at its next run.</span>'
)


@dataclass(frozen=True)
class RowText:
    """What every row of one page shares: its day, links and the form's hidden fields."""

    today: dt.date
    edit_url: Callable[[int], str]
    status_url: Callable[[int], str]
    csrf_field: str  # what ``{% csrf_token %}`` writes
    here: str  # where "Mark re-ordered" comes back to


def _steps(steps: list[ReorderStep]) -> str:
    items = []
    for step in steps:
        note = f' <span class="muted">— {escape(step.note)}</span>' if step.note else ""
        items.append(
            f"<li>{escape(step.label)} {escape(step.words)} "
            f"{escape(ldate(step.at, 'D j M, H:i'))}{note}</li>"
        )
    return f'<ul class="steps">{"".join(items)}</ul>'


def running_out_rows(
    supplies: Iterable[RunningOutSupply],
    *,
    plans: dict[int, ReorderPlan],
    steps: dict[int, list[ReorderStep]],
    text: RowText,
) -> SafeString:
    """A ``<tr>`` per supply: run-out day, client, supply and dose, who prepares it, the
    re-order's status, plan and steps, and the edit link and "Mark re-ordered" form."""
    # The same "next" field and CSRF field in every form of the page.
    form_tail = (
        f'">{text.csrf_field}<input type="hidden" name="status" value="reordered">'
        f'<input type="hidden" name="next" value="{escape(text.here)}">'
        '<button type="submit" class="secondary">Mark re-ordered</button></form>\n'
    )
    written = []
    for supply in supplies:
        pk = supply.pk
        status = supply.status
        runs_out = escape(ldate(supply.runs_out_on, "D j M Y"))
        if supply.runs_out_on is not None and supply.runs_out_on < text.today:
            runs_out += ' <span class="status urgency-urgent">ran out</span>'
        kind = KIND_WORDS.get(supply.kind) or escape(supply.kind.lower())
        prepared = PREPARED_BY_LABELS.get(supply.prepared_by) or escape(supply.prepared_by)
        lead = supply.lead_time_days
        if lead:
            prepared += (
                f' <span class="muted">· {lead} day{"" if lead == 1 else "s"} to prepare</span>'
            )
        reorder = (
            f'<span class="status status-{escape(status)}">'
            f"{STATUS_LABELS.get(status) or escape(status)}</span>"
        )
        if supply.reorder_requested_at:
            reorder += (
                f'\n      <span class="muted">since '
                f"{escape(ldate(supply.reorder_requested_at, 'j M'))}</span>"
            )
        plan = plans.get(pk)
        if plan:
            moved = " (moved for an absence)" if plan.moved_for_absence else ""
            reorder += (
                f'\n      <br><span class="muted">order by '
                f"{escape(ldate(plan.order_by, 'j M'))}{moved}</span>"
            )
        supply_steps = steps.get(pk)
        if supply_steps:
            reorder += "\n      " + _steps(supply_steps)
        elif status == Status.ACTIVE:
            reorder += "\n      " + NOTHING_PLANNED
        form = (
            f'      <form method="post" action="{escape(text.status_url(pk))}{form_tail}'
            if status != Status.REORDERED
            else ""
        )
        written.append(
            "\n  <tr>\n"
            f"    <td>{runs_out}</td>\n"
            f"    <td>{escape(supply.client.full_name)}</td>\n"
            f'    <td>{escape(supply.name)} <span class="muted">({kind}, '
            f"{escape(supply.dose_summary)})</span></td>\n"
            f"    <td>{prepared}</td>\n"
            f"    <td>\n      {reorder}\n    </td>\n"
            '    <td class="actions">\n'
            f'      <a href="{escape(text.edit_url(pk))}">Edit</a>\n'
            f"{form}"
            "    </td>\n"
            "  </tr>"
        )
    # Every value above went through ``escape`` (the standard library's, as in
    # ``clients.rows``), the labels once at import.
    return mark_safe("".join(written))
