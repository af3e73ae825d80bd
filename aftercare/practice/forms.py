"""Validation of the practice's own settings and of new API tokens."""

from __future__ import annotations

import functools
from typing import Any

import phonenumbers
from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from phonenumbers.geocoder import _region_display_name

from aftercare import colours
from aftercare.phones import MAX_PHONE_INPUT, PhoneError, parse_phone
from aftercare.practice.models import Practice
from aftercare.practice.pages import TIME_ZONES

PRACTICE_FIELDS = [
    "name",
    "colour",
    "time_zone",
    "country",
    "language",
    "email",
    "phone",
    "sms_number",
    "address",
    "website",
    "emergency_numbers",
    "require_two_factor",
]


@functools.cache
def time_zone_choices() -> tuple[tuple[str, str], ...]:
    """Every IANA time zone, as people read them ("America/New York")."""
    return tuple((name, name.replace("_", " ")) for name in TIME_ZONES)


@functools.cache
def country_choices() -> tuple[tuple[str, str], ...]:
    """The countries whose phone numbers we read, by name in English (from libphonenumber)."""
    named = [
        (code, _region_display_name(code, "en") or code)
        for code in phonenumbers.SUPPORTED_REGIONS
        if code != "001"
    ]
    return tuple(sorted(named, key=lambda pair: pair[1]))


@functools.cache
def _option_tags(choices: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str, str], ...]:
    """Each choice's value and its ``<option>`` tag in two halves (the selected mark goes between)."""
    return tuple(
        (value, f'<option value="{escape(value)}"', f">{escape(label)}</option>")
        for value, label in choices
    )


class LongSelect(forms.Select):
    """A select of a long list that never changes (time zones, countries), its options built once.

    Django renders every option through a template of its own: the ~600 time zones and ~240
    countries cost the settings page about 90 ms of CPU a request, 40 times the page's floor. The
    options are the same for every practice, so their HTML is made once per process and only
    the selected one is marked per request. The ``<select>`` is Django's (name, id, the
    field's ``aria-describedby`` and ``aria-invalid``), and so is the field's validation.
    """

    def __init__(self, choices: tuple[tuple[str, str], ...]) -> None:
        # Not handed to Django's ``choices``, which would normalise the whole list per form.
        super().__init__()
        self.fixed_choices = choices

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = self.format_value(value)
        selected = chosen[0] if chosen else None
        options = "".join(
            f"\n  {head} selected{tail}" if option == selected else f"\n  {head}{tail}"
            for option, head, tail in _option_tags(self.fixed_choices)
        )
        final_attrs = flatatt(self.build_attrs(self.attrs, attrs))
        # Every value and label is escaped (``_option_tags``), and the attributes by flatatt.
        return mark_safe(f'<select name="{escape(name)}"{final_attrs}>{options}\n</select>')


class PracticeForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https", label="Website")
    # Read whole, however it is written (the model field holds the E.164 result).
    phone = forms.CharField(required=False, max_length=MAX_PHONE_INPUT, label="Contact phone")
    sms_number = forms.CharField(
        required=False,
        max_length=MAX_PHONE_INPUT,
        label="Number clients text (SMS and WhatsApp)",
        help_text=(
            "Your Twilio number. Messages written to it come to this practice, and your "
            "texts to clients go from it."
        ),
    )

    class Meta:
        model = Practice
        fields = PRACTICE_FIELDS
        labels = {
            "name": "Practice name",
            "time_zone": "Time zone",
            "country": "Country",
            "email": "Contact email",
            "phone": "Contact phone",
            "require_two_factor": "Require a second factor (authenticator app) for every member",
            "colour": "Colour",
        }
        help_texts = {
            "colour": "Your client pages and emails carry it, with white text on it: a colour "
            "dark enough to read is asked for",
            "time_zone": "An IANA name such as Europe/London or America/New_York; "
            "appointments and care are planned in it",
            "country": "Two-letter code such as GB, DE or US; phone numbers without a country "
            "code are read as this country's",
        }
        widgets = {
            "colour": forms.TextInput(attrs={"type": "color"}),
            "address": forms.Textarea(attrs={"rows": 3}),
            "emergency_numbers": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Real pickers: the time zone and the country from lists, by name.
        self.fields["colour"].required = False
        self.fields["time_zone"].widget = LongSelect(time_zone_choices())
        self.fields["country"].widget = LongSelect(country_choices())
        self.fields["time_zone"].help_text = "Appointments and care are planned in it"
        self.fields[
            "country"
        ].help_text = "Phone numbers without a country code are read as this country's"

    def clean_colour(self) -> str:
        """A colour clients can read: white text on it, and it on the page, at WCAG AA (4.5:1)."""
        colour = (self.cleaned_data.get("colour") or "").strip().lower()
        if not colour:  # not sent (a form from before colours): keep it
            return self.instance.colour or colours.DEFAULT_COLOUR
        if not colours.HEX.match(colour):
            raise forms.ValidationError(
                "Choose a colour with the colour picker (or write it as #1a5276).", code="colour"
            )
        if not colours.passes(colour):
            raise forms.ValidationError(
                f"Too light to read: white text on it would have a contrast of "
                f"{colours.worst_contrast(colour):.1f} to 1, and clients need at least 4.5 to 1. "
                f"A darker shade of it that can be read: {colours.darkened(colour)}.",
                code="colour",
            )
        return colour

    def clean_time_zone(self) -> str:
        return (self.cleaned_data.get("time_zone") or "").strip()

    def clean_country(self) -> str:
        country = (self.cleaned_data.get("country") or "").strip().upper()
        if country not in phonenumbers.SUPPORTED_REGIONS:
            raise forms.ValidationError(
                f"{country!r} is not a country code; use two letters such as GB, DE or US.",
                code="country",
            )
        return country

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # The phone is read in the country being saved, so check it once both are known.
        if "country" in data and data.get("phone"):
            try:
                phone = parse_phone(data["phone"], data["country"])
            except PhoneError as error:
                self.add_error("phone", str(error))
            else:
                if phone.extension:
                    # Clients dial this number from messages: it must reach the practice as is.
                    self.add_error(
                        "phone",
                        "Give the number clients can dial directly, without an extension.",
                    )
                data["phone"] = phone.number
        if "country" in data and data.get("sms_number"):
            self.clean_sms_number_in(data["country"], data)
        return data

    def clean_sms_number_in(self, country: str, data: dict[str, Any]) -> None:
        """The texting number as E.164, and no other practice's (the inbound messages written
        to it are routed to this practice)."""
        try:
            number = parse_phone(data["sms_number"], country)
        except PhoneError as error:
            self.add_error("sms_number", str(error))
            return
        if number.extension:
            self.add_error("sms_number", "A number that receives texts has no extension.")
            return
        data["sms_number"] = number.number
        # Checked here, on the number as it is stored, to name the field; the database's
        # unique constraint (one_practice_per_sms_number) is the guarantee.
        taken = Practice.objects.filter(sms_number=number.number).exclude(pk=self.instance.pk)
        if taken.exists():
            self.add_error(
                "sms_number", "Another practice already uses this number for text messages."
            )


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Token name",
        help_text="What the token is for, e.g. 'booking tool' — so you know which to revoke",
    )


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Email")
    full_name = forms.CharField(max_length=200, required=False, label="Name")
    role = forms.ChoiceField(
        label="Role",
        choices=[
            ("practitioner", "Practitioner — sees clients, notes and care"),
            ("assistant", "Assistant — contact details and appointments, never private notes"),
            ("owner", "Owner — everything, and the practice's settings"),
        ],
        initial="practitioner",
    )
