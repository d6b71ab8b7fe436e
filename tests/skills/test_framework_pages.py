"""The framework pages: who sees and changes what, what they show, escaping and query counts."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from skills.models import Skill, SkillLevelDescriptor
from skillsmap.core.tenancy import organisation_context
from tests.factories import PersonFactory
from tests.skills.factories import (
    LibrarySkillFactory,
    RatingFactory,
    SkillCategoryFactory,
    SkillFactory,
    SkillLevelDescriptorFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
XSS_NAMES = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
ROLES_WHO_MANAGE = ["hr", "admin"]
ROLES_WHO_READ = ["member", "manager"]


def _skill(world, **kwargs):
    with organisation_context(world.organisation):
        return SkillFactory(organisation=world.organisation, **kwargs)


def _writes(skill, library_skill):
    """Every page or action that changes the framework, with a valid request body."""
    return [
        ("get", "/o/alpha/skills/library/", {}),
        ("post", "/o/alpha/skills/library/adopt/", {"library_skill": [library_skill.pk]}),
        ("get", "/o/alpha/skills/new/", {}),
        ("post", "/o/alpha/skills/new/", {"name": "Zig", "kind": "technical"}),
        ("get", f"/o/alpha/skills/{skill.pk}/edit/", {}),
        ("post", f"/o/alpha/skills/{skill.pk}/edit/", {"name": "Go 2", "kind": "technical"}),
        ("post", f"/o/alpha/skills/{skill.pk}/archive/", {"archived": "true"}),
        ("post", f"/o/alpha/skills/{skill.pk}/descriptors/", {"level_3": "Writes Go"}),
        ("post", "/o/alpha/skills/scale/", {f"name_{v}": f"L{v}" for v in range(6)}),
    ]


def _without_csrf(response) -> bytes:
    # The masked CSRF token (of the sign-out form) differs on every response.
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)


def _state(world):
    with organisation_context(world.organisation):
        return (
            list(Skill.objects.values_list("pk", "name", "is_archived", "aliases")),
            list(SkillLevelDescriptor.objects.values_list("pk", "description")),
            AuditEvent.objects.count(),
        )


# --- Permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "manager", "hr", "admin"])
def test_everyone_reads_the_framework_the_scale_a_skill_and_the_about_page(org_a, login, role):
    skill = _skill(org_a, name="Go")
    client = login(org_a.user(role))
    for url in [
        "/o/alpha/skills/",
        "/o/alpha/skills/about/",
        "/o/alpha/skills/scale/",
        f"/o/alpha/skills/{skill.pk}/",
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ROLES_WHO_READ)
def test_members_and_managers_get_403_on_every_framework_change(org_a, login, role):
    skill = _skill(org_a, name="Go")
    other = _skill(org_a, name="Golang tooling")
    library_skill = LibrarySkillFactory(name="Rust")
    client = login(org_a.user(role))
    before = _state(org_a)
    for method, url, data in [
        *_writes(skill, library_skill),
        ("post", f"/o/alpha/skills/{skill.pk}/merge/", {"into": other.pk}),
    ]:
        assert getattr(client, method)(url, data).status_code == 403, (method, url)
    assert _state(org_a) == before


@pytest.mark.parametrize("role", ROLES_WHO_MANAGE)
def test_hr_and_admins_may_change_the_framework(org_a, login, role):
    skill = _skill(org_a, name="Go")
    library_skill = LibrarySkillFactory(name="Rust")
    client = login(org_a.user(role))
    for method, url, data in _writes(skill, library_skill):
        assert getattr(client, method)(url, data).status_code in (200, 302), (method, url)
    source, into = _skill(org_a, name="Golang tooling"), _skill(org_a, name="Go tooling")
    merge = client.post(f"/o/alpha/skills/{source.pk}/merge/", {"into": into.pk})
    assert merge.status_code == 302


@pytest.mark.parametrize("role", ROLES_WHO_READ)
def test_readers_see_no_edit_controls(org_a, login, role):
    skill = _skill(org_a, name="Go")
    client = login(org_a.user(role))
    framework = client.get("/o/alpha/skills/").content.decode()
    detail = client.get(f"/o/alpha/skills/{skill.pk}/").content.decode()
    scale = client.get("/o/alpha/skills/scale/").content.decode()
    assert "Add a skill" not in framework and "/archive/" not in framework
    assert "/merge/" not in detail and "/descriptors/" not in detail and "/edit/" not in detail
    assert "<textarea" not in scale and "<input" not in scale.split("<main")[1]


@pytest.mark.parametrize("role", ROLES_WHO_MANAGE)
def test_managers_of_the_framework_see_edit_controls(org_a, login, role):
    skill = _skill(org_a, name="Go")
    client = login(org_a.user(role))
    framework = client.get("/o/alpha/skills/").content.decode()
    detail = client.get(f"/o/alpha/skills/{skill.pk}/").content.decode()
    assert "Add a skill" in framework and f"/o/alpha/skills/{skill.pk}/archive/" in framework
    assert f"/o/alpha/skills/{skill.pk}/merge/" in detail
    assert f"/o/alpha/skills/{skill.pk}/descriptors/" in detail


def test_an_outsider_gets_404_on_every_framework_page(org_a, outsider, login):
    skill = _skill(org_a, name="Go")
    library_skill = LibrarySkillFactory(name="Rust")
    client = login(outsider)
    for _method, url, data in _writes(skill, library_skill):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data).status_code == 404, url
    for url in ["/o/alpha/skills/", "/o/alpha/skills/about/", f"/o/alpha/skills/{skill.pk}/"]:
        assert client.get(url).status_code == 404, url


def test_another_organisations_skill_page_is_404_like_a_missing_one(org_a, org_b, login):
    with organisation_context(org_b.organisation):
        foreign = SkillFactory(organisation=org_b.organisation, name="Secret")
    client = login(org_a.admin)
    foreign_response = client.get(f"/o/alpha/skills/{foreign.pk}/")
    missing_response = client.get("/o/alpha/skills/999999/")
    assert foreign_response.status_code == missing_response.status_code == 404
    assert _without_csrf(foreign_response) == _without_csrf(missing_response)


# --- The framework page -------------------------------------------------------------------------


def test_the_framework_groups_skills_by_category_with_source_and_raters(org_a, login):
    organisation = org_a.organisation
    esco = LibrarySkillFactory(name="Teamwork", source="esco")
    onet = LibrarySkillFactory(name="Programming", source="onet")
    with organisation_context(organisation):
        backend = SkillCategoryFactory(organisation=organisation, name="Backend")
        people = SkillCategoryFactory(organisation=organisation, name="Collaboration")
        programming = SkillFactory(
            organisation=organisation, name="Programming", library_skill=onet, category=backend
        )
        SkillFactory(
            organisation=organisation, name="Teamwork", library_skill=esco, category=people
        )
        SkillFactory(organisation=organisation, name="Go", category=backend, description="x" * 500)
        for role in ("member", "manager", "hr"):
            RatingFactory(organisation=organisation, person=org_a.people[role], skill=programming)
    html = login(org_a.member).get("/o/alpha/skills/").content.decode()
    assert html.index("<caption>Backend</caption>") < html.index("<caption>Collaboration</caption>")
    row = re.search(rf'<tr id="skill-row-{programming.pk}".*?</tr>', html, re.S).group(0)
    assert "O*NET" in row and "<td>3</td>" in row
    assert "ESCO" in html and "<td>Own</td>" in html
    assert "x" * 139 + "…" in html and "x" * 141 not in html  # an excerpt


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "kube"}, {"Kubernetes"}),
        ({"q": "K8S"}, {"Kubernetes"}),
        ({"kind": "human"}, {"Listening"}),
        ({"kind": "nonsense"}, {"Kubernetes", "Listening"}),  # an invalid filter is ignored
    ],
)
def test_the_framework_search_and_filters(org_a, login, params, expected):
    names = {"Kubernetes": {"aliases": ["k8s"]}, "Listening": {"kind": "human"}}
    skills = {name: _skill(org_a, name=name, **extra) for name, extra in names.items()}
    html = login(org_a.member).get("/o/alpha/skills/", params).content.decode()
    shown = {name for name, skill in skills.items() if f'id="skill-row-{skill.pk}"' in html}
    assert shown == expected


def test_the_framework_filters_by_category(org_a, login):
    with organisation_context(org_a.organisation):
        data = SkillCategoryFactory(organisation=org_a.organisation, name="Data")
    sql = _skill(org_a, name="SQL", category=data)
    go = _skill(org_a, name="Go")
    html = login(org_a.member).get("/o/alpha/skills/", {"category": data.pk}).content.decode()
    assert f'id="skill-row-{sql.pk}"' in html and f'id="skill-row-{go.pk}"' not in html


def test_the_framework_search_with_htmx_answers_with_the_results_only(org_a, login):
    _skill(org_a, name="Kubernetes")
    response = login(org_a.member).get("/o/alpha/skills/", {"q": "kube"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html and "Kubernetes" in html
    assert 'id="framework-status"' in html and "1 skill matching “kube”." in html
    assert "HX-Request" in response["Vary"]


def test_the_framework_page_costs_the_same_for_two_or_forty_skills(org_a, login):
    organisation = org_a.organisation
    client = login(org_a.hr)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/o/alpha/skills/", {"archived": "on"}).status_code == 200
        return len(captured)

    def add(n: int) -> None:
        with organisation_context(organisation):
            for i in range(n):
                category = SkillCategoryFactory(organisation=organisation)
                skill = SkillFactory(
                    organisation=organisation,
                    category=category,
                    library_skill=LibrarySkillFactory(),
                    aliases=["a", "b"],
                    is_archived=i % 5 == 0,
                )
                person = PersonFactory(organisation=organisation)
                RatingFactory(organisation=organisation, person=person, skill=skill)

    add(2)
    small = queries()
    add(38)
    assert queries() == small


# --- Escaping -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", XSS_NAMES)
def test_a_hostile_skill_name_is_escaped_on_the_framework_and_skill_pages(org_a, login, name):
    with organisation_context(org_a.organisation):
        category = SkillCategoryFactory(organisation=org_a.organisation, name=name)
    skill = _skill(org_a, name=name, aliases=[name + "x"], description=name, category=category)
    client = login(org_a.hr)
    for url in [
        "/o/alpha/skills/",
        f"/o/alpha/skills/{skill.pk}/",
        f"/o/alpha/skills/{skill.pk}/edit/",
    ]:
        html = client.get(url).content.decode()
        assert name not in html, url
        assert "&lt;" in html and ("&lt;script&gt;" in html or "&quot;&gt;&lt;img" in html)


@pytest.mark.parametrize("name", XSS_NAMES)
def test_a_hostile_library_skill_is_escaped_on_the_library_page(org_a, login, name):
    LibrarySkillFactory(name=name, aliases=[name], description=name)
    html = login(org_a.hr).get("/o/alpha/skills/library/").content.decode()
    assert name not in html
    assert html.count("&lt;") >= 3


def test_the_framework_templates_have_no_inline_scripts_or_handlers():
    folder = Path(settings.BASE_DIR) / "templates" / "skills" / "framework"
    for template in folder.glob("*.html"):
        text = template.read_text()
        assert "<script" not in text, template.name
        assert not re.search(r"\son[a-z]+\s*=", text), template.name


# --- The about page and the skill page ----------------------------------------------------------


def test_the_about_page_attributes_o_star_net_and_esco(org_a, login):
    html = login(org_a.member).get("/o/alpha/skills/about/").content.decode()
    assert "O*NET 29.3 Database" in html
    assert "U.S. Department of Labor, Employment and Training Administration (USDOL/ETA)" in html
    assert "CC BY 4.0" in html and "https://creativecommons.org/licenses/by/4.0/" in html
    assert "modified" in html and "aggregated" in html
    assert "ESCO, European Commission" in html


def test_the_skill_page_shows_its_descriptors_and_falls_back_to_the_scale(org_a, login):
    library_skill = LibrarySkillFactory(
        name="Programming", attribution="O*NET 29.3 Database by USDOL/ETA, CC BY 4.0"
    )
    skill = _skill(org_a, name="Programming", library_skill=library_skill, aliases=["Coding"])
    with organisation_context(org_a.organisation):
        SkillLevelDescriptorFactory(
            organisation=org_a.organisation, skill=skill, value=3, description="Writes a module"
        )
    html = login(org_a.member).get(f"/o/alpha/skills/{skill.pk}/").content.decode()
    assert "Writes a module" in html
    assert "Applies it independently in everyday work" not in html  # level 3's generic text
    assert "A recognised authority" in html  # level 5 has no descriptor: the scale's text
    assert "O*NET 29.3 Database by USDOL/ETA, CC BY 4.0" in html and "Coding" in html
    assert "modified" in html


def test_hr_edits_the_level_descriptors_and_an_empty_one_falls_back(org_a, login):
    skill = _skill(org_a, name="SQL")
    with organisation_context(org_a.organisation):
        SkillLevelDescriptorFactory(organisation=org_a.organisation, skill=skill, value=2)
    response = login(org_a.hr).post(
        f"/o/alpha/skills/{skill.pk}/descriptors/",
        {"level_2": "", "level_4": "  Tunes a slow query  ", "level_5": "Designs the schema"},
    )
    assert response.status_code == 302
    with organisation_context(org_a.organisation):
        descriptors = dict(
            SkillLevelDescriptor.objects.filter(skill=skill).values_list("value", "description")
        )
        event = AuditEvent.objects.get(verb="skill.descriptors_updated")
    assert descriptors == {4: "Tunes a slow query", 5: "Designs the schema"}
    assert set(event.after) == {"2", "4", "5"} and event.after["2"] is None


def test_descriptors_of_another_organisations_skill_are_404(org_a, org_b, login):
    with organisation_context(org_b.organisation):
        foreign = SkillFactory(organisation=org_b.organisation)
    response = login(org_a.hr).post(f"/o/alpha/skills/{foreign.pk}/descriptors/", {"level_3": "x"})
    assert response.status_code == 404
    with organisation_context(org_b.organisation):
        assert not SkillLevelDescriptor.objects.exists()
