"""Merging a duplicate skill into another: nothing is lost."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Organisation
from roles.models import RoleProfile, RoleRequirement
from skills.models import ProfileSkill, Rating, Skill, SkillLevelDescriptor
from skills.services.framework import FrameworkError, skill_merge
from skillsmap.core.tenancy import organisation_context
from tests.skills.factories import (
    ProfileSkillFactory,
    RatingFactory,
    SkillFactory,
    SkillLevelDescriptorFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(org_a):
    """ "JS" (the duplicate) and "JavaScript", each rated by the member at interleaved times."""
    organisation = org_a.organisation
    member, manager = org_a.people["member"], org_a.people["manager"]
    start = timezone.now() - timedelta(days=100)
    with organisation_context(organisation):
        js = SkillFactory(organisation=organisation, name="JS", aliases=["ECMAScript", "js"])
        javascript = SkillFactory(organisation=organisation, name="JavaScript", aliases=["ES6"])
        for day, skill, level in [
            (0, js, 1),
            (10, javascript, 2),
            (20, js, 3),
            (30, javascript, 4),
        ]:
            RatingFactory(
                organisation=organisation,
                person=member,
                skill=skill,
                level=level,
                rated_at=start + timedelta(days=day),
            )
        RatingFactory(
            organisation=organisation, person=manager, skill=js, level=5, source="manager"
        )
    return js, javascript


def _merge(world, source, into):
    with organisation_context(world.organisation):
        return skill_merge(source=source, into=into, by=world.hr)


def test_every_rating_moves_to_the_target_and_the_history_stays_in_order(org_a, pair):
    js, javascript = pair
    member = org_a.people["member"]
    with organisation_context(org_a.organisation):
        before = {
            "js": Rating.objects.filter(skill=js).count(),
            "javascript": Rating.objects.filter(skill=javascript).count(),
            "ids": set(Rating.objects.values_list("pk", flat=True)),
        }
    counts = _merge(org_a, js, javascript)
    with organisation_context(org_a.organisation):
        history = list(
            Rating.objects.filter(person=member, skill=javascript)
            .order_by("rated_at")
            .values_list("level", flat=True)
        )
        assert Rating.objects.filter(skill=js).count() == 0
        assert (
            Rating.objects.filter(skill=javascript).count() == before["js"] + before["javascript"]
        )
        assert set(Rating.objects.values_list("pk", flat=True)) == before["ids"]
    assert counts.ratings == before["js"] == 3
    assert history == [1, 2, 3, 4]


def test_the_source_becomes_an_archived_alias_of_the_target(org_a, pair):
    js, javascript = pair
    _merge(org_a, js, javascript)
    with organisation_context(org_a.organisation):
        js.refresh_from_db()
        javascript.refresh_from_db()
    assert js.is_archived and js.merged_into_id == javascript.pk
    # "js" was a spelling of the name "JS": kept once.
    assert javascript.aliases == ["ES6", "JS", "ECMAScript"]


def test_profile_entries_descriptors_and_requirements_move_without_duplicates(org_a, pair):
    js, javascript = pair
    organisation = org_a.organisation
    member, manager = org_a.people["member"], org_a.people["manager"]
    with organisation_context(organisation):
        ProfileSkillFactory(organisation=organisation, person=member, skill=js)
        ProfileSkillFactory(organisation=organisation, person=member, skill=javascript)
        ProfileSkillFactory(organisation=organisation, person=manager, skill=js)
        SkillLevelDescriptorFactory(
            organisation=organisation, skill=js, value=3, description="js 3"
        )
        SkillLevelDescriptorFactory(
            organisation=organisation, skill=js, value=4, description="js 4"
        )
        SkillLevelDescriptorFactory(
            organisation=organisation, skill=javascript, value=3, description="javascript 3"
        )
        frontend = RoleProfile.objects.create(organisation=organisation, name="Frontend")
        fullstack = RoleProfile.objects.create(organisation=organisation, name="Full stack")
        for role, skill, target in [
            (frontend, js, 2),
            (frontend, javascript, 4),
            (fullstack, js, 3),
        ]:
            RoleRequirement.objects.create(
                organisation=organisation, role=role, skill=skill, target_level=target
            )
    _merge(org_a, js, javascript)
    with organisation_context(organisation):
        assert set(ProfileSkill.objects.values_list("person_id", "skill_id")) == {
            (member.pk, javascript.pk),
            (manager.pk, javascript.pk),
        }
        assert dict(SkillLevelDescriptor.objects.values_list("value", "description")) == {
            3: "javascript 3",
            4: "js 4",
        }
        assert set(
            RoleRequirement.objects.values_list("role__name", "skill_id", "target_level")
        ) == {
            ("Frontend", javascript.pk, 4),
            ("Full stack", javascript.pk, 3),
        }


def test_a_merge_is_audited_and_schedules_a_recompute(org_a, pair):
    js, javascript = pair
    version = Organisation.objects.get(pk=org_a.organisation.pk).inputs_version
    _merge(org_a, js, javascript)
    with organisation_context(org_a.organisation):
        event = AuditEvent.objects.get(verb="skill.merged")
    assert event.target_id == str(js.pk) and event.actor == org_a.hr
    assert event.after["into"] == javascript.pk and event.after["ratings"] == 3
    assert Organisation.objects.get(pk=org_a.organisation.pk).inputs_version == version + 1


def test_a_skill_cannot_be_merged_into_itself(org_a, pair):
    js, _ = pair
    with pytest.raises(FrameworkError, match="into itself"):
        _merge(org_a, js, js)


def test_a_merged_skill_cannot_be_merged_again(org_a, pair):
    js, javascript = pair
    _merge(org_a, js, javascript)
    with organisation_context(org_a.organisation):
        typescript = SkillFactory(organisation=org_a.organisation, name="TypeScript")
        js.refresh_from_db()
    with pytest.raises(FrameworkError, match="already been merged"):
        _merge(org_a, js, typescript)


# --- The page -----------------------------------------------------------------------------------


def test_hr_merges_from_the_skill_page(org_a, pair, login):
    js, javascript = pair
    client = login(org_a.hr)
    page = client.get(f"/o/alpha/skills/{js.pk}/").content.decode()
    assert f'<option value="{javascript.pk}">JavaScript</option>' in page
    response = client.post(f"/o/alpha/skills/{js.pk}/merge/", {"into": javascript.pk})
    assert response.status_code == 302
    assert response["Location"] == f"/o/alpha/skills/{javascript.pk}/"
    follow = client.get(response["Location"]).content.decode()
    assert "JS was merged into JavaScript: 3 rating(s) moved" in follow
    merged = client.get(f"/o/alpha/skills/{js.pk}/").content.decode()
    assert "Merged into" in merged and f'/o/alpha/skills/{javascript.pk}/"' in merged


def test_another_organisations_skill_is_refused_like_a_missing_one(org_a, org_b, pair, login):
    js, _ = pair
    with organisation_context(org_b.organisation):
        foreign = SkillFactory(organisation=org_b.organisation, name="Foreign")
    client = login(org_a.hr)
    foreign_response = client.post(f"/o/alpha/skills/{js.pk}/merge/", {"into": foreign.pk})
    missing_response = client.post(f"/o/alpha/skills/{js.pk}/merge/", {"into": 999_999})
    assert foreign_response.status_code == missing_response.status_code == 400
    assert "Select a valid skill." in foreign_response.content.decode()
    assert "Select a valid skill." in missing_response.content.decode()
    with organisation_context(org_a.organisation):
        assert Rating.objects.filter(skill=js).count() == 3
    with organisation_context(org_b.organisation):
        assert not Skill.objects.get(pk=foreign.pk).aliases


def test_merging_into_itself_from_the_page_is_refused(org_a, pair, login):
    js, _ = pair
    response = login(org_a.hr).post(f"/o/alpha/skills/{js.pk}/merge/", {"into": js.pk})
    assert response.status_code == 400
    assert "A skill cannot be merged into itself." in response.content.decode()


def test_an_archived_skill_is_not_a_merge_target(org_a, pair, login):
    js, javascript = pair
    with organisation_context(org_a.organisation):
        Skill.objects.filter(pk=javascript.pk).update(is_archived=True)
    response = login(org_a.hr).post(f"/o/alpha/skills/{js.pk}/merge/", {"into": javascript.pk})
    assert response.status_code == 400
    assert "Select a valid skill." in response.content.decode()
