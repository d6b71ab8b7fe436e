"""Who sees and records whose certifications, on the pages and in the API: one's own; a manager
also their reports'; HR and admins everyone's. A peer's, another organisation's and a missing
certification are the same 404, and so is the evidence download of any of them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.certifications.conftest import (
    PDF,
    audits,
    certifications_of,
    days,
    pdf,
    record,
)
from tests.endorsements.conftest import add_colleague
from tests.factories import CertificationFactory

pytestmark = pytest.mark.django_db

MISSING = 987_654


@pytest.fixture
def api(db):
    def _client(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _client


def _url(name: str, slug: str = "alpha", **kwargs: int) -> str:
    return reverse(f"certifications:{name}", kwargs={"org_slug": slug, **kwargs})


@pytest.fixture
def members_cert(org_a, media):
    return record(org_a, org_a.member, org_a.people["member"], name="Member's CKA", evidence=pdf())


@pytest.fixture
def hrs_cert(org_a):
    return record(org_a, org_a.hr, org_a.people["hr"], name="HR's CIPD")


@pytest.fixture
def foreign_cert(org_b):
    return CertificationFactory(
        organisation=org_b.organisation, person=org_b.people["member"], name="BRAVO secret"
    )


@pytest.mark.parametrize("role", ["member", "manager", "hr", "admin"])
def test_who_may_open_the_members_certifications_page(org_a, login, members_cert, role):
    response = login(org_a.user(role)).get(
        _url("person_certifications", person_id=org_a.people["member"].pk)
    )
    if role == "member":  # their own page lives at "My certifications"
        assert response.status_code == 302
        assert response["Location"] == _url("my_certifications")
        return
    assert response.status_code == 200
    assert "Member&#x27;s CKA" in response.content.decode()


def test_a_member_cannot_see_a_peers_certifications(org_a, login, hrs_cert):
    client = login(org_a.member)
    hr = org_a.people["hr"]
    for url in (
        _url("person_certifications", person_id=hr.pk),
        _url("certification_create", person_id=hr.pk),
        _url("certification_update", certification_id=hrs_cert.pk),
        _url("certification_evidence", certification_id=hrs_cert.pk),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(_url("certification_delete", certification_id=hrs_cert.pk)).status_code == 404
    )
    assert (
        client.post(
            _url("certification_create", person_id=hr.pk),
            {"name": "x", "issuer": "y", "issued_on": "2025-01-01"},
        ).status_code
        == 404
    )
    assert [c.name for c in certifications_of(org_a)] == ["HR's CIPD"]


def test_a_manager_cannot_see_hrs_certifications(org_a, login, hrs_cert):
    client = login(org_a.manager)
    assert (
        client.get(_url("person_certifications", person_id=org_a.people["hr"].pk)).status_code
        == 404
    )
    assert client.get(_url("certification_update", certification_id=hrs_cert.pk)).status_code == 404


def test_the_manager_records_a_certification_of_their_report_on_the_page(org_a, login):
    member = org_a.people["member"]
    response = login(org_a.manager).post(
        _url("certification_create", person_id=member.pk),
        {"name": "PMP", "issuer": "PMI", "issued_on": days(-5).isoformat()},
    )
    assert response.status_code == 302
    assert response["Location"] == _url("person_certifications", person_id=member.pk)
    [row] = certifications_of(org_a)
    assert row.person == member and row.created_by == org_a.manager


def test_my_certifications_lists_only_ones_own(org_a, login, members_cert, hrs_cert):
    html = login(org_a.member).get(_url("my_certifications")).content.decode()
    assert "Member&#x27;s CKA" in html and "CIPD" not in html


def test_another_organisations_ids_are_404_on_every_page_and_nothing_is_written(
    org_a, org_b, login, foreign_cert
):
    client = login(org_a.admin)
    foreign_person = org_b.people["member"].pk
    for person_id in (foreign_person, MISSING):
        for name in ("person_certifications", "certification_create"):
            response = client.get(_url(name, person_id=person_id))
            assert response.status_code == 404
            assert "BRAVO" not in response.content.decode()
        assert (
            client.post(
                _url("certification_create", person_id=person_id),
                {"name": "x", "issuer": "y", "issued_on": "2025-01-01"},
            ).status_code
            == 404
        )
    for certification_id in (foreign_cert.pk, MISSING):
        for name in ("certification_update", "certification_evidence"):
            response = client.get(_url(name, certification_id=certification_id))
            assert response.status_code == 404
            assert "BRAVO" not in response.content.decode()
        assert (
            client.post(
                _url("certification_update", certification_id=certification_id),
                {"name": "x", "issuer": "y", "issued_on": "2025-01-01"},
            ).status_code
            == 404
        )
        assert (
            client.post(_url("certification_delete", certification_id=certification_id)).status_code
            == 404
        )
        assert (
            client.post(
                _url("certification_evidence", certification_id=certification_id)
            ).status_code
            == 404
        )
    assert [c.name for c in certifications_of(org_b)] == ["BRAVO secret"]
    assert certifications_of(org_a) == [] and audits(org_b) == []


def test_an_outsider_gets_404_on_every_certification_page(org_a, outsider, login, hrs_cert):
    client = login(outsider)
    for url in (
        _url("my_certifications"),
        _url("expiry_list"),
        _url("certifications_import"),
        _url("person_certifications", person_id=org_a.people["hr"].pk),
        _url("certification_update", certification_id=hrs_cert.pk),
        _url("certification_evidence", certification_id=hrs_cert.pk),
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("role", ["member", "manager", "hr", "admin"])
def test_the_evidence_is_downloaded_by_those_who_may_see_it_and_audited(
    org_a, login, members_cert, role
):
    response = login(org_a.user(role)).get(
        _url("certification_evidence", certification_id=members_cert.pk)
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="scan.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    [event] = audits(org_a, "certification.evidence")
    assert event.actor == org_a.user(role)


def test_a_colleague_and_a_certification_without_a_file_get_404_for_evidence(
    org_a, login, members_cert, hrs_cert
):
    # No file on HR's certification: the same 404 as a missing one, even for HR.
    assert (
        login(org_a.hr)
        .get(_url("certification_evidence", certification_id=hrs_cert.pk))
        .status_code
        == 404
    )
    colleague = add_colleague(org_a)  # a member who is not the member's manager
    assert (
        login(colleague)
        .get(_url("certification_evidence", certification_id=members_cert.pk))
        .status_code
        == 404
    )
    assert audits(org_a, "certification.evidence") == []


# --- The API ---------------------------------------------------------------------------------


def _api(path: str = "", slug: str = "alpha") -> str:
    return f"/api/v1/orgs/{slug}/certifications/{path}"


def test_the_api_lists_what_the_caller_may_see(org_a, api, members_cert, hrs_cert):
    def names(user) -> list[str]:
        response = api(user).get(_api())
        assert response.status_code == 200
        return sorted(row["name"] for row in response.json()["results"])

    assert names(org_a.member) == ["Member's CKA"]
    assert names(org_a.manager) == ["Member's CKA"]
    assert names(org_a.hr) == ["HR's CIPD", "Member's CKA"]
    [row] = api(org_a.member).get(_api()).json()["results"]
    assert row["evidence_file"] == f"/api/v1/orgs/alpha/certifications/{members_cert.pk}/evidence/"
    assert row["person"] == org_a.people["member"].pk and row["status"] == "valid"


def test_the_api_filters_by_person_and_refuses_a_person_one_may_not_see(
    org_a, api, members_cert, hrs_cert
):
    hr = org_a.people["hr"].pk
    assert api(org_a.member).get(_api(), {"person": hr}).status_code == 404
    [row] = api(org_a.admin).get(_api(), {"person": hr}).json()["results"]
    assert row["name"] == "HR's CIPD"


def test_the_api_records_changes_and_deletes_ones_own(org_a, api, python):
    client = api(org_a.member)
    created = client.post(
        _api(),
        {
            "person": org_a.people["member"].pk,
            "name": "AWS SAA",
            "issuer": "Amazon",
            "issued_on": days(-1).isoformat(),
            "expires_on": days(30).isoformat(),
            "skills": [python.pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "expiring" and body["days_left"] == 30
    assert body["skills"] == [{"id": python.pk, "name": "Python"}]
    changed = client.patch(_api(f"{body['id']}/"), {"issuer": "AWS"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["issuer"] == "AWS" and changed.json()["skills"] == body["skills"]
    assert client.delete(_api(f"{body['id']}/")).status_code == 204
    assert certifications_of(org_a) == []
    assert [e.verb for e in audits(org_a)] == [
        "certification.created",
        "certification.updated",
        "certification.deleted",
    ]


def test_the_api_refuses_recording_for_a_peer(org_a, api):
    response = api(org_a.member).post(
        _api(),
        {"person": org_a.people["hr"].pk, "name": "X", "issuer": "Y", "issued_on": "2025-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "person" in response.json()["errors"]
    assert certifications_of(org_a) == []


def test_the_api_reads_a_peers_another_organisations_and_a_missing_certification_alike(
    org_a, api, hrs_cert, foreign_cert
):
    client = api(org_a.member)
    answers = []
    for certification_id in (hrs_cert.pk, foreign_cert.pk, MISSING):
        for method, path in (
            ("get", f"{certification_id}/"),
            ("patch", f"{certification_id}/"),
            ("delete", f"{certification_id}/"),
            ("get", f"{certification_id}/evidence/"),
        ):
            response = getattr(client, method)(_api(path), {"name": "Changed"}, format="json")
            assert response.status_code == 404
            answers.append(response.json())
    assert all(answer == answers[0] for answer in answers)
    assert [c.name for c in certifications_of(org_a)] == ["HR's CIPD"]


def test_the_api_refuses_another_organisations_person_or_skill_like_missing_ones(org_a, org_b, api):
    from tests.skills.factories import SkillFactory

    foreign_skill = SkillFactory(organisation=org_b.organisation, name="BRAVO skill")
    client = api(org_a.admin)
    valid = {"person": org_a.people["member"].pk, "name": "X", "issuer": "Y",
             "issued_on": "2025-01-01"}  # fmt: skip
    for field, foreign, missing in (
        ("person", org_b.people["member"].pk, MISSING),
        ("skills", [foreign_skill.pk], [MISSING]),
    ):
        one = client.post(_api(), {**valid, field: foreign}, format="json")
        other = client.post(_api(), {**valid, field: missing}, format="json")
        assert one.status_code == other.status_code == 400
        assert one.json() == other.json()
    assert certifications_of(org_a) == [] and certifications_of(org_b) == []


def test_the_api_evidence_download(org_a, api, members_cert):
    response = api(org_a.manager).get(_api(f"{members_cert.pk}/evidence/"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="scan.pdf"'


def test_the_certification_pages_run_the_same_statements_for_one_or_five(
    org_a, login, python, kubernetes
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member = org_a.people["member"]
    # The member's own list, and the member's list as their manager reads it.
    pages = [
        (org_a.member, _url("my_certifications")),
        (org_a.manager, _url("person_certifications", person_id=member.pk)),
    ]

    def statements():
        counts = []
        for user, url in pages:
            client = login(user)
            client.get(url)  # a first visit may write (the session); the count is of the next
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            assert response.status_code == 200
            counts.append(len(captured.captured_queries))
        return counts, response.content.decode()

    record(org_a, org_a.member, member, name="Cert 0", expires_on=days(20), skills=[python])
    one, _ = statements()
    for n in range(1, 5):
        record(org_a, org_a.member, member, name=f"Cert {n}", skills=[python, kubernetes])
    five, page = statements()
    assert five == one
    assert "Cert 4" in page and "Kubernetes" in page
