"""Tenant isolation of the SCIM protocol: a token opens exactly one organisation. Another
organisation's users and groups read as missing (404) for every method, filters never reach
them, and nothing of theirs changes."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from scim.models import ScimGroup, ScimUser
from skillsmap.core.tenancy import organisation_context
from tests.scim.conftest import Scim

pytestmark = pytest.mark.django_db


def _state(scim: Scim) -> tuple:
    with organisation_context(scim.world.organisation):
        return (
            sorted(ScimUser.objects.values_list("id", "user_name", "attributes", "deleted_at")),
            sorted(ScimGroup.objects.values_list("id", "team__name", "external_id")),
            AuditEvent.objects.count(),
        )


@pytest.fixture
def b_objects(scim_b: Scim) -> dict[str, str]:
    user = scim_b.create_user("secret@beta.example", title="B's")
    group = scim_b.post("Groups", {"displayName": "B team", "members": [{"value": user["id"]}]})
    return {"Users": user["id"], "Groups": group.json()["id"]}


@pytest.mark.parametrize("kind", ["Users", "Groups"])
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_a_token_of_a_gets_404_for_each_of_bs_objects_and_nothing_changes(
    scim_a: Scim, scim_b: Scim, b_objects: dict[str, str], kind: str, method: str
):
    before = _state(scim_b)
    body = {
        "PUT": {"userName": "secret@beta.example", "displayName": "B team", "title": "pwned"},
        "PATCH": {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"title": "pwned", "displayName": "pwned"}}],
        },
    }.get(method)

    response = scim_a.request(method, f"{kind}/{b_objects[kind]}", body)

    assert response.status_code == 404
    assert response.json()["status"] == "404"
    assert _state(scim_b) == before


@pytest.mark.parametrize(
    ("kind", "query"),
    [
        ("Users", 'userName eq "secret@beta.example"'),
        ("Users", 'displayName eq "secret@beta.example"'),
        ("Users", 'externalId eq ""'),
        ("Groups", 'displayName eq "B team"'),
    ],
)
def test_a_filter_never_reaches_another_organisation(
    scim_a: Scim, b_objects: dict[str, str], kind: str, query: str
):
    body = scim_a.get(f"{kind}?filter={query}").json()

    assert (body["totalResults"], body["Resources"]) == (0, [])
    assert scim_a.get(kind).json()["totalResults"] == 0


def test_the_tenant_is_a_condition_of_the_sql_not_a_check_after_it(scim_a: Scim, b_objects):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        scim_a.get('Users?filter=userName eq "secret@beta.example"')

    selects = [q["sql"] for q in queries if 'FROM "scim_scimuser"' in q["sql"]]
    assert selects
    org_id = scim_a.world.organisation.pk
    assert all(f'"scim_scimuser"."organisation_id" = {org_id}' in sql for sql in selects)


def test_a_user_of_b_cannot_be_made_a_member_of_as_group(scim_a: Scim, b_objects):
    response = scim_a.post(
        "Groups", {"displayName": "Mine", "members": [{"value": b_objects["Users"]}]}
    )

    assert response.status_code == 400
