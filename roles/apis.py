"""API of role profiles: the profiles, their requirements (PUT/DELETE per skill) and who holds
which role. Each view validates with an input serializer, calls one selector or service of
``roles``, and answers with an output serializer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import AuthenticatedRequest, OrgAPIView
from accounts.permissions import Perm
from roles import selectors as role_selectors
from roles import services as role_services
from roles.models import Importance, RoleAssignment, RoleProfile
from skills.selectors import framework as framework_selectors
from skillsmap.core.api import StrictInput, TenantPrimaryKeyField
from teams.models import Person


class RoleOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    source_occupation = serializers.CharField(
        source="source_occupation.code", allow_null=True, default=None
    )


class RoleSummaryOut(RoleOut):
    requirement_count = serializers.IntegerField()
    current_count = serializers.IntegerField(help_text="People who hold this role now.")
    target_count = serializers.IntegerField(help_text="People for whom it is the next role.")


class RequirementOut(serializers.Serializer):
    skill = serializers.IntegerField(source="skill_id")
    skill_name = serializers.CharField(source="skill.name")
    target_level = serializers.IntegerField()
    importance = serializers.ChoiceField(choices=Importance.choices)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    certification = serializers.CharField(
        help_text='The name of a certification the role asks for with this skill; "" for none. '
        "Not part of the gap score."
    )


class RoleDetailOut(RoleOut):
    requirements = RequirementOut(many=True)


class RoleIn(StrictInput):
    name = serializers.CharField(max_length=150)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class RoleListApi(OrgAPIView):
    permissions = {"GET": Perm.FRAMEWORK_VIEW, "POST": Perm.FRAMEWORK_MANAGE}

    @extend_schema(operation_id="roles_list", responses=RoleSummaryOut(many=True), tags=["roles"])
    def get(self, request: Request) -> Response:
        roles = role_selectors.role_list(organisation=self.tenant.organisation)
        return self.output(RoleSummaryOut, roles, many=True)

    @extend_schema(
        operation_id="roles_create", request=RoleIn, responses={201: RoleOut}, tags=["roles"]
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(RoleIn, request.data)
        role = role_services.role_profile_create(
            organisation=self.tenant.organisation, by=request.user, **data
        )
        return self.output(RoleOut, role, status_code=status.HTTP_201_CREATED)


class RoleDetailApi(OrgAPIView):
    permissions = {"GET": Perm.FRAMEWORK_VIEW}

    @extend_schema(operation_id="roles_detail", responses=RoleDetailOut, tags=["roles"])
    def get(self, request: Request, role_id: int) -> Response:
        organisation = self.tenant.organisation
        role = role_selectors.role_get(organisation=organisation, role_id=role_id)
        return self.output(RoleDetailOut, _with_requirements(role, organisation))


def _with_requirements(role: RoleProfile, organisation: Any) -> dict[str, Any]:
    return {
        "id": role.pk,
        "name": role.name,
        "description": role.description,
        "source_occupation": role.source_occupation,
        "requirements": role_selectors.role_requirements(organisation=organisation, role=role),
    }


class RequirementIn(StrictInput):
    # On the organisation's scale (``scale_bounds``), from the tenant in the context
    # (``get_fields``); the schema, generated without one, documents the default scale's bounds.
    target_level = serializers.IntegerField(
        min_value=framework_selectors.DEFAULT_SCALE_BOUNDS[0],
        max_value=framework_selectors.DEFAULT_SCALE_BOUNDS[1],
    )
    importance = serializers.ChoiceField(choices=Importance.choices, default=Importance.ESSENTIAL)
    weight = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0.01"), default=Decimal(1)
    )
    # PUT sets the whole requirement: leaving it out asks for no certification.
    certification = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        tenant = self.context.get("tenant")
        if tenant is not None:
            low, high = framework_selectors.scale_bounds(organisation=tenant.organisation)
            fields["target_level"] = serializers.IntegerField(min_value=low, max_value=high)
        return fields


class RequirementApi(OrgAPIView):
    """One requirement of a role, addressed by its skill: PUT sets it (adds or changes), DELETE
    removes it. Either way the gap scores are recomputed."""

    permissions = {"PUT": Perm.FRAMEWORK_MANAGE, "DELETE": Perm.FRAMEWORK_MANAGE}

    @extend_schema(
        operation_id="role_requirement_set",
        request=RequirementIn,
        responses=RequirementOut,
        tags=["roles"],
    )
    def put(self, request: AuthenticatedRequest, role_id: int, skill_id: int) -> Response:
        organisation = self.tenant.organisation
        role = role_selectors.role_get(organisation=organisation, role_id=role_id)
        skill = framework_selectors.skill_get(organisation=organisation, skill_id=skill_id)
        data = self.input(RequirementIn, request.data)
        requirement = role_services.role_requirement_set(
            role=role, skill=skill, by=request.user, **data
        )
        return self.output(RequirementOut, requirement)

    @extend_schema(operation_id="role_requirement_remove", responses={204: None}, tags=["roles"])
    def delete(self, request: AuthenticatedRequest, role_id: int, skill_id: int) -> Response:
        organisation = self.tenant.organisation
        role = role_selectors.role_get(organisation=organisation, role_id=role_id)
        requirement = role_selectors.role_requirement_get(
            organisation=organisation, role=role, skill_id=skill_id
        )
        role_services.role_requirement_remove(requirement=requirement, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssignmentOut(serializers.Serializer):
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.CharField(source="person.name")
    role = serializers.IntegerField(source="role_id")
    kind = serializers.ChoiceField(choices=RoleAssignment.Kind.choices)
    assigned_at = serializers.DateTimeField()


class AssignmentIn(StrictInput):
    person = TenantPrimaryKeyField(model=Person, noun="person")
    kind = serializers.ChoiceField(
        choices=RoleAssignment.Kind.choices, default=RoleAssignment.Kind.CURRENT
    )


class RoleAssignmentsApi(OrgAPIView):
    """Who holds a role now (``current``) or is heading for it (``target``). A person has at most
    one role of each kind: assigning replaces the previous one."""

    permissions = {"GET": Perm.FRAMEWORK_VIEW, "POST": Perm.PEOPLE_MANAGE}

    @extend_schema(
        operation_id="role_assignments_list",
        responses=AssignmentOut(many=True),
        tags=["roles"],
    )
    def get(self, request: Request, role_id: int) -> Response:
        organisation = self.tenant.organisation
        role = role_selectors.role_get(organisation=organisation, role_id=role_id)
        holders = role_selectors.role_holders(organisation=organisation, role=role)
        return self.output(AssignmentOut, holders, many=True)

    @extend_schema(
        operation_id="role_assignments_create",
        request=AssignmentIn,
        responses={201: AssignmentOut},
        tags=["roles"],
    )
    def post(self, request: AuthenticatedRequest, role_id: int) -> Response:
        organisation = self.tenant.organisation
        role = role_selectors.role_get(organisation=organisation, role_id=role_id)
        data = self.input(AssignmentIn, request.data)
        assignment = role_services.role_assign(
            organisation=organisation, role=role, by=request.user, **data
        )
        return self.output(AssignmentOut, assignment, status_code=status.HTTP_201_CREATED)


urlpatterns = [
    path("roles/", RoleListApi.as_view(), name="roles"),
    path("roles/<int:role_id>/", RoleDetailApi.as_view(), name="role"),
    path(
        "roles/<int:role_id>/requirements/<int:skill_id>/",
        RequirementApi.as_view(),
        name="role-requirement",
    ),
    path("roles/<int:role_id>/assignments/", RoleAssignmentsApi.as_view(), name="role-assignments"),
]
