"""Which column of a client list holds what: the practice tools' exports, and plain sheets.

Pure (no Django). ``guess_mapping(headers)`` names the tool a file came from, when its header
is one of the exports below, and maps each column to an import field by its name (spelling,
case, spaces and punctuation aside). A practitioner can change any of it on the mapping
screen; a column mapped to nothing is left out.

The layouts are the columns as each tool's client export writes them (Cliniko's "patients"
data export, Jane's Patient List report, SimplePractice's client list and client data
template, Power Diary/Zanda's client export, Practice Better's client export), and our own
export (``imports.exports``), whose columns are the field names themselves, so a file we
write reads back without a mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Import fields, in the order the mapping screen lists them, with their labels.
FIELDS: dict[str, str] = {
    "external_id": "Id in the other tool",
    "given_name": "First name",
    "family_name": "Last name",
    "full_name": "Full name (split into first and last)",
    "preferred_name": "Preferred name",
    "pronouns": "Pronouns",
    "birth_date": "Date of birth",
    "email": "Email",
    "phone": "Mobile phone",
    "other_phone": "Other phone (used when there is no mobile)",
    "postal_address": "Postal address (whole)",
    "address_1": "Address line 1",
    "address_2": "Address line 2",
    "address_3": "Address line 3",
    "city": "City or suburb",
    "region": "State, province or county",
    "postcode": "Postcode or ZIP",
    "country": "Country",
    "preferred_channel": "Preferred channel",
    "time_zone": "Time zone",
    "language": "Language",
    "tags": "Tags",
    "private_notes": "Private notes",
    "consent_care": "Consent to care messages",
    "consent_information": "Consent to useful information",
    "consent_celebrations": "Consent to celebrations",
    "archived": "Archived or inactive",
}
ADDRESS_PARTS = ["address_1", "address_2", "address_3", "city", "region", "postcode", "country"]
CONSENT_FIELDS = ["consent_care", "consent_information", "consent_celebrations"]

# Header names (normalised: lower case, letters and digits only) → field.
ALIASES: dict[str, str] = {}
for _field, _names in {
    "external_id": "id externalid patientid clientid patientnumber clientnumber uid guid recordid",
    "given_name": "givenname firstname legalfirstname first forename vorname prenom voornaam",
    "family_name": "familyname lastname legallastname surname last nachname nom achternaam",
    "full_name": "fullname name clientname patientname client patient",
    "preferred_name": "preferredname preferredfirstname nickname goesby",
    "pronouns": "pronouns",
    "birth_date": "birthdate dateofbirth dob birthday dateofbirthmmddyyyy geburtsdatum "
    "datedenaissance geboortedatum",
    "email": "email emailaddress primaryemail email1 courriel",
    "phone": "phone mobile mobilephone mobilenumber mobilephonenumber cellphone cell "
    "phonenumber phonemobile phonenumbersmobile handy mobil telefon telephone portable",
    "other_phone": "otherphone homephone workphone landline phonehome phonework",
    "postal_address": "postaladdress fulladdress",
    "address_1": "address address1 addressline1 street streetaddress",
    "address_2": "address2 addressline2",
    "address_3": "address3 addressline3",
    "city": "city suburb town suburbtown",
    "region": "region state province stateprovince county",
    "postcode": "postcode postalcode zip zipcode zippostalcode",
    "country": "country",
    "preferred_channel": "preferredchannel",
    "time_zone": "timezone",
    "language": "language",
    "tags": "tags tag groups",
    "private_notes": "privatenotes notes note comments",
    "consent_care": "consentcare caremessagesconsent",
    "consent_information": "consentinformation acceptedemailmarketing marketingoptin",
    "consent_celebrations": "consentcelebrations",
    "archived": "archived status clientstatus",
}.items():
    for _name in _names.split():
        ALIASES[_name] = _field


@dataclass(frozen=True)
class Layout:
    name: str
    headers: tuple[str, ...]
    date_order: str = ""  # when the tool documents one ("mdy" for SimplePractice)


LAYOUTS = [
    Layout(
        "Cliniko",
        (
            "Patient ID", "Title", "First name", "Last name", "Preferred first name",
            "Date of birth", "Sex", "Email", "Mobile", "Home phone", "Address 1",
            "Address 2", "Address 3", "City", "State", "Post code", "Country",
            "Accepted privacy policy", "Accepted email marketing", "Accepted SMS marketing",
            "Notes",
        ),
    ),
    Layout(
        "Jane",
        (
            "Patient Number", "First Name", "Preferred Name", "Last Name", "Pronouns",
            "Email", "Mobile Phone", "Home Phone", "Work Phone", "Date of Birth", "Sex",
            "Address", "City", "Province", "Postal Code", "Country",
        ),
    ),
    Layout(
        "SimplePractice",
        (
            "Client ID", "Legal First Name", "Legal Last Name", "Preferred Name",
            "Date of Birth (MM/DD/YYYY)", "Email", "Mobile Phone", "Home Phone",
            "Street Address", "City", "State", "Zip Code", "Client Status",
        ),
        date_order="mdy",
    ),
    Layout(
        "Power Diary / Zanda",
        (
            "Client ID", "Title", "First Name", "Last Name", "Preferred Name", "DOB",
            "Gender", "Email", "Mobile", "Home Phone", "Work Phone", "Address 1",
            "Address 2", "Suburb", "State", "Postcode", "Country",
        ),
    ),
    Layout(
        "Practice Better",
        (
            "First Name", "Last Name", "Email Address", "Phone Number", "Date of Birth",
            "Gender", "Street Address", "City", "State/Province", "Zip/Postal Code",
            "Country", "Status", "Tags",
        ),
    ),
]  # fmt: skip


def normalise(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def recognise_layout(headers: list[str]) -> Layout | None:
    """The tool whose export has exactly these columns (order aside), or None."""
    names = {normalise(header) for header in headers if header}
    for layout in LAYOUTS:
        if {normalise(header) for header in layout.headers} == names:
            return layout
    return None


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """``{header: field}`` for each column whose name says what it holds; first one wins."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        field = ALIASES.get(normalise(header), "")
        if field and field not in taken:
            mapping[header] = field
            taken.add(field)
    return mapping


def mapping_problems(mapping: dict[str, str]) -> list[str]:
    """What stops a mapping from being used: no name, a field mapped twice, unknown fields."""
    fields = [field for field in mapping.values() if field]
    problems = [f"“{f}” is not a field a client has." for f in fields if f not in FIELDS]
    doubled = sorted({f for f in fields if fields.count(f) > 1})
    problems += [f"Two columns are mapped to “{FIELDS.get(f, f)}”." for f in doubled]
    if "given_name" not in fields and "full_name" not in fields:
        problems.append("Map a column to “First name” or to “Full name”.")
    return problems
