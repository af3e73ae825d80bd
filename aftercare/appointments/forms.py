"""Validation of appointment input, shared by the web UI and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from aftercare import clock
from aftercare.appointments.models import Appointment, FeePolicy, Kind, Status
from aftercare.clients.models import Client
from aftercare.dates import APPOINTMENT_DAYS, appointment_length_problem
from aftercare.practice.members import offer_practitioners
from aftercare.practice.models import Practice

APPOINTMENT_FIELDS = ["client", "practitioner", "starts_at", "ends_at", "kind", "status", "fee"]


class AppointmentForm(forms.ModelForm):
    class Meta:
        model = Appointment
        fields = APPOINTMENT_FIELDS
        widgets = {
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "ends_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "kind": forms.TextInput(attrs={"list": "appointment-kinds"}),
        }
        labels = {"starts_at": "Starts", "ends_at": "Ends"}
        help_texts = {"kind": "first_visit, follow_up, or your own type"}

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.practice = practice
        self.fields["client"].queryset = Client.objects.filter(practice=practice)
        offer_practitioners(self.fields["practitioner"], practice)
        self.kind_choices = Kind.CHOICES

    def clean_kind(self) -> str:
        kind = (self.cleaned_data.get("kind") or Kind.FOLLOW_UP).strip().lower().replace(" ", "_")
        if not kind.replace("_", "").replace("-", "").isalnum():
            raise forms.ValidationError(
                "Use letters, digits, - and _ for the kind, e.g. follow_up."
            )
        return kind

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        today = clock.today(self.practice.tz)
        # A stored appointment keeps its day when other fields change (history may predate the
        # range); a new or moved one must fall within it.
        moved = not (self.instance.pk and self.instance.starts_at == starts_at)
        if starts_at and moved:
            problem = APPOINTMENT_DAYS.problem(starts_at.astimezone(self.practice.tz).date(), today)
            if problem:
                self.add_error("starts_at", problem)
        if starts_at and ends_at and "starts_at" not in self.errors:
            problem = appointment_length_problem(starts_at, ends_at)
            if problem:
                self.add_error("ends_at", problem)
        if data.get("fee") is not None and data["fee"] < 0:
            self.add_error("fee", "The fee cannot be negative.")
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)


class FeeOverrideForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("waived", "Waive the fee"), ("charged", "Charge the fee")],
        widget=forms.RadioSelect,
        label="Decision",
    )
    reason = forms.CharField(
        max_length=280,
        label="Why",
        help_text="A few words for the record, e.g. “her mother was taken to hospital”",
    )


class FeePolicyForm(forms.ModelForm):
    class Meta:
        model = FeePolicy
        fields = [
            "no_show_fee",
            "late_cancel_fee",
            "late_cancel_window_hours",
            "waive_first_no_show",
            "longstanding_visits",
            "longstanding_months",
            "waive_first_late_cancel",
        ]
        labels = {
            "late_cancel_window_hours": "Late-cancel window (hours)",
            "longstanding_visits": "Longstanding after this many visits",
            "longstanding_months": "… or after this many months",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("no_show_fee", "late_cancel_fee"):
            if data.get(name) is not None and data[name] < 0:
                self.add_error(name, "A fee cannot be negative.")
        hours = data.get("late_cancel_window_hours")
        if hours is not None and not 1 <= hours <= 168:
            self.add_error("late_cancel_window_hours", "Between 1 and 168 hours (a week).")
        return data


class MoveForm(forms.Form):
    """A booked appointment's new day and start, in the practice's time zone; the end follows.

    The week view's drag and drop posts the same two fields.
    """

    day = forms.DateField(label="New day", widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        label="New start",
        widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"),
    )

    def __init__(
        self, *args: Any, appointment: Appointment, practice: Practice, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.appointment = appointment
        self.practice = practice

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.appointment.status != Status.BOOKED:
            raise forms.ValidationError(
                f"Only a booked appointment can be moved; this one is "
                f"{self.appointment.get_status_display().lower()}."
            )
        day, time = data.get("day"), data.get("time")
        if day is None or time is None:
            return data
        problem = APPOINTMENT_DAYS.problem(day, clock.today(self.practice.tz))
        if problem:
            self.add_error("day", problem)
            return data
        starts_at = dt.datetime.combine(day, time, tzinfo=self.practice.tz)
        if starts_at == self.appointment.starts_at:
            self.add_error("time", "That is when it is booked already: choose another time.")
        data["starts_at"] = starts_at
        return data
