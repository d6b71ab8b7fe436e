from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from roles.models import Importance, RoleAssignment
from skills.models import Skill
from teams.models import Person


class RoleProfileForm(forms.Form):
    name = forms.CharField(max_length=150)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RequirementForm(forms.Form):
    """The skill is chosen among the organisation's framework; the view passes the queryset, so an
    id from another organisation is "Select a valid choice", exactly like a missing one."""

    skill: forms.ModelChoiceField[Skill] = forms.ModelChoiceField(
        queryset=None, error_messages={"invalid_choice": "Select a valid skill."}
    )
    # Bounded by the organisation's scale (``scale``: ``skills.selectors.framework.scale_bounds``).
    target_level = forms.IntegerField(initial=3)
    importance = forms.ChoiceField(choices=Importance.choices, initial=Importance.ESSENTIAL)
    weight = forms.DecimalField(
        min_value=Decimal("0.1"), max_value=Decimal(100), decimal_places=2, initial=1
    )

    def __init__(
        self, *args: Any, skills: QuerySet[Skill], scale: tuple[int, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # self.fields holds copies of the declared fields, so this one is a ModelChoiceField.
        cast("forms.ModelChoiceField[Skill]", self.fields["skill"]).queryset = skills
        low, high = scale
        self.fields["target_level"] = forms.IntegerField(min_value=low, max_value=high, initial=3)


class AssignmentForm(forms.Form):
    person: forms.ModelChoiceField[Person] = forms.ModelChoiceField(
        queryset=None, error_messages={"invalid_choice": "Select a valid person."}
    )
    kind = forms.ChoiceField(
        choices=RoleAssignment.Kind.choices, initial=RoleAssignment.Kind.CURRENT
    )

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Person]", self.fields["person"]).queryset = people


class OccupationForm(forms.Form):
    code = forms.CharField(max_length=20)
    name = forms.CharField(
        max_length=150, required=False, help_text="Leave empty to use O*NET's title."
    )
