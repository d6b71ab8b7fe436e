"""SCIM Users ↔ the organisation's people and memberships: what a directory's provisioning does to
accounts, memberships, people and ratings, and what it may never do across organisations."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Membership, User
from accounts.permissions import Role
from skills.models import Rating, RatingSource
from skills.services.ratings import rating_set
from skillsmap.core.tenancy import organisation_context
from teams.models import Person
from tests.conftest import World
from tests.factories import PersonFactory
from tests.scim.conftest import Scim, payload
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _patch(*operations: dict) -> dict:
    return {"schemas": [PATCH], "Operations": list(operations)}


def _person(world: World, email: str) -> Person:
    with organisation_context(world.organisation):
        return Person.objects.select_related("manager").get(email__iexact=email)


def _membership(world: World, email: str) -> Membership:
    with organisation_context(world.organisation):
        return Membership.objects.get(user__email__iexact=email)


def test_entra_creates_an_account_without_password_a_member_and_the_person(scim_a: Scim):
    response = scim_a.post("Users", payload("entra", "create_user"))

    assert response.status_code == 201
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    email = "test_user_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com"
    assert body["userName"] == email
    assert body["externalId"] == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"
    assert body["active"] is True
    assert response["Location"] == body["meta"]["location"]
    user = User.objects.get(email=email)
    assert not user.has_usable_password()
    membership = _membership(scim_a.world, email)
    assert (membership.role, membership.is_active) == (Role.MEMBER, True)
    person = _person(scim_a.world, email)
    assert (person.name, person.user_id) == ("givenName familyName", user.pk)
    with organisation_context(scim_a.world.organisation):
        event = AuditEvent.objects.get(verb="scim.user_created")
    assert event.actor == scim_a.world.admin


def test_okta_searches_first_then_creates_and_the_search_finds_it(scim_a: Scim):
    query = payload("okta", "search_before_create")
    empty = scim_a.get(f"Users?filter={query}&startIndex=1&count=100").json()
    assert (empty["totalResults"], empty["Resources"]) == (0, [])

    created = scim_a.post("Users", payload("okta", "create_user")).json()

    found = scim_a.get(f"Users?filter={query}&startIndex=1&count=100").json()
    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == created["id"]
    assert created["displayName"] == "Test User"
    assert _person(scim_a.world, "test.user@okta.local").name == "Test User"
    # Okta's password is not a SCIM attribute we keep: the account still has no password.
    assert not User.objects.get(email="test.user@okta.local").has_usable_password()


def test_an_imported_person_is_linked_by_email_not_duplicated(scim_a: Scim):
    world = scim_a.world
    with organisation_context(world.organisation):
        imported = PersonFactory(organisation=world.organisation, email="dana@alpha.example")

    scim_a.create_user("Dana@Alpha.example", title="Analyst")

    person = _person(world, "dana@alpha.example")
    assert person.pk == imported.pk
    assert person.user is not None and person.job_title == "Analyst"


def test_a_second_user_with_the_same_user_name_is_a_409_uniqueness(scim_a: Scim):
    scim_a.create_user("eve@alpha.example")

    response = scim_a.post("Users", {"userName": "EVE@alpha.example"})

    assert response.status_code == 409
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert (body["status"], body["scimType"]) == ("409", "uniqueness")


def test_user_name_must_be_an_email_and_nothing_is_written(scim_a: Scim):
    users_before = User.objects.count()

    response = scim_a.post("Users", {"userName": "not an address"})

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert User.objects.count() == users_before


def test_entra_patches_name_and_work_email_in_its_own_shapes(scim_a: Scim):
    user = scim_a.post("Users", payload("entra", "create_user")).json()

    response = scim_a.patch(f"Users/{user['id']}", payload("entra", "update_user_multi_valued"))

    assert response.status_code == 200
    body = response.json()
    assert body["name"]["familyName"] == "updatedFamilyName"
    assert body["emails"] == [
        {"primary": True, "type": "work", "value": "updatedEmail@microsoft.com"}
    ]


def test_entra_changes_the_work_email_with_an_add_on_a_filtered_path(scim_a: Scim):
    user = scim_a.post("Users", payload("entra", "create_user")).json()

    body = scim_a.patch(f"Users/{user['id']}", payload("entra", "add_work_email_as_add")).json()

    # The existing work email is changed, not joined by a second one.
    assert body["emails"] == [{"primary": True, "type": "work", "value": "changed@joe.com"}]
    assert body["title"] == "tester"


def test_entra_add_without_a_path_sets_name_title_and_department(scim_a: Scim):
    user = scim_a.post("Users", payload("entra", "create_user")).json()

    body = scim_a.patch(f"Users/{user['id']}", payload("entra", "add_without_path")).json()

    assert body["name"]["givenName"] == "Barbara"
    assert body["title"] == "Sales Manager"
    assert body[ENTERPRISE]["department"] == "Sales"
    person = _person(scim_a.world, user["userName"])
    assert (person.name, person.job_title) == ("Barbara Jensen", "Sales Manager")


def test_a_user_name_change_is_refused_because_it_is_a_global_sign_in_address(scim_a: Scim):
    user = scim_a.post("Users", payload("entra", "create_user")).json()

    response = scim_a.patch(f"Users/{user['id']}", payload("entra", "update_user_single_valued"))

    assert response.status_code == 400
    assert response.json()["scimType"] == "mutability"
    assert User.objects.filter(email=user["userName"]).exists()


@pytest.mark.parametrize(
    ("vendor", "off", "on"),
    [
        ("entra", "disable_user", "enable_user_string_boolean"),
        ("entra", "disable_user_string_boolean", "enable_user_string_boolean"),
        ("okta", "deactivate_user", "reactivate_user"),
    ],
)
def test_deactivation_and_reactivation_in_each_vendors_shape(scim_a: Scim, vendor, off, on):
    user = scim_a.create_user("fay@alpha.example")

    deactivated = scim_a.patch(f"Users/{user['id']}", payload(vendor, off)).json()
    assert deactivated["active"] is False
    assert _membership(scim_a.world, "fay@alpha.example").is_active is False

    reactivated = scim_a.patch(f"Users/{user['id']}", payload(vendor, on)).json()
    assert reactivated["active"] is True
    assert _membership(scim_a.world, "fay@alpha.example").is_active is True
    with organisation_context(scim_a.world.organisation):
        verbs = list(
            AuditEvent.objects.filter(verb__startswith="scim.user_").values_list("verb", flat=True)
        )
    assert {"scim.user_deactivated", "scim.user_reactivated"} <= set(verbs)


def test_a_deprovisioned_member_loses_access_on_the_next_request_and_keeps_ratings(
    scim_a: Scim, login
):
    world = scim_a.world
    with organisation_context(world.organisation):
        skill = SkillFactory(organisation=world.organisation, name="Go")
        rating_set(
            organisation=world.organisation,
            person=world.people["member"],
            skill=skill,
            level=3,
            note="",
            source=RatingSource.SELF,
            by=world.member,
        )
    # The member already signed up by invitation; the directory takes them over by email.
    user = scim_a.create_user(world.member.email)
    browser = login(world.member)
    home = reverse("accounts:organisation_home", kwargs={"org_slug": world.organisation.slug})
    assert browser.get(home).status_code == 200

    assert (
        scim_a.patch(f"Users/{user['id']}", payload("okta", "deactivate_user")).status_code == 200
    )

    assert browser.get(home).status_code == 404
    with organisation_context(world.organisation):
        assert Rating.objects.filter(person=world.people["member"]).count() == 1

    scim_a.patch(f"Users/{user['id']}", payload("okta", "reactivate_user"))
    assert browser.get(home).status_code == 200


def test_delete_only_deactivates_and_provisioning_again_reactivates(scim_a: Scim):
    user = scim_a.create_user("gil@alpha.example")
    person = _person(scim_a.world, "gil@alpha.example")

    assert scim_a.delete(f"Users/{user['id']}").status_code == 204

    assert scim_a.get(f"Users/{user['id']}").status_code == 404
    assert _membership(scim_a.world, "gil@alpha.example").is_active is False
    assert _person(scim_a.world, "gil@alpha.example").pk == person.pk  # kept, with its ratings
    again = scim_a.create_user("gil@alpha.example")
    assert again["id"] != user["id"]
    assert _membership(scim_a.world, "gil@alpha.example").is_active is True
    assert _person(scim_a.world, "gil@alpha.example").pk == person.pk


def test_okta_put_replaces_the_user(scim_a: Scim):
    user = scim_a.post("Users", payload("okta", "create_user")).json()

    response = scim_a.put(
        f"Users/{user['id']}", payload("okta", "update_user_put", user_id=user["id"])
    )

    assert response.status_code == 200
    assert response.json()["name"] == {"givenName": "Another", "familyName": "User"}
    assert _person(scim_a.world, "test.user@okta.local").name == "Another User"


def test_entra_sets_and_removes_the_manager_by_scim_id(scim_a: Scim):
    boss = scim_a.create_user("boss@alpha.example")
    user = scim_a.create_user("report@alpha.example")

    body = scim_a.patch(
        f"Users/{user['id']}", payload("entra", "set_manager", manager_id=boss["id"])
    ).json()

    assert body[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert body[ENTERPRISE]["manager"]["$ref"].endswith(f"/Users/{boss['id']}")
    assert _person(scim_a.world, "report@alpha.example").manager.email == "boss@alpha.example"

    scim_a.patch(f"Users/{user['id']}", payload("entra", "remove_manager"))
    assert _person(scim_a.world, "report@alpha.example").manager is None


def test_a_manager_of_another_organisation_is_refused(scim_a: Scim, scim_b: Scim):
    theirs = scim_b.create_user("boss@beta.example")
    user = scim_a.create_user("report@alpha.example")

    response = scim_a.patch(
        f"Users/{user['id']}", payload("entra", "set_manager", manager_id=theirs["id"])
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert _person(scim_a.world, "report@alpha.example").manager is None


def test_department_becomes_a_team_only_where_the_organisation_says_so(scim_a: Scim):
    from scim.services import scim_settings_update
    from teams.models import Team, TeamMembership

    world = scim_a.world
    extension = {ENTERPRISE: {"department": "Sales"}}
    scim_a.create_user("off@alpha.example", schemas=[ENTERPRISE], **extension)
    with organisation_context(world.organisation):
        assert not Team.objects.filter(name="Sales").exists()
        scim_settings_update(
            organisation=world.organisation, department_to_team=True, by=world.admin
        )

    user = scim_a.create_user("on@alpha.example", **extension)
    scim_a.patch(
        f"Users/{user['id']}",
        _patch({"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Support"}),
    )

    with organisation_context(world.organisation):
        teams = set(
            TeamMembership.objects.filter(person__email="on@alpha.example").values_list(
                "team__name", flat=True
            )
        )
        assert teams == {"Support"}
        assert Team.objects.filter(name="Sales").exists()  # created, now without this person


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "move", "path": "title", "value": "x"},
        {"op": "replace", "path": "nickName", "value": "x"},
        {"op": "replace", "path": 'emails[display co "x"].value', "value": "x"},
        {"op": "remove"},
        {"op": "replace", "path": "active", "value": "maybe"},
    ],
)
def test_an_invalid_patch_is_a_400_with_a_scim_type_and_writes_nothing(scim_a: Scim, operation):
    user = scim_a.create_user("hal@alpha.example", title="Engineer")
    with organisation_context(scim_a.world.organisation):
        events = AuditEvent.objects.count()

    response = scim_a.patch(
        f"Users/{user['id']}",
        _patch({"op": "replace", "path": "title", "value": "Lead"}, operation),
    )

    assert response.status_code == 400
    assert response.json()["scimType"] in {
        "invalidSyntax",
        "invalidPath",
        "invalidFilter",
        "noTarget",
        "invalidValue",
    }
    assert _person(scim_a.world, "hal@alpha.example").job_title == "Engineer"
    with organisation_context(scim_a.world.organisation):
        assert AuditEvent.objects.count() == events


def test_a_user_of_another_organisation_keeps_their_account_as_it_is(scim_a: Scim, scim_b: Scim):
    """B's directory provisions an address that is already a member of A: B gets its own
    membership and person; the account's name and password, and everything A sees, stay."""
    a = scim_a.world
    account = a.member
    account.name, _ = "Mia from Alpha", account.set_password("alpha-pass-123")
    account.save()
    a_person_before = _person(a, account.email)

    response = scim_b.post(
        "Users",
        {"userName": account.email, "displayName": "Someone Else", "title": "Spy", "active": True},
    )

    assert response.status_code == 201
    account.refresh_from_db()
    assert account.name == "Mia from Alpha"
    assert account.check_password("alpha-pass-123")
    a_person = _person(a, account.email)
    assert (a_person.pk, a_person.name, a_person.job_title) == (
        a_person_before.pk,
        a_person_before.name,
        a_person_before.job_title,
    )
    assert _person(scim_b.world, account.email).name == "Someone Else"
    # And B's deprovisioning of it leaves A's membership alone.
    scim_b.delete(f"Users/{response.json()['id']}")
    assert _membership(a, account.email).is_active is True
