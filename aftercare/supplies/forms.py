"""Validation of supply input, shared by the web UI and the API (one place for the rules)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from aftercare import clock
from aftercare.dates import (
    MAX_SUPPLY_YEARS,
    SUPPLY_START,
    day_text,
    lead_time_problem,
    shift_years,
)
from aftercare.locales import plural
from aftercare.supplies.models import Supply
from aftercare.supplies.projection import DoseSchedule, ScheduleError, TaperStep, project_run_out

SUPPLY_FIELDS = [
    "name",
    "kind",
    "prepared_by",
    "quantity",
    "unit",
    "daily_dose",
    "every_days",
    "started_on",
    "lead_time_days",
    "status",
]

TAPER_LINE = re.compile(
    r"^\s*(?P<dose>\d+(?:[.,]\d+)?)\s*(?:a day\s*)?for\s*(?P<days>\d+)\s*days?\s*$", re.IGNORECASE
)


def parse_taper(text: str) -> list[dict[str, Any]]:
    """Parse lines like "3 a day for 7 days" into taper steps; raise ValidationError naming the line."""
    steps = []
    for number, line in enumerate(
        (line for line in re.split(r"[\n;]", text) if line.strip()), start=1
    ):
        match = TAPER_LINE.match(line)
        if match is None:
            raise forms.ValidationError(
                f"Step {number} ({line.strip()!r}): write it as '3 a day for 7 days'.",
                code="taper",
            )
        steps.append({"days": int(match["days"]), "daily_dose": match["dose"].replace(",", ".")})
    return steps


def taper_text(steps: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{step['daily_dose']} a day for {plural(step['days'], 'day', 'days')}" for step in steps
    )


def clean_taper_steps(raw: Any) -> list[dict[str, Any]]:
    """Accept a list of ``{"days", "daily_dose"}`` (API) and return it normalised."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise forms.ValidationError('Give a list of steps like {"days": 7, "daily_dose": 3}.')
    steps = []
    for number, step in enumerate(raw, start=1):
        try:
            days = int(step["days"])
            dose = Decimal(str(step["daily_dose"]))
        except (KeyError, TypeError, ValueError, InvalidOperation) as error:
            raise forms.ValidationError(
                f"Step {number} needs whole 'days' and a number 'daily_dose'.", code="taper"
            ) from error
        steps.append({"days": days, "daily_dose": f"{dose.normalize():f}"})
    return steps


class SupplyForm(forms.ModelForm):
    taper = forms.CharField(
        required=False,
        label="Tapering steps",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional, before the steady dose; one per line, e.g. '3 a day for 7 days'.",
    )

    class Meta:
        model = Supply
        fields = SUPPLY_FIELDS
        widgets = {"started_on": forms.DateInput(attrs={"type": "date"})}
        labels = {
            "daily_dose": "Dose per day",
            "every_days": "Taken every … days",
            "lead_time_days": "Preparation lead time (days)",
        }

    def __init__(self, *args: Any, taper_steps: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # From the API, steps arrive as a list rather than the text the web form uses.
        self.taper_steps_input = taper_steps
        if self.instance.pk and not self.is_bound:
            self.initial["taper"] = taper_text(self.instance.taper_steps or [])

    def clean_quantity(self) -> Decimal:
        quantity = self.cleaned_data["quantity"]
        if quantity < 0:
            raise forms.ValidationError("The quantity cannot be negative.", code="negative")
        return quantity

    def clean_daily_dose(self) -> Decimal:
        dose = self.cleaned_data["daily_dose"]
        if dose <= 0:
            raise forms.ValidationError("The dose must be more than zero.", code="zero_dose")
        return dose

    def clean_every_days(self) -> int:
        every = self.cleaned_data.get("every_days") or 1
        if every < 1:
            raise forms.ValidationError("Take it at least every 1 day.", code="every_days")
        return every

    def clean_started_on(self) -> dt.date:
        started_on = self.cleaned_data["started_on"]
        # A stored supply keeps its start when other fields change; a new or moved start must
        # fall within the range.
        if self.instance.pk and self.instance.started_on == started_on:
            return started_on
        problem = SUPPLY_START.problem(started_on, clock.today(dt.UTC))
        if problem:
            raise forms.ValidationError(problem, code="out_of_range")
        return started_on

    def clean_lead_time_days(self) -> int:
        days = self.cleaned_data.get("lead_time_days") or 0
        problem = lead_time_problem(days)
        if problem:
            raise forms.ValidationError(problem, code="out_of_range")
        return days

    def clean_taper(self) -> list[dict[str, Any]]:
        if self.taper_steps_input is not None:
            return clean_taper_steps(self.taper_steps_input)
        return parse_taper(self.cleaned_data.get("taper") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "daily_dose" in data and "taper" in data:
            schedule = DoseSchedule(
                daily_dose=data["daily_dose"],
                every_days=data.get("every_days") or 1,
                taper=tuple(
                    TaperStep(days=step["days"], daily_dose=Decimal(step["daily_dose"]))
                    for step in data["taper"]
                ),
            )
            try:
                schedule.validate()
            except ScheduleError as error:
                self.add_error(
                    "taper" if error.field_name == "taper_steps" else error.field_name,
                    error.message,
                )
            else:
                self._check_it_runs_out_in_time(data, schedule)
        return data

    def _check_it_runs_out_in_time(self, data: dict[str, Any], schedule: DoseSchedule) -> None:
        """A supply that would last over ten years is a typo in the quantity or the dose."""
        started_on, quantity = data.get("started_on"), data.get("quantity")
        if started_on is None or quantity is None or quantity < 0:
            return
        limit = shift_years(started_on, MAX_SUPPLY_YEARS)
        try:
            runs_out_on = project_run_out(
                quantity=quantity, schedule=schedule, started_on=started_on
            )
        except OverflowError:
            runs_out_on = None
        if runs_out_on is None or runs_out_on > limit:
            self.add_error(
                "quantity",
                f"This would last more than {MAX_SUPPLY_YEARS} years (past {day_text(limit)}): "
                "check the quantity, the dose and the tapering steps.",
            )

    def supply_data(self) -> dict[str, Any]:
        """The cleaned values the services take."""
        data = {
            name: self.cleaned_data[name] for name in SUPPLY_FIELDS if name in self.cleaned_data
        }
        data["taper_steps"] = self.cleaned_data.get("taper", [])
        return data
