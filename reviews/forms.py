"""The launch form. It checks shapes only (a date is a date, a team is one of the choices); the
rules (a due date in the past, nobody to ask, a manager naming others' people) are the service's,
whose refusals land on these fields (``form_add_service_error``)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from reviews.models import default_grace_days
from reviews.services import MAX_GRACE_DAYS, MESSAGE_MAX, NAME_MAX


class DateInput(forms.DateInput):
    input_type = "date"


def _choices(label: str, noun: str, help_text: str) -> forms.ModelMultipleChoiceField[Any]:
    return forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label=label,
        help_text=help_text,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        error_messages={
            "invalid_choice": f"Select a valid {noun}.",
            "invalid_pk_value": f"Select a valid {noun}.",
        },
    )


class CampaignForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX,
        label="Name",
        help_text="The title of the invitation and the reminders, e.g. “Spring review”.",
        error_messages={"required": "Give the campaign a name."},
    )
    message = forms.CharField(
        max_length=MESSAGE_MAX,
        required=False,
        label="Message",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Sent with the invitation.",
    )
    due_on = forms.DateField(
        label="Due on",
        widget=DateInput,
        error_messages={
            "required": "Enter the due date.",
            "invalid": "Enter the due date like 2027-03-31.",
        },
        help_text="Today or later: the day by which each person should have rated their skills.",
    )
    grace_days = forms.IntegerField(
        label="Grace period (days)",
        required=False,
        min_value=0,
        max_value=MAX_GRACE_DAYS,
        error_messages={
            "invalid": "Enter the grace period as a whole number of days.",
            "min_value": f"The grace period is 0 to {MAX_GRACE_DAYS} days.",
            "max_value": f"The grace period is 0 to {MAX_GRACE_DAYS} days.",
        },
    )
    teams = _choices("Teams", "team", "Everyone in these teams and the teams below them.")
    roles = _choices(
        "Role profiles", "role profile", "Everyone whose current or target role it is."
    )
    people = _choices("People", "person", "Hold Ctrl (⌘ on a Mac) to choose several.")
    skills = _choices(
        "Skills",
        "skill",
        "Leave empty to ask each person their own skills: those their current and target roles "
        "require, those on their profile and those they have rated.",
    )

    def __init__(
        self,
        *args: Any,
        teams: QuerySet[Any],
        roles: QuerySet[Any],
        people: QuerySet[Any],
        skills: QuerySet[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The setting is read per form, not at import, so the page shows the one in force.
        grace = self.fields["grace_days"]
        grace.initial = default_grace_days()
        grace.help_text = (
            "How long after the due date the campaign stays open (reminders continue) before it "
            f"closes by itself and records its summary. Empty: {grace.initial} days."
        )
        for name, queryset in (
            ("teams", teams),
            ("roles", roles),
            ("people", people),
            ("skills", skills),
        ):
            # self.fields holds copies of the declared fields, of the same classes.
            cast("forms.ModelMultipleChoiceField[Any]", self.fields[name]).queryset = queryset
