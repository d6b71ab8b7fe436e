"""API of the teams domain: the people directory, teams and who is in them."""

from __future__ import annotations

from typing import Any, cast

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import AuthenticatedRequest, OrgAPIView
from accounts.permissions import Perm
from skillsmap.core.api import StrictInput, TenantPrimaryKeyField, paginated
from teams import selectors, services
from teams.models import Person, Team

# --- People --------------------------------------------------------------------------------------


class TeamRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PersonOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    job_title = serializers.CharField()
    manager = serializers.IntegerField(source="manager_id", allow_null=True)
    location = serializers.CharField()
    start_date = serializers.DateField(allow_null=True)
    is_active = serializers.BooleanField()
    has_account = serializers.SerializerMethodField()
    teams = serializers.SerializerMethodField()

    def get_has_account(self, person: Person) -> bool:
        return person.user_id is not None

    def get_teams(self, person: Person) -> list[dict[str, Any]]:
        # many=True makes a ListSerializer, whose data is a list; the stubs see a Serializer.
        return cast(
            "list[dict[str, Any]]",
            TeamRefOut(selectors.person_teams(person), many=True).data,
        )


# Cursor pagination needs a total order: every ordering ends with the id.
PERSON_ORDERINGS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "start_date": ("start_date", "id"),
    "-start_date": ("-start_date", "-id"),
    "-created_at": ("-created_at", "-id"),
}


class PersonFilter(StrictInput):
    q = serializers.CharField(required=False, default="", help_text="Name, email or job title.")
    team = TenantPrimaryKeyField(model=Team, noun="team", required=False)
    manager = TenantPrimaryKeyField(model=Person, noun="person", required=False)
    location = serializers.CharField(required=False, default="")
    is_active = serializers.BooleanField(required=False, allow_null=True, default=True)
    ordering = serializers.ChoiceField(
        choices=list(PERSON_ORDERINGS), required=False, default="name"
    )


class PersonIn(StrictInput):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    job_title = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    manager = TenantPrimaryKeyField(
        model=Person, noun="person", required=False, allow_null=True, default=None
    )
    location = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    start_date = serializers.DateField(required=False, allow_null=True, default=None)
    is_active = serializers.BooleanField(required=False, default=True)
    teams = serializers.ListField(
        child=TenantPrimaryKeyField(model=Team, noun="team"), required=False, max_length=500
    )


class PersonPatchIn(PersonIn):
    name = serializers.CharField(max_length=150, required=False)
    email = serializers.EmailField(required=False)


class PersonListApi(OrgAPIView):
    permissions = {"GET": Perm.PEOPLE_VIEW, "POST": Perm.PEOPLE_MANAGE}

    @extend_schema(
        operation_id="people_list",
        parameters=[PersonFilter],
        responses=paginated(PersonOut),
        tags=["people"],
    )
    def get(self, request: Request) -> Response:
        filters = self.query(PersonFilter)
        ordering = PERSON_ORDERINGS[filters.pop("ordering")]
        people = selectors.person_list(organisation=self.tenant.organisation, **filters)
        return self.page(PersonOut, people, ordering=ordering)

    @extend_schema(
        operation_id="people_create", request=PersonIn, responses={201: PersonOut}, tags=["people"]
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(PersonIn, request.data)
        person = services.person_create(
            organisation=self.tenant.organisation, by=request.user, **data
        )
        person = selectors.person_get(organisation=self.tenant.organisation, person_id=person.pk)
        return self.output(PersonOut, person, status_code=status.HTTP_201_CREATED)


class PersonDetailApi(OrgAPIView):
    permissions = {"GET": Perm.PEOPLE_VIEW, "PATCH": Perm.PEOPLE_MANAGE}

    @extend_schema(operation_id="people_detail", responses=PersonOut, tags=["people"])
    def get(self, request: Request, person_id: int) -> Response:
        person = selectors.person_get(organisation=self.tenant.organisation, person_id=person_id)
        return self.output(PersonOut, person)

    @extend_schema(
        operation_id="people_update", request=PersonPatchIn, responses=PersonOut, tags=["people"]
    )
    def patch(self, request: AuthenticatedRequest, person_id: int) -> Response:
        organisation = self.tenant.organisation
        person = selectors.person_get(organisation=organisation, person_id=person_id)
        # Teams change only when given (person_update leaves them alone for None).
        current = {
            "name": person.name,
            "email": person.email,
            "job_title": person.job_title,
            "manager": person.manager,
            "location": person.location,
            "start_date": person.start_date,
            "is_active": person.is_active,
        }
        fields = self.patch_input(PersonPatchIn, current)
        services.person_update(person=person, by=request.user, **fields)
        person = selectors.person_get(organisation=organisation, person_id=person_id)
        return self.output(PersonOut, person)


# --- Teams ---------------------------------------------------------------------------------------


class TeamOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)  # type: ignore[assignment]  # a declared field; DRF's metaclass moves it off the class, so Field.parent stays
    managers = serializers.SerializerMethodField()
    member_count = serializers.IntegerField()

    def get_managers(self, team: Team) -> list[int]:
        return sorted(manager.person_id for manager in team.managers.all())


class TeamIn(StrictInput):
    name = serializers.CharField(max_length=120)
    parent = TenantPrimaryKeyField(  # type: ignore[assignment]  # a declared field; DRF's metaclass moves it off the class, so Field.parent stays
        model=Team, noun="team", required=False, allow_null=True, default=None
    )


class TeamPatchIn(TeamIn):
    name = serializers.CharField(max_length=120, required=False)
    managers = serializers.ListField(
        child=TenantPrimaryKeyField(model=Person, noun="person"),
        required=False,
        max_length=100,
        help_text="The people who manage this team and every team below it.",
    )


class TeamListApi(OrgAPIView):
    permissions = {"GET": Perm.PEOPLE_VIEW, "POST": Perm.PEOPLE_MANAGE}

    @extend_schema(operation_id="teams_list", responses=TeamOut(many=True), tags=["teams"])
    def get(self, request: Request) -> Response:
        teams = selectors.team_overview(organisation=self.tenant.organisation)
        return self.output(TeamOut, teams, many=True)

    @extend_schema(
        operation_id="teams_create", request=TeamIn, responses={201: TeamOut}, tags=["teams"]
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(TeamIn, request.data)
        team = services.team_create(organisation=self.tenant.organisation, by=request.user, **data)
        team = selectors.team_overview_get(organisation=self.tenant.organisation, team_id=team.pk)
        return self.output(TeamOut, team, status_code=status.HTTP_201_CREATED)


class TeamDetailApi(OrgAPIView):
    permissions = {"GET": Perm.PEOPLE_VIEW, "PATCH": Perm.PEOPLE_MANAGE}

    @extend_schema(operation_id="teams_detail", responses=TeamOut, tags=["teams"])
    def get(self, request: Request, team_id: int) -> Response:
        return self.output(TeamOut, self._team(team_id))

    @extend_schema(
        operation_id="teams_update", request=TeamPatchIn, responses=TeamOut, tags=["teams"]
    )
    def patch(self, request: AuthenticatedRequest, team_id: int) -> Response:
        team = self._team(team_id)
        current = {
            "name": team.name,
            "parent": team.parent,
            "managers": [manager.person for manager in team.managers.all()],
        }
        fields = self.patch_input(TeamPatchIn, current)
        services.team_update(team=team, by=request.user, **fields)
        return self.output(TeamOut, self._team(team_id))

    def _team(self, team_id: int) -> Team:
        return selectors.team_overview_get(organisation=self.tenant.organisation, team_id=team_id)


class TeamMemberIn(StrictInput):
    person = TenantPrimaryKeyField(model=Person, noun="person")


class TeamMembersApi(OrgAPIView):
    permissions = {"GET": Perm.PEOPLE_VIEW, "POST": Perm.PEOPLE_MANAGE}

    @extend_schema(operation_id="team_members_list", responses=PersonOut(many=True), tags=["teams"])
    def get(self, request: Request, team_id: int) -> Response:
        organisation = self.tenant.organisation
        team = selectors.team_get(organisation=organisation, team_id=team_id)
        people = selectors.person_list(organisation=organisation, team=team, is_active=None)
        return self.output(PersonOut, people, many=True)

    @extend_schema(
        operation_id="team_members_add",
        request=TeamMemberIn,
        responses={201: PersonOut},
        tags=["teams"],
    )
    def post(self, request: AuthenticatedRequest, team_id: int) -> Response:
        organisation = self.tenant.organisation
        team = selectors.team_get(organisation=organisation, team_id=team_id)
        data = self.input(TeamMemberIn, request.data)
        services.team_member_add(team=team, person=data["person"], by=request.user)
        person = selectors.person_get(organisation=organisation, person_id=data["person"].pk)
        return self.output(PersonOut, person, status_code=status.HTTP_201_CREATED)


class TeamMemberApi(OrgAPIView):
    permissions = {"DELETE": Perm.PEOPLE_MANAGE}

    @extend_schema(operation_id="team_members_remove", responses={204: None}, tags=["teams"])
    def delete(self, request: AuthenticatedRequest, team_id: int, person_id: int) -> Response:
        organisation = self.tenant.organisation
        team = selectors.team_get(organisation=organisation, team_id=team_id)
        person = selectors.person_get(organisation=organisation, person_id=person_id)
        services.team_member_remove(team=team, person=person, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("people/", PersonListApi.as_view(), name="people"),
    path("people/<int:person_id>/", PersonDetailApi.as_view(), name="person"),
    path("teams/", TeamListApi.as_view(), name="teams"),
    path("teams/<int:team_id>/", TeamDetailApi.as_view(), name="team"),
    path("teams/<int:team_id>/members/", TeamMembersApi.as_view(), name="team-members"),
    path(
        "teams/<int:team_id>/members/<int:person_id>/",
        TeamMemberApi.as_view(),
        name="team-member",
    ),
]
