"""A person's page, adding and editing people: who may, what the form refuses, and what the audit
log keeps."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditEvent, User
from skillsmap.core.tenancy import organisation_context
from teams import services
from teams.models import Person, TeamMembership
from tests.conftest import World
from tests.factories import PersonFactory, TeamFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db


def _url(name: str, world: World, **kwargs: int) -> str:
    return reverse(f"teams:{name}", kwargs={"org_slug": world.organisation.slug, **kwargs})


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Grace Hopper",
        "email": "grace@alpha.example",
        "job_title": "Rear Admiral",
        "manager": "",
        "location": "Arlington",
        "start_date": "2024-03-01",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def _person(world: World, **filters: object) -> Person | None:
    with organisation_context(world.organisation):
        return Person.objects.filter(**filters).select_related("manager").first()


# --- the person page -----------------------------------------------------------------------------


def test_person_page_shows_details_manager_reports_and_teams(org_a, login):
    org = org_a.organisation
    manager, member = org_a.people["manager"], org_a.people["member"]
    TeamMembershipFactory(
        organisation=org, team=TeamFactory(organisation=org, name="Core"), person=manager
    )
    response = login(org_a.member).get(_url("person_detail", org_a, person_id=manager.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert manager.email in html
    assert "Core" in html
    assert _url("person_detail", org_a, person_id=member.pk) in html  # a direct report
    member_page = login(org_a.member).get(_url("person_detail", org_a, person_id=member.pk))
    assert _url("person_detail", org_a, person_id=manager.pk) in member_page.content.decode()


def test_person_page_of_another_organisation_reads_like_a_missing_one(org_a, org_b, login):
    client = login(org_a.admin)
    theirs = client.get(_url("person_detail", org_a, person_id=org_b.people["member"].pk))
    missing = client.get(_url("person_detail", org_a, person_id=999_999))
    assert theirs.status_code == missing.status_code == 404
    # The masked CSRF token of the sign-out form differs per response; nothing else may.
    csrf = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    assert csrf.sub(b"", theirs.content) == csrf.sub(b"", missing.content)


@pytest.mark.parametrize("role,shown", [("member", False), ("hr", True)])
def test_edit_link_on_person_page_only_for_people_managers(org_a, login, role, shown):
    person = org_a.people["member"]
    response = login(org_a.user(role)).get(_url("person_detail", org_a, person_id=person.pk))
    assert (_url("person_update", org_a, person_id=person.pk) in response.content.decode()) is shown


# --- who may add and edit ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "manager"])
@pytest.mark.parametrize(
    "page", ["person_create", "person_update", "people_import", "people_import_template"]
)
def test_members_and_managers_may_not_add_edit_or_import(org_a, login, role, page):
    kwargs = {"person_id": org_a.people["member"].pk} if page == "person_update" else {}
    url = _url(page, org_a, **kwargs)
    client = login(org_a.user(role))
    before = _person(org_a, pk=org_a.people["member"].pk)
    assert client.get(url).status_code == 403
    assert (
        client.post(url, _form(email=org_a.people["member"].email, name="Hacked")).status_code
        == 403
    )
    assert _person(org_a, pk=org_a.people["member"].pk).name == before.name
    assert _person(org_a, name="Hacked") is None


@pytest.mark.parametrize("role", ["hr", "admin"])
@pytest.mark.parametrize("page", ["person_create", "person_update", "people_import"])
def test_hr_and_admins_get_the_forms(org_a, login, role, page):
    kwargs = {"person_id": org_a.people["member"].pk} if page == "person_update" else {}
    assert login(org_a.user(role)).get(_url(page, org_a, **kwargs)).status_code == 200


# --- adding --------------------------------------------------------------------------------------


def test_hr_adds_a_person_with_manager_and_teams_and_it_is_audited(org_a, login):
    org = org_a.organisation
    data, platform = (
        TeamFactory(organisation=org, name="Data"),
        TeamFactory(organisation=org, name="Platform"),
    )
    manager = org_a.people["manager"]
    response = login(org_a.hr).post(
        _url("person_create", org_a),
        _form(email="Grace@Alpha.Example", manager=manager.pk, teams=[data.pk, platform.pk]),
    )
    person = _person(org_a, email="grace@alpha.example")
    assert person is not None
    assert response.status_code == 302
    assert response["Location"] == _url("person_detail", org_a, person_id=person.pk)
    assert (person.name, person.job_title, person.location) == (
        "Grace Hopper",
        "Rear Admiral",
        "Arlington",
    )
    assert person.manager == manager
    assert str(person.start_date) == "2024-03-01"
    assert person.user is None
    with organisation_context(org):
        teams = sorted(
            TeamMembership.objects.filter(person=person).values_list("team__name", flat=True)
        )
        event = AuditEvent.objects.get(verb="person.created", target_id=str(person.pk))
    assert teams == ["Data", "Platform"]
    assert event.actor == org_a.hr
    assert event.after["manager"] == manager.email
    assert event.after["teams"] == ["Data", "Platform"]


def test_an_email_already_in_the_organisation_names_its_owner(org_a, login):
    existing = org_a.people["member"]
    response = login(org_a.hr).post(
        _url("person_create", org_a), _form(email=existing.email.upper())
    )
    assert response.status_code == 400
    assert f"{existing.name} already has the address" in response.content.decode()
    with organisation_context(org_a.organisation):
        assert Person.objects.filter(email__iexact=existing.email).count() == 1


def test_an_email_used_in_another_organisation_is_free_here(org_a, org_b, login):
    response = login(org_a.hr).post(
        _url("person_create", org_a), _form(email=org_b.people["member"].email)
    )
    assert response.status_code == 302


def test_a_manager_from_another_organisation_is_an_invalid_choice(org_a, org_b, login):
    theirs = org_b.people["manager"]
    client = login(org_a.hr)
    created = client.post(_url("person_create", org_a), _form(manager=theirs.pk))
    member = org_a.people["member"]
    updated = client.post(
        _url("person_update", org_a, person_id=member.pk),
        _form(email=member.email, manager=theirs.pk),
    )
    for response in (created, updated):
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()
        assert theirs.name not in response.content.decode()
    assert _person(org_a, email="grace@alpha.example") is None
    assert _person(org_a, pk=member.pk).manager_id == org_a.people["manager"].pk


def test_a_team_from_another_organisation_is_an_invalid_choice(org_a, org_b, login):
    theirs = TeamFactory(organisation=org_b.organisation, name="Their Team")
    response = login(org_a.hr).post(_url("person_create", org_a), _form(teams=[theirs.pk]))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert _person(org_a, email="grace@alpha.example") is None


def test_posting_organisation_user_or_is_staff_changes_nothing(org_a, org_b, login):
    client = login(org_a.hr)
    smuggled = {"organisation": org_b.organisation.pk, "user": org_a.admin.pk, "is_staff": "on"}
    assert client.post(_url("person_create", org_a), _form(**smuggled)).status_code == 302
    person = _person(org_a, email="grace@alpha.example")
    assert person.organisation_id == org_a.organisation.pk
    assert person.user_id is None

    member = org_a.people["member"]
    response = client.post(
        _url("person_update", org_a, person_id=member.pk),
        _form(name="Renamed", email=member.email, manager=org_a.people["manager"].pk, **smuggled),
    )
    assert response.status_code == 302
    after = _person(org_a, pk=member.pk)
    assert after.name == "Renamed"
    assert after.user_id == org_a.member.pk
    assert after.organisation_id == org_a.organisation.pk
    assert not User.objects.get(pk=org_a.hr.pk).is_staff
    assert not User.objects.get(pk=org_a.admin.pk).is_staff
    with organisation_context(org_b.organisation):
        assert not Person.objects.filter(name__in=["Grace Hopper", "Renamed"]).exists()


# --- editing -------------------------------------------------------------------------------------


def test_editing_audits_only_the_fields_that_changed(org_a, login):
    member, manager = org_a.people["member"], org_a.people["manager"]
    response = login(org_a.hr).post(
        _url("person_update", org_a, person_id=member.pk),
        _form(
            name=member.name,
            email=member.email,
            job_title="Staff Engineer",
            manager=manager.pk,
            location="",
            start_date="",
        ),
    )
    assert response.status_code == 302
    with organisation_context(org_a.organisation):
        event = AuditEvent.objects.get(verb="person.updated", target_id=str(member.pk))
    assert (event.before, event.after) == ({"job_title": ""}, {"job_title": "Staff Engineer"})


def test_saving_an_unchanged_person_writes_no_audit_row(org_a, login):
    member = org_a.people["member"]
    client = login(org_a.hr)
    form = client.get(_url("person_update", org_a, person_id=member.pk)).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data["manager"] = member.manager_id
    data["is_active"] = "on"
    assert client.post(_url("person_update", org_a, person_id=member.pk), data).status_code == 302
    with organisation_context(org_a.organisation):
        assert not AuditEvent.objects.filter(verb="person.updated").exists()


def test_a_reporting_loop_is_refused(org_a, login):
    # The member reports to the manager; making the member the manager's manager closes a loop.
    manager, member = org_a.people["manager"], org_a.people["member"]
    response = login(org_a.hr).post(
        _url("person_update", org_a, person_id=manager.pk),
        _form(name=manager.name, email=manager.email, manager=member.pk),
    )
    assert response.status_code == 400
    assert "reporting loop" in response.content.decode()
    assert _person(org_a, pk=manager.pk).manager_id is None


def test_a_longer_reporting_loop_is_refused_by_the_service(org_a):
    org = org_a.organisation
    a = PersonFactory(organisation=org, name="A")
    b = PersonFactory(organisation=org, name="B", manager=a)
    c = PersonFactory(organisation=org, name="C", manager=b)
    with organisation_context(org), pytest.raises(ValidationError, match="A → C → B → A"):
        services.person_update(
            person=a, by=org_a.hr, name="A", email=a.email, job_title="", manager=c,
            location="", start_date=None, is_active=True,
        )  # fmt: skip


def test_nobody_is_offered_as_their_own_manager(org_a, login):
    member = org_a.people["member"]
    response = login(org_a.hr).post(
        _url("person_update", org_a, person_id=member.pk),
        _form(name=member.name, email=member.email, manager=member.pk),
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_the_services_refuse_another_organisations_manager_and_teams(org_a, org_b):
    org = org_a.organisation
    with organisation_context(org):
        with pytest.raises(ValidationError) as manager_error:
            services.person_create(
                organisation=org, by=org_a.hr, name="X", email="x@alpha.example",
                manager=org_b.people["manager"],
            )  # fmt: skip
        assert "manager" in manager_error.value.message_dict
        with pytest.raises(ValidationError) as team_error:
            services.person_set_teams(
                person=org_a.people["member"],
                teams=[TeamFactory(organisation=org_b.organisation)],
                by=org_a.hr,
            )
        assert "teams" in team_error.value.message_dict
        assert not Person.objects.filter(email="x@alpha.example").exists()


def test_setting_teams_replaces_them_and_is_audited_once(org_a):
    org = org_a.organisation
    old, kept, new = (TeamFactory(organisation=org, name=n) for n in ("Old", "Kept", "New"))
    member = org_a.people["member"]
    for team in (old, kept):
        TeamMembershipFactory(organisation=org, team=team, person=member)
    with organisation_context(org):
        services.person_set_teams(person=member, teams=[kept, new], by=org_a.hr)
        services.person_set_teams(person=member, teams=[kept, new], by=org_a.hr)  # no change
        names = sorted(
            TeamMembership.objects.filter(person=member).values_list("team__name", flat=True)
        )
        events = list(AuditEvent.objects.filter(verb="person.teams_changed"))
    assert names == ["Kept", "New"]
    assert len(events) == 1
    assert (events[0].before, events[0].after) == (
        {"teams": ["Kept", "Old"]},
        {"teams": ["Kept", "New"]},
    )
