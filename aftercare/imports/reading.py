"""An uploaded client file, understood: its table, its mapping, its date order, its rows.

Shared by the mapping screen, the worker and ``aftercare import clients``, so a file is read
the same way wherever it comes in:

1. A vCard file (``BEGIN:VCARD``) becomes a table whose columns are import fields; anything
   else is read as CSV (``tabular.read_table``).
2. The mapping is the one given, else the one the practice saved for this header, else the
   one the column names suggest (``columns.guess_mapping``).
3. The date order is the one given, else decided from the file (``dates.decide_order``);
   None means a person must choose.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from aftercare import clock
from aftercare.imports import vcards
from aftercare.imports.columns import guess_mapping, normalise, recognise_layout
from aftercare.imports.dates import decide_order
from aftercare.imports.models import SavedMapping
from aftercare.imports.rows import ReadRows, read_client_rows
from aftercare.imports.tabular import Table, read_table
from aftercare.practice.models import Practice


@dataclass
class ClientFile:
    table: Table
    source: str  # "Cliniko", "vCard", "a spreadsheet" …
    mapping: dict[str, str]
    date_order: str | None

    def rows(self, practice: Practice) -> ReadRows:
        return read_client_rows(
            self.table,
            self.mapping,
            country=practice.country,
            date_order=self.date_order or "dmy",
            today=clock.now().date(),
        )


def header_key(headers: list[str]) -> str:
    return hashlib.sha256("\x1f".join(normalise(h) for h in headers).encode()).hexdigest()


def read_client_file(
    data: bytes,
    *,
    practice: Practice,
    mapping: dict[str, str] | None = None,
    date_order: str = "",
) -> ClientFile:
    """Steps 1-3 of the module; raises ``TableError`` for a file that is no table at all."""
    if vcards.looks_like_vcard(data):
        table, source = vcards.read_vcards(data), "vCard"
    else:
        table = read_table(data)
        layout = recognise_layout(table.headers)
        source = layout.name if layout else "a spreadsheet"
    layout = recognise_layout(table.headers)
    if mapping is None:
        saved = SavedMapping.objects.filter(
            practice=practice, header_key=header_key(table.headers)
        ).first()
        mapping = dict(saved.mapping) if saved else guess_mapping(table.headers)
    mapping = {header: field for header, field in mapping.items() if header in table.headers}
    order: str | None = date_order
    if not order:
        dates = [
            value
            for index, header in enumerate(table.headers)
            if mapping.get(header) == "birth_date"
            for value in table.values(index)
        ]
        order = decide_order(
            dates, country=practice.country, hint=layout.date_order if layout else ""
        )
    return ClientFile(table=table, source=source, mapping=mapping, date_order=order)


def remember_mapping(practice: Practice, headers: list[str], mapping: dict[str, str]) -> None:
    SavedMapping.objects.update_or_create(
        practice=practice,
        header_key=header_key(headers),
        defaults={"mapping": mapping, "updated_at": clock.now()},
    )
