"""A spreadsheet file as people save it, read into a header and rows. Pure (no Django).

1. Text: UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8" writes one), UTF-16
   with its mark (Excel's "Unicode text"), else Windows-1252 (Excel's plain "CSV" on Windows
   and the Mac); a file that is none of these is refused as a whole, with the reason.
2. Separator: comma, semicolon (Excel where the decimal mark is a comma: Germany, France,
   the Netherlands) or tab, whichever splits the header and the first lines into the same
   number of columns most often.
3. Rows keep the number a spreadsheet shows them under (the header is row 1), so a refusal
   can say "row 17" and the practitioner finds it; fully empty lines are skipped.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field

SEPARATORS = (",", ";", "\t")


class TableError(ValueError):
    """The file as a whole cannot be read; the message says why, for a person."""


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    encoding: str = "utf-8"
    separator: str = ","

    def values(self, column: int) -> list[str]:
        return [cells[column] for _, cells in self.rows if column < len(cells)]


def decode(data: bytes) -> tuple[str, str]:
    """Return the text of ``data`` and the encoding it was read in (step 1)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        raise TableError(
            "The file is not text in UTF-8 or Windows-1252; save it from your spreadsheet as "
            "“CSV UTF-8”."
        ) from error


def sniff_separator(text: str) -> str:
    """The separator that gives the header and the next lines one same width (step 2)."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", (-1, -1)
    for separator in SEPARATORS:
        widths = [len(row) for row in csv.reader(lines, delimiter=separator)]
        header = widths[0]
        if header < 2:
            continue
        same = sum(1 for width in widths[1:] if width == header)
        score = (same, header)
        if score > best_score:
            best, best_score = separator, score
    return best


def read_table(data: bytes) -> Table:
    """Read a CSV/TSV file's bytes into a ``Table`` (the module's steps)."""
    text, encoding = decode(data)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise TableError("The file is empty.")
    separator = sniff_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        records = list(reader)
    except csv.Error as error:
        raise TableError(f"Row {reader.line_num}: {error}.") from error
    numbered = [
        (number, [cell.strip() for cell in cells])
        for number, cells in enumerate(records, start=1)
        if any(cell.strip() for cell in cells)
    ]
    if not numbered:
        raise TableError("The file is empty.")
    (_, headers), *rows = numbered
    if len([h for h in headers if h]) < 1:
        raise TableError("Row 1 should name the columns; it is empty.")
    return Table(headers=headers, rows=rows, encoding=encoding, separator=separator)
