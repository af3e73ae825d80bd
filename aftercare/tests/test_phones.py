"""Phone numbers as people type them: read whole, never cut, never another number."""

from __future__ import annotations

import pytest

from aftercare.phones import PhoneError, can_receive_texts, parse_phone


@pytest.mark.parametrize(
    ("typed", "region", "number", "extension", "landline"),
    [
        ("+49 (0) 30 / 901 820 12", "GB", "+493090182012", "", True),
        ("030 901 820 12", "DE", "+493090182012", "", True),
        ("+44 7911 123456 ext. 12", "GB", "+447911123456", "12", False),
        ("07911 123456 x12", "GB", "+447911123456", "12", False),
        ("+44 7911 123456 #12", "GB", "+447911123456", "12", False),
        ("+44 20 7946 0958 extension 305", "GB", "+442079460958", "305", True),
        ("(202) 555-0147", "US", "+12025550147", "", False),  # US: could be a mobile
        ("  07911 123456  ", "GB", "+447911123456", "", False),
    ],
)
def test_a_number_is_read_whole_with_its_extension_apart(
    typed: str, region: str, number: str, extension: str, landline: bool
) -> None:
    phone = parse_phone(typed, region)
    assert (phone.number, phone.extension, phone.landline) == (number, extension, landline)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("+44 (0) 7911 / 123 456 7", "not a valid phone number"),  # one digit too many
        ("0800 FLOWERS", "not a phone number"),  # letters are not read as digits
        ("07911 123456 or 07911 654321", "not a phone number"),
        ("+44 7911 " + "1" * 100, "at most 100 characters"),
    ],
)
def test_anything_but_the_number_typed_is_refused_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(PhoneError, match=reason):
        parse_phone(typed, "GB")


def test_only_numbers_that_can_receive_texts_are_for_sms() -> None:
    assert can_receive_texts("+447911123456")
    assert can_receive_texts("+12025550147")
    assert not can_receive_texts("+442079460958")  # a London landline
    assert not can_receive_texts("+493090182012")  # a Berlin landline
    assert not can_receive_texts("")
