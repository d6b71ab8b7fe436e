"""API of the accounts domain: the caller, their organisations, members and the audit trail."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors
from accounts.api_base import AuthenticatedRequest, OrgAPIView
from accounts.models import ApiToken, AuditEvent, Organisation, User
from accounts.permissions import ROLE_PERMISSIONS, Perm, Role
from skillsmap.core.api import StrictInput, paginated


class TokenOut(serializers.Serializer):
    name = serializers.CharField()
    organisation = serializers.CharField(
        source="only_organisation.slug",
        allow_null=True,
        default=None,
        help_text="The one organisation it is confined to, if any.",
    )
    read_only = serializers.BooleanField()  # type: ignore[assignment]  # a declared field; DRF's metaclass moves it off the class, so Field.read_only stays
    created_at = serializers.DateTimeField()


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    token = TokenOut(allow_null=True, help_text="The token of this request, if one was used.")


class OrganisationOut(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    permissions = serializers.ListField(child=serializers.CharField())
    url = serializers.CharField(help_text="The API root of this organisation.")


class MeApi(APIView):
    @extend_schema(operation_id="me", responses=MeOut, tags=["me"])
    def get(self, request: AuthenticatedRequest) -> Response:
        user: User = request.user
        token = request.auth if isinstance(request.auth, ApiToken) else None
        data = {"id": user.pk, "email": user.email, "name": user.name, "token": token}
        return Response(MeOut(data).data)


class OrganisationListApi(APIView):
    @extend_schema(operation_id="orgs_list", responses=OrganisationOut(many=True), tags=["me"])
    def get(self, request: AuthenticatedRequest) -> Response:
        token = request.auth if isinstance(request.auth, ApiToken) else None
        memberships = selectors.membership_list_for_user(user=request.user)
        rows = [
            {
                "slug": m.organisation.slug,
                "name": m.organisation.name,
                "role": m.role,
                "permissions": sorted(ROLE_PERMISSIONS[Role(m.role)]),
                "url": f"/api/v1/orgs/{m.organisation.slug}/",
            }
            for m in memberships
            # A token confined to one organisation does not even list the others.
            if token is None or token.only_organisation_id in (None, m.organisation_id)
        ]
        return Response(OrganisationOut(rows, many=True).data)


class OrganisationDetailOut(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    review_period_days = serializers.IntegerField()
    results_computed_at = serializers.DateTimeField(source="computed_at", allow_null=True)
    results_fresh = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()

    def get_results_fresh(self, organisation: Organisation) -> bool:
        return organisation.computed_version >= organisation.inputs_version

    def get_role(self, organisation: Organisation) -> str:
        return self.context["tenant"].membership.role


class OrganisationDetailApi(OrgAPIView):
    @extend_schema(operation_id="org_detail", responses=OrganisationDetailOut, tags=["me"])
    def get(self, request: Request) -> Response:
        return self.output(OrganisationDetailOut, self.tenant.organisation)


class MemberOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.name")
    role = serializers.ChoiceField(choices=Role.choices)
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class MemberListApi(OrgAPIView):
    permissions = {"GET": Perm.MEMBERSHIP_VIEW}

    @extend_schema(operation_id="members_list", responses=MemberOut(many=True), tags=["members"])
    def get(self, request: Request) -> Response:
        members = selectors.membership_list(organisation=self.tenant.organisation)
        return self.output(MemberOut, members, many=True)


class AuditEventOut(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.EmailField(source="actor.email", allow_null=True, default=None)
    verb = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    target = serializers.CharField(source="target_repr")
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class AuditEventFilter(StrictInput):
    verb = serializers.CharField(required=False, help_text="e.g. rating.created")
    target_type = serializers.CharField(required=False, help_text="e.g. teams.person")
    since = serializers.DateTimeField(required=False)


class AuditEventListApi(OrgAPIView):
    permissions = {"GET": Perm.AUDIT_VIEW}

    @extend_schema(
        operation_id="audit_events_list",
        parameters=[AuditEventFilter],
        responses=paginated(AuditEventOut),
        tags=["audit"],
    )
    def get(self, request: Request) -> Response:
        filters: dict[str, Any] = self.query(AuditEventFilter)
        events: QuerySet[AuditEvent] = selectors.audit_event_query(
            organisation=self.tenant.organisation, **filters
        )
        return self.page(AuditEventOut, events, ordering="-id")


urlpatterns = [
    path("", OrganisationDetailApi.as_view(), name="organisation"),
    path("members/", MemberListApi.as_view(), name="members"),
    path("audit-events/", AuditEventListApi.as_view(), name="audit-events"),
]

root_urlpatterns = [
    path("me/", MeApi.as_view(), name="me"),
    path("orgs/", OrganisationListApi.as_view(), name="orgs"),
]
