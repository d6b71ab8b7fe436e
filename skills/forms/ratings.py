"""Shapes of the rating pages' input. The rules (whose rating, which skill is open) live in
``skills.services.ratings``; these forms only check that the input is well-formed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from skills.models import Skill
from skills.selectors.ratings import NOT_APPLICABLE
from skills.services.ratings import NOTE_MAX_LENGTH

INVALID_SKILL = "Select a valid skill."


def _level_choices(levels: Sequence[int]) -> list[tuple[str, str]]:
    return [(str(v), str(v)) for v in levels] + [(NOT_APPLICABLE, "Not applicable")]


class _LevelMixin(forms.Form):
    """A level of the organisation's scale, or "Not applicable" (a flag, not a level)."""

    level = forms.ChoiceField(
        error_messages={
            "required": "Choose a level, or Not applicable.",
            "invalid_choice": "Choose a level on the scale, or Not applicable.",
        }
    )

    def __init__(self, *args: Any, levels: Sequence[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # self.fields holds copies of the fields declared above, of the same classes.
        level = cast(forms.ChoiceField, self.fields["level"])
        level.choices = _level_choices(levels)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        raw = cleaned.get("level")
        if raw is not None:
            cleaned["not_applicable"] = raw == NOT_APPLICABLE
            cleaned["level"] = None if raw == NOT_APPLICABLE else int(raw)
        return cleaned


class SelfRatingForm(_LevelMixin):
    interest = forms.BooleanField(required=False, label="I want to grow in this")
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH)
    evidence_url = forms.URLField(
        required=False,
        max_length=200,
        assume_scheme="https",
        error_messages={"invalid": "Enter a valid link (https://…)."},
    )


class ValidationForm(_LevelMixin):
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH)


class ProfileSkillForm(forms.Form):
    """The view passes the organisation's open skills, so another organisation's id is
    "Select a valid skill", exactly like a missing one."""

    skill = forms.ModelChoiceField(
        queryset=Skill.objects.none(), error_messages={"invalid_choice": INVALID_SKILL}
    )

    def __init__(self, *args: Any, skills: QuerySet[Skill], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Skill]", self.fields["skill"]).queryset = skills


class CriterionForm(forms.Form):
    """One row of the people search: a skill and the minimum effective level."""

    skill = forms.ModelChoiceField(
        queryset=Skill.objects.none(),
        error_messages={"invalid_choice": INVALID_SKILL, "required": INVALID_SKILL},
    )
    min = forms.TypedChoiceField(
        coerce=int, error_messages={"invalid_choice": "Select a level on the scale."}
    )

    def __init__(
        self, *args: Any, skills: QuerySet[Skill], levels: Sequence[int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Skill]", self.fields["skill"]).queryset = skills
        minimum = cast(forms.TypedChoiceField, self.fields["min"])
        minimum.choices = [(str(v), str(v)) for v in levels]


class RatingsImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or XLSX file",
        help_text="Columns: email, skill, level (0–5 or n/a), date (YYYY-MM-DD); optional note, "
        "interest (yes/no).",
    )
