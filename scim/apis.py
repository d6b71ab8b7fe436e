"""API of SCIM tokens, mounted under /api/v1/orgs/<org_slug>/: admins only (``identity.manage``).
List and create (the secret is in the creation's answer only), read one, revoke one. Another
organisation's token and a missing one both read as 404. The SCIM protocol itself is not here:
it lives at /scim/v2/<org_slug>/ (scim/protocol.py) and authenticates with these tokens."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import AuthenticatedRequest, OrgAPIView
from accounts.permissions import Perm
from scim import selectors, services
from skillsmap.core.api import StrictInput, paginated


class ScimTokenOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The secret starts with `scim_<prefix>_`.")
    created_by = serializers.EmailField(source="created_by.email")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class ScimTokenCreatedOut(ScimTokenOut):
    secret = serializers.CharField(
        help_text="The token, shown in this answer only: give it to the directory as its "
        "bearer token. Only its hash is stored."
    )
    scim_base_url = serializers.CharField(
        help_text="The SCIM 2.0 base URL to enter in the directory (Entra's “Tenant URL”)."
    )


class NoBodyIn(StrictInput):
    """Revoking takes no fields; a body that names any is refused (as every input here is)."""


# Documented as an empty object so clients (and the schema fuzzing) send one.
EMPTY_BODY = {"application/json": {"type": "object", "additionalProperties": False}}


class ScimTokenIn(StrictInput):
    name = serializers.CharField(max_length=100, help_text="e.g. `Entra ID provisioning`.")


_ADMIN = Perm.IDENTITY_MANAGE


class ScimTokenListApi(OrgAPIView):
    permissions = {"GET": _ADMIN, "POST": _ADMIN}
    default_permission = _ADMIN

    @extend_schema(
        operation_id="scim_tokens_list",
        responses=paginated(ScimTokenOut),
        tags=["scim"],
        description="The organisation's SCIM tokens, active and revoked.",
    )
    def get(self, request: Request) -> Response:
        tokens = selectors.scim_token_list(organisation=self.tenant.organisation)
        return self.page(ScimTokenOut, tokens, ordering=("-id",))

    @extend_schema(
        operation_id="scim_tokens_create",
        request=ScimTokenIn,
        responses={201: ScimTokenCreatedOut},
        tags=["scim"],
        description="Create a SCIM token. The answer holds the secret, once.",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(ScimTokenIn, request.data)
        organisation = self.tenant.organisation
        token, secret = services.scim_token_create(
            organisation=organisation, name=data["name"], by=request.user
        )
        base_url = request.build_absolute_uri(
            reverse("scim_v2:root", kwargs={"org_slug": organisation.slug})
        )
        token.secret = secret  # type: ignore[attr-defined]  # for this answer only
        token.scim_base_url = base_url  # type: ignore[attr-defined]  # for this answer only
        response = self.output(ScimTokenCreatedOut, token, status_code=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class ScimTokenDetailApi(OrgAPIView):
    permissions = {"GET": _ADMIN}
    default_permission = _ADMIN

    @extend_schema(operation_id="scim_tokens_detail", responses=ScimTokenOut, tags=["scim"])
    def get(self, request: Request, scim_token_id: int) -> Response:
        token = selectors.scim_token_get(
            organisation=self.tenant.organisation, token_id=scim_token_id
        )
        return self.output(ScimTokenOut, token)


class ScimTokenRevokeApi(OrgAPIView):
    permissions = {"POST": _ADMIN}
    default_permission = _ADMIN

    @extend_schema(
        operation_id="scim_tokens_revoke",
        request=EMPTY_BODY,
        responses=ScimTokenOut,
        tags=["scim"],
        description="Revoke the token: the directory's next request with it gets 401. Revoking "
        "a revoked token changes nothing.",
    )
    def post(self, request: AuthenticatedRequest, scim_token_id: int) -> Response:
        self.input(NoBodyIn, request.data)
        token = selectors.scim_token_get(
            organisation=self.tenant.organisation, token_id=scim_token_id
        )
        return self.output(ScimTokenOut, services.scim_token_revoke(token=token, by=request.user))


urlpatterns: list[URLPattern | URLResolver] = [
    path("scim-tokens/", ScimTokenListApi.as_view(), name="scim-tokens"),
    path("scim-tokens/<int:scim_token_id>/", ScimTokenDetailApi.as_view(), name="scim-token"),
    path(
        "scim-tokens/<int:scim_token_id>/revoke/",
        ScimTokenRevokeApi.as_view(),
        name="scim-token-revoke",
    ),
]
