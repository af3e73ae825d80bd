"""Clients in from the practice tools' exports, plain sheets and contact files."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from pathlib import Path

import pytest
from django.core.management import call_command

from aftercare.clients.models import Client, ConsentEvent
from aftercare.imports.clients import ImportResult, import_clients
from aftercare.imports.columns import recognise_layout
from aftercare.imports.reading import read_client_file
from aftercare.practice.models import AuditEvent, Practice
from aftercare.testing import Personas, make_client

pytestmark = pytest.mark.django_db


def run(personas: Personas, data: bytes, *, dry_run: bool = False, **kwargs) -> ImportResult:  # type: ignore[no-untyped-def]
    reading = read_client_file(data, practice=personas.practice, **kwargs)
    rows = reading.rows(personas.practice)
    return import_clients(
        actor=personas.actor(), rows=rows.rows, refused=rows.refused, dry_run=dry_run
    )


TOOL_FILES = {
    "cliniko_patients.csv": ("Cliniko", 3),
    "jane_patient_list.csv": ("Jane", 2),
    "simplepractice_clients.csv": ("SimplePractice", 2),
    "powerdiary_clients.csv": ("Power Diary / Zanda", 2),
    "practicebetter_clients.csv": ("Practice Better", 2),
}


@pytest.mark.parametrize("name", sorted(TOOL_FILES))
def test_each_tools_export_is_recognised_imported_and_a_second_run_changes_nothing(
    personas: Personas, files: Path, name: str
) -> None:
    tool, count = TOOL_FILES[name]
    data = (files / name).read_bytes()
    reading = read_client_file(data, practice=personas.practice)
    assert reading.source == tool
    first = run(personas, data)
    assert (first.created, first.updated, first.refused) == (count, 0, [])
    again = run(personas, data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, count)
    assert Client.objects.filter(practice=personas.practice).count() == count + 1


def test_cliniko_fields_land_where_they_belong(personas: Personas, files: Path) -> None:
    run(personas, (files / "cliniko_patients.csv").read_bytes())
    hannah = Client.objects.get(practice=personas.practice, external_id="1024")
    assert (hannah.given_name, hannah.family_name, hannah.preferred_name) == (
        "Hannah", "O'Brien", "Han",
    )  # fmt: skip
    assert hannah.birth_date == dt.date(1984, 2, 29)
    assert hannah.phone == "+447911234567"
    assert (
        hannah.postal_address
        == "Flat 2, 14 Mill Lane\nLeeds West Yorkshire LS1 4AB\nUnited Kingdom"
    )
    tomasz = Client.objects.get(practice=personas.practice, external_id="1025")
    assert tomasz.private_notes == 'Prefers morning sessions, "not Mondays"'
    priya = Client.objects.get(practice=personas.practice, external_id="1026")
    assert priya.phone == "+441614960000"  # the home phone, as she has no mobile


def test_consent_is_never_assumed(personas: Personas, files: Path) -> None:
    run(personas, (files / "cliniko_patients.csv").read_bytes())
    hannah = Client.objects.get(practice=personas.practice, external_id="1024")
    # No consent column for care messages: not given; email marketing was accepted.
    assert (hannah.consent_care, hannah.consent_information) == (False, True)
    # The history holds what was said: the one consent column the file has.
    assert list(
        ConsentEvent.objects.filter(client=hannah).values_list("purpose", "granted", "how")
    ) == [("information", True, "import")]


def test_a_semicolon_sheet_in_windows_1252_with_dotted_dates_and_a_consent_column(
    personas: Personas, files: Path
) -> None:
    result = run(personas, (files / "plain_excel_semicolon.csv").read_bytes())
    assert (result.created, result.refused) == (2, [])
    juergen = Client.objects.get(practice=personas.practice, email="juergen@example.de")
    assert (juergen.given_name, juergen.family_name) == ("Jürgen", "Müller")
    assert juergen.birth_date == dt.date(1982, 7, 14)
    assert juergen.phone == "+4915123456789"
    assert juergen.consent_care is True
    assert Client.objects.get(email="anna@example.de").consent_care is False


def test_jane_in_windows_1252_keeps_its_accents_and_reads_days_first(
    personas: Personas, files: Path
) -> None:
    run(personas, (files / "jane_patient_list.csv").read_bytes())
    zoe = Client.objects.get(practice=personas.practice, external_id="57")
    assert (zoe.given_name, zoe.family_name, zoe.pronouns) == ("Zoë", "Lefèvre", "she/her")
    assert zoe.birth_date == dt.date(1982, 7, 14)
    assert Client.objects.get(external_id="58").birth_date == dt.date(1990, 3, 2)


def test_simplepractice_dates_read_month_first_and_inactive_clients_arrive_archived(
    personas: Personas, files: Path
) -> None:
    run(personas, (files / "simplepractice_clients.csv").read_bytes())
    peggy = Client.objects.get(practice=personas.practice, external_id="SP-3301")
    assert peggy.birth_date == dt.date(1961, 3, 4)
    assert Client.objects.get(external_id="SP-3302").archived is True


def test_practice_better_tags(personas: Personas, files: Path) -> None:
    run(personas, (files / "practicebetter_clients.csv").read_bytes())
    ines = Client.objects.get(practice=personas.practice, email="ines.garcia@example.es")
    assert sorted(ines.tags.values_list("name", flat=True)) == ["gut health", "nutrition"]


def test_contacts_from_an_iphone_and_google(personas: Personas, files: Path) -> None:
    iphone = run(personas, (files / "iphone_contacts.vcf").read_bytes())
    assert (iphone.created, iphone.refused) == (2, [])
    chidi = Client.objects.get(practice=personas.practice, email="chidi@example.org")
    assert (chidi.phone, chidi.preferred_name) == ("+447944555666", "Chi")
    assert chidi.birth_date == dt.date(1991, 5, 17)
    # A birthday without its year is no date of birth.
    assert Client.objects.get(given_name="Astrid").birth_date is None
    google = run(personas, (files / "google_contacts.vcf").read_bytes())
    assert google.created == 2
    assert [(r.row, r.reason) for r in google.refused] == [
        (3, "'not-an-address' is not an email address")
    ]
    noor = Client.objects.get(practice=personas.practice, given_name="Noor")
    assert noor.phone == "+447977999000"
    assert noor.external_id == "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1"
    assert run(personas, (files / "google_contacts.vcf").read_bytes()).created == 0


def test_a_row_matches_by_external_id_then_email_then_phone(personas: Personas) -> None:
    by_email = make_client(personas.practice, given_name="Ana", email="ana@example.org", phone="")
    by_phone = make_client(
        personas.practice, given_name="Bo", email="", phone="+447911000111", external_id=""
    )
    data = (
        b"id,first name,last name,email,mobile\n"
        b"A1,Ana,Lima,ana@example.org,\n"
        b"B1,Bo,Berg,,07911 000111\n"
    )
    result = run(personas, data)
    assert (result.created, result.updated) == (0, 2)
    by_email.refresh_from_db()
    by_phone.refresh_from_db()
    assert (by_email.external_id, by_email.family_name) == ("A1", "Lima")
    assert by_phone.external_id == "B1"
    # Now the ids match, even when the email changes.
    changed = run(personas, b"id,first name,last name,email\nA1,Ana,Lima,ana.lima@example.org\n")
    assert changed.updated == 1
    by_email.refresh_from_db()
    assert by_email.email == "ana.lima@example.org"


def test_a_dry_run_says_what_would_happen_row_by_row_and_writes_nothing(
    personas: Personas,
) -> None:
    make_client(personas.practice, given_name="Ana", email="ana@example.org")
    before = AuditEvent.objects.count()
    data = (
        b"First name,Last name,Email,DOB\n"
        b"Ana,Lima,ana@example.org,\n"
        b"Ben,Okoro,ben@example.org,31/02/1980\n"
        b"Cy,Ng,cy@example.org,01/02/1980\n"
    )
    result = run(personas, data, dry_run=True)
    assert [(o.row, o.outcome) for o in result.outcomes] == [
        (2, "updated"), (3, "refused"), (4, "created"),
    ]  # fmt: skip
    assert result.outcomes[1].detail.startswith("date of birth: '31/02/1980' is not a date")
    assert result.outcomes[0].detail == "family name"
    assert Client.objects.filter(practice=personas.practice).count() == 2
    assert AuditEvent.objects.count() == before


def test_one_person_twice_in_a_file_is_refused_naming_the_first_row(personas: Personas) -> None:
    data = b"id,first name,email\n7,Ana,ana@example.org\n8,Ben,ben@example.org\n7,Ana,ana@example.org\n"
    result = run(personas, data)
    assert result.created == 2
    assert [(r.row, r.reason) for r in result.refused] == [(4, "the same client as row 2")]


def test_an_import_stays_in_its_practice(personas: Personas) -> None:
    make_client(personas.other_practice, given_name="Ana", email="ana@example.org")
    result = run(personas, b"first name,email\nAna,ana@example.org\n")
    assert result.created == 1
    assert Client.objects.filter(email="ana@example.org").count() == 2


def ten_thousand_rows(bad: int) -> tuple[bytes, set[int]]:
    """A big export with ``bad`` rows broken in the ways real files are."""
    rng = random.Random(14)
    breakers = [
        lambda r: {**r, "Email": "ana@@example"},
        lambda r: {**r, "Date of birth": "31/02/1980"},
        lambda r: {**r, "Date of birth": "12/12/2031"},
        lambda r: {**r, "First name": ""},
        lambda r: {**r, "Mobile": "12"},
        lambda r: {**r, "Patient ID": "1"},  # the same client as row 2
    ]
    bad_rows = set(rng.sample(range(3, 10_002), bad))
    out = io.StringIO()
    out.write("Patient ID,First name,Last name,Date of birth,Email,Mobile\r\n")
    for number in range(2, 10_002):
        i = number - 1
        row = {
            "Patient ID": str(i),
            "First name": rng.choice(["Anna", "Ben", "Chloé", "Dev", "Eun-ji", "Femi"]),
            "Last name": f"Family{i}",
            "Date of birth": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/19{rng.randint(40, 99)}",
            "Email": f"client{i}@example.org",
            "Mobile": f"07911 {100000 + i}",
        }
        if number in bad_rows:
            row = breakers[number % len(breakers)](row)
        out.write(",".join(row.values()) + "\r\n")
    return out.getvalue().encode("utf-8-sig"), bad_rows


def test_ten_thousand_rows_with_37_bad_ones(personas: Personas) -> None:
    data, bad_rows = ten_thousand_rows(37)
    result = run(personas, data)
    assert result.created == 9_963
    assert sorted(r.row for r in result.refused) == sorted(bad_rows)
    assert all(r.reason for r in result.refused)
    assert Client.objects.filter(practice=personas.practice).count() == 9_964
    again = run(personas, data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 9_963)
    assert len(again.refused) == 37


def test_the_command_prints_json(personas: Personas, files: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = files / "google_contacts.vcf"
    call_command("import", "clients", str(path), "--practice", str(personas.practice.pk), "--json")
    assert json.loads(capsys.readouterr().out) == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "refused": [{"row": 3, "reason": "'not-an-address' is not an email address"}],
    }
    call_command(
        "import", "clients", str(path), "--practice", str(personas.practice.pk), "--dry-run"
    )
    assert capsys.readouterr().out.startswith("Dry run: 0 created, 0 updated, 2 unchanged")


def test_the_command_asks_for_the_date_order_when_the_file_cannot_tell(
    personas: Personas, tmp_path: Path
) -> None:
    Practice.objects.filter(pk=personas.practice.pk).update(country="CA")
    path = tmp_path / "clients.csv"
    path.write_bytes(b"First name,DOB\nAnna,03/04/1980\n")
    with pytest.raises(Exception, match="--date-order dmy or --date-order mdy"):
        call_command("import", "clients", str(path), "--practice", str(personas.practice.pk))
    call_command(
        "import", "clients", str(path), "--practice", str(personas.practice.pk),
        "--date-order", "mdy",
    )  # fmt: skip
    assert Client.objects.get(given_name="Anna").birth_date == dt.date(1980, 3, 4)


def test_layouts_are_told_apart_by_their_whole_header() -> None:
    assert recognise_layout(["First name", "Email"]) is None
