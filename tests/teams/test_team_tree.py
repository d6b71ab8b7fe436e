"""``team_tree_for`` reads the team tree and the caller's scope in one query (the team matrix's
page); the scope is the one rule of ``teams_visible_to``, whoever asks."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from skillsmap.core.tenancy import organisation_context
from teams.hierarchy import team_subtree_ids, team_tree_for, teams_visible_to
from teams.models import TeamManager
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["admin", "hr", "manager", "member"])
def test_the_tree_gives_the_scope_of_teams_visible_to_in_one_query(org_a, org_b, role):
    organisation = org_a.organisation
    with organisation_context(organisation):
        parent = TeamFactory(organisation=organisation, name="Platform")
        child = TeamFactory(organisation=organisation, name="Platform API", parent=parent)
        grandchild = TeamFactory(organisation=organisation, name="Gateway", parent=child)
        TeamFactory(organisation=organisation, name="Sales")
        TeamManager.objects.create(
            organisation=organisation, team=child, person=org_a.people["manager"]
        )
        # The member leads a team too, but a member reads no team's figures.
        TeamManager.objects.create(
            organisation=organisation, team=parent, person=org_a.people["member"]
        )
    with organisation_context(org_b.organisation):
        TeamFactory(organisation=org_b.organisation, name="Theirs")
    membership = org_a.memberships[role]
    with organisation_context(organisation):
        with CaptureQueriesContext(connection) as read:
            tree = team_tree_for(organisation=organisation, membership=membership)
        expected = teams_visible_to(organisation=organisation, membership=membership)
        assert len(read) == 1
        assert tree.scope == expected
        # Every team of the organisation, and no other organisation's.
        assert sorted(tree.names.values()) == ["Gateway", "Platform", "Platform API", "Sales"]
        assert tree.subtree(parent.pk) == team_subtree_ids(
            organisation=organisation, team_ids=[parent.pk]
        )
    if role == "manager":
        assert tree.scope.team_ids == {child.pk, grandchild.pk}
