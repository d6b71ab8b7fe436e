"""API of the reports domain: gap scores, team matrices and coverage, what-if, and exports as
jobs (start, follow, download). Who sees which team or person is decided by the same selectors as
the pages: ``matrix_team_ids``/``team_get_for`` for teams, ``people_visible_to`` for people."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http.response import HttpResponseBase
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import AuthenticatedRequest, OrgAPIView
from accounts.permissions import Perm
from endorsements.search import MAX_ENDORSED
from reports import exports, selectors
from reports.models import results_as_of
from reports.views import export_file_response
from roles.models import RoleAssignment, RoleProfile
from skills.models import Skill
from skills.selectors.ratings import people_visible_to
from skillsmap.core.api import ErrorOut, StrictInput, TenantPrimaryKeyField, paginated
from skillsmap.core.jobs import JobFileExpired, job_progress
from skillsmap.core.models import Job
from teams.models import Person, Team

# --- Gap scores ----------------------------------------------------------------------------------


class MissingOut(serializers.Serializer):
    skill = serializers.IntegerField()
    target = serializers.IntegerField()
    level = serializers.IntegerField()
    shortfall = serializers.IntegerField()
    weight = serializers.FloatField()
    essential = serializers.BooleanField()


class ConfirmedAtField(serializers.DateTimeField):
    """A stored result's ``computed_at`` as the time its figures were last confirmed
    (``reports.models.results_as_of``): the row's own stamp says when they last changed."""

    def get_attribute(self, instance: Any) -> Any:
        return results_as_of(instance.computed_at, self.context["tenant"].organisation)


class GapScoreOut(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.CharField(source="person.name")
    role = serializers.IntegerField(source="role_id")
    role_name = serializers.CharField(source="role.name")
    kind = serializers.ChoiceField(choices=RoleAssignment.Kind.choices)
    gap = serializers.DecimalField(
        max_digits=5, decimal_places=2, help_text="Weighted shortfall, % (see the README)."
    )
    readiness = serializers.DecimalField(max_digits=5, decimal_places=2)
    met = serializers.IntegerField()
    total = serializers.IntegerField()
    essential_alert = serializers.BooleanField()
    missing = MissingOut(many=True)
    computed_at = ConfirmedAtField(
        help_text="When these figures were last confirmed by a computation."
    )


class GapScoreFilter(StrictInput):
    person = TenantPrimaryKeyField(model=Person, noun="person", required=False)
    role = TenantPrimaryKeyField(model=RoleProfile, noun="role profile", required=False)
    team = TenantPrimaryKeyField(
        model=Team, noun="team", required=False, help_text="The team and the teams below it."
    )
    kind = serializers.ChoiceField(choices=RoleAssignment.Kind.choices, required=False)
    essential_alert = serializers.BooleanField(required=False, allow_null=True, default=None)
    ordering = serializers.ChoiceField(
        choices=["-gap", "gap", "person", "-id"], required=False, default="-gap"
    )


ORDERINGS: dict[str, str | tuple[str, ...]] = {
    "-gap": ("-gap", "id"),
    "gap": ("gap", "id"),
    "person": ("person_id", "id"),
    "-id": "-id",
}


class GapScoreListApi(OrgAPIView):
    """Role-gap scores as last computed (``computed_at``; ``/`` says whether results are fresh).
    Yours; also your reports' if you manage; everyone's for HR and admins."""

    permissions = {"GET": Perm.RATINGS_RATE_SELF}

    @extend_schema(
        operation_id="gap_scores_list",
        parameters=[GapScoreFilter],
        responses=paginated(GapScoreOut),
        tags=["reports"],
    )
    def get(self, request: Request) -> Response:
        filters = self.query(GapScoreFilter)
        ordering = ORDERINGS[filters.pop("ordering")]
        organisation = self.tenant.organisation
        # people_visible_to answers "everyone" for HR too; None spares a 10,000-id IN list.
        visible = (
            None
            if self.tenant.can(Perm.RATINGS_VIEW_ALL)
            else people_visible_to(organisation=organisation, membership=self.tenant.membership)
        )
        scores = selectors.gap_score_query(organisation=organisation, person_ids=visible, **filters)
        return self.page(GapScoreOut, scores, ordering=ordering)


# --- Team matrix, coverage, what-if ---------------------------------------------------------------


class CoverageOut(serializers.Serializer):
    skill = serializers.IntegerField(source="skill_id")
    skill_name = serializers.CharField(source="skill.name")
    target = serializers.IntegerField(help_text="The highest target any member's role sets.")
    coverage = serializers.IntegerField(help_text="Members at or above the target.")
    required_by = serializers.IntegerField()
    avg_shortfall = serializers.DecimalField(max_digits=5, decimal_places=2)
    bus_factor_risk = serializers.BooleanField(
        help_text="Required, and covered by one person or none."
    )
    covered_by = serializers.ListField(child=serializers.IntegerField())
    computed_at = ConfirmedAtField(
        help_text="When these figures were last confirmed by a computation."
    )


class MatrixSkillOut(serializers.Serializer):
    id = serializers.IntegerField(source="skill.pk")
    name = serializers.CharField(source="skill.name")
    category = serializers.CharField(source="skill.category.name", allow_null=True, default=None)
    coverage = serializers.IntegerField(source="coverage.coverage", allow_null=True, default=None)
    bus_factor_risk = serializers.BooleanField(
        source="coverage.bus_factor_risk", allow_null=True, default=None
    )


class MatrixCellOut(serializers.Serializer):
    level = serializers.IntegerField(allow_null=True)
    not_applicable = serializers.BooleanField()
    rated = serializers.BooleanField()
    stale = serializers.BooleanField()
    validated = serializers.BooleanField()
    target = serializers.IntegerField(allow_null=True)


class MatrixRowOut(serializers.Serializer):
    person = serializers.IntegerField(source="person.pk")
    name = serializers.CharField(source="person.name")
    role = serializers.IntegerField(source="role.pk", allow_null=True, default=None)
    gap = serializers.DecimalField(
        source="gap.gap", max_digits=5, decimal_places=2, allow_null=True, default=None
    )
    cells = MatrixCellOut(many=True, help_text="One per skill, in the order of `skills`.")


class MatrixOut(serializers.Serializer):
    team = serializers.IntegerField(source="team.pk")
    team_name = serializers.CharField(source="team.name")
    teams = serializers.ListField(source="team_ids", child=serializers.IntegerField())
    skills = MatrixSkillOut(source="columns", many=True)
    rows = MatrixRowOut(many=True, help_text="This page's people, in the chosen order.")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    people = serializers.IntegerField(
        source="people_total",
        help_text="People in the team and its sub-teams (those the endorsement filter keeps).",
    )
    next = serializers.SerializerMethodField()
    previous = serializers.SerializerMethodField()
    computed_at = serializers.DateTimeField(allow_null=True)
    fresh = serializers.BooleanField(help_text="False while a recomputation is pending.")

    def _page_url(self, matrix: selectors.Matrix, page: int) -> str | None:
        if not 1 <= page <= matrix.pages or page == matrix.page:
            return None
        request = self.context["request"]
        query = request.query_params.copy()
        query["page"] = str(page)
        return str(request.build_absolute_uri(f"{request.path}?{query.urlencode()}"))

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_next(self, matrix: selectors.Matrix) -> str | None:
        return self._page_url(matrix, matrix.page + 1)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_previous(self, matrix: selectors.Matrix) -> str | None:
        return self._page_url(matrix, matrix.page - 1)


class MatrixFilter(StrictInput):
    role = TenantPrimaryKeyField(model=RoleProfile, noun="role profile", required=False)
    category = serializers.IntegerField(required=False, min_value=1)
    sort = serializers.ChoiceField(
        choices=["person", "gap", "coverage", "skill"], required=False, default="person"
    )
    page = serializers.IntegerField(
        required=False,
        min_value=1,
        default=1,
        help_text=f"{selectors.MATRIX_PAGE_SIZE} people a page; past the last is the last.",
    )
    endorsed_skill = TenantPrimaryKeyField(
        model=Skill,
        noun="skill",
        required=False,
        help_text="Only the people endorsed in this skill (at least `endorsed` times).",
    )
    endorsed = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ENDORSED, default=1
    )


class TeamApi(OrgAPIView):
    """Base of the team report endpoints: the team's managers (and above), HR and admins."""

    permissions = {"GET": Perm.RATINGS_VALIDATE_REPORTS}

    def _team(self, team_id: int) -> Team:
        return selectors.team_get_for(
            organisation=self.tenant.organisation, team_id=team_id, tenant=self.tenant
        )


class TeamMatrixApi(TeamApi):
    @extend_schema(
        operation_id="team_matrix",
        parameters=[MatrixFilter],
        responses=MatrixOut,
        tags=["reports"],
    )
    def get(self, request: Request, team_id: int) -> Response:
        filters = self.query(MatrixFilter)
        role, endorsed_skill = filters.get("role"), filters.get("endorsed_skill")
        # A page of people, as on the page: order and figures are the whole team's, worked out
        # before the page is cut, so a 1,000-person team costs what a 200-person one does.
        matrix = selectors.team_matrix_for(
            organisation=self.tenant.organisation,
            tenant=self.tenant,
            team_id=team_id,
            role_id=role.pk if role else None,
            category_id=filters.get("category"),
            sort=filters["sort"],
            page=filters["page"],
            endorsed=selectors.EndorsedAtLeast(
                skill_id=endorsed_skill.pk, times=filters["endorsed"]
            )
            if endorsed_skill
            else None,
        )
        return self.output(MatrixOut, matrix)


class TeamCoverageApi(TeamApi):
    @extend_schema(operation_id="team_coverage", responses=CoverageOut(many=True), tags=["reports"])
    def get(self, request: Request, team_id: int) -> Response:
        team = self._team(team_id)
        rows = selectors.team_coverage(organisation=self.tenant.organisation, team=team)
        return self.output(CoverageOut, rows, many=True)


class WhatIfFilter(StrictInput):
    person = serializers.IntegerField(min_value=1, help_text="A member of the team (or below).")


class WhatIfOut(serializers.Serializer):
    skill = serializers.IntegerField(source="skill.pk")
    skill_name = serializers.CharField(source="skill.name")
    target = serializers.IntegerField()
    coverage_before = serializers.IntegerField(source="before")
    coverage_after = serializers.IntegerField(source="after")
    becomes_risk = serializers.BooleanField()


class TeamWhatIfApi(TeamApi):
    @extend_schema(
        operation_id="team_what_if",
        parameters=[WhatIfFilter],
        responses=WhatIfOut(many=True),
        tags=["reports"],
        description="The team's coverage recomputed as if one person left, worst change first.",
    )
    def get(self, request: Request, team_id: int) -> Response:
        team = self._team(team_id)
        data = self.query(WhatIfFilter)
        lines = selectors.team_what_if(
            organisation=self.tenant.organisation, team=team, person_id=data["person"]
        )
        return self.output(WhatIfOut, lines, many=True)


# --- Exports and jobs ----------------------------------------------------------------------------


class ExportIn(StrictInput):
    format = serializers.ChoiceField(choices=[exports.XLSX, exports.CSV])
    teams = serializers.ListField(
        child=TenantPrimaryKeyField(model=Team, noun="team"),
        required=False,
        max_length=500,
        help_text="Teams (with the teams below them); leave out for the whole organisation "
        "(HR and admins only).",
    )


class JobOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Job.Kind.choices)
    status = serializers.ChoiceField(choices=Job.Status.choices)
    filename = serializers.CharField()
    processed = serializers.IntegerField(read_only=True)
    total = serializers.IntegerField(read_only=True)
    errors = serializers.ListField(child=serializers.DictField(), help_text="[{line, message}]")  # type: ignore[assignment]  # a declared field; DRF's metaclass moves it off the class, so Serializer.errors stays
    summary = serializers.DictField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    download = serializers.SerializerMethodField()
    file_kept_until = serializers.DateTimeField(
        allow_null=True, help_text="When the export's file will be deleted; null without a file."
    )
    file_expired_at = serializers.DateTimeField(
        allow_null=True, help_text="When the export's file was deleted (retention); null if not."
    )

    def to_representation(self, job: Job) -> dict[str, Any]:
        data = super().to_representation(job)
        # While running, progress lives in the cache: one read gives both numbers.
        data["processed"], data["total"] = job_progress(job=job)
        return data

    def get_download(self, job: Job) -> str | None:
        if job.kind != Job.Kind.GAP_EXPORT or job.status != Job.Status.SUCCEEDED:
            return None
        if job.file_expired_at is not None:
            return None  # file_expired_at says why
        slug = self.context["tenant"].organisation.slug
        return reverse("api:job-download", kwargs={"org_slug": slug, "job_id": job.pk})


class ExportApi(OrgAPIView):
    permissions = {"POST": Perm.RATINGS_VALIDATE_REPORTS}

    @extend_schema(
        operation_id="exports_start",
        request=ExportIn,
        responses={202: JobOut},
        tags=["exports"],
        description="Start a gap-report export; follow the job, then download its file.",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(ExportIn, request.data)
        organisation = self.tenant.organisation
        job = exports.gap_export_start(
            organisation=organisation,
            membership=self.tenant.membership,
            by=request.user,
            fmt=data["format"],
            team_ids=[team.pk for team in data.get("teams", [])],
        )
        job = selectors.job_get_for(
            organisation=organisation, job_id=job.pk, tenant=self.tenant, user=request.user
        )
        return self.output(JobOut, job, status_code=status.HTTP_202_ACCEPTED)


class JobDetailApi(OrgAPIView):
    @extend_schema(operation_id="jobs_detail", responses=JobOut, tags=["exports"])
    def get(self, request: AuthenticatedRequest, job_id: int) -> Response:
        job = selectors.job_get_for(
            organisation=self.tenant.organisation,
            job_id=job_id,
            tenant=self.tenant,
            user=request.user,
        )
        return self.output(JobOut, job)


class ExportExpired(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_code = "export_expired"


class JobDownloadApi(OrgAPIView):
    permissions = {"GET": Perm.RATINGS_VALIDATE_REPORTS}

    @extend_schema(
        operation_id="jobs_download",
        responses={
            (200, exports.CONTENT_TYPES[exports.CSV]): OpenApiResponse(OpenApiTypes.BINARY),
            (200, exports.CONTENT_TYPES[exports.XLSX]): OpenApiResponse(OpenApiTypes.BINARY),
            410: OpenApiResponse(
                ErrorOut, description="The file was deleted after the retention period."
            ),
        },
        tags=["exports"],
        description="A finished export's file, streamed; anything else (running, failed, an "
        "import) is 404, and a file past its retention period (`EXPORT_RETENTION_DAYS`) is 410. "
        "Each download is audited.",
    )
    def get(self, request: AuthenticatedRequest, job_id: int) -> HttpResponseBase:
        job = selectors.export_file_get(
            organisation=self.tenant.organisation,
            job_id=job_id,
            tenant=self.tenant,
            user=request.user,
        )
        try:
            handle = exports.export_file_open(
                organisation=self.tenant.organisation, job=job, by=request.user
            )
        except JobFileExpired as expired:
            raise ExportExpired(
                f"This export's file has expired: files are kept for "
                f"{settings.EXPORT_RETENTION_DAYS} days. Start a new export."
            ) from expired
        return export_file_response(job, handle)


urlpatterns = [
    path("gap-scores/", GapScoreListApi.as_view(), name="gap-scores"),
    path("teams/<int:team_id>/matrix/", TeamMatrixApi.as_view(), name="team-matrix"),
    path("teams/<int:team_id>/coverage/", TeamCoverageApi.as_view(), name="team-coverage"),
    path("teams/<int:team_id>/what-if/", TeamWhatIfApi.as_view(), name="team-what-if"),
    path("exports/", ExportApi.as_view(), name="exports"),
    path("jobs/<int:job_id>/", JobDetailApi.as_view(), name="job"),
    path("jobs/<int:job_id>/download/", JobDownloadApi.as_view(), name="job-download"),
]
