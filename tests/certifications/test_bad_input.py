"""Bad input is a clear error on its field and writes nothing, in the service, on the page and in
the API alike: an expiry date before the issue date, an evidence file over the size limit or of
the wrong type (read from its content, whatever its name says), and no file left in storage."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from certifications import services
from skillsmap.core.tenancy import organisation_context
from tests.certifications.conftest import (
    PDF,
    audits,
    certifications_of,
    days,
    pdf,
    record,
    reload,
    stored_files,
)

pytestmark = pytest.mark.django_db

EXPIRY_MESSAGE = "The expiry date cannot be before the issue date."


def _new_url(world, person) -> str:
    return reverse(
        "certifications:certification_create",
        kwargs={"org_slug": world.organisation.slug, "person_id": person.pk},
    )


def _form(**overrides):
    return {
        "name": "AWS Solutions Architect",
        "issuer": "Amazon Web Services",
        "issued_on": days(-100).isoformat(),
        "expires_on": days(900).isoformat(),
        **overrides,
    }


@pytest.fixture
def api(db):
    def _client(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _client


def test_the_service_refuses_an_expiry_before_the_issue_date(org_a):
    with pytest.raises(services.CertificationError) as refused:
        record(
            org_a, org_a.member, org_a.people["member"], issued_on=days(-10), expires_on=days(-11)
        )
    assert refused.value.message_dict == {"expires_on": [EXPIRY_MESSAGE]}
    assert certifications_of(org_a) == [] and audits(org_a) == []


def test_an_expiry_on_the_issue_day_is_allowed(org_a):
    record(org_a, org_a.member, org_a.people["member"], issued_on=days(-10), expires_on=days(-10))
    assert len(certifications_of(org_a)) == 1


def test_the_service_reports_every_problem_at_once(org_a, media, settings):
    settings.CERTIFICATION_EVIDENCE_MAX_BYTES = 10
    with pytest.raises(services.CertificationError) as refused:
        record(
            org_a,
            org_a.member,
            org_a.people["member"],
            name=" ",
            issuer="",
            issued_on=days(1),
            evidence_url="javascript:alert(1)",
            evidence=pdf(),
        )
    assert set(refused.value.message_dict) == {
        "name",
        "issuer",
        "issued_on",
        "evidence_url",
        "evidence",
    }
    assert certifications_of(org_a) == [] and stored_files(media) == []


def test_an_update_with_expiry_before_issue_changes_nothing(org_a):
    certification = record(org_a, org_a.member, org_a.people["member"], expires_on=days(30))
    with organisation_context(org_a.organisation), pytest.raises(services.CertificationError):
        services.certification_update(
            certification=reload(org_a, certification),
            by=org_a.member,
            name="Renamed",
            issuer="CNCF",
            issued_on=days(-10),
            expires_on=days(-20),
        )
    row = reload(org_a, certification)
    assert (row.name, row.expires_on) == ("Certified Kubernetes Administrator", days(30))
    assert len(audits(org_a)) == 1


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (pdf("big.pdf", PDF + b"0" * 2048), "larger than 1 KB"),
        (pdf("script.pdf", b"#!/bin/sh\nrm -rf /\n"), "PDF, PNG or JPEG"),
        (pdf("page.pdf", b"<html><script>alert(1)</script></html>"), "PDF, PNG or JPEG"),
        (pdf("empty.pdf", b""), "empty"),
    ],
    ids=["too-big", "script-named-pdf", "html", "empty"],
)
def test_the_service_refuses_a_bad_evidence_file_and_stores_nothing(
    org_a, media, settings, upload, message
):
    settings.CERTIFICATION_EVIDENCE_MAX_BYTES = 1024
    with pytest.raises(services.CertificationError) as refused:
        record(org_a, org_a.member, org_a.people["member"], evidence=upload)
    assert list(refused.value.message_dict) == ["evidence"]
    assert message in refused.value.message_dict["evidence"][0]
    assert certifications_of(org_a) == [] and audits(org_a) == []
    assert stored_files(media) == []


def test_a_bad_replacement_file_keeps_the_old_one(org_a, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        certification = record(org_a, org_a.member, org_a.people["member"], evidence=pdf())
    before = stored_files(media)
    with (
        django_capture_on_commit_callbacks(execute=True),
        organisation_context(org_a.organisation),
        pytest.raises(services.CertificationError),
    ):
        services.certification_update(
            certification=reload(org_a, certification),
            by=org_a.member,
            name="CKA",
            issuer="CNCF",
            issued_on=days(-300),
            evidence=pdf("evil.pdf", b"MZ\x90\x00 not a pdf"),
        )
    assert stored_files(media) == before
    assert reload(org_a, certification).evidence.name == before[0]


def test_the_page_shows_the_expiry_error_on_its_field_and_writes_nothing(org_a, login):
    response = login(org_a.member).post(
        _new_url(org_a, org_a.people["member"]),
        _form(issued_on="2025-06-01", expires_on="2025-05-31"),
    )
    assert response.status_code == 400
    assert EXPIRY_MESSAGE in response.content.decode()
    assert response.context["form"].errors["expires_on"] == [EXPIRY_MESSAGE]
    assert certifications_of(org_a) == [] and audits(org_a) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (PDF + b"0" * 4096, "larger than 2 KB"),
        (b"GIF89a not allowed", "The evidence must be a PDF, PNG or JPEG file"),
    ],
    ids=["too-big", "wrong-type"],
)
def test_the_page_refuses_a_bad_evidence_file_and_stores_nothing(
    org_a, login, media, settings, content, message
):
    settings.CERTIFICATION_EVIDENCE_MAX_BYTES = 2048
    response = login(org_a.member).post(
        _new_url(org_a, org_a.people["member"]), {**_form(), "evidence": pdf("x.pdf", content)}
    )
    assert response.status_code == 400
    assert message in response.context["form"].errors["evidence"][0]
    assert certifications_of(org_a) == [] and stored_files(media) == []


def test_the_page_records_a_good_certification_with_its_file(org_a, login, media):
    response = login(org_a.member).post(
        _new_url(org_a, org_a.people["member"]), {**_form(), "evidence": pdf()}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "certifications:my_certifications", kwargs={"org_slug": "alpha"}
    )
    [row] = certifications_of(org_a)
    assert row.name == "AWS Solutions Architect" and row.evidence_name == "scan.pdf"
    assert len(stored_files(media)) == 1


def test_the_api_refuses_an_expiry_before_the_issue_date_with_a_400(org_a, api):
    before = len(audits(org_a, ""))
    response = api(org_a.member).post(
        "/api/v1/orgs/alpha/certifications/",
        {
            "person": org_a.people["member"].pk,
            "name": "AWS",
            "issuer": "Amazon",
            "issued_on": "2025-06-01",
            "expires_on": "2025-05-31",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"expires_on": [EXPIRY_MESSAGE]}
    assert certifications_of(org_a) == [] and len(audits(org_a, "")) == before


def test_the_api_patch_refuses_an_expiry_before_the_issue_date(org_a, api):
    certification = record(org_a, org_a.member, org_a.people["member"], issued_on=days(-10))
    response = api(org_a.member).patch(
        f"/api/v1/orgs/alpha/certifications/{certification.pk}/",
        {"expires_on": days(-11).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"expires_on": [EXPIRY_MESSAGE]}
    assert reload(org_a, certification).expires_on is None
