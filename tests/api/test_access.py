"""Who may call which endpoint, one table for all of them: an outsider gets 404, a role below the
endpoint's gets 403 (from the same permission table as the pages), a body cannot name an
organisation, and another organisation's ids in a body read exactly like ids that do not exist."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import get_resolver

from accounts.models import AuditEvent, User
from accounts.permissions import Role
from skillsmap.core.tenancy import organisation_context
from tests.api.conftest import Furnished

pytestmark = pytest.mark.django_db

ROLES = [Role.MEMBER, Role.MANAGER, Role.HR, Role.ADMIN]
Body = Callable[[dict[str, int]], dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # under /api/v1/orgs/<slug>/, with {person_id}-style placeholders
    role: Role  # the lowest role allowed
    body: Body | None = None
    id_fields: tuple[str, ...] = field(default=())  # body fields holding ids of this organisation

    def url(self, slug: str, ids: dict[str, int]) -> str:
        return f"/api/v1/orgs/{slug}/" + self.path.format(**ids)

    def __str__(self) -> str:
        return f"{self.method} {self.path or '/'}"


def _skill(ids: dict[str, int]) -> dict[str, Any]:
    return {"name": "Kotlin", "kind": "technical"}


ENDPOINTS = [
    Endpoint("get", "", Role.MEMBER),
    Endpoint("get", "members/", Role.MEMBER),
    Endpoint("get", "audit-events/", Role.HR),
    Endpoint("get", "skills/", Role.MEMBER),
    Endpoint("post", "skills/", Role.HR, _skill),
    Endpoint("get", "skills/library/", Role.MEMBER),
    Endpoint("post", "skills/library/adopt/", Role.HR, lambda ids: {"library_skills": [1]}),
    Endpoint("get", "skills/{skill_id}/", Role.MEMBER),
    Endpoint("patch", "skills/{skill_id}/", Role.HR, lambda ids: {"description": "Snakes."}),
    Endpoint("get", "scale/", Role.MEMBER),
    Endpoint(
        "post",
        "ratings/",
        Role.MEMBER,
        lambda ids: {"person": ids["person_id"], "skill": ids["skill_id"], "level": 3},
        ("person", "skill"),
    ),
    # "Mark as reviewed" (#16): the caller's own ratings, with nothing to send.
    Endpoint("post", "ratings/review/", Role.MEMBER),
    Endpoint("get", "people/", Role.MEMBER),
    Endpoint(
        "post",
        "people/",
        Role.HR,
        lambda ids: {"name": "New Person", "email": "new@example.com", "teams": [ids["team_id"]]},
        ("teams",),
    ),
    Endpoint("get", "people/{person_id}/", Role.MEMBER),
    Endpoint(
        "patch",
        "people/{person_id}/",
        Role.HR,
        lambda ids: {"manager": ids["manager_id"]},
        ("manager",),
    ),
    Endpoint("get", "people/{person_id}/ratings/", Role.MEMBER),
    Endpoint("get", "people/{person_id}/skills/{skill_id}/history/", Role.MEMBER),
    Endpoint("get", "teams/", Role.MEMBER),
    Endpoint(
        "post",
        "teams/",
        Role.HR,
        lambda ids: {"name": "Data", "parent": ids["team_id"]},
        ("parent",),
    ),
    Endpoint("get", "teams/{team_id}/", Role.MEMBER),
    Endpoint(
        "patch",
        "teams/{team_id}/",
        Role.HR,
        lambda ids: {"managers": [ids["manager_id"]]},
        ("managers",),
    ),
    Endpoint("get", "teams/{team_id}/members/", Role.MEMBER),
    Endpoint(
        "post",
        "teams/{team_id}/members/",
        Role.HR,
        lambda ids: {"person": ids["hr_id"]},
        ("person",),
    ),
    Endpoint("delete", "teams/{team_id}/members/{person_id}/", Role.HR),
    Endpoint("get", "teams/{team_id}/matrix/", Role.MANAGER),
    Endpoint("get", "teams/{team_id}/coverage/", Role.MANAGER),
    Endpoint("get", "teams/{team_id}/what-if/?person={person_id}", Role.MANAGER),
    Endpoint("get", "roles/", Role.MEMBER),
    Endpoint("post", "roles/", Role.HR, lambda ids: {"name": "Data Engineer"}),
    Endpoint("get", "roles/{role_id}/", Role.MEMBER),
    Endpoint(
        "put", "roles/{role_id}/requirements/{skill_id}/", Role.HR, lambda ids: {"target_level": 2}
    ),
    Endpoint("delete", "roles/{role_id}/requirements/{skill_id}/", Role.HR),
    Endpoint("get", "roles/{role_id}/assignments/", Role.MEMBER),
    Endpoint(
        "post",
        "roles/{role_id}/assignments/",
        Role.HR,
        lambda ids: {"person": ids["hr_id"], "kind": "target"},
        ("person",),
    ),
    Endpoint("get", "gap-scores/", Role.MEMBER),
    Endpoint("get", "people/search/?skill={skill_id}&min_level=1", Role.MEMBER),
    Endpoint(
        "post",
        "exports/",
        Role.MANAGER,
        lambda ids: {"format": "csv", "teams": [ids["team_id"]]},
        ("teams",),
    ),
    # Anyone follows their own jobs (HR everyone's); downloads are for managers and up.
    Endpoint("get", "jobs/{job_id}/", Role.MEMBER),
    Endpoint("get", "jobs/{job_id}/download/", Role.MANAGER),
    # Notifications (#16): every member, their own only. {notification_id} is one nobody here
    # holds (see _ids); another member's reads as missing too (tests/notifications/test_api.py).
    Endpoint("get", "notifications/", Role.MEMBER),
    Endpoint("post", "notifications/read-all/", Role.MEMBER),
    Endpoint("post", "notifications/{notification_id}/read/", Role.MEMBER),
    Endpoint("get", "notifications/preferences/", Role.MEMBER),
    Endpoint("put", "notifications/preferences/", Role.MEMBER, lambda ids: {"endorsement": False}),
    # Endorsements (#16): everyone reads and endorses; hiding is the endorsed person's own and
    # withdrawing the endorser's (the services say so). Nobody has endorsed anything here, so a
    # caller let in reads the endorsements named as missing.
    Endpoint("get", "people/{person_id}/endorsements/", Role.MEMBER),
    Endpoint(
        "post",
        "people/{person_id}/endorsements/",
        Role.MEMBER,
        lambda ids: {"skill": ids["skill_id"], "note": "Knows it well."},
        ("skill",),
    ),
    Endpoint(
        "post",
        "people/{person_id}/endorsements/visibility/",
        Role.MEMBER,
        lambda ids: {"skill": ids["skill_id"], "endorser": ids["manager_id"], "hidden": True},
        ("skill", "endorser"),
    ),
    Endpoint("get", "people/{person_id}/skills/{skill_id}/endorsement/", Role.MEMBER),
    # Certifications: everyone reads and records their own; whose others' one may read follows the
    # reporting line (the selectors), so the lowest role is member throughout.
    Endpoint("get", "certifications/", Role.MEMBER),
    Endpoint("get", "certifications/{certification_id}/", Role.MEMBER),
    Endpoint("get", "certifications/{certification_id}/evidence/", Role.MEMBER),
    Endpoint(
        "post",
        "certifications/",
        Role.MEMBER,
        lambda ids: {
            "person": ids["person_id"],
            "name": "Certified Kubernetes Administrator",
            "issuer": "CNCF",
            "issued_on": "2025-01-01",
            "skills": [ids["skill_id"]],
        },
        ("person", "skills"),
    ),
    Endpoint(
        "patch",
        "certifications/{certification_id}/",
        Role.MEMBER,
        lambda ids: {"issuer": "The Linux Foundation"},
    ),
    Endpoint("delete", "certifications/{certification_id}/", Role.MEMBER),
    Endpoint("delete", "people/{person_id}/skills/{skill_id}/endorsement/", Role.MEMBER),
    # Review campaigns (#16): managers launch for their teams, HR and admins for everyone; every
    # member reads their own to-dos.
    Endpoint("get", "campaigns/", Role.MANAGER),
    Endpoint(
        "post",
        "campaigns/",
        Role.MANAGER,
        lambda ids: {"name": "Spring review", "due_on": "2099-06-30", "teams": [ids["team_id"]]},
        ("teams",),
    ),
    Endpoint("get", "campaigns/mine/", Role.MEMBER),
    Endpoint("get", "campaigns/{campaign_id}/", Role.MANAGER),
    Endpoint("post", "campaigns/{campaign_id}/close/", Role.MANAGER),
    # Verified domains (#15): admins only (identity.manage).
    Endpoint("get", "domains/", Role.ADMIN),
    Endpoint("post", "domains/", Role.ADMIN, lambda ids: {"name": "new-claim.example"}),
    Endpoint("get", "domains/{domain_id}/", Role.ADMIN),
    Endpoint("delete", "domains/{domain_id}/", Role.ADMIN),
    Endpoint("post", "domains/{domain_id}/verify/", Role.ADMIN),
    # SCIM tokens (#15): admins only (identity.manage).
    Endpoint("get", "scim-tokens/", Role.ADMIN),
    Endpoint("post", "scim-tokens/", Role.ADMIN, lambda ids: {"name": "Okta"}),
    Endpoint("get", "scim-tokens/{scim_token_id}/", Role.ADMIN),
    Endpoint("post", "scim-tokens/{scim_token_id}/revoke/", Role.ADMIN),
    # Single sign-on (#15): admins only (identity.manage); the client secret is write-only.
    Endpoint("get", "sso/", Role.ADMIN),
    Endpoint(
        "put",
        "sso/",
        Role.ADMIN,
        lambda ids: {
            "protocol": "oidc",
            "oidc_issuer": "https://login.example.com",
            "oidc_client_id": "skillsmap",
            "oidc_client_secret": "api-secret",
        },
    ),
    Endpoint("patch", "sso/", Role.ADMIN, lambda ids: {"trust_idp_mfa": True}),
    Endpoint("delete", "sso/", Role.ADMIN),
]


def _ids(furnished: Furnished) -> dict[str, int]:
    people = furnished.world.people
    return {
        **furnished.ids,
        "manager_id": people["manager"].pk,
        "hr_id": people["hr"].pk,
        "notification_id": 987_654,  # notifications are per user: none to share here
    }


def _call(client: Any, endpoint: Endpoint, url: str, body: dict[str, Any] | None = None) -> Any:
    return getattr(client, endpoint.method)(url, body, format="json")


def _audit_counts(*worlds: Furnished) -> list[int]:
    counts = []
    for furnished in worlds:
        with organisation_context(furnished.world.organisation):
            counts.append(AuditEvent.objects.count())
    return counts


def test_the_table_covers_every_organisation_endpoint():
    """A new endpoint must be added here, or this fails: nobody forgets its access tests."""
    from tests.api.test_schema import _schema

    documented = {
        (method, path.removeprefix("/api/v1/orgs/{org_slug}/"))
        for path, methods in _schema()["paths"].items()
        if path.startswith("/api/v1/orgs/")
        for method in methods
    }
    listed = {(e.method, e.path.split("?")[0]) for e in ENDPOINTS}
    documented.discard(("get", "/api/v1/orgs/"))  # the list of organisations, not one of them
    assert documented == listed
    assert get_resolver()  # the URLconf loaded


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_outsider_gets_404(endpoint: Endpoint, alpha: Furnished, outsider: User, api):
    before = _audit_counts(alpha)
    url = endpoint.url(alpha.slug, _ids(alpha))
    response = _call(
        api(outsider), endpoint, url, endpoint.body(_ids(alpha)) if endpoint.body else None
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert _audit_counts(alpha) == before


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.role != Role.MEMBER], ids=str)
def test_the_role_below_gets_403_and_the_role_itself_is_let_in(
    endpoint: Endpoint, alpha: Furnished, api
):
    below = ROLES[ROLES.index(endpoint.role) - 1]
    url = endpoint.url(alpha.slug, _ids(alpha))
    body = endpoint.body(_ids(alpha)) if endpoint.body else None
    before = _audit_counts(alpha)
    refused = _call(api(alpha.world.user(below)), endpoint, url, body)
    assert refused.status_code == 403, refused.content
    assert refused.json()["code"] == "permission_denied"
    assert _audit_counts(alpha) == before
    # Let in past the role check: what follows (a job that is someone else's reads as missing,
    # a duplicate name is a 400) is the endpoint's own business.
    allowed = _call(api(alpha.world.user(endpoint.role)), endpoint, url, body)
    assert allowed.status_code not in (403, 500), allowed.content


WRITES = [e for e in ENDPOINTS if e.body is not None]


@pytest.mark.parametrize("endpoint", WRITES, ids=str)
def test_a_body_cannot_name_the_organisation(
    endpoint: Endpoint, alpha: Furnished, beta: Furnished, api
):
    client = api(alpha.world.admin)
    body = {**endpoint.body(_ids(alpha)), "organisation": beta.world.organisation.pk}
    before = _audit_counts(alpha, beta)
    response = _call(client, endpoint, endpoint.url(alpha.slug, _ids(alpha)), body)
    assert response.status_code == 400
    assert response.json()["errors"] == {"organisation": ["Unknown field: it cannot be set here."]}
    assert _audit_counts(alpha, beta) == before


@pytest.mark.parametrize("endpoint", [e for e in WRITES if e.id_fields], ids=str)
def test_another_organisations_ids_in_a_body_read_like_missing_ones(
    endpoint: Endpoint, alpha: Furnished, beta: Furnished, api
):
    client = api(alpha.world.admin)
    url = endpoint.url(alpha.slug, _ids(alpha))
    valid = endpoint.body(_ids(alpha))
    before = _audit_counts(alpha, beta)
    for name in endpoint.id_fields:
        foreign = {**valid, name: _swap(valid[name], endpoint.body(_ids(beta))[name])}
        missing = {**valid, name: _swap(valid[name], 987_654)}
        foreign_response = _call(client, endpoint, url, foreign)
        missing_response = _call(client, endpoint, url, missing)
        assert foreign_response.status_code == missing_response.status_code == 400
        assert foreign_response.json() == missing_response.json()
        # A list's errors are keyed by position ("teams.0").
        assert any(key.split(".")[0] == name for key in foreign_response.json()["errors"])
        assert "BRAVO" not in foreign_response.content.decode()
    assert _audit_counts(alpha, beta) == before


def _swap(current: Any, replacement: Any) -> Any:
    if isinstance(current, list):
        return replacement if isinstance(replacement, list) else [replacement]
    return replacement[0] if isinstance(replacement, list) else replacement
