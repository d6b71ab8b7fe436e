from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

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
    certification = forms.CharField(
        max_length=200,
        required=False,
        label="Certification asked for",
        help_text="Optional, e.g. “Certified Kubernetes Administrator”. A person's readiness page "
        "shows whether they hold it, current; it does not change the gap score.",
    )

    def __init__(
        self, *args: Any, skills: QuerySet[Skill], scale: tuple[int, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # self.fields holds copies of the declared fields, so this one is a ModelChoiceField.
        cast("forms.ModelChoiceField[Skill]", self.fields["skill"]).queryset = skills
        low, high = scale
        self.fields["target_level"] = forms.IntegerField(min_value=low, max_value=high, initial=3)


if TYPE_CHECKING:
    _PersonField = forms.ModelChoiceField[Person]
else:  # django-stubs makes the field generic; at run time it is not subscriptable
    _PersonField = forms.ModelChoiceField


class PersonChoiceField(_PersonField):
    """Two people can share a name: each option also says their email and team(s). The view
    passes people with ``team_memberships__team`` prefetched."""

    def label_from_instance(self, obj: Person) -> str:
        teams = ", ".join(sorted(m.team.name for m in obj.team_memberships.all()))
        return f"{obj.name} — {obj.email}" + (f" · {teams}" if teams else "")


class AssignmentForm(forms.Form):
    person = PersonChoiceField(
        queryset=None, error_messages={"invalid_choice": "Select a valid person."}
    )
    kind = forms.ChoiceField(
        choices=RoleAssignment.Kind.choices, initial=RoleAssignment.Kind.CURRENT
    )

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(PersonChoiceField, self.fields["person"]).queryset = people


class OccupationForm(forms.Form):
    code = forms.CharField(max_length=20)
    name = forms.CharField(
        max_length=150, required=False, help_text="Leave empty to use O*NET's title."
    )
    # Bounded by the organisation's scale, like a requirement's target.
    technology_target = forms.IntegerField(initial=3)

    def __init__(self, *args: Any, scale: tuple[int, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        low, high = scale
        self.fields["technology_target"] = forms.IntegerField(
            min_value=low,
            max_value=high,
            initial=min(max(3, low), high),
            label="Target level for its technologies",
            help_text="The level the occupation's in-demand technologies are required at.",
        )
