"""The launch form. It checks shapes only (a date is a date, a team is one of the choices); the
rules (a due date in the past, nobody to ask, a manager naming others' people) are the service's,
whose refusals land on these fields (``form_add_service_error``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from reviews.models import default_grace_days
from reviews.services import MAX_GRACE_DAYS, MESSAGE_MAX, NAME_MAX

# People named on the launch page: by email, at most this many (teams and roles reach more).
MAX_PEOPLE_BY_EMAIL = 500
EMAIL_SEPARATORS = re.compile(r"[\s,;]+")


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
    # HR and admins only: the form drops it for a manager (``may_ask_everyone``).
    everyone = forms.BooleanField(
        required=False,
        label="Everyone in the organisation",
        help_text="Every active member, in a team or not; teams, role profiles and people "
        "below add nobody more.",
    )
    teams = _choices("Teams", "team", "Everyone in these teams and the teams below them.")
    roles = _choices(
        "Role profiles", "role profile", "Everyone whose current or target role it is."
    )
    # Emails, not a list of everyone: an organisation of 55,000 people would make a page of
    # 55,000 options. Resolved within the launcher's scope; an address outside it (another
    # organisation's, someone else's team member) reads exactly like an unknown one.
    people = forms.CharField(
        required=False,
        label="People",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
        help_text="Their email addresses, separated by commas, spaces or new lines.",
    )
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
        people_lookup: Callable[[list[str]], dict[str, Any]],
        skills: QuerySet[Any],
        may_ask_everyone: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if not may_ask_everyone:
            del self.fields["everyone"]
        # The setting is read per form, not at import, so the page shows the one in force.
        grace = self.fields["grace_days"]
        grace.initial = default_grace_days()
        grace.help_text = (
            "How long after the due date the campaign stays open (reminders continue) before it "
            f"closes by itself and records its summary. Empty: {grace.initial} days."
        )
        # The view binds the selector (the launcher's scope): the form itself runs no query.
        self.people_lookup = people_lookup
        for name, queryset in (
            ("teams", teams),
            ("roles", roles),
            ("skills", skills),
        ):
            # self.fields holds copies of the declared fields, of the same classes.
            cast("forms.ModelMultipleChoiceField[Any]", self.fields[name]).queryset = queryset

    def clean_people(self) -> list[Any]:
        typed = EMAIL_SEPARATORS.split(self.cleaned_data["people"])
        emails = list(dict.fromkeys(e.lower() for e in typed if e))
        if len(emails) > MAX_PEOPLE_BY_EMAIL:
            raise forms.ValidationError(
                f"Name at most {MAX_PEOPLE_BY_EMAIL} people by email; ask teams or role profiles "
                "for more."
            )
        found = self.people_lookup(emails) if emails else {}
        unknown = [e for e in emails if e not in found]
        if unknown:
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            raise forms.ValidationError(
                f"Nobody you may ask has the email {', '.join(unknown[:5])}{more}."
            )
        return [found[e] for e in emails]
