from datetime import timedelta
from typing import Any, cast

from django import forms

from accounts.models import User
from accounts.permissions import Role


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form."""

    name = forms.CharField(max_length=150, required=False, label="Your name")

    def signup(self, request: object, user: User) -> None:
        user.name = self.cleaned_data.get("name", "")
        user.save(update_fields=["name"])


class OrganisationForm(forms.Form):
    name = forms.CharField(max_length=120, label="Organisation name")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the organisation a name.")
        return name


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class AuditFilterForm(forms.Form):
    """The audit log's filters: who, what, when. The choices are what this organisation's log
    holds, given by the view."""

    actor = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Who")
    verb = forms.ChoiceField(required=False, label="What")
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self,
        *args: Any,
        actors: list[tuple[int, str]],
        verbs: list[tuple[str, str]],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["actor"]).choices = [("", "Anyone"), *actors]
        cast(forms.ChoiceField, self.fields["verb"]).choices = [("", "Any change"), *verbs]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date.")
        return cleaned


class ApiTokenForm(forms.Form):
    """A new personal API token. The organisation choices are the user's own organisations."""

    name = forms.CharField(
        max_length=100, label="Name", help_text="What will use it, e.g. “HR sync script”."
    )
    organisation = forms.ChoiceField(
        required=False,
        label="Organisation",
        help_text="Confine the token to one organisation, or leave it for all of yours.",
    )
    read_only = forms.BooleanField(
        required=False, label="Read-only", help_text="The token can read but never change anything."
    )
    # Days; "" is "never", which is also what a script posting no value gets.
    expires_in = forms.ChoiceField(
        required=False,
        label="Expires",
        choices=[("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"), ("", "Never")],
        initial="90",
        help_text="After that the token stops working, as if revoked.",
    )

    def __init__(self, *args: Any, organisations: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Declared above as a ChoiceField; the form holds a copy of it.
        organisation = cast(forms.ChoiceField, self.fields["organisation"])
        organisation.choices = [("", "All my organisations"), *organisations]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name, so you know later what uses it.")
        return name

    def clean_expires_in(self) -> timedelta | None:
        days = self.cleaned_data["expires_in"]
        return timedelta(days=int(days)) if days else None
