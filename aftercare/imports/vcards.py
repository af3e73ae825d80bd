"""vCard 3.0 and 4.0 files (one contact or many) as a table of import fields. Pure (no models).

iPhone Contacts exports vCard 3.0 with ``item1.``-grouped properties and ``TYPE=CELL``;
Google Contacts exports 3.0 with ``TYPE=CELL`` and a ``CATEGORIES`` of its labels; vCard 4.0
writes ``TYPE=cell`` or ``TYPE="cell,voice"`` and a ``BDAY`` that may lack the year
(``--0415``). Each contact becomes a row whose columns are the import fields themselves, so
the same checks as a CSV apply; a card that cannot be read is a row with a reason.
"""

from __future__ import annotations

import vobject

from aftercare.imports.tabular import Table, TableError

HEADERS = [
    "external_id",
    "given_name",
    "family_name",
    "full_name",
    "preferred_name",
    "email",
    "phone",
    "other_phone",
    "birth_date",
    "postal_address",
    "tags",
    "private_notes",
]


def looks_like_vcard(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \r\n\t")[:11].upper() == b"BEGIN:VCARD"


def _types(prop: object) -> set[str]:
    params = getattr(prop, "params", {})
    types = params.get("TYPE", [])
    return {part.strip().lower() for value in types for part in value.split(",")}


def _text(value: object) -> str:
    return str(value or "").strip()


def _number(prop: object) -> str:
    """A TEL's number; vCard 4.0 writes it as a ``tel:`` URI."""
    text = _text(getattr(prop, "value", ""))
    return text.removeprefix("tel:") if text.startswith("tel:") else text


def card_row(card: vobject.base.Component) -> list[str]:
    contents = card.contents
    given = family = ""
    if "n" in contents:
        name = contents["n"][0].value
        given, family = _text(name.given), _text(name.family)
    full = _text(contents["fn"][0].value) if "fn" in contents else ""
    emails = contents.get("email", [])
    email = next((e for e in emails if "pref" in _types(e)), emails[0] if emails else None)
    phones = contents.get("tel", [])
    mobile = next((t for t in phones if _types(t) & {"cell", "mobile", "iphone"}), None)
    other = next((t for t in phones if t is not mobile), None)
    birthday = _text(contents["bday"][0].value) if "bday" in contents else ""
    if birthday.startswith("--") or len(birthday.replace("-", "")) == 4:
        birthday = ""  # a birthday without its year is no date of birth
    elif len(birthday) == 8 and birthday.isdigit():
        birthday = f"{birthday[:4]}-{birthday[4:6]}-{birthday[6:]}"
    address = ""
    if "adr" in contents:
        adr = contents["adr"][0].value
        town = " ".join(_text(p) for p in (adr.city, adr.region, adr.code) if _text(p))
        lines = [_text(adr.street), town, _text(adr.country)]
        address = "\n".join(line for line in lines if line)
    categories = []
    for prop in contents.get("categories", []):
        value = prop.value
        categories += value if isinstance(value, list) else str(value).split(",")
    return [
        _text(contents["uid"][0].value) if "uid" in contents else "",
        given,
        family,
        full if not given else "",
        _text(contents["nickname"][0].value) if "nickname" in contents else "",
        _text(email.value) if email is not None else "",
        _number(mobile) if mobile is not None else "",
        _number(other) if other is not None else "",
        birthday,
        address,
        ",".join(c.strip() for c in categories if c.strip() and c.strip() != "myContacts"),
        _text(contents["note"][0].value) if "note" in contents else "",
    ]


def read_vcards(data: bytes) -> Table:
    """Every contact in ``data`` as a row; row N is the Nth contact of the file."""
    text = data.decode("utf-8-sig", errors="replace")
    try:
        cards = list(vobject.readComponents(text, ignoreUnreadable=True))
    except Exception as error:  # vobject raises bare ParseError subclasses and others
        raise TableError(f"The contacts file cannot be read: {error}") from error
    cards = [card for card in cards if card.name.upper() == "VCARD"]
    if not cards:
        raise TableError("The file holds no contacts.")
    rows = [(number, card_row(card)) for number, card in enumerate(cards, start=1)]
    return Table(headers=list(HEADERS), rows=rows, encoding="utf-8", separator="")
