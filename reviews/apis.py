"""API of reviews, mounted under /api/v1/orgs/<org_slug>/: list and launch review campaigns, one
campaign with its progress, closing it, and the caller's own to-dos. Who follows which campaign is
the pages' rule (``selectors.campaigns_visible``): HR and admins every one, a manager those they
launched or that ask their people; any other campaign, another organisation's and a missing one
all read as 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import AuthenticatedRequest, OrgAPIView
from accounts.permissions import Perm
from reviews import selectors, services
from reviews.models import CampaignStatus
from roles.models import RoleProfile
from skills.models import Skill
from skills.selectors.ratings import person_for_user
from skillsmap.core.api import StrictInput, TenantPrimaryKeyField, paginated
from teams.models import Person, Team


class CampaignOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    message = serializers.CharField()
    due_on = serializers.DateField()
    grace_days = serializers.IntegerField()
    closes_on = serializers.DateField(help_text="The due date plus the grace period.")
    status = serializers.ChoiceField(choices=CampaignStatus.choices)
    participants = serializers.IntegerField(source="participant_count")
    created_by = serializers.EmailField(source="created_by.email", allow_null=True, default=None)
    launched_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    gap_before = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="The participants' average current-role gap at launch (0–100).",
    )
    gap_after = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="The same at the close."
    )
    ratings_changed = serializers.IntegerField(
        allow_null=True,
        help_text="At the close: rating events of asked skills that changed an effective level.",
    )
    completed = serializers.IntegerField(source="completed_count", allow_null=True)


class PersonProgressOut(serializers.Serializer):
    person = serializers.IntegerField(source="person.pk")
    name = serializers.CharField(source="person.name")
    asked = serializers.IntegerField()
    rated = serializers.IntegerField()
    percent = serializers.IntegerField()
    complete = serializers.BooleanField()
    overdue = serializers.BooleanField()


class TeamProgressOut(serializers.Serializer):
    team = serializers.IntegerField(source="team.pk", allow_null=True, default=None)
    name = serializers.CharField(source="team.name", allow_null=True, default=None)
    people = serializers.IntegerField()
    complete = serializers.IntegerField()
    asked = serializers.IntegerField()
    rated = serializers.IntegerField()
    percent = serializers.IntegerField()
    overdue = serializers.IntegerField()


class ProgressOut(serializers.Serializer):
    asked = serializers.IntegerField()
    rated = serializers.IntegerField()
    percent = serializers.IntegerField()
    complete = serializers.IntegerField()
    overdue = serializers.IntegerField()
    people = PersonProgressOut(many=True)
    teams = TeamProgressOut(many=True)


class CampaignDetailOut(CampaignOut):
    progress = ProgressOut()


class TodoOut(serializers.Serializer):
    campaign = serializers.IntegerField(source="campaign.pk")
    name = serializers.CharField(source="campaign.name")
    message = serializers.CharField(source="campaign.message")
    due_on = serializers.DateField(source="campaign.due_on")
    asked = serializers.IntegerField()
    rated = serializers.IntegerField()
    complete = serializers.BooleanField()
    overdue = serializers.BooleanField()
    skills = serializers.ListField(child=serializers.IntegerField(), source="skill_list")


class CampaignIn(StrictInput):
    name = serializers.CharField(max_length=services.NAME_MAX)
    message = serializers.CharField(
        max_length=services.MESSAGE_MAX, required=False, allow_blank=True, default=""
    )
    due_on = serializers.DateField()
    grace_days = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0
    )
    everyone = serializers.BooleanField(
        required=False,
        default=False,
        help_text="HR and admins: ask every active member of the organisation (a manager's "
        "request is a 400).",
    )
    teams = serializers.ListField(
        child=TenantPrimaryKeyField(model=Team, noun="team"),
        required=False,
        default=list,
        max_length=500,
    )
    roles = serializers.ListField(
        child=TenantPrimaryKeyField(model=RoleProfile, noun="role profile"),
        required=False,
        default=list,
        max_length=500,
    )
    people = serializers.ListField(
        child=TenantPrimaryKeyField(model=Person, noun="person"),
        required=False,
        default=list,
        max_length=5000,
    )
    skills = serializers.ListField(
        child=TenantPrimaryKeyField(model=Skill, noun="skill"),
        required=False,
        default=list,
        max_length=500,
        help_text="Empty: each person is asked their own skills (roles' requirements, profile).",
    )


class NoBodyIn(StrictInput):
    """Closing takes no input: a body, if any, must be an empty object."""


# The schema of that body (drf-spectacular leaves a serializer with no fields out of it).
EMPTY_BODY = {"application/json": {"type": "object", "additionalProperties": False}}


class CampaignListApi(OrgAPIView):
    permissions = {"GET": Perm.CAMPAIGNS_LAUNCH_TEAMS, "POST": Perm.CAMPAIGNS_LAUNCH_TEAMS}

    @extend_schema(
        operation_id="campaigns_list",
        responses=paginated(CampaignOut),
        tags=["campaigns"],
        description="The review campaigns the caller follows: HR's and admins' every one, a "
        "manager's those they launched or that ask people of their teams.",
    )
    def get(self, request: Request) -> Response:
        campaigns = selectors.campaigns_visible(
            organisation=self.tenant.organisation, membership=self.tenant.membership
        )
        return self.page(CampaignOut, campaigns, ordering=("-id",))

    @extend_schema(
        operation_id="campaigns_create",
        request=CampaignIn,
        responses={201: CampaignDetailOut},
        tags=["campaigns"],
        description="Launch a campaign: HR and admins for anyone (`everyone`: the whole "
        "organisation), a manager for their own teams. A due date in the past, nobody to ask, and "
        "a manager naming others' teams or people or the whole organisation are a 400 and nothing "
        "is written.",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(CampaignIn, request.data)
        campaign = services.campaign_launch(
            organisation=self.tenant.organisation, by=request.user, **data
        )
        return _detail(self, campaign.pk, status_code=status.HTTP_201_CREATED)


def _detail(view: OrgAPIView, campaign_id: int, *, status_code: int = 200) -> Response:
    organisation, membership = view.tenant.organisation, view.tenant.membership
    campaign = selectors.campaign_get_for(
        organisation=organisation, membership=membership, campaign_id=campaign_id
    )
    progress = selectors.campaign_progress(
        organisation=organisation,
        campaign=campaign,
        person_ids=selectors.progress_people_for(
            organisation=organisation, membership=membership, campaign=campaign
        ),
    )
    campaign.progress = progress  # type: ignore[attr-defined]  # read by CampaignDetailOut
    return view.output(CampaignDetailOut, campaign, status_code=status_code)


class CampaignDetailApi(OrgAPIView):
    permissions = {"GET": Perm.CAMPAIGNS_LAUNCH_TEAMS}

    @extend_schema(
        operation_id="campaigns_detail",
        responses=CampaignDetailOut,
        tags=["campaigns"],
        description="One campaign with its progress per person and per team (a manager who did "
        "not launch it reads their own people's).",
    )
    def get(self, request: Request, campaign_id: int) -> Response:
        return _detail(self, campaign_id)


class CampaignCloseApi(OrgAPIView):
    permissions = {"POST": Perm.CAMPAIGNS_LAUNCH_TEAMS}

    @extend_schema(
        operation_id="campaigns_close",
        request=EMPTY_BODY,
        responses=CampaignDetailOut,
        tags=["campaigns"],
        description="Close the campaign now and record its summary: its launcher, HR or an "
        "admin. A closed campaign is a 400.",
    )
    def post(self, request: AuthenticatedRequest, campaign_id: int) -> Response:
        self.input(NoBodyIn, request.data)
        campaign = selectors.campaign_get_for(
            organisation=self.tenant.organisation,
            membership=self.tenant.membership,
            campaign_id=campaign_id,
        )
        if not selectors.may_close(membership=self.tenant.membership, campaign=campaign):
            raise PermissionDenied("Only its launcher, HR or an admin can close this campaign.")
        services.campaign_close(campaign=campaign, by=request.user)
        return _detail(self, campaign_id)


class CampaignMineApi(OrgAPIView):
    permissions = {"GET": Perm.ORGANISATION_VIEW}

    @extend_schema(
        operation_id="campaigns_mine",
        responses=TodoOut(many=True),
        tags=["campaigns"],
        description="The caller's to-dos: the open campaigns asking them, soonest due first, "
        "each with how many of the skills asked they have rated since its launch.",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        try:
            person = person_for_user(organisation=self.tenant.organisation, user=request.user)
        except Http404:
            return Response([])
        todos: list[Any] = selectors.campaign_todos(
            organisation=self.tenant.organisation, person=person
        )
        return self.output(TodoOut, todos, many=True)


urlpatterns = [
    path("campaigns/", CampaignListApi.as_view(), name="campaigns"),
    path("campaigns/mine/", CampaignMineApi.as_view(), name="campaigns-mine"),
    path("campaigns/<int:campaign_id>/", CampaignDetailApi.as_view(), name="campaign"),
    path("campaigns/<int:campaign_id>/close/", CampaignCloseApi.as_view(), name="campaign-close"),
]
