"""The endorse form: a skill of the framework and an optional note."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from endorsements.models import NOTE_MAX_LENGTH
from skills.models import Skill


class EndorseForm(forms.Form):
    skill = forms.ModelChoiceField(
        queryset=Skill.objects.none(),
        empty_label="Choose a skill",
        error_messages={
            "required": "Choose the skill you endorse.",
            "invalid_choice": "Select a valid skill.",
        },
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: what you saw them do, in a sentence or two.",
    )

    def __init__(self, *args: Any, skills: QuerySet[Skill], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The organisation's open skills only: another organisation's id or an archived skill
        # is "Select a valid skill." like a missing one.
        field = self.fields["skill"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = skills
