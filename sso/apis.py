"""API of the organisation's single sign-on, mounted under /api/v1/orgs/<org_slug>/: admins only
(``identity.manage``). ``sso/`` reads, sets (PUT), changes (PATCH) and removes (DELETE) the one
identity provider. The client secret is write-only: no response ever carries it, only whether
one is set."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, URLResolver, path, reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import AuthenticatedRequest, OrgAPIView
from accounts.permissions import Perm
from skillsmap.core.api import StrictInput
from sso import selectors, services
from sso.models import IdentityProvider, Protocol

_ADMIN = Perm.IDENTITY_MANAGE


class IdentityProviderOut(serializers.Serializer):
    protocol = serializers.ChoiceField(choices=Protocol.choices)
    is_enabled = serializers.BooleanField()
    oidc_issuer = serializers.CharField()
    oidc_client_id = serializers.CharField()
    oidc_client_secret_set = serializers.SerializerMethodField(
        help_text="Whether a client secret is stored; the secret itself is never returned."
    )
    saml_metadata_set = serializers.SerializerMethodField(
        help_text="Whether identity provider metadata is stored (pasted, uploaded or fetched)."
    )
    saml_metadata_url = serializers.CharField()
    saml_metadata_fetched_at = serializers.DateTimeField(allow_null=True)
    saml_metadata_error = serializers.CharField()
    attribute_email = serializers.CharField()
    attribute_name = serializers.CharField()
    attribute_title = serializers.CharField()
    attribute_team = serializers.CharField()
    sso_required = serializers.BooleanField()
    trust_idp_mfa = serializers.BooleanField()
    oidc_redirect_uri = serializers.SerializerMethodField(
        help_text="What to register in the identity provider as the OIDC redirect URI."
    )
    saml_sp_metadata_url = serializers.SerializerMethodField(
        help_text="The service provider's SAML metadata (also its entity id)."
    )
    saml_acs_url = serializers.SerializerMethodField(
        help_text="The SAML assertion consumer service URL."
    )
    updated_at = serializers.DateTimeField()

    def get_oidc_client_secret_set(self, provider: IdentityProvider) -> bool:
        return bool(provider.oidc_client_secret_encrypted)

    def get_saml_metadata_set(self, provider: IdentityProvider) -> bool:
        return bool(provider.saml_metadata_xml)

    def _absolute(self, path: str) -> str:
        return str(self.context["request"].build_absolute_uri(path))

    def get_oidc_redirect_uri(self, provider: IdentityProvider) -> str:
        slug = self.context["tenant"].organisation.slug
        return self._absolute(
            reverse("openid_connect_callback", kwargs={"provider_id": f"org-{slug}"})
        )

    def get_saml_sp_metadata_url(self, provider: IdentityProvider) -> str:
        return self._absolute(
            f"/accounts/saml/{self.context['tenant'].organisation.slug}/metadata/"
        )

    def get_saml_acs_url(self, provider: IdentityProvider) -> str:
        return self._absolute(f"/accounts/saml/{self.context['tenant'].organisation.slug}/acs/")


class IdentityProviderIn(StrictInput):
    protocol = serializers.ChoiceField(choices=Protocol.choices)
    is_enabled = serializers.BooleanField(required=False, default=False)
    oidc_issuer = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    oidc_client_id = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default=""
    )
    oidc_client_secret = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Write-only. Left out (or empty), the stored secret is kept.",
    )
    saml_metadata_xml = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1024 * 1024,
        help_text="The identity provider's metadata XML. Left out, the stored one is kept.",
    )
    saml_metadata_url = serializers.URLField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Fetched in the background and stored; never fetched during a sign-in.",
    )
    attribute_email = serializers.CharField(max_length=255, required=False, default="email")
    attribute_name = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default="name"
    )
    attribute_title = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default="title"
    )
    attribute_team = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default=""
    )
    sso_required = serializers.BooleanField(required=False, default=False)
    trust_idp_mfa = serializers.BooleanField(required=False, default=False)


class IdentityProviderPatchIn(IdentityProviderIn):
    """PATCH: what the body names changes, the rest stays."""

    protocol = serializers.ChoiceField(choices=Protocol.choices, required=False)


def _settings(data: dict[str, Any]) -> services.ProviderSettings:
    return services.ProviderSettings(
        protocol=data["protocol"],
        is_enabled=data["is_enabled"],
        oidc_issuer=data["oidc_issuer"],
        oidc_client_id=data["oidc_client_id"],
        oidc_client_secret=data.get("oidc_client_secret") or None,
        saml_metadata_xml=data.get("saml_metadata_xml") or None,
        saml_metadata_url=data["saml_metadata_url"],
        attribute_email=data["attribute_email"],
        attribute_name=data["attribute_name"],
        attribute_title=data["attribute_title"],
        attribute_team=data["attribute_team"],
        sso_required=data["sso_required"],
        trust_idp_mfa=data["trust_idp_mfa"],
    )


_CURRENT_FIELDS = (
    "protocol",
    "is_enabled",
    "oidc_issuer",
    "oidc_client_id",
    "saml_metadata_url",
    "attribute_email",
    "attribute_name",
    "attribute_title",
    "attribute_team",
    "sso_required",
    "trust_idp_mfa",
)


class IdentityProviderApi(OrgAPIView):
    permissions = {"GET": _ADMIN, "PUT": _ADMIN, "PATCH": _ADMIN, "DELETE": _ADMIN}
    default_permission = _ADMIN

    def _provider(self) -> IdentityProvider:
        provider = selectors.identity_provider_get(organisation=self.tenant.organisation)
        if provider is None:
            raise Http404("No identity provider is configured.")
        return provider

    def _save(self, request: AuthenticatedRequest, data: dict[str, Any]) -> Response:
        provider = services.identity_provider_save(
            organisation=self.tenant.organisation, by=request.user, data=_settings(data)
        )
        return self.output(IdentityProviderOut, provider)

    @extend_schema(operation_id="sso_get", responses=IdentityProviderOut, tags=["sso"])
    def get(self, request: Request) -> Response:
        return self.output(IdentityProviderOut, self._provider())

    @extend_schema(
        operation_id="sso_set",
        request=IdentityProviderIn,
        responses=IdentityProviderOut,
        tags=["sso"],
        description="Set the organisation's identity provider (creating it the first time).",
    )
    def put(self, request: AuthenticatedRequest) -> Response:
        return self._save(request, self.input(IdentityProviderIn, request.data))

    @extend_schema(
        operation_id="sso_update",
        request=IdentityProviderPatchIn,
        responses=IdentityProviderOut,
        tags=["sso"],
    )
    def patch(self, request: AuthenticatedRequest) -> Response:
        # The body first: a bad one is a 400 whether or not a provider is configured yet.
        self.input(IdentityProviderPatchIn, request.data)
        provider = self._provider()
        current = {name: getattr(provider, name) for name in _CURRENT_FIELDS}
        return self._save(request, self.patch_input(IdentityProviderPatchIn, current))

    @extend_schema(operation_id="sso_delete", responses={204: None}, tags=["sso"])
    def delete(self, request: AuthenticatedRequest) -> Response:
        self._provider()
        services.identity_provider_delete(organisation=self.tenant.organisation, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns: list[URLPattern | URLResolver] = [
    path("sso/", IdentityProviderApi.as_view(), name="sso"),
]
