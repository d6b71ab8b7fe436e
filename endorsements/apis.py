"""API of endorsements, mounted under /api/v1/orgs/<org_slug>/.

An endorsement is named by what makes it unique: the person, the skill and the endorser. The
caller's own is ``people/<person>/skills/<skill>/endorsement/``; the endorsed person names the
endorser in the body to hide one (``people/<person>/endorsements/visibility/``). The caller
reads what the pages show them (``endorsements.selectors``): the person everything, their
managers and HR what the person has not hidden, a colleague their own; anything else is a 404
like a missing id.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import AuthenticatedRequest, OrgAPIView
from accounts.permissions import Perm
from endorsements import selectors, services
from endorsements.models import NOTE_MAX_LENGTH, Endorsement
from skills.models import Skill
from skills.selectors.framework import skill_get
from skillsmap.core.api import StrictInput, TenantPrimaryKeyField
from teams.models import Person
from teams.selectors import person_get


class RefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class EndorsementOut(serializers.Serializer):
    id = serializers.IntegerField()
    person = RefOut()
    skill = RefOut()
    endorser = RefOut()
    note = serializers.CharField()
    hidden = serializers.SerializerMethodField(
        help_text="Whether the person hid it; only the endorsed person is told (null for others)."
    )
    created_at = serializers.DateTimeField()

    def get_hidden(self, endorsement: Endorsement) -> bool | None:
        if endorsement.person.user_id != self.context["tenant"].membership.user_id:
            return None
        return endorsement.hidden


class EndorsementIn(StrictInput):
    skill = TenantPrimaryKeyField(model=Skill, noun="skill")
    note = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class VisibilityIn(StrictInput):
    skill = TenantPrimaryKeyField(model=Skill, noun="skill")
    endorser = TenantPrimaryKeyField(model=Person, noun="person", help_text="Who endorsed.")
    hidden = serializers.BooleanField(
        help_text="true hides the endorsement (only you see it, it counts nowhere); false shows it."
    )


class PersonEndorsementsApi(OrgAPIView):
    permissions = {"GET": Perm.PEOPLE_VIEW, "POST": Perm.ENDORSEMENTS_GIVE}

    @extend_schema(
        operation_id="endorsements_list",
        responses=EndorsementOut(many=True),
        tags=["endorsements"],
    )
    def get(self, request: Request, person_id: int) -> Response:
        organisation = self.tenant.organisation
        person = person_get(organisation=organisation, person_id=person_id)
        endorsements = selectors.endorsement_list_visible(
            organisation=organisation, membership=self.tenant.membership, person=person
        )
        return self.output(EndorsementOut, endorsements, many=True)

    @extend_schema(
        operation_id="endorsements_create",
        request=EndorsementIn,
        responses={201: EndorsementOut},
        tags=["endorsements"],
    )
    def post(self, request: AuthenticatedRequest, person_id: int) -> Response:
        # The person first: another organisation's is a 404 whatever the body.
        organisation = self.tenant.organisation
        person = person_get(organisation=organisation, person_id=person_id)
        data = self.input(EndorsementIn, request.data)
        endorsement = services.endorsement_create(
            organisation=organisation, person=person, by=request.user, **data
        )
        return self.output(EndorsementOut, endorsement, status_code=status.HTTP_201_CREATED)


class EndorsementVisibilityApi(OrgAPIView):
    """The endorsed person hides one of their endorsements, or shows it again."""

    permissions = {"POST": Perm.PEOPLE_VIEW}  # one's own say; the service checks who

    @extend_schema(
        operation_id="endorsements_visibility",
        request=VisibilityIn,
        responses=EndorsementOut,
        tags=["endorsements"],
    )
    def post(self, request: AuthenticatedRequest, person_id: int) -> Response:
        organisation = self.tenant.organisation
        person = person_get(organisation=organisation, person_id=person_id)
        data = self.input(VisibilityIn, request.data)
        endorsement = selectors.endorsement_get_visible(
            organisation=organisation,
            membership=self.tenant.membership,
            person=person,
            skill=data["skill"],
            endorser_id=data["endorser"].pk,
        )
        write = services.endorsement_hide if data["hidden"] else services.endorsement_unhide
        return self.output(EndorsementOut, write(endorsement=endorsement, by=request.user))


class OwnEndorsementApi(OrgAPIView):
    """The caller's own endorsement of a person's skill: read it, or withdraw it."""

    permissions = {"GET": Perm.PEOPLE_VIEW, "DELETE": Perm.ENDORSEMENTS_GIVE}

    @extend_schema(operation_id="endorsements_own", responses=EndorsementOut, tags=["endorsements"])
    def get(self, request: Request, person_id: int, skill_id: int) -> Response:
        return self.output(EndorsementOut, self._own(person_id, skill_id))

    @extend_schema(
        operation_id="endorsements_withdraw", responses={204: None}, tags=["endorsements"]
    )
    def delete(self, request: AuthenticatedRequest, person_id: int, skill_id: int) -> Response:
        services.endorsement_withdraw(endorsement=self._own(person_id, skill_id), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _own(self, person_id: int, skill_id: int) -> Endorsement:
        organisation = self.tenant.organisation
        return selectors.endorsement_get_own(
            organisation=organisation,
            membership=self.tenant.membership,
            person=person_get(organisation=organisation, person_id=person_id),
            skill=skill_get(organisation=organisation, skill_id=skill_id),
        )


urlpatterns = [
    path(
        "people/<int:person_id>/endorsements/",
        PersonEndorsementsApi.as_view(),
        name="person-endorsements",
    ),
    path(
        "people/<int:person_id>/endorsements/visibility/",
        EndorsementVisibilityApi.as_view(),
        name="endorsement-visibility",
    ),
    path(
        "people/<int:person_id>/skills/<int:skill_id>/endorsement/",
        OwnEndorsementApi.as_view(),
        name="own-endorsement",
    ),
]
