"""API of the skills domain: the framework and the library, the scale, ratings and their history,
and people search by skill.

Each view validates with an input serializer, calls one selector or service, and answers with an
output serializer. Who may rate, read or validate whom is decided by the same selectors and
services as the pages (``skills.selectors.ratings``, ``skills.services.ratings``).
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import AuthenticatedRequest, OrgAPIView
from accounts.permissions import Perm
from skills.levels import Effective
from skills.models import RatingSource, Skill, SkillCategory, SkillKind
from skills.selectors import framework as framework_selectors
from skills.selectors import ratings as rating_selectors
from skills.services import framework as framework_services
from skills.services import ratings as rating_services
from skillsmap.core.api import StrictInput, TenantPrimaryKeyField, paginated
from teams.models import Person

# --- Framework -----------------------------------------------------------------------------------


class CategoryOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SkillOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    kind = serializers.ChoiceField(choices=SkillKind.choices)
    category = CategoryOut(allow_null=True)
    aliases = serializers.ListField(child=serializers.CharField())
    is_archived = serializers.BooleanField()
    merged_into = serializers.IntegerField(source="merged_into_id", allow_null=True)
    library_skill = serializers.IntegerField(source="library_skill_id", allow_null=True)


class SkillFilter(StrictInput):
    q = serializers.CharField(required=False, help_text="Matches the name and the aliases.")
    kind = serializers.ChoiceField(choices=SkillKind.choices, required=False)
    # Bounded like a database id: a larger number is a 400, never an overflow in the query.
    category = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    include_archived = serializers.BooleanField(required=False, default=False)


class SkillIn(StrictInput):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=SkillKind.choices, default=SkillKind.TECHNICAL)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = TenantPrimaryKeyField(
        model=SkillCategory, noun="category", required=False, allow_null=True, default=None
    )
    category_name = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="A category by name, created if the framework has none of that name.",
    )
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list, max_length=50
    )


class SkillPatchIn(SkillIn):
    name = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=SkillKind.choices, required=False)


class SkillListApi(OrgAPIView):
    permissions = {"GET": Perm.FRAMEWORK_VIEW, "POST": Perm.FRAMEWORK_MANAGE}

    @extend_schema(
        operation_id="skills_list",
        parameters=[SkillFilter],
        responses=paginated(SkillOut),
        tags=["skills"],
    )
    def get(self, request: Request) -> Response:
        filters = self.query(SkillFilter)
        skills = framework_selectors.skill_list(
            organisation=self.tenant.organisation,
            include_archived=filters["include_archived"],
            q=filters.get("q", ""),
            kind=filters.get("kind", ""),
            category_id=filters.get("category"),
        )
        return self.page(SkillOut, skills, ordering=("name", "id"))

    @extend_schema(
        operation_id="skills_create", request=SkillIn, responses={201: SkillOut}, tags=["skills"]
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(SkillIn, request.data)
        skill = framework_services.skill_create(
            organisation=self.tenant.organisation, by=request.user, **data
        )
        return self.output(SkillOut, skill, status_code=status.HTTP_201_CREATED)


class SkillDetailApi(OrgAPIView):
    permissions = {"GET": Perm.FRAMEWORK_VIEW, "PATCH": Perm.FRAMEWORK_MANAGE}

    @extend_schema(operation_id="skills_detail", responses=SkillOut, tags=["skills"])
    def get(self, request: Request, skill_id: int) -> Response:
        skill = framework_selectors.skill_get(
            organisation=self.tenant.organisation, skill_id=skill_id
        )
        return self.output(SkillOut, skill)

    @extend_schema(
        operation_id="skills_update", request=SkillPatchIn, responses=SkillOut, tags=["skills"]
    )
    def patch(self, request: AuthenticatedRequest, skill_id: int) -> Response:
        skill = framework_selectors.skill_get(
            organisation=self.tenant.organisation, skill_id=skill_id
        )
        current = {
            "name": skill.name,
            "kind": skill.kind,
            "description": skill.description,
            "category": skill.category,
            "aliases": skill.aliases,
        }
        fields = self.patch_input(SkillPatchIn, current)
        skill = framework_services.skill_update(skill=skill, by=request.user, **fields)
        return self.output(SkillOut, skill)


class LibrarySkillOut(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.CharField()  # type: ignore[assignment]  # a declared field; DRF's metaclass moves it off the class, so Field.source stays
    external_id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    kind = serializers.CharField()
    category = serializers.CharField(source="category.name", allow_null=True, default=None)
    aliases = serializers.ListField(child=serializers.CharField())
    hot_technology = serializers.BooleanField()
    in_demand = serializers.BooleanField()
    attribution = serializers.CharField()


class LibraryPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = LibrarySkillOut(many=True)


class LibraryFilter(StrictInput):
    q = serializers.CharField(required=False, default="")
    kind = serializers.ChoiceField(choices=SkillKind.choices, required=False, default="")
    source = serializers.ChoiceField(choices=["onet", "esco"], required=False, default="")  # type: ignore[assignment]  # a declared field; DRF's metaclass moves it off the class, so Field.source stays
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=100000)


class LibrarySearchApi(OrgAPIView):
    """The O*NET and ESCO library (shared by every organisation, openly licensed)."""

    permissions = {"GET": Perm.FRAMEWORK_VIEW}

    @extend_schema(
        operation_id="library_search",
        parameters=[LibraryFilter],
        responses=LibraryPageOut,
        tags=["skills"],
    )
    def get(self, request: Request) -> Response:
        filters = self.query(LibraryFilter)
        page = framework_selectors.library_search(**filters)
        data = {
            "count": page.paginator.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "results": list(page.object_list),
        }
        return self.output(LibraryPageOut, data)


class AdoptIn(StrictInput):
    library_skills = serializers.ListField(
        child=serializers.PrimaryKeyRelatedField(
            queryset=framework_selectors.library_skill_choices()
        ),
        allow_empty=False,
        max_length=200,
    )


class AdoptOut(serializers.Serializer):
    adopted = SkillOut(many=True)
    existing = SkillOut(many=True, help_text="Already in the framework; left as they were.")


class LibraryAdoptApi(OrgAPIView):
    permissions = {"POST": Perm.FRAMEWORK_MANAGE}

    @extend_schema(
        operation_id="library_adopt", request=AdoptIn, responses=AdoptOut, tags=["skills"]
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(AdoptIn, request.data)
        result = framework_services.skill_adopt(
            organisation=self.tenant.organisation,
            library_skills=data["library_skills"],
            by=request.user,
        )
        out = {"adopted": result.adopted, "existing": [skill for _, skill in result.existing]}
        return self.output(AdoptOut, out)


class LevelOut(serializers.Serializer):
    value = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()


class ScaleApi(OrgAPIView):
    permissions = {"GET": Perm.FRAMEWORK_VIEW}

    @extend_schema(operation_id="scale", responses=LevelOut(many=True), tags=["skills"])
    def get(self, request: Request) -> Response:
        levels = framework_selectors.scale_levels(organisation=self.tenant.organisation)
        return self.output(LevelOut, levels, many=True)


# --- Ratings -------------------------------------------------------------------------------------


class RatingIn(StrictInput):
    person = TenantPrimaryKeyField(model=Person, noun="person")
    skill = TenantPrimaryKeyField(model=Skill, noun="skill")
    level = serializers.IntegerField(min_value=0, max_value=20, allow_null=True, default=None)
    not_applicable = serializers.BooleanField(default=False)
    interest = serializers.BooleanField(default=False, help_text="Wants to grow in this skill.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    evidence_url = serializers.CharField(required=False, allow_blank=True, default="")
    source = serializers.ChoiceField(  # type: ignore[assignment]  # a declared field; DRF's metaclass moves it off the class, so Field.source stays
        choices=[RatingSource.SELF, RatingSource.MANAGER],
        default=RatingSource.SELF,
        help_text="`self` rates yourself; `manager` validates someone below you in the reporting "
        "line (a level that differs from their self-assessment needs a note).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["level"] is None and not attrs["not_applicable"]:
            raise serializers.ValidationError({"level": ["Give a level, or not_applicable."]})
        return attrs


class RatingOut(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.IntegerField(source="person_id")
    skill = serializers.IntegerField(source="skill_id")
    level = serializers.IntegerField(allow_null=True)
    not_applicable = serializers.BooleanField()
    interest = serializers.BooleanField()
    note = serializers.CharField()
    evidence_url = serializers.CharField()
    source = serializers.ChoiceField(choices=RatingSource.choices)  # type: ignore[assignment]  # a declared field; DRF's metaclass moves it off the class, so Field.source stays
    rated_by = serializers.EmailField(source="rated_by.email", allow_null=True, default=None)
    rated_at = serializers.DateTimeField()


class RatingCreateApi(OrgAPIView):
    """A rating is an event: every POST adds one, nothing is overwritten (see the history)."""

    permissions = {"POST": Perm.RATINGS_RATE_SELF}

    @extend_schema(
        operation_id="ratings_create",
        request=RatingIn,
        responses={201: RatingOut},
        tags=["ratings"],
    )
    def post(self, request: Request) -> Response:
        data = self.input(RatingIn, request.data)
        common = {
            "organisation": self.tenant.organisation,
            "person": data["person"],
            "skill": data["skill"],
            "level": data["level"],
            "not_applicable": data["not_applicable"],
            "note": data["note"],
            "by": request.user,
        }
        # Who may rate whom with which source is the services' rule, the same as on the pages.
        if data["source"] == RatingSource.MANAGER:
            rating = rating_services.rating_validate(**common)
        else:
            rating = rating_services.rating_set(
                **common,
                interest=data["interest"],
                evidence_url=data["evidence_url"],
                source=RatingSource.SELF,
            )
        return self.output(RatingOut, rating, status_code=status.HTTP_201_CREATED)


# The schema of an empty body: drf-spectacular leaves a serializer without fields out of the
# schema, and clients should still read that a body, if any, must be an empty object.
EMPTY_BODY = {"application/json": {"type": "object", "additionalProperties": False}}


class RatingsReviewIn(StrictInput):
    """No input: the caller confirms their own ratings, and nobody marks another person's. A
    field sent is refused rather than ignored."""


class RatingsReviewOut(serializers.Serializer):
    confirmed = serializers.IntegerField(help_text="How many ratings were confirmed.")
    ratings = RatingOut(many=True, help_text="The `review` events written, one per rating.")


class RatingsReviewApi(OrgAPIView):
    """Confirm every current rating of yours as it stands ("Mark as reviewed"). One `review` event
    per rated skill at its effective level; no level changes (a validation stays in effect),
    staleness starts again. With no rating yet it is a 400 and nothing is written."""

    permissions = {"POST": Perm.RATINGS_RATE_SELF}

    @extend_schema(
        operation_id="ratings_review",
        request=EMPTY_BODY,
        responses={201: RatingsReviewOut},
        tags=["ratings"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        self.input(RatingsReviewIn, request.data)
        organisation = self.tenant.organisation
        person = rating_selectors.person_for_user(organisation=organisation, user=request.user)
        reviews = rating_services.ratings_mark_reviewed(
            organisation=organisation, person=person, by=request.user
        )
        return self.output(
            RatingsReviewOut,
            {"confirmed": len(reviews), "ratings": reviews},
            status_code=status.HTTP_201_CREATED,
        )


class EffectiveOut(serializers.Serializer):
    skill = serializers.IntegerField()
    skill_name = serializers.CharField()
    level = serializers.IntegerField(allow_null=True)
    not_applicable = serializers.BooleanField()
    validated = serializers.BooleanField()
    stale = serializers.BooleanField()
    interest = serializers.BooleanField()
    self_level = serializers.IntegerField(allow_null=True)
    manager_level = serializers.IntegerField(allow_null=True)
    rated_at = serializers.DateTimeField(allow_null=True)
    reviewed = serializers.BooleanField(
        help_text="`rated_at` is the date of a review (“Mark as reviewed”) confirming the level."
    )


class PersonRatingsApi(OrgAPIView):
    """A person's effective level per skill (the rule is in ``skills.levels``). Yours, those of
    the people below you if you manage, everyone's for HR and admins; anyone else is a 404."""

    permissions = {"GET": Perm.RATINGS_RATE_SELF}

    @extend_schema(
        operation_id="person_ratings", responses=EffectiveOut(many=True), tags=["ratings"]
    )
    def get(self, request: Request, person_id: int) -> Response:
        rows = rating_selectors.person_effective_ratings(
            organisation=self.tenant.organisation,
            person=self._person(person_id),
        )
        return self.output(
            EffectiveOut, [_effective_row(skill, eff) for skill, eff in rows], many=True
        )

    def _person(self, person_id: int) -> Person:
        return rating_selectors.person_get_visible(
            organisation=self.tenant.organisation,
            membership=self.tenant.membership,
            person_id=person_id,
        )


def _effective_row(skill: Skill, effective: Effective) -> dict[str, Any]:
    return {
        "skill": skill.pk,
        "skill_name": skill.name,
        "level": effective.level,
        "not_applicable": effective.not_applicable,
        "validated": effective.validated,
        "stale": effective.stale,
        "interest": effective.interest,
        "self_level": effective.self_level,
        "manager_level": effective.manager_level,
        "rated_at": effective.rated_at,
        "reviewed": effective.reviewed,
    }


class RatingHistoryApi(PersonRatingsApi):
    @extend_schema(operation_id="rating_history", responses=RatingOut(many=True), tags=["ratings"])
    def get(self, request: Request, person_id: int, skill_id: int) -> Response:  # type: ignore[override]  # one URL argument more than PersonRatingsApi.get
        person = self._person(person_id)
        skill = framework_selectors.skill_get(
            organisation=self.tenant.organisation, skill_id=skill_id
        )
        events = rating_selectors.rating_history(
            organisation=self.tenant.organisation, person=person, skill=skill
        )
        return self.output(RatingOut, events, many=True)


class PeopleSearchFilter(StrictInput):
    skill = TenantPrimaryKeyField(model=Skill, noun="skill")
    min_level = serializers.IntegerField(min_value=1, max_value=20, default=1)
    skill_2 = TenantPrimaryKeyField(model=Skill, noun="skill", required=False)
    min_level_2 = serializers.IntegerField(min_value=1, max_value=20, default=1)
    skill_3 = TenantPrimaryKeyField(model=Skill, noun="skill", required=False)
    min_level_3 = serializers.IntegerField(min_value=1, max_value=20, default=1)


class SearchMatchOut(serializers.Serializer):
    skill = serializers.IntegerField(source="skill.pk")
    level = serializers.IntegerField(source="effective.level", allow_null=True)
    validated = serializers.BooleanField(source="effective.validated")


class SearchResultOut(serializers.Serializer):
    person = serializers.IntegerField(source="person.pk")
    name = serializers.CharField(source="person.name")
    job_title = serializers.CharField(source="person.job_title")
    total = serializers.IntegerField()
    matches = SearchMatchOut(many=True)


class PeopleSearchOut(serializers.Serializer):
    count = serializers.IntegerField()
    results = SearchResultOut(many=True)


class PeopleSearchApi(OrgAPIView):
    """People (among those you may see) at or above a level in up to three skills (AND)."""

    permissions = {"GET": Perm.PEOPLE_VIEW}

    @extend_schema(
        operation_id="people_search",
        parameters=[PeopleSearchFilter],
        responses=PeopleSearchOut,
        tags=["people"],
    )
    def get(self, request: Request) -> Response:
        data = self.query(PeopleSearchFilter)
        criteria = [(data["skill"], data["min_level"])]
        for n in (2, 3):
            if data.get(f"skill_{n}"):
                criteria.append((data[f"skill_{n}"], data[f"min_level_{n}"]))
        results, count = rating_selectors.people_search(
            organisation=self.tenant.organisation,
            membership=self.tenant.membership,
            criteria=criteria,
        )
        return self.output(PeopleSearchOut, {"count": count, "results": results})


urlpatterns = [
    path("skills/", SkillListApi.as_view(), name="skills"),
    path("skills/library/", LibrarySearchApi.as_view(), name="library"),
    path("skills/library/adopt/", LibraryAdoptApi.as_view(), name="library-adopt"),
    path("skills/<int:skill_id>/", SkillDetailApi.as_view(), name="skill"),
    path("scale/", ScaleApi.as_view(), name="scale"),
    path("ratings/", RatingCreateApi.as_view(), name="ratings"),
    path("ratings/review/", RatingsReviewApi.as_view(), name="ratings-review"),
    path("people/search/", PeopleSearchApi.as_view(), name="people-search"),
    path("people/<int:person_id>/ratings/", PersonRatingsApi.as_view(), name="person-ratings"),
    path(
        "people/<int:person_id>/skills/<int:skill_id>/history/",
        RatingHistoryApi.as_view(),
        name="rating-history",
    ),
]
