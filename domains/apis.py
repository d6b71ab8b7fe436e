"""API of verified domains, mounted under /api/v1/orgs/<org_slug>/: admins only
(``identity.manage``). List and claim, read and remove one, and run its DNS check now. Another
organisation's domain and a missing one both read as 404."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import AuthenticatedRequest, OrgAPIView
from accounts.permissions import Perm
from domains import selectors, services
from domains.models import Domain
from skillsmap.core.api import StrictInput, paginated


class DomainOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="Lower-case ASCII (IDNA) hostname.")
    verified = serializers.BooleanField(source="is_verified")
    verified_at = serializers.DateTimeField(allow_null=True)
    record_name = serializers.CharField(
        help_text="Where the TXT record goes: `_skillsmap-challenge.<name>`."
    )
    record_value = serializers.CharField(
        help_text="What the TXT record must hold: `skillsmap-domain-verification=<token>`."
    )
    last_checked_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(
        help_text="Why the last check did not verify it (no record, another value, a DNS "
        "timeout or failure); empty once verified."
    )
    created_at = serializers.DateTimeField()


class DomainIn(StrictInput):
    name = serializers.CharField(max_length=253, help_text="e.g. `acme.example`.")


class NoBodyIn(StrictInput):
    """Verifying takes no input: a body, if any, must be an empty object."""


# The schema of that body (drf-spectacular leaves a serializer with no fields out of it).
EMPTY_BODY = {"application/json": {"type": "object", "additionalProperties": False}}

_ADMIN = Perm.IDENTITY_MANAGE


class DomainListApi(OrgAPIView):
    permissions = {"GET": _ADMIN, "POST": _ADMIN}
    default_permission = _ADMIN

    @extend_schema(
        operation_id="domains_list",
        responses=paginated(DomainOut),
        tags=["domains"],
        description="The organisation's claimed domains, verified or pending.",
    )
    def get(self, request: Request) -> Response:
        domains = selectors.domain_list(organisation=self.tenant.organisation)
        return self.page(DomainOut, domains, ordering=("-id",))

    @extend_schema(
        operation_id="domains_claim",
        request=DomainIn,
        responses={201: DomainOut, 200: DomainOut},
        tags=["domains"],
        description="Claim a domain (pending until verified). Claiming one the organisation "
        "already holds returns it with 200. A public email provider (gmail.com, ...) or a name "
        "another organisation has verified is a 400.",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(DomainIn, request.data)
        organisation = self.tenant.organisation
        held = selectors.domain_is_claimed(organisation=organisation, name=data["name"])
        domain = services.domain_claim(
            organisation=organisation, name=data["name"], by=request.user
        )
        return self.output(
            DomainOut, domain, status_code=status.HTTP_200_OK if held else status.HTTP_201_CREATED
        )


class DomainDetailApi(OrgAPIView):
    permissions = {"GET": _ADMIN, "DELETE": _ADMIN}
    default_permission = _ADMIN

    @extend_schema(operation_id="domains_detail", responses=DomainOut, tags=["domains"])
    def get(self, request: Request, domain_id: int) -> Response:
        return self.output(DomainOut, self._get(domain_id))

    @extend_schema(
        operation_id="domains_remove",
        responses={204: None},
        tags=["domains"],
        description="Remove the domain. If it was verified, the organisation's identity "
        "provider can no longer sign in its addresses.",
    )
    def delete(self, request: AuthenticatedRequest, domain_id: int) -> Response:
        services.domain_remove(domain=self._get(domain_id), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _get(self, domain_id: int) -> Domain:
        return selectors.domain_get(organisation=self.tenant.organisation, domain_id=domain_id)


class DomainVerifyApi(OrgAPIView):
    permissions = {"POST": _ADMIN}
    default_permission = _ADMIN

    @extend_schema(
        operation_id="domains_verify",
        request=EMPTY_BODY,
        responses=DomainOut,
        tags=["domains"],
        description="Look the TXT record up now, with the configured resolver. The answer is the "
        "domain after the check: `verified` true, or false with `last_error` saying why. A name "
        "another organisation has verified meanwhile is a 400.",
    )
    def post(self, request: AuthenticatedRequest, domain_id: int) -> Response:
        self.input(NoBodyIn, request.data)
        domain = selectors.domain_get(organisation=self.tenant.organisation, domain_id=domain_id)
        return self.output(DomainOut, services.domain_verify(domain=domain, by=request.user))


urlpatterns: list[URLPattern | URLResolver] = [
    path("domains/", DomainListApi.as_view(), name="domains"),
    path("domains/<int:domain_id>/", DomainDetailApi.as_view(), name="domain"),
    path("domains/<int:domain_id>/verify/", DomainVerifyApi.as_view(), name="domain-verify"),
]
