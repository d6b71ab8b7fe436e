"""The endorsements API: list what the caller may read, endorse, hide and show, withdraw; another
organisation's ids read as missing, and refusals write nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from skillsmap.core.tenancy import organisation_context
from tests.endorsements.conftest import add_colleague, endorsements_of
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(db):
    def _client(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _client


def _list_url(person) -> str:
    return f"/api/v1/orgs/alpha/people/{person.pk}/endorsements/"


def _own_url(person, skill, slug="alpha") -> str:
    return f"/api/v1/orgs/{slug}/people/{person.pk}/skills/{skill.pk}/endorsement/"


def _visibility(client, person, skill, endorser, hidden: bool, slug="alpha"):
    return client.post(
        f"/api/v1/orgs/{slug}/people/{person.pk}/endorsements/visibility/",
        {"skill": skill.pk, "endorser": endorser.pk, "hidden": hidden},
        format="json",
    )


def _audit_count(world) -> int:
    with organisation_context(world.organisation):
        return AuditEvent.objects.count()


def test_a_colleague_endorses_through_the_api(org_a, colleague, python, api):
    member = org_a.people["member"]
    response = api(colleague).post(
        _list_url(member), {"skill": python.pk, "note": "Clean code."}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["skill"] == {"id": python.pk, "name": "Python"}
    assert body["endorser"]["name"] == "Cleo Colleague"
    assert body["person"]["id"] == member.pk and body["note"] == "Clean code."
    assert body["hidden"] is None  # only the endorsed person is told
    assert len(endorsements_of(org_a)) == 1


def test_the_list_shows_each_caller_what_the_pages_show(org_a, colleague, python, endorse, api):
    member = org_a.people["member"]
    hidden = endorse(org_a, colleague, member, python, "Hidden note.")
    endorse(org_a, org_a.hr, member, python, "Visible note.")
    assert _visibility(api(org_a.member), member, python, hidden.endorser, True).status_code == 200
    own = api(org_a.member).get(_list_url(member)).json()
    assert [(e["note"], e["hidden"]) for e in own] == [
        ("Visible note.", False),
        ("Hidden note.", True),
    ]
    manager = api(org_a.manager).get(_list_url(member)).json()
    assert [e["note"] for e in manager] == ["Visible note."]
    # The endorser still sees their own (and is not told it is hidden).
    theirs = api(colleague).get(_list_url(member)).json()
    assert [(e["note"], e["hidden"]) for e in theirs] == [("Hidden note.", None)]
    other = add_colleague(org_a, "Otto Other")
    assert api(other).get(_list_url(member)).json() == []


def test_self_endorsement_and_bad_input_are_400_and_nothing_is_written(org_a, org_b, python, api):
    member = org_a.people["member"]
    client = api(org_a.member)
    before = _audit_count(org_a)
    refused = client.post(_list_url(member), {"skill": python.pk}, format="json")
    assert refused.status_code == 400
    assert refused.json()["detail"] == "You cannot endorse yourself."
    manager = api(org_a.manager)
    foreign = SkillFactory(organisation=org_b.organisation)
    for body, field, message in [
        ({"skill": foreign.pk}, "skill", "No skill with this id."),
        ({"skill": 987_654}, "skill", "No skill with this id."),
        ({"skill": python.pk, "note": "x" * 501}, "note", None),
        ({"skill": python.pk, "organisation": org_b.organisation.pk}, "organisation", None),
        ({}, "skill", None),
    ]:
        response = manager.post(_list_url(member), body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["errors"], response.json()
        if message:
            assert response.json()["errors"][field] == [message]
    assert endorsements_of(org_a) == [] and endorsements_of(org_b) == []
    assert _audit_count(org_a) == before


def test_another_organisations_person_and_endorsement_are_404(org_a, org_b, python, endorse, api):
    their_skill = SkillFactory(organisation=org_b.organisation)
    theirs = endorse(org_b, org_b.manager, org_b.people["member"], their_skill)
    client = api(org_a.hr)
    foreign_person = org_b.people["member"]
    assert client.get(_list_url(foreign_person)).status_code == 404
    response = client.post(_list_url(foreign_person), {"skill": python.pk}, format="json")
    assert response.status_code == 404
    for method in ("get", "delete"):
        response = getattr(client, method)(_own_url(foreign_person, their_skill))
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "code": "not_found"}
    # Their member hides nothing here: their ids in the body read as missing ones.
    response = _visibility(
        api(org_a.member), org_a.people["member"], their_skill, theirs.endorser, True
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "skill": ["No skill with this id."],
        "endorser": ["No person with this id."],
    }
    response = _visibility(api(org_a.member), org_a.people["member"], python, theirs.endorser, True)
    assert response.json()["errors"] == {"endorser": ["No person with this id."]}
    assert endorsements_of(org_a) == []
    assert len(endorsements_of(org_b)) == 1 and not endorsements_of(org_b)[0].hidden


def test_hide_and_withdraw_are_the_persons_and_the_endorsers_own(
    org_a, colleague, python, endorse, api
):
    member = org_a.people["member"]
    endorsement = endorse(org_a, colleague, member, python)
    endorser = endorsement.endorser
    assert api(colleague).get(_own_url(member, python)).json()["id"] == endorsement.pk
    # The manager reads it in the list but has no endorsement of their own to read or withdraw.
    assert api(org_a.manager).get(_own_url(member, python)).status_code == 404
    assert api(org_a.manager).delete(_own_url(member, python)).status_code == 404
    refused = _visibility(api(org_a.manager), member, python, endorser, True)
    assert refused.status_code == 400
    assert refused.json()["detail"] == "Only the person endorsed can hide or show an endorsement."
    hidden = _visibility(api(org_a.member), member, python, endorser, True)
    assert hidden.status_code == 200 and hidden.json()["hidden"] is True
    # Hidden, it is gone from the manager's list; the endorser still has it, and withdraws it.
    assert api(org_a.manager).get(_list_url(member)).json() == []
    shown = _visibility(api(org_a.member), member, python, endorser, False)
    assert shown.json()["hidden"] is False
    assert api(colleague).delete(_own_url(member, python)).status_code == 204
    assert endorsements_of(org_a) == []
    assert api(colleague).delete(_own_url(member, python)).status_code == 404
    assert _visibility(api(org_a.member), member, python, endorser, True).status_code == 404


def test_the_api_refuses_an_endorsement_over_the_hourly_limit_and_writes_nothing(
    org_a, colleague, api, settings
):
    settings.ENDORSEMENTS_PER_HOUR = 2
    member = org_a.people["member"]
    skills = [SkillFactory(organisation=org_a.organisation) for _ in range(3)]
    client = api(colleague)
    for skill in skills[:2]:
        assert client.post(_list_url(member), {"skill": skill.pk}, format="json").status_code == 201
    audits = _audit_count(org_a)
    refused = client.post(_list_url(member), {"skill": skills[2].pk}, format="json")
    assert refused.status_code == 400
    assert "2 endorsements in the last hour" in str(refused.json())
    assert len(endorsements_of(org_a)) == 2
    assert _audit_count(org_a) == audits
