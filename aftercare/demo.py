"""Generate a realistic, deterministic demo practice as plain data (no Django models).

Pure: given a seed, a client number and "today", it returns the same people and the same
two years of appointments every time, so a demo or a benchmark can be rebuilt exactly.
Each client draws from its own ``random.Random`` seeded by (seed, index), so client 5 is the
same whether 40 or 100,000 clients are generated and however the writer batches them.
The bulk writes live in ``aftercare.demo_load``.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

T = TypeVar("T")

PRACTICE_TIME_ZONE = "Europe/London"
PRACTICE_TZ = zoneinfo.ZoneInfo(PRACTICE_TIME_ZONE)
PRACTICE_COLOUR = "#2e6b4f"  # a deep green: white text on it reads at 6:1
PRACTICE_COUNTRY = "GB"
# The number its clients text: inbound SMS written to it belong to the demo practice. Ofcom's
# drama range (07700 900xxx) is not a valid number for libphonenumber, so a valid mobile
# outside the clients' +44771 range. A second demo practice on the same database goes without.
PRACTICE_SMS_NUMBER = "+447700100800"
HISTORY_DAYS = 730  # two years of appointments
UPCOMING_DAYS = 42  # and six weeks ahead

# Values of the model choices (appointments.models.Status / Kind, clients.models.Channel);
# a test checks they stay in step with the models.
ATTENDED, NO_SHOW, LATE_CANCELLED, CANCELLED, BOOKED = (
    "attended",
    "no_show",
    "late_cancelled",
    "cancelled",
    "booked",
)
FIRST_VISIT, FOLLOW_UP = "first_visit", "follow_up"
FEES = {FIRST_VISIT: Decimal("90.00"), FOLLOW_UP: Decimal("65.00")}
MINUTES = {FIRST_VISIT: 80, FOLLOW_UP: 50}
GAPS_DAYS = (7, 14, 14, 21, 28, 28, 35, 42, 56, 84)  # between sessions, before jitter


@dataclass(frozen=True)
class StaffMember:
    key: str
    full_name: str
    role: str  # owner, practitioner, assistant
    sees_clients: bool


STAFF: tuple[StaffMember, ...] = (
    StaffMember("owner", "Dr Helen Marsh", "owner", sees_clients=True),
    StaffMember("samir", "Samir Haddad", "practitioner", sees_clients=True),
    StaffMember("grace", "Grace O'Neill", "practitioner", sees_clients=True),
    StaffMember("tom", "Tom Whitfield", "assistant", sees_clients=False),
)
PRACTITIONERS = tuple(index for index, member in enumerate(STAFF) if member.sees_clients)

TAGS = (
    "anxiety",
    "grief",
    "chronic pain",
    "sleep",
    "nutrition",
    "new medication",
    "elderly",
    "sports injury",
    "pregnancy",
    "burnout",
)

# (given name, pronouns) – a mix of the names a practice in a British city sees.
GIVEN_NAMES = (
    ("Margaret", "she/her"),
    ("Elizabeth", "she/her"),
    ("Aisha", "she/her"),
    ("Chloe", "she/her"),
    ("Priya", "she/her"),
    ("Sophie", "she/her"),
    ("Fatima", "she/her"),
    ("Olivia", "she/her"),
    ("Zofia", "she/her"),
    ("Niamh", "she/her"),
    ("Mei", "she/her"),
    ("Amara", "she/her"),
    ("Hannah", "she/her"),
    ("Rosa", "she/her"),
    ("Ingrid", "she/her"),
    ("Joan", "she/her"),
    ("Lucía", "she/her"),
    ("Yasmin", "she/her"),
    ("William", "he/him"),
    ("James", "he/him"),
    ("Mohammed", "he/him"),
    ("Oliver", "he/him"),
    ("Arjun", "he/him"),
    ("Daniel", "he/him"),
    ("Kwame", "he/him"),
    ("Tomasz", "he/him"),
    ("Patrick", "he/him"),
    ("Hiroshi", "he/him"),
    ("Robert", "he/him"),
    ("Elijah", "he/him"),
    ("José", "he/him"),
    ("Harold", "he/him"),
    ("Lars", "he/him"),
    ("Callum", "he/him"),
    ("Alex", "they/them"),
    ("Sam", "they/them"),
    ("Robin", "they/them"),
    ("Jordan", "they/them"),
)
NICKNAMES = {
    "Margaret": "Maggie",
    "Elizabeth": "Liz",
    "William": "Bill",
    "James": "Jim",
    "Robert": "Bob",
    "Daniel": "Dan",
    "Mohammed": "Mo",
    "Patrick": "Paddy",
    "Tomasz": "Tomek",
    "Harold": "Harry",
}
FAMILY_NAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Patel",
    "Khan",
    "Nowak",
    "O'Brien",
    "Murphy",
    "Okafor",
    "Mensah",
    "Chen",
    "Nguyen",
    "Tanaka",
    "García",
    "Müller",
    "Andersson",
    "Kowalski",
    "Evans",
    "Thomas",
    "Roberts",
    "Hughes",
    "Ahmed",
    "Begum",
    "Singh",
    "Campbell",
    "MacDonald",
    "Byrne",
    "Rossi",
    "Dubois",
    "Cohen",
    "Hall",
    "Wright",
    "Green",
)
STREETS = (
    "Mill Lane",
    "Church Street",
    "Station Road",
    "Victoria Road",
    "Park Avenue",
    "Queen's Walk",
    "Orchard Close",
    "High Street",
)
TOWNS = (
    ("Bristol", "BS"),
    ("Bath", "BA"),
    ("Cardiff", "CF"),
    ("Gloucester", "GL"),
    ("Swindon", "SN"),
)

# Clients abroad: (time zone, country, phone maker). Fictional ranges where one exists
# (US/CA 555-01xx, AU 0491 570); all numbers pass ``phonenumbers.is_valid_number``.
ABROAD = (
    ("Europe/Berlin", "DE", lambda rng: f"+49151{rng.randrange(10**8):08d}"),
    ("Europe/Paris", "FR", lambda rng: f"+3361{rng.randrange(10**7):07d}"),
    ("Europe/Madrid", "ES", lambda rng: f"+346{rng.randrange(10**8):08d}"),
    ("Europe/Dublin", "IE", lambda rng: f"+35385{rng.randrange(10**7):07d}"),
    ("America/New_York", "US", lambda rng: f"+1202555{rng.randrange(100, 200):04d}"),
    ("America/Toronto", "CA", lambda rng: f"+1416555{rng.randrange(100, 200):04d}"),
    ("Australia/Sydney", "AU", lambda rng: f"+61491570{rng.randrange(1000):03d}"),
)
SHARE_ABROAD = 0.12

# Preferred channels and how often clients choose them.
CHANNELS = (("email", 55), ("sms", 25), ("whatsapp", 10), ("post", 5), ("phone", 5))

# One client in this many is born on 29 February (index 3, 403, 803, …): always some in a demo.
LEAP_DAY_EVERY = 400


@dataclass(frozen=True)
class DemoAppointment:
    starts_at: dt.datetime  # aware, UTC
    ends_at: dt.datetime
    kind: str
    status: str
    fee: Decimal
    practitioner: int  # index into STAFF


@dataclass(frozen=True)
class DemoClient:
    index: int
    given_name: str
    family_name: str
    preferred_name: str
    pronouns: str
    birth_date: dt.date | None
    email: str
    phone: str
    postal_address: str
    preferred_channel: str
    time_zone: str  # "" = the practice's
    language: str  # "" = the practice's
    tags: tuple[str, ...]
    consent_care: bool
    consent_information: bool
    consent_celebrations: bool
    primary_practitioner: int  # index into STAFF
    created_at: dt.datetime
    appointments: tuple[DemoAppointment, ...]


def demo_clients(*, seed: int, count: int, today: dt.date, start: int = 0) -> Iterator[DemoClient]:
    """Clients ``start`` … ``count - 1`` of the demo practice, with their appointments."""
    for index in range(start, count):
        yield demo_client(seed=seed, index=index, today=today)


def demo_client(*, seed: int, index: int, today: dt.date) -> DemoClient:
    """The demo client number ``index``: the same for the same seed and day, whatever else."""
    rng = random.Random(f"aftercare-demo:{seed}:{index}")
    given_name, pronouns = rng.choice(GIVEN_NAMES)
    family_name = rng.choice(FAMILY_NAMES)
    preferred_name = NICKNAMES.get(given_name, "") if rng.random() < 0.3 else ""

    abroad = rng.random() < SHARE_ABROAD
    if abroad:
        time_zone, _country, make_phone = rng.choice(ABROAD)
        phone = make_phone(rng)
    else:
        time_zone = ""
        phone = f"+44771{rng.randrange(10**7):07d}"
    email = f"{ascii_name(given_name)}.{ascii_name(family_name)}{index}@example.org"
    channel = weighted_choice(rng, CHANNELS)
    if channel != "email" and rng.random() < 0.25:
        email = ""  # some clients who prefer the phone never gave an email address
    if channel == "email" and rng.random() < 0.1:
        phone = ""
    town, postcode_area = rng.choice(TOWNS)
    postal_address = (
        f"{rng.randint(1, 180)} {rng.choice(STREETS)}\n{town}\n"
        f"{postcode_area}{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    )

    primary = rng.choice(PRACTITIONERS)
    appointments = demo_appointments(rng, today=today, primary=primary)
    first_day = appointments[0].starts_at if appointments else start_of(today, 0)
    created_at = first_day - dt.timedelta(days=rng.randint(1, 21), minutes=rng.randint(0, 600))

    return DemoClient(
        index=index,
        given_name=given_name,
        family_name=family_name,
        preferred_name=preferred_name,
        pronouns=pronouns if rng.random() < 0.6 else "",
        birth_date=birth_date(rng, index=index, today=today),
        email=email,
        phone=phone,
        postal_address=postal_address,
        preferred_channel=channel,
        time_zone=time_zone,
        language="",
        tags=tuple(
            sorted(rng.sample(TAGS, k=weighted_choice(rng, ((0, 3), (1, 4), (2, 2), (3, 1)))))
        ),
        consent_care=rng.random() < 0.92,
        consent_information=rng.random() < 0.5,
        consent_celebrations=rng.random() < 0.4,
        primary_practitioner=primary,
        created_at=created_at,
        appointments=appointments,
    )


def demo_appointments(
    rng: random.Random, *, today: dt.date, primary: int
) -> tuple[DemoAppointment, ...]:
    """About ten sessions, a few weeks apart, somewhere in the last two years (some upcoming).

    1. Draw how many sessions the client books and the gaps between them.
    2. Place the series so it ends no later than six weeks from today.
    3. Give each session a weekday slot in the practice's hours and an outcome: past sessions
       were mostly attended, some were no-shows or (late) cancellations; future ones are booked.
    """
    count = 1 + min(39, int(rng.expovariate(1 / 10.5)))
    gaps = [max(5, rng.choice(GAPS_DAYS) + rng.randint(-2, 2)) for _ in range(count - 1)]
    earliest, latest = -HISTORY_DAYS, UPCOMING_DAYS - sum(gaps)
    days = [earliest + rng.randint(0, max(0, latest - earliest))]
    for gap in gaps:
        days.append(days[-1] + gap)
    now = start_of(today, 0) + dt.timedelta(hours=12)
    appointments = []
    for number, offset in enumerate(days):
        if offset > UPCOMING_DAYS:
            break
        kind = FIRST_VISIT if number == 0 else FOLLOW_UP
        starts_at = slot(rng, today=today, offset=offset)
        practitioner = primary if rng.random() < 0.9 else rng.choice(PRACTITIONERS)
        appointments.append(
            DemoAppointment(
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=MINUTES[kind]),
                kind=kind,
                status=outcome(rng, past=starts_at < now),
                fee=FEES[kind],
                practitioner=practitioner,
            )
        )
    return tuple(appointments)


def outcome(rng: random.Random, *, past: bool) -> str:
    roll = rng.random()
    if not past:
        return BOOKED if roll < 0.94 else CANCELLED
    if roll < 0.82:
        return ATTENDED
    if roll < 0.86:
        return NO_SHOW
    if roll < 0.89:
        return LATE_CANCELLED
    return CANCELLED


def slot(rng: random.Random, *, today: dt.date, offset: int) -> dt.datetime:
    """A weekday appointment between 08:00 and 17:30 practice time, ``offset`` days from today."""
    day = today + dt.timedelta(days=offset)
    if day.weekday() >= 5:  # Saturday, Sunday → Monday
        day += dt.timedelta(days=7 - day.weekday())
    minutes = 8 * 60 + 30 * rng.randrange(20)
    local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=PRACTICE_TZ)
    return local.astimezone(dt.UTC)


def start_of(today: dt.date, offset: int) -> dt.datetime:
    local = dt.datetime.combine(today + dt.timedelta(days=offset), dt.time(), tzinfo=PRACTICE_TZ)
    return local.astimezone(dt.UTC)


def birth_date(rng: random.Random, *, index: int, today: dt.date) -> dt.date | None:
    if index % LEAP_DAY_EVERY == 3:
        leap_years = [year for year in range(today.year - 85, today.year - 17) if is_leap(year)]
        return dt.date(rng.choice(leap_years), 2, 29)
    if rng.random() < 0.08:
        return None  # not every client gives a birth date
    age_days = rng.randint(18 * 365, 88 * 365)
    return today - dt.timedelta(days=age_days)


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def weighted_choice(rng: random.Random, choices: tuple[tuple[T, int], ...]) -> T:
    total = sum(weight for _value, weight in choices)
    roll = rng.randrange(total)
    for value, weight in choices:
        if roll < weight:
            return value
        roll -= weight
    raise AssertionError("unreachable")


def ascii_name(name: str) -> str:
    """'García' → 'garcia', "O'Brien" → 'obrien': a name as the local part of an email."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(char for char in plain.lower() if char.isalnum())


def staff_email(member: StaffMember, domain: str) -> str:
    return f"{member.key}@{domain}"
