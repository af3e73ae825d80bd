"""Validation of absence input, shared by the web UI and the API (one place for the rules)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from aftercare import clock
from aftercare.absences.models import Absence
from aftercare.clients.picker import ClientsField
from aftercare.dates import ABSENCE_DAYS, absence_length_problem
from aftercare.locales import format_date, practice_locale
from aftercare.practice.members import offer_practitioners
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


class AbsenceForm(forms.ModelForm):
    # Ticked in the client picker (web) or a list of client ids (API).
    emergency_client_ids = ClientsField(
        required=False,
        label="Emergency list",
        help_text="Clients who may reach you while you are away.",
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
        offer_practitioners(self.fields["practitioner"], practice)
        self.fields["emergency_client_ids"].practice = practice
        # The API passes its list apart from the form data.
        self.emergency_ids_input = emergency_ids
        if self.instance.pk and not self.is_bound:
            self.initial["emergency_client_ids"] = list(
                self.instance.emergency_entries.values_list("client_id", flat=True)
            )

    def clean_notify_days_before(self) -> int:
        days = self.cleaned_data.get("notify_days_before")
        if days is None:
            return 21
        if days > MAX_NOTIFY_DAYS:
            raise forms.ValidationError(f"Notify at most {MAX_NOTIFY_DAYS} days ahead.")
        return days

    def clean_emergency_client_ids(self) -> list[int]:
        if self.emergency_ids_input is not None:
            return self.fields["emergency_client_ids"].clean(self.emergency_ids_input)
        return self.cleaned_data["emergency_client_ids"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        practitioner = data.get("practitioner")
        locale = practice_locale(self.practice)

        def day(value: dt.date) -> str:
            return format_date(value, "j M Y", locale)

        if first and last and last < first:
            self.add_error(
                "last_day", f"The absence ends ({day(last)}) before it starts ({day(first)})."
            )
            return data
        today = clock.today(self.practice.tz)
        unchanged_start = self.instance.pk and self.instance.first_day == first
        if first and first < today and not unchanged_start:
            self.add_error(
                "first_day",
                f"The absence starts in the past ({day(first)}); today is {day(today)}.",
            )
        if first and not unchanged_start:
            problem = ABSENCE_DAYS.problem(first, today, locale)
            if problem:
                self.add_error("first_day", problem)
                return data
        if first and last:
            problem = absence_length_problem(first, last)
            if problem:
                self.add_error("last_day", problem)
                return data
        if first and last and practitioner:
            clash = overlapping_absence(
                practitioner=practitioner, first_day=first, last_day=last, exclude=self.instance
            )
            if clash is not None:
                self.add_error(
                    "first_day",
                    f"{practitioner} is already away from {day(clash.first_day)} to "
                    f"{day(clash.last_day)}; absences of one practitioner cannot overlap.",
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
