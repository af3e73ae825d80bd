"""Forms for promises and referrals: they parse input; services validate."""

from __future__ import annotations

from django import forms

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class PromiseForm(forms.Form):
    what = forms.CharField(max_length=300, label="What was promised")
    due = forms.ChoiceField(
        choices=[("moment", "At a moment"), ("window", "Within a window")],
        initial="moment",
        widget=forms.RadioSelect,
        label="Due",
    )
    due_at = forms.DateTimeField(required=False, widget=DATETIME_WIDGET, label="Due at")
    due_from = forms.DateTimeField(required=False, widget=DATETIME_WIDGET, label="Window from")
    due_until = forms.DateTimeField(required=False, widget=DATETIME_WIDGET, label="Window until")

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("due") == "moment":
            data["due_from"] = data["due_until"] = None
            if not data.get("due_at"):
                self.add_error("due_at", "Say when the promise is due.")
        else:
            data["due_at"] = None
            if not data.get("due_until"):
                self.add_error("due_until", "Say when the window ends.")
        return data


class ReferralForm(forms.Form):
    referred_to = forms.CharField(max_length=200, label="Referred to")
    why = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Why")


class OutcomeForm(forms.Form):
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Follow-up outcome")
