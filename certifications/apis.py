"""API of certifications, mounted under /api/v1/orgs/<org_slug>/: list, record, change and delete
certifications, and download their evidence file. Who sees whose is the pages' rule
(``selectors.person_may_see``): one's own, a manager's reports', HR's everyone's; any other
certification, another organisation's and a missing one all read as 404. Evidence files are
uploaded on the pages; the API takes an evidence link."""

from __future__ import annotations

from typing import Any

from django.http.response import HttpResponseBase
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import AuthenticatedRequest, OrgAPIView
from accounts.permissions import Perm
from certifications import selectors, services
from certifications.evidence import CONTENT_TYPES, evidence_response
from certifications.models import Certification, CertificationStatus
from skills.models import Skill
from skillsmap.core.api import StrictInput, TenantPrimaryKeyField, paginated
from teams.models import Person


class SkillRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CertificationOut(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.CharField(source="person.name")
    name = serializers.CharField()
    issuer = serializers.CharField()
    credential_id = serializers.CharField()
    issued_on = serializers.DateField()
    expires_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(
        choices=CertificationStatus.choices,
        help_text="From the dates: `expiring` within CERTIFICATION_EXPIRY_WARNING_DAYS (90) of "
        "the expiry date, `expired` after it.",
    )
    days_left = serializers.IntegerField(
        allow_null=True, help_text="Days until the expiry date (negative once expired)."
    )
    evidence_url = serializers.CharField()
    evidence_file = serializers.SerializerMethodField(
        help_text="The URL that downloads the evidence file; null without one."
    )
    skills = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_evidence_file(self, certification: Certification) -> str | None:
        """The download URL of the evidence file, if there is one."""
        if not certification.has_evidence_file:
            return None
        slug = self.context["tenant"].organisation.slug
        return reverse(
            "api:certification-evidence",
            kwargs={"org_slug": slug, "certification_id": certification.pk},
        )

    @extend_schema_field(SkillRefOut(many=True))
    def get_skills(self, certification: Certification) -> list[dict[str, Any]]:
        links = getattr(certification, "skill_list", [])
        return [{"id": link.skill.pk, "name": link.skill.name} for link in links]


class CertificationFilter(StrictInput):
    person = TenantPrimaryKeyField(model=Person, noun="person", required=False)
    status = serializers.ChoiceField(
        choices=CertificationStatus.choices, required=False, default=""
    )


class CertificationIn(StrictInput):
    person = TenantPrimaryKeyField(model=Person, noun="person")
    name = serializers.CharField(max_length=200)
    issuer = serializers.CharField(max_length=200)
    credential_id = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    issued_on = serializers.DateField()
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    evidence_url = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    skills = serializers.ListField(
        child=TenantPrimaryKeyField(model=Skill, noun="skill"),
        required=False,
        default=list,
        max_length=100,
    )


class CertificationPatchIn(StrictInput):
    name = serializers.CharField(max_length=200, required=False)
    issuer = serializers.CharField(max_length=200, required=False)
    credential_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    issued_on = serializers.DateField(required=False)
    expires_on = serializers.DateField(required=False, allow_null=True)
    evidence_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    skills = serializers.ListField(
        child=TenantPrimaryKeyField(model=Skill, noun="skill"), required=False, max_length=100
    )


class CertificationListApi(OrgAPIView):
    permissions = {"GET": Perm.ORGANISATION_VIEW, "POST": Perm.ORGANISATION_VIEW}

    @extend_schema(
        operation_id="certifications_list",
        parameters=[CertificationFilter],
        responses=paginated(CertificationOut),
        tags=["certifications"],
        description="The certifications the caller may see: their own, a manager's reports' too, "
        "HR's and admins' everyone's. `status=expiring` and `status=expired` give the expiry list.",
    )
    def get(self, request: Request) -> Response:
        filters = self.query(CertificationFilter)
        person = filters.get("person")
        if person is not None and not selectors.person_may_see(
            organisation=self.tenant.organisation, membership=self.tenant.membership, person=person
        ):
            raise NotFound
        certifications = selectors.certifications_visible(
            organisation=self.tenant.organisation,
            membership=self.tenant.membership,
            person=person,
            status=filters.get("status", ""),
        )
        return self.page(CertificationOut, certifications, ordering=("-id",))

    @extend_schema(
        operation_id="certifications_create",
        request=CertificationIn,
        responses={201: CertificationOut},
        tags=["certifications"],
        description="Record a certification of yourself or of someone who reports to you (HR and "
        "admins: anyone). An expiry date before the issue date is a 400.",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(CertificationIn, request.data)
        certification = services.certification_create(
            organisation=self.tenant.organisation, by=request.user, **data
        )
        return self.output(
            CertificationOut, self._get(certification.pk), status_code=status.HTTP_201_CREATED
        )

    def _get(self, certification_id: int) -> Certification:
        return selectors.certification_get_for(
            organisation=self.tenant.organisation,
            membership=self.tenant.membership,
            certification_id=certification_id,
        )


class CertificationDetailApi(OrgAPIView):
    permissions = {
        "GET": Perm.ORGANISATION_VIEW,
        "PATCH": Perm.ORGANISATION_VIEW,
        "DELETE": Perm.ORGANISATION_VIEW,
    }

    @extend_schema(
        operation_id="certifications_detail", responses=CertificationOut, tags=["certifications"]
    )
    def get(self, request: Request, certification_id: int) -> Response:
        return self.output(CertificationOut, self._get(certification_id))

    @extend_schema(
        operation_id="certifications_update",
        request=CertificationPatchIn,
        responses=CertificationOut,
        tags=["certifications"],
    )
    def patch(self, request: AuthenticatedRequest, certification_id: int) -> Response:
        certification = self._get(certification_id)
        current = {
            "name": certification.name,
            "issuer": certification.issuer,
            "credential_id": certification.credential_id,
            "issued_on": certification.issued_on,
            "expires_on": certification.expires_on,
            "evidence_url": certification.evidence_url,
            "skills": [link.skill for link in getattr(certification, "skill_list", [])],
        }
        fields = self.patch_input(CertificationPatchIn, current)
        services.certification_update(certification=certification, by=request.user, **fields)
        return self.output(CertificationOut, self._get(certification_id))

    @extend_schema(
        operation_id="certifications_delete", responses={204: None}, tags=["certifications"]
    )
    def delete(self, request: AuthenticatedRequest, certification_id: int) -> Response:
        services.certification_delete(certification=self._get(certification_id), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _get(self, certification_id: int) -> Certification:
        return selectors.certification_get_for(
            organisation=self.tenant.organisation,
            membership=self.tenant.membership,
            certification_id=certification_id,
        )


class CertificationEvidenceApi(OrgAPIView):
    permissions = {"GET": Perm.ORGANISATION_VIEW}

    @extend_schema(
        operation_id="certifications_evidence",
        responses={
            (200, content_type): OpenApiResponse(OpenApiTypes.BINARY)
            for content_type in CONTENT_TYPES
        },
        tags=["certifications"],
        description="The evidence file, streamed as an attachment, for whoever may see the "
        "certification; 404 without a file. Each download is audited.",
    )
    def get(self, request: AuthenticatedRequest, certification_id: int) -> HttpResponseBase:
        certification = selectors.certification_get_for(
            organisation=self.tenant.organisation,
            membership=self.tenant.membership,
            certification_id=certification_id,
        )
        try:
            handle = services.certification_evidence_open(
                certification=certification, by=request.user
            )
        except services.EvidenceMissing:
            raise NotFound from None
        return evidence_response(
            handle=handle,
            content_type=certification.evidence_content_type,
            filename=certification.evidence_name,
        )


urlpatterns = [
    path("certifications/", CertificationListApi.as_view(), name="certifications"),
    path(
        "certifications/<int:certification_id>/",
        CertificationDetailApi.as_view(),
        name="certification",
    ),
    path(
        "certifications/<int:certification_id>/evidence/",
        CertificationEvidenceApi.as_view(),
        name="certification-evidence",
    ),
]
