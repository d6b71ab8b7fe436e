"""Forms of the people pages. They check the shape of the input and limit every choice to the
organisation's own rows; the rules (unique email, no reporting loop) live in teams.services.

Plain ``Form`` rather than ``ModelForm``: only the fields declared here can ever reach a service,
so a posted ``organisation``, ``user`` or ``is_staff`` is ignored.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms

from accounts.models import Organisation
from teams.models import Person, Team
from teams.selectors import person_choices, person_filter_choices, person_teams, team_list


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        # Two people may share a name; the address tells them apart.
        return f"{obj.name} ({obj.email})"


# A model choice's wording for the directory's team and manager: an id that is not among the
# choices (another organisation's, say) is not echoed back.
_NOT_A_CHOICE = {"invalid_choice": forms.ModelChoiceField.default_error_messages["invalid_choice"]}


class PersonFilterForm(forms.Form):
    """The directory's search and filters, read from GET. The choices come from one statement
    (``person_filter_choices``), and a chosen team or manager is checked against them, not looked
    up again: the directory is a page every member opens (issue #14 bounds its statements)."""

    STATUS_CHOICES = [("active", "Active"), ("inactive", "Inactive"), ("all", "Everyone")]

    q = forms.CharField(
        required=False,
        max_length=100,
        label="Search",
        help_text="Name, email or job title.",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    team = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, error_messages=_NOT_A_CHOICE
    )
    manager = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, error_messages=_NOT_A_CHOICE
    )
    location = forms.ChoiceField(required=False)
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = person_filter_choices(organisation=organisation)
        # self.fields holds copies of the fields declared above, of the same classes. A team or
        # manager of another organisation is not among the choices: an invalid filter.
        team = cast(forms.TypedChoiceField, self.fields["team"])
        team.choices = [("", "All teams"), *((str(pk), name) for pk, name in choices.teams)]
        manager = cast(forms.TypedChoiceField, self.fields["manager"])
        manager.choices = [("", "Anyone"), *((str(pk), label) for pk, label in choices.managers)]
        location = cast(forms.ChoiceField, self.fields["location"])
        location.choices = [("", "All locations")] + [
            (location, location) for location in choices.locations
        ]

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``selectors.person_directory_page``. A filter that does not
        validate (say, a team id of another organisation) is dropped; its error is shown next to
        it."""
        data = getattr(self, "cleaned_data", {})
        status = data.get("status") or "active"
        return {
            "q": data.get("q") or "",
            "team_id": data.get("team"),
            "manager_id": data.get("manager"),
            "location": data.get("location") or "",
            "is_active": {"active": True, "inactive": False}.get(status),
        }


class PersonForm(forms.Form):
    name = forms.CharField(max_length=150)
    email = forms.EmailField(max_length=254)
    job_title = forms.CharField(max_length=150, required=False)
    manager = PersonChoiceField(queryset=Person.objects.none(), required=False, empty_label="—")
    location = forms.CharField(max_length=120, required=False)
    start_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    is_active = forms.BooleanField(
        required=False,
        initial=True,
        label="Active",
        help_text="Inactive people stay on record but leave the directory's default view.",
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self, *args: Any, organisation: Organisation, person: Person | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        manager = cast(PersonChoiceField, self.fields["manager"])
        manager.queryset = person_choices(organisation=organisation, exclude=person)
        teams = cast("forms.ModelMultipleChoiceField[Team]", self.fields["teams"])
        teams.queryset = team_list(organisation=organisation)


def person_form_initial(person: Person) -> dict[str, Any]:
    return {
        "name": person.name,
        "email": person.email,
        "job_title": person.job_title,
        "manager": person.manager_id,
        "location": person.location,
        "start_date": person.start_date,
        "is_active": person.is_active,
        "teams": [team.id for team in person_teams(person)],
    }


class PeopleImportForm(forms.Form):
    # Empty files are let through so that the reader gives its one message for every bad file.
    file = forms.FileField(
        label="CSV or XLSX file",
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


class TeamForm(forms.Form):
    """A team's name, parent and managers; choices are the organisation's own teams and people, so
    an id from elsewhere is "Select a valid choice", like a missing one."""

    name = forms.CharField(max_length=120)
    parent = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, label="Part of")
    managers = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Managers see the matrix of this team and every team below it.",
    )

    def __init__(
        self, *args: Any, organisation: Organisation, team: Team | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        parent = cast("forms.ModelChoiceField[Team]", self.fields["parent"])
        parent.queryset = team_list(organisation=organisation, exclude=team)
        managers = cast("forms.ModelMultipleChoiceField[Person]", self.fields["managers"])
        managers.queryset = person_choices(organisation=organisation)
        if team is None:
            del self.fields["managers"]  # chosen once the team exists
