"""Validation of client input, shared by the web UI and the API (one place for the rules)."""

from __future__ import annotations

from typing import Any

from django import forms

from aftercare import statements
from aftercare.clients.models import Client, Tag
from aftercare.phones import MAX_PHONE_INPUT, Phone, PhoneError, format_phone, parse_phone
from aftercare.practice.members import offer_practitioners, practitioners_listed
from aftercare.practice.models import Practice, User

CLIENT_FIELDS = [
    "given_name",
    "family_name",
    "preferred_name",
    "pronouns",
    "birth_date",
    "email",
    "phone",
    "phone_extension",
    "postal_address",
    "preferred_channel",
    "time_zone",
    "language",
    "primary_practitioner",
    "consent_care",
    "consent_information",
    "consent_celebrations",
    "private_notes",
]


class ClientForm(forms.ModelForm):
    # Read whole, however it is written (the model field holds the E.164 result).
    phone = forms.CharField(required=False, max_length=MAX_PHONE_INPUT, label="Phone")
    phone_extension = forms.RegexField(
        regex=r"^\s*\d{0,10}\s*$",
        required=False,
        max_length=20,
        label="Extension",
        error_messages={"invalid": "An extension is up to 10 digits, e.g. 12."},
    )
    tag_names = forms.CharField(
        required=False,
        label="Tags",
        help_text="Separate tags with commas, e.g. sleep, new medication",
    )

    class Meta:
        model = Client
        fields = CLIENT_FIELDS
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}),
            "postal_address": forms.Textarea(attrs={"rows": 3}),
            "private_notes": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {"time_zone": "Time zone"}

    def __init__(
        self, *args: Any, practice: Practice, can_see_notes: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.practice = practice
        offer_practitioners(self.fields["primary_practitioner"], practice)
        self.fields[
            "time_zone"
        ].help_text = f"Leave empty for the practice's ({practice.time_zone})"
        self.fields["language"].help_text = "Leave empty for the practice's language"
        if not can_see_notes:
            del self.fields["private_notes"]
        if self.instance.pk and not self.is_bound:
            self.initial["tag_names"] = ", ".join(tag.name for tag in self.instance.tags.all())

    def clean_phone(self) -> str:
        try:
            self.parsed_phone = parse_phone(
                self.cleaned_data.get("phone") or "", self.practice.country
            )
        except PhoneError as error:
            raise forms.ValidationError(str(error), code="phone") from error
        return self.parsed_phone.number

    def clean_phone_extension(self) -> str:
        return (self.cleaned_data.get("phone_extension") or "").strip()

    def clean_email(self) -> str:
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean_tag_names(self) -> list[str]:
        raw = self.cleaned_data.get("tag_names") or ""
        names = sorted({name.strip().lower() for name in raw.split(",") if name.strip()})
        too_long = [name for name in names if len(name) > 50]
        if too_long:
            raise forms.ValidationError(f"A tag may have at most 50 characters: {too_long[0]!r}")
        return names

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        parsed: Phone | None = getattr(self, "parsed_phone", None)
        if parsed is not None and parsed.extension and "phone_extension" not in self.errors:
            # "+44 7911 123456 ext. 12": the extension goes to its own field.
            typed = data.get("phone_extension") or ""
            if typed and typed != parsed.extension:
                self.add_error(
                    "phone_extension",
                    f"The phone number ends in extension {parsed.extension}, "
                    f"this field says {typed}: keep one.",
                )
            data["phone_extension"] = parsed.extension
        if not data.get("phone") and "phone" not in self.errors:
            data["phone_extension"] = ""
        channel = data.get("preferred_channel")
        if channel == "email" and not data.get("email") and "email" not in self.errors:
            self.add_error(
                "preferred_channel", "Email is preferred but the client has no email address."
            )
        if (
            channel in {"sms", "whatsapp", "phone"}
            and not data.get("phone")
            and "phone" not in self.errors
        ):
            self.add_error(
                "preferred_channel",
                f"{channel.upper() if channel == 'sms' else channel.capitalize()} is preferred "
                "but the client has no mobile number.",
            )
        if (
            channel in {"sms", "whatsapp"}
            and parsed is not None
            and parsed.number
            and parsed.landline
        ):
            self.add_error(
                "preferred_channel",
                f"{format_phone(parsed.number)} is a landline: "
                f"{'SMS' if channel == 'sms' else 'WhatsApp'} needs a mobile number. "
                "Choose email, a phone call or post, or give a mobile number.",
            )
        if channel == "post" and not data.get("postal_address"):
            self.add_error(
                "preferred_channel", "Post is preferred but the client has no postal address."
            )
        return data


def tags_for(practice: Practice, names: list[str]) -> list[Tag]:
    """The practice's tags with these names, creating the missing ones."""
    existing = {tag.name: tag for tag in Tag.objects.filter(practice=practice, name__in=names)}
    missing = [Tag(practice=practice, name=name) for name in names if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(practice=practice, name__in=names)}
    return [existing[name] for name in names]


def sole_practitioner(practice: Practice) -> User | None:
    """The practice's practitioner when it has exactly one: every new client's by default."""
    candidates = practitioners_listed(practice)
    return candidates[0] if len(candidates) == 1 else None


class ClientFilterForm(forms.Form):
    """The search and filters of the clients list (all optional; bad values are ignored).

    Its choices (the practice's tags and practitioners) are read as tuples through statements:
    the list is the page opened most, and model instances of them were a tenth of it.
    """

    q = forms.CharField(
        required=False,
        label="Search",
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Name, email or phone", "autocomplete": "off"}
        ),
    )
    tag = forms.ChoiceField(required=False, label="Tag")
    practitioner = forms.ChoiceField(required=False, label="Practitioner")
    archived = forms.ChoiceField(
        required=False,
        label="Show",
        choices=[("", "Current clients"), ("1", "Archived clients")],
    )

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.practice = practice
        self.tags = dict(
            statements.rows(
                "clients: the practice's tags",
                lambda practice: (
                    Tag.objects.filter(practice_id=practice)
                    .order_by("name")
                    .values_list("name", "pk")
                ),
                practice=practice.pk,
            )
        )
        self.fields["tag"].choices = [("", "Any tag"), *[(name, name) for name in self.tags]]
        self.fields["practitioner"].choices = [
            ("", "Anyone"),
            ("none", "No practitioner"),
            *[(str(user.pk), user.display_name) for user in practitioners_listed(practice)],
        ]

    def clean_tag(self) -> Tag | None:
        """The chosen tag (of this practice), or None for any."""
        name = self.cleaned_data.get("tag")
        if not name:
            return None
        return Tag(pk=self.tags[name], practice=self.practice, name=name)
