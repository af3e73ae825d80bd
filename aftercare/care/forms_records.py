"""Forms for promises, resources, referrals and sharing: they parse input; services validate."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from aftercare.care.models import Resource

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, by field where the form has that field."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


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


class ResourceForm(forms.ModelForm):
    link = forms.URLField(required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = Resource
        fields = ["title", "body", "link", "topics"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}
        help_texts = {"body": "Markdown: **bold**, lists, links. Scripts and styles are removed."}


class ShareForm(forms.Form):
    resource = forms.ModelChoiceField(queryset=Resource.objects.none(), label="Resource")
    note = forms.CharField(max_length=300, required=False, label="Note for the record")

    def __init__(self, *args: object, practice: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["resource"].queryset = Resource.objects.filter(practice=practice)  # type: ignore[attr-defined]
        self.fields["resource"].error_messages["invalid_choice"] = "Choose one of your resources."


class ReferralForm(forms.Form):
    referred_to = forms.CharField(max_length=200, label="Referred to")
    why = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Why")


class OutcomeForm(forms.Form):
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Follow-up outcome")
