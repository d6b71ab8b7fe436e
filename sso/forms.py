"""The email step of the sign-in page and the organisation's SSO settings."""

from __future__ import annotations

from typing import Any

from django import forms

from sso.models import Protocol

# Pasted or uploaded metadata larger than this is not an identity provider's metadata.
METADATA_MAX_BYTES = 1024 * 1024


class EmailStepForm(forms.Form):
    """Step 1 of signing in: the address alone, which decides where the person signs in."""

    login = forms.EmailField(
        label="Email",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class IdentityProviderForm(forms.Form):
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
