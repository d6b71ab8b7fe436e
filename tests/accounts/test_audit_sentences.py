"""Item 15 of #13: every kind of audit event reads as a sentence, rendered in one place."""

import re
from pathlib import Path

import pytest

from accounts.audit import EVENT_KINDS, audit_sentence
from accounts.models import AuditEvent, User

ROOT = Path(__file__).resolve().parents[2]
ANA = User(pk=1, email="ana@example.com", name="Ana")


def _event(verb, target="", before=None, after=None, actor=ANA) -> AuditEvent:
    event = AuditEvent(verb=verb, target_repr=target, before=before, after=after)
    if actor is not None:
        event.actor = actor
    return event


# One row per kind the code writes: the event as its service records it, and what it must say.
CASES = [
    # SCIM provisioning (#15): the actor is the creator of the directory's token.
    (
        "scim_token.created",
        "Entra ID",
        None,
        {"name": "Entra ID", "prefix": "ab12cd34"},
        "Ana created the SCIM token Entra ID",
    ),
    (
        "scim_token.revoked",
        "Entra ID",
        {"status": "active"},
        {"name": "Entra ID", "status": "revoked"},
        "Ana revoked the SCIM token Entra ID; the directory can no longer provision through SCIM",
    ),
    (
        "scim.settings_updated",
        "SCIM settings of 1",
        {"department_to_team": False},
        {"department_to_team": True},
        "Ana turned on SCIM's mapping of departments to teams",
    ),
    (
        "scim.user_created",
        "bo@example.com",
        None,
        {"email": "bo@example.com", "external_id": "e-1"},
        "Ana, through SCIM, provisioned bo@example.com",
    ),
    (
        "scim.user_updated",
        "bo@example.com",
        {"title": "Engineer"},
        {"title": "Lead"},
        "Ana, through SCIM, updated bo@example.com: title from Engineer to Lead",
    ),
    (
        "scim.user_deactivated",
        "bo@example.com",
        {"active": True},
        {"active": False, "email": "bo@example.com"},
        "Ana, through SCIM, deprovisioned bo@example.com; their ratings are kept",
    ),
    (
        "scim.user_reactivated",
        "bo@example.com",
        {"active": False},
        {"active": True, "email": "bo@example.com"},
        "Ana, through SCIM, reactivated bo@example.com",
    ),
    (
        "scim.group_created",
        "SCIM group 3",
        None,
        {"name": "Web", "members": ["bo@example.com"]},
        "Ana, through SCIM, created the group Web as a team",
    ),
    (
        "scim.group_updated",
        "SCIM group 3",
        {"members": []},
        {"name": "Web", "members": ["bo@example.com"]},
        "Ana, through SCIM, updated the group Web: members from nothing to bo@example.com",
    ),
    (
        "scim.group_deleted",
        "SCIM group 3",
        None,
        {"name": "Web"},
        "Ana, through SCIM, deleted the group Web; the team stays",
    ),
    (
        "organisation.created",
        "Acme",
        None,
        {"name": "Acme", "slug": "acme"},
        "Ana created the organisation Acme",
    ),
    (
        "membership.created",
        "Ana (Admin)",
        None,
        {"user": "ana@example.com", "role": "admin"},
        "Ana joined as Admin",
    ),
    (
        "membership.rejoined",
        "Ana (Member)",
        {"role": "member", "is_active": False},
        {"user": "ana@example.com", "role": "member", "invitation": 4},
        "Ana rejoined through an invitation, as Member",
    ),
    (
        "membership.role_changed",
        "Bo (Manager)",
        {"role": "member"},
        {"role": "manager"},
        "Ana changed Bo's role from Member to Manager",
    ),
    (
        "membership.deactivated",
        "Bo (Member)",
        {"is_active": True},
        {"is_active": False},
        "Ana deactivated Bo",
    ),
    (
        "membership.reactivated",
        "Bo (Member)",
        {"is_active": False},
        {"is_active": True},
        "Ana reactivated Bo",
    ),
    (
        "invitation.created",
        "Invitation for cy@example.com",
        None,
        {"email": "cy@example.com", "role": "hr"},
        "Ana invited cy@example.com as HR",
    ),
    (
        "invitation.resent",
        "Invitation for cy@example.com",
        {"expires_at": "2026-01-01T10:00:00+00:00"},
        {"email": "cy@example.com", "expires_at": "2026-01-15T10:00:00+00:00"},
        "Ana resent the invitation to cy@example.com with a new link, valid until 15 Jan 2026",
    ),
    (
        "invitation.revoked",
        "Invitation for cy@example.com",
        {"status": "pending"},
        {"status": "revoked"},
        "Ana revoked the invitation for cy@example.com",
    ),
    (
        "person.created",
        "Bo",
        None,
        {"name": "Bo", "email": "bo@example.com", "teams": []},
        "Ana added Bo to the people directory",
    ),
    (
        "person.linked",
        "Bo",
        None,
        {"email": "bo@example.com", "user": "bo@example.com"},
        "Ana signed in and was linked to the person Bo",
    ),
    (
        "person.updated",
        "Bo",
        {"job_title": "Engineer"},
        {"job_title": "Lead"},
        "Ana changed Bo: job title from Engineer to Lead",
    ),
    (
        "person.teams_changed",
        "Bo",
        {"teams": ["Core"]},
        {"teams": ["Core", "Web"]},
        "Ana changed Bo's teams from Core to Core, Web",
    ),
    (
        "team.created",
        "Web",
        None,
        {"name": "Web", "parent": "Engineering"},
        "Ana created the team Web under Engineering",
    ),
    (
        "team.updated",
        "Web",
        {"name": "Web", "parent": None, "managers": []},
        {"name": "Web", "parent": None, "managers": ["Bo"]},
        "Ana changed the team Web: managers from nothing to Bo",
    ),
    (
        "people.imported",
        "People import (Succeeded)",
        None,
        {"filename": "people.csv", "created": 3, "updated": 1},
        "Ana imported people from people.csv: 3 created, 1 updated",
    ),
    (
        "skill.created",
        "Python",
        None,
        {"name": "Python", "kind": "technology"},
        "Ana added the skill Python to the framework",
    ),
    (
        "skill.updated",
        "Python",
        {"name": "Pyhton"},
        {"name": "Python"},
        "Ana changed the skill Python: name from Pyhton to Python",
    ),
    (
        "skill.adopted",
        "Python",
        None,
        {"name": "Python", "source": "onet"},
        "Ana adopted the skill Python from the O*NET library",
    ),
    (
        "skill.merged",
        "Py",
        {"name": "Py"},
        {"into": 3, "into_name": "Python"},
        "Ana merged the skill Py into Python",
    ),
    (
        "skill.archived",
        "COBOL",
        {"is_archived": False},
        {"is_archived": True},
        "Ana archived the skill COBOL",
    ),
    (
        "skill.unarchived",
        "COBOL",
        {"is_archived": True},
        {"is_archived": False},
        "Ana restored the archived skill COBOL",
    ),
    (
        "skill.descriptors_updated",
        "Python",
        {"2": None, "3": "old"},
        {"2": "new", "3": "newer"},
        "Ana changed the level descriptions of Python (levels 2, 3)",
    ),
    (
        "scale.updated",
        "Acme",
        {"2": {"name": "Basic", "description": ""}},
        {"2": {"name": "Working", "description": ""}},
        "Ana changed the proficiency scale: level 2 from Basic to Working",
    ),
    (
        "rating.created",
        "Bo · Python: 3 (manager)",
        {"level": 2, "validated": False},
        {"level": 3, "source": "manager", "interest": False},
        "Ana validated Bo's Python at 3 (was 2)",
    ),
    (
        "profile_skill.added",
        "ProfileSkill object (1)",
        None,
        {"person": 1, "skill": "Python"},
        "Ana added Python to a skill profile",
    ),
    (
        "profile_skill.removed",
        "ProfileSkill object (1)",
        {"person": 1, "skill": "Python"},
        None,
        "Ana removed Python from a skill profile",
    ),
    (
        "profile_skill.added_for_roles",
        "Bo",
        None,
        {"skills": ["Python", "SQL"]},
        "Ana added the skills of Bo's roles to their profile: Python, SQL",
    ),
    (
        "ratings.imported",
        "Ratings import (Succeeded)",
        None,
        {"filename": "r.csv", "created": 10, "unchanged": 2},
        "Ana imported ratings from r.csv: 10 new, 2 unchanged",
    ),
    (
        "ratings.reviewed",
        "Ana",
        None,
        {"confirmed": 12},
        "Ana confirmed 12 ratings as reviewed",
    ),
    (
        "role.created",
        "Backend Engineer",
        None,
        {"name": "Backend Engineer"},
        "Ana created the role profile Backend Engineer",
    ),
    (
        "role.requirement_set",
        "Backend Engineer",
        {"target": 2, "importance": 3, "weight": "1"},
        {"skill": "Python", "target": 3, "importance": 3, "weight": "1"},
        "Ana set Backend Engineer to require Python at level 3 (was level 2)",
    ),
    (
        "role.requirement_removed",
        "Backend Engineer",
        {"skill": "Python", "target": 3},
        None,
        "Ana removed Python from the role profile Backend Engineer",
    ),
    (
        "role.assigned",
        "Bo",
        {"role": "Backend Engineer"},
        {"role": "Tech Lead", "kind": "target"},
        "Ana gave Bo the target role Tech Lead (was Backend Engineer)",
    ),
    (
        "report.exported",
        "Export (Succeeded)",
        None,
        {"scope": "teams", "team_ids": [1], "teams": ["Web"], "format": "csv", "rows": 12},
        "Ana exported a CSV report of teams Web (12 rows)",
    ),
    (
        "campaign.launched",
        "Q3 review",
        None,
        {"name": "Q3 review", "due_on": "2026-07-01", "participants": 12, "skills_asked": 90},
        "Ana launched the review campaign Q3 review, asking 12 people by 1 Jul 2026",
    ),
    (
        "campaign.closed",
        "Q3 review",
        None,
        {"name": "Q3 review", "automatically": False, "completed": 9, "participants": 12},
        "Ana closed the review campaign Q3 review (9 of 12 completed)",
    ),
    (
        "demo.seeded",
        "Acme",
        None,
        {"ratings": 40},
        "Ana filled the organisation with demo data (40 ratings)",
    ),
    (
        "sso.saml_metadata_fetched",
        "SAML 2.0 for organisation 1",
        None,
        {"url": "https://idp.example.com/metadata"},
        "Ana stored new SAML metadata fetched from https://idp.example.com/metadata",
    ),
    (
        "sso.saml_metadata_fetch_failed",
        "SAML 2.0 for organisation 1",
        None,
        {"url": "https://idp.example.com/metadata", "error": "The metadata URL answered HTTP 404."},
        "Ana could not fetch the SAML metadata from https://idp.example.com/metadata (The "
        "metadata URL answered HTTP 404.); the last good metadata stays in use",
    ),
]


@pytest.mark.parametrize(("verb", "target", "before", "after", "sentence"), CASES)
def test_each_event_kind_reads_as_a_sentence(verb, target, before, after, sentence):
    assert audit_sentence(_event(verb, target, before, after)) == sentence


def test_a_self_rating_reads_as_rating_ones_own_skill():
    event = _event(
        "rating.created",
        "Ana · Python: 4 (self)",
        {"level": None},
        {"level": 4, "source": "self", "interest": True},
    )
    assert audit_sentence(event) == "Ana rated their own Python 4"


def test_an_event_without_an_actor_is_the_systems():
    event = _event("skill.archived", "COBOL", actor=None)
    assert audit_sentence(event) == "The system archived the skill COBOL"


def test_an_unknown_kind_or_an_odd_shape_still_reads():
    assert audit_sentence(_event("team.deleted", "Web")) == "Ana: team deleted Web"
    odd = _event("membership.role_changed", "Bo (Member)", before=["member"], after="manager")
    assert audit_sentence(odd) == "Ana changed Bo's role from nothing to nothing"


def test_every_kind_the_code_writes_has_a_sentence():
    """Grep the apps for the verbs they record, so that a new kind cannot ship as a code."""
    written = set()
    for app in (
        "accounts", "notifications", "domains", "teams", "sso", "scim", "skills",
        "certifications", "endorsements", "roles", "reports", "reviews", "skillsmap",
    ):  # fmt: skip
        for path in (ROOT / app).rglob("*.py"):
            written |= set(re.findall(r'verb=\s*"([a-z_]+\.[a-z_]+)"', path.read_text()))
            written |= set(re.findall(r'"([a-z_]+\.[a-z_]+)" if \w+ else "', path.read_text()))
            written |= set(
                re.findall(r'(?:if \w+ else|verb = )\s*"([a-z_]+\.[a-z_]+)"', path.read_text())
            )
    assert {"membership.role_changed", "person.linked", "skill.unarchived"} <= written
    assert written - set(EVENT_KINDS) == set()
