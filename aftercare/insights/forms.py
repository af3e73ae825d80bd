"""The practice's targets for the care score and the lost-clients list."""

from __future__ import annotations

from django import forms

from aftercare.insights.models import InsightsPolicy


class InsightsPolicyForm(forms.ModelForm):
    class Meta:
        model = InsightsPolicy
        fields = ["reply_target_hours", "recall_weeks"]
        labels = {
            "reply_target_hours": "Answer a client's message within (hours)",
            "recall_weeks": "A client is lost after (weeks without a visit)",
        }

    def clean_reply_target_hours(self) -> int:
        hours = self.cleaned_data["reply_target_hours"]
        if not 1 <= hours <= 336:
            raise forms.ValidationError("Between 1 hour and 336 hours (two weeks).")
        return hours

    def clean_recall_weeks(self) -> int:
        weeks = self.cleaned_data["recall_weeks"]
        if not 2 <= weeks <= 104:
            raise forms.ValidationError("Between 2 and 104 weeks (two years).")
        return weeks
