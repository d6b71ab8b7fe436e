"""The claim form checks shape only; what a domain may be is the service's rule
(``domains.services.domain_claim``), whose refusals land on the field."""

from __future__ import annotations

from django import forms


class DomainClaimForm(forms.Form):
    name = forms.CharField(
        max_length=253,
        label="Domain",
        help_text="The part of your colleagues' email addresses after the @, e.g. acme.example.",
        error_messages={"required": "Enter the domain, e.g. acme.example."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
