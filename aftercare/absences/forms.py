"""Validation of absence input, shared by the web UI and the API (one place for the rules)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet

from aftercare import clock
from aftercare.absences.models import Absence
from aftercare.clients.models import Client
from aftercare.practice.models import Practice, User

ABSENCE_FIELDS = [
    "practitioner",
    "first_day",
    "last_day",
    "private_reason",
    "public_note",
    "cover_contact",
    "notify_days_before",
    "auto_reply_text",
    "announce_to_all",
]
MAX_NOTIFY_DAYS = 180


def practitioners_of(practice: Practice) -> QuerySet[User]:
    return User.objects.filter(
        memberships__practice=practice, memberships__role__in=["owner", "practitioner"]
    ).order_by("full_name", "email")


def parse_client_ids(raw: Any) -> list[int]:
    """Client ids from a list (API, repeated form field) or a comma-separated string."""
    if raw in (None, ""):
        return []
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    ids = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        try:
            ids.append(int(text))
        except ValueError as error:
            raise forms.ValidationError(
                f"{text!r} is not a client id.", code="client_id"
            ) from error
    return sorted(set(ids))


class AbsenceForm(forms.ModelForm):
    emergency_client_ids = forms.CharField(
        required=False,
        label="Emergency list",
        help_text="Clients who may reach you while you are away (tick suggestions below).",
    )

    class Meta:
        model = Absence
        fields = ABSENCE_FIELDS
        widgets = {
            "first_day": forms.DateInput(attrs={"type": "date"}),
            "last_day": forms.DateInput(attrs={"type": "date"}),
            "public_note": forms.Textarea(attrs={"rows": 2}),
            "auto_reply_text": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "notify_days_before": "Tell affected clients this many days ahead",
            "announce_to_all": "Also tell clients who are not affected",
        }

    def __init__(
        self,
        *args: Any,
        practice: Practice,
        emergency_ids: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.practice = practice
        self.fields["practitioner"].queryset = practitioners_of(practice)
        # Checkboxes arrive as a repeated field; the API sends a list.
        self.emergency_ids_input = emergency_ids
        if self.instance.pk and not self.is_bound:
            self.initial["emergency_client_ids"] = ",".join(
                str(pk)
                for pk in self.instance.emergency_entries.values_list("client_id", flat=True)
            )

    def clean_notify_days_before(self) -> int:
        days = self.cleaned_data.get("notify_days_before")
        if days is None:
            return 21
        if days > MAX_NOTIFY_DAYS:
            raise forms.ValidationError(f"Notify at most {MAX_NOTIFY_DAYS} days ahead.")
        return days

    def clean_emergency_client_ids(self) -> list[int]:
        raw = (
            self.emergency_ids_input
            if self.emergency_ids_input is not None
            else self.cleaned_data.get("emergency_client_ids")
        )
        ids = parse_client_ids(raw)
        found = set(
            Client.objects.filter(practice=self.practice, pk__in=ids).values_list("pk", flat=True)
        )
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise forms.ValidationError(
                f"No client {', '.join(map(str, missing))} in this practice.", code="client_id"
            )
        return ids

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        practitioner = data.get("practitioner")
        if first and last and last < first:
            self.add_error(
                "last_day",
                f"The absence ends ({last:%-d %b %Y}) before it starts ({first:%-d %b %Y}).",
            )
            return data
        today = clock.today(self.practice.tz)
        unchanged_start = self.instance.pk and self.instance.first_day == first
        if first and first < today and not unchanged_start:
            self.add_error(
                "first_day",
                f"The absence starts in the past ({first:%-d %b %Y}); today is {today:%-d %b %Y}.",
            )
        if first and last and practitioner:
            clash = overlapping_absence(
                practitioner=practitioner, first_day=first, last_day=last, exclude=self.instance
            )
            if clash is not None:
                self.add_error(
                    "first_day",
                    f"{practitioner} is already away from {clash.first_day:%-d %b %Y} to "
                    f"{clash.last_day:%-d %b %Y}; absences of one practitioner cannot overlap.",
                )
        return data

    def absence_data(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name] for name in ABSENCE_FIELDS if name in self.cleaned_data
        }


def overlapping_absence(
    *, practitioner: User, first_day: dt.date, last_day: dt.date, exclude: Absence | None
) -> Absence | None:
    rows = Absence.objects.filter(
        practitioner=practitioner, cancelled=False, first_day__lte=last_day, last_day__gte=first_day
    )
    if exclude is not None and exclude.pk:
        rows = rows.exclude(pk=exclude.pk)
    return rows.order_by("first_day").first()
