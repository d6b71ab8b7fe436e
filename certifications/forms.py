"""Forms of the certification pages. They check shapes only (a date is a date, a skill is one of
the choices); the domain's rules (expiry after issue, the evidence file's size and type) are the
service's, whose refusals land on these fields (``form_add_service_error``)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from certifications.evidence import KINDS_TEXT, max_bytes
from skills.models import Skill
from skillsmap.core.tabular import MAX_BYTES


class DateInput(forms.DateInput):
    input_type = "date"


class CertificationForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        label="Certification",
        error_messages={"required": "Enter the certification's name."},
    )
    issuer = forms.CharField(
        max_length=200, label="Issued by", error_messages={"required": "Enter the issuer."}
    )
    credential_id = forms.CharField(max_length=200, required=False, label="Credential id")
    issued_on = forms.DateField(
        label="Issued on",
        widget=DateInput,
        error_messages={
            "required": "Enter the date it was issued.",
            "invalid": "Enter the issue date like 2025-03-31.",
        },
    )
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=DateInput,
        help_text="Leave empty if it does not expire.",
        error_messages={"invalid": "Enter the expiry date like 2027-03-31."},
    )
    evidence_url = forms.URLField(
        label="Evidence link",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="A link to the credential on the issuer's site, if there is one.",
        error_messages={"invalid": "Enter a valid http(s) link as evidence."},
    )
    evidence = forms.FileField(
        label="Evidence file",
        required=False,
        widget=forms.FileInput(
            attrs={"accept": "application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg"}
        ),
    )
    remove_evidence = forms.BooleanField(label="Remove the evidence file", required=False)
    skills: forms.ModelMultipleChoiceField[Skill] = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label="Skills it shows",
        help_text="Hold Ctrl (⌘ on a Mac) to choose several.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
        error_messages={
            "invalid_choice": "Select a valid skill.",
            "invalid_pk_value": "Select a valid skill.",
        },
    )

    def __init__(
        self, *args: Any, skills: QuerySet[Skill], has_evidence: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # self.fields holds copies of the declared fields, so this one is a ModelMultipleChoiceField.
        cast("forms.ModelMultipleChoiceField[Skill]", self.fields["skills"]).queryset = skills
        limit = max_bytes() // (1024 * 1024)
        self.fields["evidence"].help_text = (
            f"{KINDS_TEXT[0].upper()}{KINDS_TEXT[1:]} of at most {limit} MB: a scan or the "
            "issuer's certificate."
            + (" Choosing a new file replaces the current one." if has_evidence else "")
        )
        if not has_evidence:
            del self.fields["remove_evidence"]


class CertificationsImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or XLSX file",
        help_text=f"At most {MAX_BYTES // (1024 * 1024)} MB.",
        error_messages={"required": "Choose a file to upload."},
    )
