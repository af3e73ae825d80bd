"""The day and week pages' appointments as markup, written in Python from rows read as tuples.

A busy week holds hundreds of appointments. Per row the template reversed three URLs, quoted
the page's address and formatted two times with Babel, which made the week cost 25 times a
signed-in minimal view (issue 16). With the rows' strings made in Python it still cost 15
times: reading a model instance of each appointment, its client and its practitioner (a third
of the page) and making a dict of a dozen strings per row (a quarter). The day page's template
wrote four forms per booked row, each with its CSRF field, through the template engine. Here:

1. the rows are tuples (``selectors.WeekEntry``, ``DayEntry``): no model instances, and no
   Django converter for their start and end (``selectors._AS_READ``);
2. each URL is its prefix and the appointment's id (``row_urls.id_url``: one ``reverse`` per
   kind of link per page), with the page's address quoted once for the ``next`` parameter;
3. each time of day, kind, status and practitioner is written once per page (a week repeats
   the same few dozen times), exactly as ``|ldate:"H:i"`` and the model's labels write them;
4. each row is one f-string, every value escaped: the markup is what the templates wrote
   (``tests/test_rows.py`` holds their loops and compares).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Collection, Iterable
from html import escape
from urllib.parse import quote

from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe

from aftercare import locales
from aftercare.appointments.models import FeeAction, Status, kind_label
from aftercare.appointments.schedule import DropSlot
from aftercare.appointments.selectors import DayEntry, WeekEntry, status_marks
from aftercare.clients.models import full_name_of
from aftercare.practice.templatetags.locale_formats import ldate
from aftercare.row_urls import MARKER, id_url

STATUS_LABELS: dict[str, str] = dict(Status.choices)
FEE_ACTION_LABELS: dict[str, str] = dict(FeeAction.choices)


def practitioner_name(full_name: str | None, email: str | None) -> str:
    """``User.display_name`` from the two columns (for rows read as tuples)."""
    return full_name or (email or "").split("@")[0]


@functools.lru_cache(maxsize=4096)
def clock_text(hour: int, minute: int, locale: str) -> tuple[str, str]:
    """A time of day, escaped, as ``|ldate:"H:i"`` writes it in ``locale`` and in 24 hours.

    Kept for the process, as Babel took ten microseconds each: a busy week shows a hundred.
    """
    at = dt.time(hour, minute)
    written = locales.format_when(at, "H:i", locale) or at.strftime("%H:%M")
    return escape(written), at.strftime("%H:%M")


def _href_maker(name: str, *, query: str = "") -> Callable[[int], str]:
    """``row_urls.id_url(name, query=query)`` escaped for an attribute: its parts (the URL's
    prefix and suffix, the query) escaped once; the id between them is digits."""
    path = id_url(name)(int(MARKER))
    before, _, after = path.rpartition(MARKER)
    before, after = escape(before), escape(after + query)
    return lambda pk: f"{before}{pk:d}{after}"


class ScheduleText:
    """What the rows of one day or week page share, each made once per page (steps 2 and 3).

    ``here`` is the page's address, where the edit and move pages come back to.
    """

    def __init__(self, *, here: str) -> None:
        back = "?next=" + quote(here, safe="/")  # as ``{{ here|urlencode }}`` wrote it
        self.back = escape(back)
        # Each a function of an id giving the link escaped for an ``href`` (step 2).
        self.edit_href = _href_maker("appointments-edit", query=back)
        self.move_href = _href_maker("appointments-move")
        self.client_href = _href_maker("clients-detail")
        self.status_href = _href_maker("appointments-status")
        self.tz = timezone.get_current_timezone()  # as ``timezone.localtime`` reads it
        self.locale = locales.in_use()
        self._times: dict[int, tuple[str, str]] = {}
        self._kinds: dict[str, str] = {}
        self._people: dict[int, str] = {}

    def clock(self, moment: dt.datetime) -> tuple[str, str]:
        """``moment``'s time of day, escaped, as ``|ldate:"H:i"`` writes it ("9:30 AM") and as
        the week's drag and drop reads it ("09:30")."""
        local = moment.astimezone(self.tz)
        minute = local.hour * 60 + local.minute
        found = self._times.get(minute)
        if found is None:
            found = self._times[minute] = clock_text(local.hour, local.minute, self.locale)
        return found

    def kind(self, kind: str) -> str:
        """The kind's label, escaped."""
        found = self._kinds.get(kind)
        if found is None:
            found = self._kinds[kind] = escape(kind_label(kind))
        return found

    def practitioner(self, entry: WeekEntry | DayEntry) -> str:
        """The appointment's practitioner's name, escaped; "" without one."""
        pk = entry.practitioner_id
        if pk is None:
            return ""
        found = self._people.get(pk)
        if found is None:
            name = practitioner_name(entry.practitioner_full_name, entry.practitioner_email)
            found = self._people[pk] = escape(name)
        return found


def status_label(status: str) -> str:
    """The status's label, escaped (``get_status_display``)."""
    return escape(STATUS_LABELS.get(status, status))


def week_items(
    entries: Iterable[WeekEntry],
    text: ScheduleText,
    *,
    everyone: bool,
    overlapping: Collection[int],
) -> SafeString:
    """A day's ``<li>`` items on the week page, every value escaped.

    ``everyone``: the page shows every practitioner's bookings, so each names its practitioner;
    ``overlapping``: the ids of the appointments that share time with another.
    """
    written = []
    clock, edit_href, move_href, back = text.clock, text.edit_href, text.move_href, text.back
    for entry in entries:
        pk = entry.pk
        status = entry.status
        starts, starts_24 = clock(entry.starts_at)
        ends = clock(entry.ends_at)[0]
        name = escape(full_name_of(entry.given_name, entry.family_name))
        overlaps = pk in overlapping
        about = text.kind(entry.kind)
        if everyone:
            who = text.practitioner(entry)
            if who:
                about += " · " + who
        if status == Status.BOOKED:
            move = move_href(pk)
            drag = f' draggable="true" data-move-url="{move}" data-time="{starts_24}"'
            move_link = (
                f'        <a class="week-move" href="{move}{back}" aria-label="Move '
                f'{name}’s appointment at {starts_24}">Move</a>\n'
            )
        else:
            about += " · " + status_label(status)
            drag = move_link = ""
        written.append(
            f'<li class="week-appointment status-{escape(status)}'
            f'{" overlap" if overlaps else ""}"{drag}>\n'
            f'        <a href="{edit_href(pk)}"><strong>{starts}–{ends}</strong> {name}</a>\n'
            f'        <span class="muted">{about}</span>\n'
            + (
                '        <span class="overlap-warning">Overlaps another booking</span>\n'
                if overlaps
                else ""
            )
            + move_link
            + "      </li>"
        )
    # Every value above went through ``escape``.
    return mark_safe("\n      ".join(written))


def _status_forms(status: str, *, csrf_field: str, here: str) -> list[str]:
    """The one-click status forms of a row of ``status`` around its status URL: the URL joins
    the parts (a booked row's forms differ only by their URL)."""
    parts = []
    tail = ""
    for mark, label in status_marks(status):
        parts.append(f'{tail}\n        <form method="post" action="')
        tail = (
            f'">{csrf_field}<input type="hidden" name="status" value="{escape(str(mark))}">'
            f'<input type="hidden" name="next" value="{escape(here)}">'
            f'<button type="submit" class="secondary">{escape(label)}</button></form>\n      '
        )
    return [*parts, tail] if parts else []


def _answers_and_fee(entry: DayEntry, edit: str) -> str:
    """What the client answered to the reminder (a booked row) and the fee decision (rare)."""
    written = ""
    if entry.status == Status.BOOKED:
        if entry.rebook_requested_at and not entry.rebook_handled_at:
            written += ' <span class="status urgency-attention">asks to rebook</span>'
        elif entry.confirmed_at:
            confirmed = escape(ldate(entry.confirmed_at, "j M"))
            written += f' <span class="status status-attended">confirmed {confirmed}</span>'
    action = entry.fee_action
    if action:
        if action == FeeAction.NONE:
            words = "No fee"
        else:
            label = escape(str(FEE_ACTION_LABELS.get(action, action)).lower())
            words = f"Fee {label} ({escape(str(formats.localize(entry.fee_amount)))})"
        written += (
            f'<br><a href="{edit}">{words}</a>'
            f'<span class="muted">: {escape(entry.fee_reason)}</span>'
        )
    return written


def day_rows(
    entries: Iterable[DayEntry],
    text: ScheduleText,
    *,
    everyone: bool,
    here: str,
    csrf_field: str,
) -> SafeString:
    """The day page's ``<tr>`` rows, every value escaped: time (editing it), client, kind,
    practitioner (``everyone``), status with the client's answer and the fee decision, and the
    one-click status forms posting back to ``here`` with ``csrf_field`` (what
    ``{% csrf_token %}`` writes)."""
    forms = {
        status: _status_forms(status, csrf_field=csrf_field, here=here) for status in STATUS_LABELS
    }
    written = []
    for entry in entries:
        pk = entry.pk
        starts = text.clock(entry.starts_at)[0]
        ends = text.clock(entry.ends_at)[0]
        edit = text.edit_href(pk)
        name = escape(full_name_of(entry.given_name, entry.family_name))
        status = entry.status
        who = f"<td>{text.practitioner(entry) or '—'}</td>" if everyone else ""
        parts = forms.get(status)
        if parts is None:  # a status the model does not know: no buttons, as ``status_marks``
            parts = forms[status] = _status_forms(status, csrf_field=csrf_field, here=here)
        actions = text.status_href(pk).join(parts)
        written.append(
            "\n    <tr>\n"
            f'      <td><a href="{edit}" aria-label="Edit the appointment at {starts}">'
            f"{starts}–{ends}</a></td>\n"
            f'      <td><a href="{text.client_href(entry.client_id)}">{name}</a></td>\n'
            f"      <td>{text.kind(entry.kind)}</td>\n"
            f"      {who}\n"
            f'      <td><span class="status status-{escape(status)}">{status_label(status)}</span>'
            f"{_answers_and_fee(entry, edit)}</td>\n"
            f'      <td><div class="actions">{actions}</div></td>\n'
            "    </tr>\n  "
        )
    # Every value above went through ``escape``.
    return mark_safe("".join(written))


def week_hours(slots: Iterable[DropSlot], step: int) -> SafeString:
    """The hours a day of the week offers to drop a booking on (the same for every day, so
    written once per page); "" without usual hours to show."""
    hours = "".join(
        f'<li class="week-hour" data-time="{escape(slot.clock)}" data-minutes="{slot.minutes:d}">'
        f"{escape(slot.clock)}</li>"
        for slot in slots
    )
    if not hours:
        return mark_safe("")
    # Every value above went through ``escape`` (or is a number).
    return mark_safe(f'<ol class="week-hours" aria-hidden="true" data-step="{step:d}">{hours}</ol>')
