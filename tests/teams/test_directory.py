"""The people directory: search, filters, pagination, a fixed number of queries, and who sees the
HR links."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from skillsmap.core.tenancy import organisation_context
from teams.models import Person
from tests.conftest import World
from tests.factories import PersonFactory, TeamFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db


def _url(world: World) -> str:
    return reverse("teams:person_list", kwargs={"org_slug": world.organisation.slug})


def _names(response) -> list[str]:
    return [person.name for person in response.context["page"]]


def test_everyone_sees_the_directory_with_manager_and_teams(org_a, login):
    org = org_a.organisation
    platform = TeamFactory(organisation=org, name="Platform")
    TeamMembershipFactory(organisation=org, team=platform, person=org_a.people["member"])
    response = login(org_a.member).get(_url(org_a))
    assert response.status_code == 200
    member, manager = org_a.people["member"], org_a.people["manager"]
    row = response.content.decode().split(f">{member.name}</a>")[1].split("</tr>")[0]
    assert manager.name in row
    assert "Platform" in row
    person_url = reverse(
        "teams:person_detail", kwargs={"org_slug": org.slug, "person_id": member.pk}
    )
    assert f'href="{person_url}"'.encode() in response.content


def test_search_matches_name_email_and_job_title_ignoring_case(org_a, login):
    org = org_a.organisation
    PersonFactory(organisation=org, name="Grace Hopper", email="g@alpha.example", job_title="")
    PersonFactory(organisation=org, name="Zed", email="compilers@alpha.example", job_title="")
    PersonFactory(organisation=org, name="Yan", email="y@alpha.example", job_title="COBOL lead")
    PersonFactory(organisation=org, name="Nobody", email="n@alpha.example", job_title="Chef")
    client = login(org_a.member)
    assert _names(client.get(_url(org_a), {"q": "hopper"})) == ["Grace Hopper"]
    assert _names(client.get(_url(org_a), {"q": "COMPILERS"})) == ["Zed"]
    assert _names(client.get(_url(org_a), {"q": "cobol"})) == ["Yan"]


def test_search_does_not_reach_other_organisations(org_a, org_b, login):
    PersonFactory(organisation=org_b.organisation, name="Beta Only", email="only@beta.example")
    response = login(org_a.admin).get(_url(org_a), {"q": "only"})
    assert _names(response) == []
    assert b"Beta Only" not in response.content
    assert b"only@beta.example" not in response.content


def test_filters_by_team_manager_location_and_are_kept_in_the_form(org_a, login):
    org = org_a.organisation
    team = TeamFactory(organisation=org, name="Data")
    boss = PersonFactory(organisation=org, name="Boss")
    in_team = PersonFactory(organisation=org, name="In Team", location="Paris", manager=boss)
    TeamMembershipFactory(organisation=org, team=team, person=in_team)
    PersonFactory(organisation=org, name="Elsewhere", location="Paris")
    client = login(org_a.member)

    assert _names(client.get(_url(org_a), {"team": team.pk})) == ["In Team"]
    assert _names(client.get(_url(org_a), {"manager": boss.pk})) == ["In Team"]
    assert _names(client.get(_url(org_a), {"location": "Paris"})) == ["Elsewhere", "In Team"]
    response = client.get(_url(org_a), {"team": team.pk, "location": "Paris", "q": "team"})
    assert _names(response) == ["In Team"]
    html = response.content.decode()
    assert f'<option value="{team.pk}" selected>Data</option>' in html
    assert '<option value="Paris" selected>Paris</option>' in html
    assert 'value="team"' in html


def test_inactive_people_are_hidden_unless_asked_for(org_a, login):
    PersonFactory(organisation=org_a.organisation, name="Gone Person", is_active=False)
    client = login(org_a.member)
    assert "Gone Person" not in _names(client.get(_url(org_a)))
    assert _names(client.get(_url(org_a), {"status": "inactive"})) == ["Gone Person"]
    assert "Gone Person" in _names(client.get(_url(org_a), {"status": "all"}))


def test_a_team_of_another_organisation_is_an_invalid_filter_not_a_lookup(org_a, org_b, login):
    theirs = TeamFactory(organisation=org_b.organisation, name="Secret Team")
    response = login(org_a.admin).get(_url(org_a), {"team": theirs.pk})
    assert response.status_code == 200
    assert response.context["filter_form"].errors["team"]
    assert b"Secret Team" not in response.content


def test_pages_hold_fifty_people_and_page_links_keep_the_filters(org_a, login):
    for i in range(60):
        PersonFactory(organisation=org_a.organisation, name=f"Person {i:02}", location="Oslo")
    client = login(org_a.member)
    first = client.get(_url(org_a), {"location": "Oslo"})
    assert len(first.context["page"]) == 50
    assert first.context["page"].paginator.count == 60
    assert b'href="?location=Oslo&amp;page=2"' in first.content
    second = client.get(_url(org_a), {"location": "Oslo", "page": 2})
    assert _names(second) == [f"Person {i}" for i in range(50, 60)]


@pytest.mark.parametrize("page,expected", [("3", 2), ("99", 2), ("0", 2), ("-1", 2), ("junk", 1)])
def test_a_page_out_of_range_shows_the_last_and_junk_the_first(org_a, login, page, expected):
    """As Django's ``Paginator.get_page`` answers."""
    for i in range(60):
        PersonFactory(organisation=org_a.organisation, name=f"Person {i:02}", location="Oslo")
    response = login(org_a.member).get(_url(org_a), {"location": "Oslo", "page": page})
    shown = response.context["page"]
    assert shown.number == expected and shown.paginator.num_pages == 2
    assert shown.paginator.count == 60
    assert len(shown) == (10 if expected == 2 else 50)


def test_the_filters_offer_teams_managers_with_their_address_and_locations_once(org_a, login):
    org = org_a.organisation
    TeamFactory(organisation=org, name="Data")
    boss = PersonFactory(organisation=org, name="Boss", email="boss@alpha.example", location="Oslo")
    for _ in range(2):  # two reports, one manager; two people, one location
        PersonFactory(organisation=org, manager=boss, location="Oslo")
    html = login(org_a.member).get(_url(org_a)).content.decode()
    assert f'<option value="{boss.pk}">Boss (boss@alpha.example)</option>' in html
    assert html.count(">Boss (boss@alpha.example)</option>") == 1
    assert html.count('<option value="Oslo">Oslo</option>') == 1
    assert ">Data</option>" in html
    member = org_a.people["member"]
    assert f"({member.email})</option>" not in html  # no reports: not a manager


def _add_people(world: World, count: int) -> None:
    org = world.organisation
    teams = [TeamFactory(organisation=org) for _ in range(2)]
    for _ in range(count):
        person = PersonFactory(organisation=org, manager=world.people["manager"])
        for team in teams:
            TeamMembershipFactory(organisation=org, team=team, person=person)


def test_the_directory_costs_the_same_queries_for_3_and_30_people(org_a, login):
    client = login(org_a.member)
    client.get(_url(org_a))  # the session and other one-off costs
    _add_people(org_a, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(_url(org_a)).status_code == 200
    _add_people(org_a, 27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(_url(org_a))
    with organisation_context(org_a.organisation):
        assert len(response.context["page"]) == Person.objects.filter(is_active=True).count()
    assert len(many) == len(few)


@pytest.mark.parametrize(
    "role,sees_links", [("member", False), ("manager", False), ("hr", True), ("admin", True)]
)
def test_only_hr_and_admins_see_add_and_import_links(org_a, login, role, sees_links):
    response = login(org_a.user(role)).get(_url(org_a))
    slug = org_a.organisation.slug
    add = reverse("teams:person_create", kwargs={"org_slug": slug})
    imp = reverse("teams:people_import", kwargs={"org_slug": slug})
    assert (add.encode() in response.content) is sees_links
    assert (imp.encode() in response.content) is sees_links
