"""SCIM Groups ↔ teams, with their members, in the shapes Entra ID and Okta send."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from skillsmap.core.tenancy import organisation_context
from teams.models import Team, TeamMembership
from tests.scim.conftest import Scim, payload

pytestmark = pytest.mark.django_db


def _members(scim: Scim, team_name: str) -> set[str]:
    with organisation_context(scim.world.organisation):
        return set(
            TeamMembership.objects.filter(team__name=team_name).values_list(
                "person__email", flat=True
            )
        )


def test_entra_creates_a_group_as_a_team_and_finds_it_by_display_name(scim_a: Scim):
    created = scim_a.post("Groups", payload("entra", "create_group"))

    assert created.status_code == 201
    group = created.json()
    assert group["displayName"] == "displayName"
    assert group["externalId"] == "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"
    with organisation_context(scim_a.world.organisation):
        assert Team.objects.filter(name="displayName").exists()
    query = payload("entra", "get_group_by_display_name")
    found = scim_a.get(f"Groups?excludedAttributes=members&filter={query}").json()
    assert [g["id"] for g in found["Resources"]] == [group["id"]]
    assert "members" not in found["Resources"][0]


def test_entra_adds_and_removes_members_and_renames(scim_a: Scim):
    user = scim_a.create_user("ann@alpha.example")
    group = scim_a.post("Groups", payload("entra", "create_group")).json()
    url = f"Groups/{group['id']}"

    added = scim_a.patch(url, payload("entra", "update_group_add_members", user_id=user["id"]))
    assert added.status_code == 200
    assert [m["value"] for m in added.json()["members"]] == [user["id"]]
    assert _members(scim_a, "displayName") == {"ann@alpha.example"}

    removed = scim_a.patch(url, payload("entra", "update_group_remove_members", user_id=user["id"]))
    assert "members" not in removed.json()
    assert _members(scim_a, "displayName") == set()

    scim_a.patch(url, payload("entra", "update_group_add_members", user_id=user["id"]))
    scim_a.patch(url, payload("entra", "update_group_remove_member_by_filter", user_id=user["id"]))
    assert _members(scim_a, "displayName") == set()

    renamed = scim_a.patch(url, payload("entra", "update_group_non_member")).json()
    assert renamed["displayName"] == "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"


def test_okta_renames_replaces_adds_and_removes_members(scim_a: Scim):
    one = scim_a.create_user("one@alpha.example")
    two = scim_a.create_user("two@alpha.example")
    group = scim_a.post("Groups", payload("okta", "create_group")).json()
    url = f"Groups/{group['id']}"

    renamed = scim_a.patch(url, payload("okta", "rename_group", group_id=group["id"])).json()
    assert renamed["displayName"] == "Test SCIMv2 renamed"

    scim_a.patch(url, payload("okta", "add_members", user_id=one["id"]))
    scim_a.patch(url, payload("okta", "replace_members", user_id=two["id"]))
    assert _members(scim_a, "Test SCIMv2 renamed") == {"two@alpha.example"}

    scim_a.patch(url, payload("okta", "remove_member", user_id=two["id"]))
    assert _members(scim_a, "Test SCIMv2 renamed") == set()


def test_people_added_to_the_team_by_hand_are_neither_listed_nor_removed(scim_a: Scim):
    world = scim_a.world
    user = scim_a.create_user("ann@alpha.example")
    group = scim_a.post("Groups", {"displayName": "Web"}).json()
    with organisation_context(world.organisation):
        team = Team.objects.get(name="Web")
        TeamMembership.objects.create(
            organisation=world.organisation, team=team, person=world.people["hr"]
        )

    body = scim_a.put(
        f"Groups/{group['id']}", {"displayName": "Web", "members": [{"value": user["id"]}]}
    ).json()

    assert [m["value"] for m in body["members"]] == [user["id"]]
    assert _members(scim_a, "Web") == {"ann@alpha.example", "hr@alpha.example"}


def test_a_group_named_like_an_existing_team_links_it_and_a_second_is_a_409(scim_a: Scim):
    world = scim_a.world
    with organisation_context(world.organisation):
        team = Team.objects.create(organisation=world.organisation, name="Platform")

    linked = scim_a.post("Groups", {"displayName": "platform"})
    again = scim_a.post("Groups", {"displayName": "Platform"})

    assert linked.status_code == 201 and linked.json()["displayName"] == "Platform"
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"
    with organisation_context(world.organisation):
        assert Team.objects.filter(name__iexact="platform").get().pk == team.pk


def test_a_member_that_is_not_a_user_here_is_refused_and_nothing_is_written(scim_a: Scim):
    response = scim_a.post("Groups", {"displayName": "Ghosts", "members": [{"value": "999999"}]})

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    with organisation_context(scim_a.world.organisation):
        assert not Team.objects.filter(name="Ghosts").exists()


def test_deleting_a_group_unlinks_it_and_keeps_the_team_with_its_members(scim_a: Scim):
    user = scim_a.create_user("ann@alpha.example")
    group = scim_a.post(
        "Groups", {"displayName": "Data", "members": [{"value": user["id"]}]}
    ).json()

    assert scim_a.delete(f"Groups/{group['id']}").status_code == 204

    assert scim_a.get(f"Groups/{group['id']}").status_code == 404
    assert _members(scim_a, "Data") == {"ann@alpha.example"}
    with organisation_context(scim_a.world.organisation):
        verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"scim.group_created", "scim.group_deleted"} <= verbs
