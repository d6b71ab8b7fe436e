"""The organisation's own skills: adding, duplicate detection, renaming and archiving."""

import pytest

from accounts.models import AuditEvent
from skills.models import Skill, SkillCategory
from skills.services.framework import (
    FrameworkError,
    skill_find_duplicate,
    skill_merge,
    skill_set_archived,
)
from skillsmap.core.tenancy import organisation_context
from tests.skills.factories import LibrarySkillFactory, SkillCategoryFactory, SkillFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NEW = "/o/alpha/skills/new/"


def _skill(world, **kwargs):
    with organisation_context(world.organisation):
        return SkillFactory(organisation=world.organisation, **kwargs)


def _count(world):
    with organisation_context(world.organisation):
        return Skill.objects.count()


def _form(**overrides):
    return {"name": "Terraform", "kind": "technical", "description": "", "aliases": ""} | overrides


def _pointer(skill):
    return f'Already in your framework as <a href="/o/alpha/skills/{skill.pk}/">{skill.name}</a>.'


# --- Adding -------------------------------------------------------------------------------------


def test_hr_adds_an_own_skill_with_aliases_and_a_category(org_a, login):
    with organisation_context(org_a.organisation):
        platform = SkillCategoryFactory(organisation=org_a.organisation, name="Platform")
    response = login(org_a.hr).post(
        NEW,
        _form(
            name="  Terraform ",
            category=platform.pk,
            description="Infrastructure as code.",
            aliases="TF, terraform, HCL,  ",
        ),
    )
    with organisation_context(org_a.organisation):
        skill = Skill.objects.get()
        event = AuditEvent.objects.get(verb="skill.created")
    assert response.status_code == 302
    assert response["Location"] == f"/o/alpha/skills/{skill.pk}/"
    assert (skill.name, skill.normalised_name) == ("Terraform", "terraform")
    assert skill.category_id == platform.pk
    assert skill.aliases == ["TF", "HCL"]  # "terraform" is the name itself
    assert skill.library_skill_id is None
    assert event.after["name"] == "Terraform" and event.actor == org_a.hr


def test_a_new_category_name_creates_the_category_or_reuses_one_of_that_name(org_a, login):
    client = login(org_a.hr)
    client.post(NEW, _form(name="Terraform", category_name="Platform"))
    client.post(NEW, _form(name="Pulumi", category_name="  platform "))
    with organisation_context(org_a.organisation):
        assert list(SkillCategory.objects.values_list("name", flat=True)) == ["Platform"]
        assert set(Skill.objects.values_list("category__name", flat=True)) == {"Platform"}


def test_choosing_a_category_and_typing_a_new_one_is_refused(org_a, login):
    with organisation_context(org_a.organisation):
        platform = SkillCategoryFactory(organisation=org_a.organisation)
    response = login(org_a.hr).post(NEW, _form(category=platform.pk, category_name="Other"))
    assert response.status_code == 400
    assert "not both" in response.content.decode()
    assert _count(org_a) == 0


def test_another_organisations_category_is_refused_like_a_missing_one(org_a, org_b, login):
    with organisation_context(org_b.organisation):
        foreign = SkillCategoryFactory(organisation=org_b.organisation)
    client = login(org_a.hr)
    foreign_response = client.post(NEW, _form(category=foreign.pk))
    missing_response = client.post(NEW, _form(category=999_999))
    assert foreign_response.status_code == missing_response.status_code == 400
    assert "Select a valid category." in foreign_response.content.decode()
    assert "Select a valid category." in missing_response.content.decode()
    assert _count(org_a) == 0


def test_a_name_without_letters_or_digits_is_refused(org_a, login):
    response = login(org_a.hr).post(NEW, _form(name="..."))
    assert response.status_code == 400
    assert "at least one letter or digit" in response.content.decode()


# --- Duplicates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [" react ", "REACT", "React", "ReactJS", "React.js", "reactjs"])
def test_a_spelling_of_an_existing_skill_or_its_alias_is_refused_with_a_link_to_it(
    org_a, login, typed
):
    react = _skill(org_a, name="React", aliases=["ReactJS"])
    response = login(org_a.hr).post(NEW, _form(name=typed))
    assert response.status_code == 400
    assert _pointer(react) in response.content.decode()
    assert _count(org_a) == 1


def test_an_alias_that_is_already_another_skill_is_refused_on_the_aliases_field(org_a, login):
    react = _skill(org_a, name="React")
    response = login(org_a.hr).post(NEW, _form(name="Hooks", aliases="Redux, react"))
    html = response.content.decode()
    assert response.status_code == 400
    assert _pointer(react) in html
    # On the aliases field (the error summary above the form may name it too).
    assert html.index('for="id_aliases"') < html.rindex(_pointer(react))
    assert _count(org_a) == 1


def test_a_library_synonym_of_an_existing_skill_is_refused(org_a, login):
    # Without the library "ReactJS" and "React" are different names ...
    react = _skill(org_a, name="React")
    with organisation_context(org_a.organisation):
        assert skill_find_duplicate(organisation=org_a.organisation, name="ReactJS") is None
    # ... the library knows them as one skill.
    LibrarySkillFactory(name="React", aliases=["ReactJS", "React.js"])
    response = login(org_a.hr).post(NEW, _form(name="ReactJS"))
    assert response.status_code == 400
    assert _pointer(react) in response.content.decode()


def test_the_library_synonym_rule_works_the_other_way_round(org_a, login):
    own = _skill(org_a, name="ReactJS")
    LibrarySkillFactory(name="React", aliases=["ReactJS"])
    response = login(org_a.hr).post(NEW, _form(name="React"))
    assert response.status_code == 400
    assert _pointer(own) in response.content.decode()


def test_an_archived_skills_name_is_still_taken(org_a, login):
    archived = _skill(org_a, name="Perl", is_archived=True)
    response = login(org_a.hr).post(NEW, _form(name="perl"))
    assert response.status_code == 400
    assert _pointer(archived) in response.content.decode()


def test_the_name_of_a_merged_skill_points_at_the_skill_it_was_merged_into(org_a, login):
    js = _skill(org_a, name="JS")
    javascript = _skill(org_a, name="JavaScript")
    with organisation_context(org_a.organisation):
        skill_merge(source=js, into=javascript, by=org_a.hr)
        javascript.refresh_from_db()
    response = login(org_a.hr).post(NEW, _form(name="js"))
    assert response.status_code == 400
    assert _pointer(javascript) in response.content.decode()


def test_a_duplicate_pointer_escapes_the_existing_skills_name(org_a, login):
    _skill(org_a, name="<script>alert(1)</script>")
    response = login(org_a.hr).post(NEW, _form(name="<SCRIPT>alert(1)</SCRIPT>"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</a>" in html
    assert "<script>alert(1)" not in html and "<SCRIPT>" not in html


def test_duplicates_are_looked_for_only_in_the_organisation(org_a, org_b, login):
    with organisation_context(org_b.organisation):
        SkillFactory(organisation=org_b.organisation, name="Terraform")
    response = login(org_a.hr).post(NEW, _form(name="Terraform"))
    assert response.status_code == 302


# --- Renaming -----------------------------------------------------------------------------------


def test_hr_renames_a_skill_and_the_change_is_audited(org_a, login):
    skill = _skill(org_a, name="Postgres", aliases=["psql"])
    response = login(org_a.hr).post(
        f"/o/alpha/skills/{skill.pk}/edit/",
        _form(name="PostgreSQL", aliases="psql, Postgres", description="The database."),
    )
    assert response.status_code == 302
    with organisation_context(org_a.organisation):
        skill.refresh_from_db()
        event = AuditEvent.objects.get(verb="skill.updated")
    assert (skill.name, skill.normalised_name) == ("PostgreSQL", "postgresql")
    assert skill.aliases == ["psql", "Postgres"]
    assert event.before["name"] == "Postgres" and event.after["name"] == "PostgreSQL"
    assert "kind" not in event.after  # only what changed


def test_the_edit_page_shows_the_skill_as_it_is(org_a, login):
    skill = _skill(org_a, name="Postgres", aliases=["psql", "pg"])
    html = login(org_a.hr).get(f"/o/alpha/skills/{skill.pk}/edit/").content.decode()
    assert 'value="Postgres"' in html and 'value="psql, pg"' in html


def test_renaming_onto_another_skill_is_refused(org_a, login):
    vue = _skill(org_a, name="Vue")
    react = _skill(org_a, name="React")
    response = login(org_a.hr).post(f"/o/alpha/skills/{react.pk}/edit/", _form(name="VUE"))
    assert response.status_code == 400
    assert _pointer(vue) in response.content.decode()
    with organisation_context(org_a.organisation):
        react.refresh_from_db()
    assert react.name == "React"


def test_a_skill_keeps_its_own_name_and_aliases_when_edited(org_a, login):
    skill = _skill(org_a, name="React", aliases=["ReactJS"])
    response = login(org_a.hr).post(
        f"/o/alpha/skills/{skill.pk}/edit/", _form(name="react", aliases="ReactJS")
    )
    assert response.status_code == 302


def test_renaming_to_the_name_of_a_skill_merged_into_it_is_refused(org_a, login):
    js = _skill(org_a, name="JS")
    javascript = _skill(org_a, name="JavaScript")
    with organisation_context(org_a.organisation):
        skill_merge(source=js, into=javascript, by=org_a.hr)
    response = login(org_a.hr).post(f"/o/alpha/skills/{javascript.pk}/edit/", _form(name="JS"))
    # The merged skill still holds the name; keeping it as an alias is fine.
    assert response.status_code == 400
    assert _pointer(js) in response.content.decode()
    kept = login(org_a.hr).post(
        f"/o/alpha/skills/{javascript.pk}/edit/", _form(name="JavaScript", aliases="JS")
    )
    assert kept.status_code == 302


# --- Archiving ----------------------------------------------------------------------------------


def test_archiving_hides_the_skill_from_the_framework_until_asked(org_a, login):
    cobol = _skill(org_a, name="COBOL")
    _skill(org_a, name="Go")
    client = login(org_a.hr)
    response = client.post(f"/o/alpha/skills/{cobol.pk}/archive/", {"archived": "true"})
    assert response.status_code == 302
    assert response["Location"] == f"/o/alpha/skills/{cobol.pk}/"
    row = f'id="skill-row-{cobol.pk}"'
    assert row not in client.get("/o/alpha/skills/").content.decode()
    assert row in client.get("/o/alpha/skills/", {"archived": "on"}).content.decode()
    with organisation_context(org_a.organisation):
        cobol.refresh_from_db()
        assert cobol.is_archived
        assert AuditEvent.objects.filter(verb="skill.archived", target_id=str(cobol.pk)).exists()


def test_unarchiving_brings_the_skill_back_and_is_audited(org_a, login):
    cobol = _skill(org_a, name="COBOL", is_archived=True)
    client = login(org_a.hr)
    response = client.post(
        f"/o/alpha/skills/{cobol.pk}/archive/", {"archived": "false", "return_to": "framework"}
    )
    assert response["Location"] == "/o/alpha/skills/"
    assert f'id="skill-row-{cobol.pk}"' in client.get("/o/alpha/skills/").content.decode()
    with organisation_context(org_a.organisation):
        assert AuditEvent.objects.filter(verb="skill.unarchived").count() == 1


def test_archiving_with_htmx_answers_with_the_row(org_a, login):
    cobol = _skill(org_a, name="COBOL")
    response = login(org_a.hr).post(
        f"/o/alpha/skills/{cobol.pk}/archive/", {"archived": "true"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(f'<tr id="skill-row-{cobol.pk}"')
    assert "COBOL was archived." in html and "Unarchive" in html


def test_an_unclear_archive_request_is_refused(org_a, login):
    cobol = _skill(org_a, name="COBOL")
    response = login(org_a.hr).post(f"/o/alpha/skills/{cobol.pk}/archive/", {"archived": "maybe"})
    assert response.status_code == 302
    with organisation_context(org_a.organisation):
        cobol.refresh_from_db()
    assert not cobol.is_archived


def test_a_merged_skill_cannot_be_unarchived(org_a):
    js, javascript = _skill(org_a, name="JS"), _skill(org_a, name="JavaScript")
    with organisation_context(org_a.organisation):
        skill_merge(source=js, into=javascript, by=org_a.hr)
        js.refresh_from_db()
        with pytest.raises(FrameworkError, match="stays archived"):
            skill_set_archived(skill=js, archived=False, by=org_a.hr)


def test_editing_keeps_an_alias_that_contains_a_comma(org_a, login):
    skill = _skill(
        org_a, name="Use back-up tools", aliases=["back-up tools using, use back-up tools"]
    )
    response = login(org_a.hr).post(
        f"/o/alpha/skills/{skill.pk}/edit/",
        _form(name="Back-up tools", aliases="back-up tools using, use back-up tools"),
    )
    assert response.status_code == 302
    with organisation_context(org_a.organisation):
        skill.refresh_from_db()
    assert skill.aliases == ["back-up tools using, use back-up tools"]
