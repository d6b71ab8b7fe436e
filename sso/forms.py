"""The email step of the sign-in page and the organisation's SSO settings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.forms import BoundField

from sso.models import Protocol

# Pasted or uploaded metadata larger than this is not an identity provider's metadata.
METADATA_MAX_BYTES = 1024 * 1024


class EmailStepForm(forms.Form):
    """Step 1 of signing in: the address alone, which decides where the person signs in."""

    login = forms.EmailField(
        label="Email",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


@dataclass(frozen=True)
class FieldGroup:
    """A legend and its fields, in the shape ``partials/form_fields.html`` iterates. Its ``errors``
    is empty on purpose: that partial prints an error summary when a form has errors, and the
    settings page prints the whole form's summary once, above every group."""

    key: str
    legend: str
    fields: tuple[BoundField, ...]
    errors: tuple[()] = ()

    def __iter__(self) -> Iterator[BoundField]:
        return iter(self.fields)


class IdentityProviderForm(forms.Form):
    # The page's fieldsets, after the protocol radio: each protocol's fields apart, so that an
    # admin fills in one group and skips the other, then what both protocols share.
    GROUPS = (
        ("oidc", "OpenID Connect", ("oidc_issuer", "oidc_client_id", "oidc_client_secret")),
        ("saml", "SAML 2.0", ("saml_metadata_xml", "saml_metadata_file", "saml_metadata_url")),
        (
            "attributes",
            "Attributes",
            ("attribute_email", "attribute_name", "attribute_title", "attribute_team"),
        ),
        ("policy", "Policy", ("is_enabled", "sso_required", "trust_idp_mfa")),
    )

    protocol = forms.ChoiceField(
        choices=Protocol.choices, widget=forms.RadioSelect, label="Protocol"
    )
    oidc_issuer = forms.URLField(
        assume_scheme="https",
        required=False,
        max_length=500,
        label="Issuer URL (OpenID Connect)",
        help_text="Its discovery document is read from <issuer>/.well-known/openid-configuration.",
    )
    oidc_client_id = forms.CharField(required=False, max_length=255, label="Client id")
    oidc_client_secret = forms.CharField(
        required=False,
        max_length=1000,
        label="Client secret",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    saml_metadata_xml = forms.CharField(
        required=False,
        label="Identity provider metadata XML (SAML)",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="Paste it, upload the file, or give its URL below.",
    )
    saml_metadata_file = forms.FileField(required=False, label="…or upload the metadata file")
    saml_metadata_url = forms.URLField(
        assume_scheme="https",
        required=False,
        max_length=500,
        label="…or its metadata URL",
        help_text="Fetched in the background and stored; never fetched during a sign-in.",
    )
    attribute_email = forms.CharField(max_length=255, initial="email", label="Email attribute")
    attribute_name = forms.CharField(
        required=False, max_length=255, initial="name", label="Name attribute"
    )
    attribute_title = forms.CharField(
        required=False, max_length=255, initial="title", label="Job title attribute"
    )
    attribute_team = forms.CharField(
        required=False,
        max_length=255,
        label="Team attribute",
        help_text="A sign-in joins the team of that name, if there is one (teams are not created).",
    )
    is_enabled = forms.BooleanField(required=False, label="Enabled: take sign-ins through it")
    sso_required = forms.BooleanField(
        required=False,
        label="SSO required: addresses on our verified domains cannot use a password",
    )
    trust_idp_mfa = forms.BooleanField(
        required=False,
        label="Trust the identity provider's MFA: do not ask SSO sign-ins for a TOTP code",
    )

    def __init__(self, *args: Any, secret_set: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if secret_set:
            self.fields[
                "oidc_client_secret"
            ].help_text = (
                "A secret is set. Leave this empty to keep it, or enter a new one to replace it."
            )

    def groups(self) -> list[FieldGroup]:
        return [
            FieldGroup(key=key, legend=legend, fields=tuple(self[name] for name in names))
            for key, legend, names in self.GROUPS
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("saml_metadata_file")
        if upload is not None:
            if upload.size > METADATA_MAX_BYTES:
                self.add_error("saml_metadata_file", "This file is too large for metadata.")
            else:
                try:
                    cleaned["saml_metadata_xml"] = upload.read().decode("utf-8")
                except UnicodeDecodeError:
                    self.add_error("saml_metadata_file", "This file is not UTF-8 text.")
        return cleaned
