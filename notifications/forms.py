from __future__ import annotations

from django import forms

from notifications.kinds import Kind


class EmailPreferencesForm(forms.Form):
    """One checkbox per kind: ticked means "also by email"."""

    email_kinds = forms.MultipleChoiceField(
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Email me about",
    )
