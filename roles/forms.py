from decimal import Decimal

from django import forms

from roles.models import Importance, RoleAssignment


class RoleProfileForm(forms.Form):
    name = forms.CharField(max_length=150)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RequirementForm(forms.Form):
    """The skill is chosen among the organisation's framework; the view passes the queryset, so an
    id from another organisation is "Select a valid choice", exactly like a missing one."""

    skill = forms.ModelChoiceField(
        queryset=None, error_messages={"invalid_choice": "Select a valid skill."}
    )
    target_level = forms.IntegerField(min_value=0, max_value=5, initial=3)
    importance = forms.ChoiceField(choices=Importance.choices, initial=Importance.ESSENTIAL)
    weight = forms.DecimalField(
        min_value=Decimal("0.1"), max_value=Decimal(100), decimal_places=2, initial=1
    )

    def __init__(self, *args: object, skills: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skill"].queryset = skills


class AssignmentForm(forms.Form):
    person = forms.ModelChoiceField(
        queryset=None, error_messages={"invalid_choice": "Select a valid person."}
    )
    kind = forms.ChoiceField(
        choices=RoleAssignment.Kind.choices, initial=RoleAssignment.Kind.CURRENT
    )

    def __init__(self, *args: object, people: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class OccupationForm(forms.Form):
    code = forms.CharField(max_length=20)
    name = forms.CharField(
        max_length=150, required=False, help_text="Leave empty to use O*NET's title."
    )
