from __future__ import annotations

from django import forms


class ScimTokenForm(forms.Form):
    prefix = "token"
    name = forms.CharField(
        max_length=100,
        label="Name",
        help_text="What uses it, e.g. “Entra ID provisioning”.",
    )


class ScimSettingsForm(forms.Form):
    prefix = "settings"
    department_to_team = forms.BooleanField(
        required=False,
        label="Put each person in the team named by their department (created if missing)",
    )
