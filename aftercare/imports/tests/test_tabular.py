from __future__ import annotations

import codecs

import pytest

from aftercare.imports.tabular import TableError, read_table


def test_a_bom_and_windows_line_endings_are_not_part_of_the_first_column() -> None:
    table = read_table(codecs.BOM_UTF8 + b"First name,Email\r\nAnna,a@example.org\r\n")
    assert table.headers == ["First name", "Email"]
    assert table.rows == [(2, ["Anna", "a@example.org"])]
    assert table.encoding == "utf-8-sig"


def test_windows_1252_is_read_when_the_file_is_not_utf8() -> None:
    table = read_table("Vorname;Nachname\r\nJürgen;Müller\r\n".encode("cp1252"))
    assert table.separator == ";"
    assert table.rows == [(2, ["Jürgen", "Müller"])]


def test_tabs_and_quoted_separators_and_line_breaks() -> None:
    table = read_table(b'Name\tNotes\nAnna\t"one; two,\nthree"\nBen\t\n')
    assert table.separator == "\t"
    assert table.rows == [(2, ["Anna", "one; two,\nthree"]), (3, ["Ben", ""])]


def test_empty_lines_are_skipped_but_rows_keep_their_spreadsheet_numbers() -> None:
    table = read_table(b"Name,Email\n\nAnna,a@example.org\n,\nBen,b@example.org\n")
    assert [number for number, _ in table.rows] == [3, 5]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n"])
def test_an_empty_file_is_refused(data: bytes) -> None:
    with pytest.raises(TableError, match="empty"):
        read_table(data)
