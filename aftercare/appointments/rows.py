"""What the day and week pages show of each appointment, made once per page in Python.

A busy week holds hundreds of appointments. Per row the template reversed three URLs, quoted
the page's address and formatted two times with Babel, which made the week cost 25 times a
signed-in minimal view (issue 16). Here:

1. each URL is its prefix and the appointment's id (``row_urls.id_url``: one ``reverse`` per
   kind of link per page), with the page's address quoted once for the ``next`` parameter;
2. each time of day is formatted once per page in the practice's locale (a week repeats the
   same few dozen times), exactly as ``|ldate:"H:i"`` writes it;
3. the template then only prints strings: no URL, filter or lookup work per row;
4. the week page, which in a busy week lists hundreds of appointments, gets its items written
   here too (``week_items``): printing a dozen strings per row through the template engine
   was still about half of its rendering.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypedDict
from urllib.parse import quote

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from aftercare import locales
from aftercare.appointments.models import Appointment, Status
from aftercare.appointments.selectors import status_actions
from aftercare.clients.timeline import TimelineAction
from aftercare.row_urls import id_url


class ScheduleRow(TypedDict):
    """One appointment on the day or week page: a dict, as the template reads a dict's keys
    at once where it first tries (and fails) to index any other object."""

    appointment: Appointment  # for what few rows show: a rebooking, a confirmation, a fee
    starts: str  # the start as the practice's locale writes a time ("09:30", "9:30 AM")
    ends: str
    starts_24: str  # "09:30": what the week's drag and drop keeps when it moves a booking
    status: str
    status_label: str
    booked: bool
    client_name: str
    kind_label: str
    practitioner_name: str  # "" without a practitioner
    edit_url: str  # the edit form, coming back to this page
    move_url: str  # the move page; the drag-and-drop form posts to it
    move_link: str  # the move page, coming back to this page
    client_url: str
    overlaps: bool
    actions: tuple[TimelineAction, ...]


class ScheduleRows:
    """Makes the rows of one day or week page (the numbered steps above).

    One per page, not per day: the week's seven days share its URLs and its times of day.
    ``here`` is the page's address, ``overlapping`` the ids of appointments that share time.
    """

    def __init__(
        self,
        *,
        here: str,
        overlapping: set[int] | frozenset[int] = frozenset(),
        with_actions: bool = False,
    ) -> None:
        back = "?next=" + quote(here, safe="/")  # as ``{{ here|urlencode }}`` wrote it
        self.back = back
        self.edit_url = id_url("appointments-edit", query=back)
        self.move_url = id_url("appointments-move")
        self.status_url = id_url("appointments-status") if with_actions else None
        self.client_url = id_url("clients-detail")
        self.overlapping = overlapping
        self.locale = locales.in_use()
        self.written: dict[dt.time, str] = {}

    def clock_time(self, moment: dt.datetime) -> str:
        """``moment``'s time of day as ``|ldate:"H:i"`` writes it, formatted once per page."""
        local = timezone.localtime(moment).time()
        text = self.written.get(local)
        if text is None:
            text = locales.format_when(local, "H:i", self.locale) or local.strftime("%H:%M")
            self.written[local] = text
        return text

    def __call__(self, appointments: Iterable[Appointment]) -> list[ScheduleRow]:
        rows = []
        for appointment in appointments:
            pk = appointment.pk
            move = self.move_url(pk)
            practitioner = appointment.practitioner
            rows.append(
                ScheduleRow(
                    appointment=appointment,
                    starts=self.clock_time(appointment.starts_at),
                    ends=self.clock_time(appointment.ends_at),
                    starts_24=timezone.localtime(appointment.starts_at).strftime("%H:%M"),
                    status=appointment.status,
                    status_label=appointment.get_status_display(),
                    booked=appointment.status == Status.BOOKED,
                    client_name=appointment.client.full_name,
                    kind_label=appointment.kind_label,
                    practitioner_name=practitioner.display_name if practitioner else "",
                    edit_url=self.edit_url(pk),
                    move_url=move,
                    move_link=move + self.back,
                    client_url=self.client_url(appointment.client_id),
                    overlaps=pk in self.overlapping,
                    actions=(
                        status_actions(appointment, url=self.status_url)
                        if self.status_url is not None
                        else ()
                    ),
                )
            )
        return rows


def week_items(rows: Iterable[ScheduleRow], *, everyone: bool) -> SafeString:
    """A day's ``<li>`` items on the week page, as its template wrote them, every value escaped.

    ``everyone``: the page shows every practitioner's bookings, so each names its practitioner.
    """
    written = []
    for row in rows:
        name = escape(row["client_name"])
        starts_24 = escape(row["starts_24"])
        booked = row["booked"]
        overlaps = row["overlaps"]
        drag = (
            f' draggable="true" data-move-url="{escape(row["move_url"])}" data-time="{starts_24}"'
            if booked
            else ""
        )
        about = escape(row["kind_label"])
        if everyone and row["practitioner_name"]:
            about += " · " + escape(row["practitioner_name"])
        if not booked:
            about += " · " + escape(row["status_label"])
        written.append(
            f'<li class="week-appointment status-{escape(row["status"])}'
            f'{" overlap" if overlaps else ""}"{drag}>\n'
            f'        <a href="{escape(row["edit_url"])}"><strong>{escape(row["starts"])}–'
            f"{escape(row['ends'])}</strong> {name}</a>\n"
            f'        <span class="muted">{about}</span>\n'
            + (
                '        <span class="overlap-warning">Overlaps another booking</span>\n'
                if overlaps
                else ""
            )
            + (
                f'        <a class="week-move" href="{escape(row["move_link"])}" aria-label="Move '
                f'{name}’s appointment at {starts_24}">Move</a>\n'
                if booked
                else ""
            )
            + "      </li>"
        )
    # Every value above went through ``escape``.
    return mark_safe("\n      ".join(written))
