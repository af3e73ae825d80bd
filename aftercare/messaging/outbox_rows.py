"""The outbox's page and its rows as ``<tr>`` markup, written in Python.

At 100,000 clients a practice had sent some 25,000 messages: Django's ``Paginator`` counted
them all for every page shown, and the template looked up each row's values through the
template engine, together most of the page's CPU. ``OutboxPage`` reads one row more than it
shows (there is an older page when it was found), as ``InboxPage`` and ``AuditPage`` do;
the rows are read as tuples of the columns shown (making 51 messages and their clients from
67 columns each was a third of the page), and ``outbox_rows`` writes the template's markup,
every value escaped, as ``inbox_rows`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from typing import NamedTuple

from django.db.models import QuerySet
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from aftercare import statements
from aftercare.clients.models import full_name_of
from aftercare.messaging import inbox
from aftercare.messaging.models import Direction, Message, MessageChannel
from aftercare.practice.pages import UncountedPage
from aftercare.practice.templatetags.locale_formats import ldate
from aftercare.row_urls import path_maker

CHANNELS = dict(MessageChannel.choices)
SUBJECT_SHOWN = 60


class OutboxRow(NamedTuple):
    """The columns of one sent message that its row shows (``ROW_COLUMNS``, in this order)."""

    id: int
    created_at: dt.datetime
    template_key: str
    to_address: str
    channel: str
    subject: str
    text_body: str
    status: str
    status_reason: str
    provider_id: str
    client_id: int | None
    given_name: str | None
    family_name: str | None

    @property
    def status_words(self) -> str:
        return inbox.sent_status_words(
            self.status, self.provider_id, self.template_key, self.to_address
        )


ROW_COLUMNS = (
    "id",
    "created_at",
    "template_key",
    "to_address",
    "channel",
    "subject",
    "text_body",
    "status",
    "status_reason",
    "provider_id",
    "client_id",
    "client__given_name",
    "client__family_name",
)


@dataclass(frozen=True)
class OutboxPage(UncountedPage):
    """One page of the outbox, newest first. No count of the messages sent (it grows with the
    practice, and counting them cost as much as the rest of the page)."""

    number: int
    rows: list[OutboxRow]
    has_next: bool

    @classmethod
    def of(cls, practice: int, number: int, size: int, *, status: str = "") -> OutboxPage:
        """Page ``number`` (from 1) of the practice's outbound messages, newest first (of one
        ``status`` when given), the columns the rows show, read with one more to know of a next
        page; through a statement, built once per filter and page (the query took longer to
        build than to run)."""
        start = (number - 1) * size

        def build(practice: int, status: str | None = None) -> QuerySet[Message]:
            rows = Message.objects.filter(practice_id=practice, direction=Direction.OUTBOUND)
            if status is not None:
                rows = rows.filter(status=status)
            return rows.order_by("-created_at", "-id").values_list(*ROW_COLUMNS)[
                start : start + size + 1
            ]

        found = [
            OutboxRow(*values)
            for values in statements.rows(
                ("messaging: a page of the outbox", bool(status), start, size),
                build,
                practice=practice,
                **({"status": status} if status else {}),
            )
        ]
        return cls(number, found[:size], len(found) > size)

    def __iter__(self) -> Iterator[OutboxRow]:
        return iter(self.rows)


def subject_words(row: OutboxRow) -> str:
    """The subject, or the words when there is none, cut at ``SUBJECT_SHOWN`` characters as
    ``truncatechars`` cuts them (short ASCII text, most of it, is kept as it is)."""
    text = row.subject or row.text_body
    if len(text) <= SUBJECT_SHOWN and text.isascii():
        return text
    return Truncator(text).chars(SUBJECT_SHOWN)


def outbox_rows(rows: list[OutboxRow]) -> SafeString:
    """A row per message: when, to whom (a staff alert's address, the client, or the address),
    the channel, its subject (or the start of its words) linking to the message, and what
    became of it with the reason given."""
    detail_url = path_maker("messaging-detail")
    written = []
    for row in rows:
        if row.template_key == "staff_alert":
            to = f"Staff alert to {escape(row.to_address)}"
        elif row.client_id is not None:
            to = escape(full_name_of(row.given_name or "", row.family_name or ""))
        else:
            to = escape(row.to_address)
        channel = escape(str(CHANNELS.get(row.channel, row.channel)))
        reason = f"<br><small>{escape(row.status_reason)}</small>" if row.status_reason else ""
        written.append(
            "\n    <tr>\n"
            f"      <td>{escape(ldate(row.created_at, 'j M H:i'))}</td>\n"
            f"      <td>{to}</td>\n"
            f"      <td>{channel}</td>\n"
            '      <td class="wrap">'
            f'<a href="{escape(detail_url(row.id))}">{escape(subject_words(row))}</a></td>\n'
            f"      <td>{escape(row.status_words)}{reason}</td>\n"
            "    </tr>\n  "
        )
    # Every value above went through ``escape`` (the standard library's).
    return mark_safe("".join(written))
