"""Forms for resources and sharing them: they parse input; services validate."""

from __future__ import annotations

from django import forms

from aftercare.resources.models import Resource


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
