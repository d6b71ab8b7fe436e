"""Recording, changing and deleting certifications through the services: the fields kept, the
skills linked, the evidence stored, and one audit row per write."""

from __future__ import annotations

import pytest

from certifications import services
from certifications.models import CertificationStatus
from skills.services.framework import skill_merge
from skillsmap.core.tenancy import organisation_context
from tests.certifications.conftest import (
    PDF,
    audits,
    certifications_of,
    days,
    pdf,
    record,
    reload,
    skill_names,
    stored_files,
)
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db


def test_a_member_records_their_own_certification_with_skills_and_it_is_audited(
    org_a, python, kubernetes
):
    member = org_a.people["member"]
    certification = record(
        org_a,
        org_a.member,
        member,
        name="  Certified   Kubernetes Administrator ",
        credential_id="CKA-123",
        expires_on=days(400),
        evidence_url="https://www.credly.com/badges/abc",
        skills=[kubernetes, python],
    )
    [row] = certifications_of(org_a)
    assert row.pk == certification.pk and row.person == member
    assert row.name == "Certified Kubernetes Administrator"  # spaces collapsed
    assert (row.issuer, row.credential_id) == ("CNCF", "CKA-123")
    assert row.expires_on == days(400) and row.status == CertificationStatus.VALID
    assert row.created_by == org_a.member
    assert skill_names(org_a, row) == ["Kubernetes", "Python"]
    [event] = audits(org_a)
    assert event.verb == "certification.created" and event.actor == org_a.member
    assert event.after["skills"] == ["Kubernetes", "Python"]
    assert event.after["person"] == member.name and event.after["evidence"] is None


def test_a_certification_without_expiry_is_valid_for_good(org_a):
    certification = record(org_a, org_a.member, org_a.people["member"])
    assert certification.expires_on is None
    assert certification.status == CertificationStatus.VALID and certification.days_left is None


@pytest.mark.parametrize(
    ("offset", "status"),
    [(-1, "expired"), (0, "expiring"), (30, "expiring"), (90, "expiring"), (91, "valid")],
)
def test_status_follows_the_expiry_date(org_a, offset, status):
    certification = record(
        org_a, org_a.member, org_a.people["member"], issued_on=days(-500), expires_on=days(offset)
    )
    assert certification.status == status
    assert certification.days_left == offset


def test_an_evidence_file_is_stored_under_the_organisation_with_a_clean_name(org_a, media):
    certification = record(
        org_a, org_a.member, org_a.people["member"], evidence=pdf("../My scan (1).pdf")
    )
    row = reload(org_a, certification)
    assert row.evidence_name == "My_scan_1.pdf"
    assert row.evidence_content_type == "application/pdf" and row.evidence_size == len(PDF)
    [path] = stored_files(media)
    assert path == row.evidence.name
    assert path.startswith(f"certifications/{org_a.organisation.pk}/") and path.endswith(
        "/evidence.pdf"
    )
    assert (media / path).read_bytes() == PDF


def test_the_manager_and_hr_record_for_others_but_a_member_not_for_a_peer(org_a, org_b):
    member = org_a.people["member"]
    record(org_a, org_a.manager, member, name="By the manager")
    record(org_a, org_a.hr, org_a.people["admin"], name="By HR")
    with pytest.raises(services.CertificationError) as refused:
        record(org_a, org_a.member, org_a.people["hr"], name="For a peer")
    assert "person" in refused.value.message_dict
    with pytest.raises(services.CertificationError):
        record(org_a, org_a.manager, org_a.people["hr"], name="Not a report")
    with pytest.raises(services.CertificationError) as foreign:
        record(org_a, org_a.admin, org_b.people["member"], name="Another organisation's")
    assert foreign.value.message_dict == {"person": ["Select a valid person."]}
    assert [c.name for c in certifications_of(org_a)] == ["By the manager", "By HR"]
    assert certifications_of(org_b) == []


def test_update_changes_fields_and_skills_and_audits_before_and_after(org_a, python, kubernetes):
    certification = record(org_a, org_a.member, org_a.people["member"], skills=[python])
    with organisation_context(org_a.organisation):
        services.certification_update(
            certification=reload(org_a, certification),
            by=org_a.manager,
            name="CKA",
            issuer="The Linux Foundation",
            issued_on=days(-10),
            expires_on=days(720),
            skills=[kubernetes],
        )
    row = reload(org_a, certification)
    assert (row.name, row.issuer, row.expires_on) == ("CKA", "The Linux Foundation", days(720))
    assert skill_names(org_a, row) == ["Kubernetes"]
    _, event = audits(org_a)
    assert event.verb == "certification.updated" and event.actor == org_a.manager
    assert event.before["name"] == "Certified Kubernetes Administrator"
    assert event.before["skills"] == ["Python"] and event.after["skills"] == ["Kubernetes"]


def test_a_new_evidence_file_replaces_the_old_one_after_commit(
    org_a, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        certification = record(org_a, org_a.member, org_a.people["member"], evidence=pdf())
    [old] = stored_files(media)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
    with django_capture_on_commit_callbacks(execute=True), organisation_context(org_a.organisation):
        services.certification_update(
            certification=reload(org_a, certification),
            by=org_a.member,
            name="CKA",
            issuer="CNCF",
            issued_on=days(-300),
            evidence=pdf("badge.png", png),
        )
    [new] = stored_files(media)
    assert new != old and new.endswith("/evidence.png")
    row = reload(org_a, certification)
    assert (row.evidence_name, row.evidence_content_type) == ("badge.png", "image/png")
    with django_capture_on_commit_callbacks(execute=True), organisation_context(org_a.organisation):
        services.certification_update(
            certification=row,
            by=org_a.member,
            name="CKA",
            issuer="CNCF",
            issued_on=days(-300),
            remove_evidence=True,
        )
    assert stored_files(media) == []
    row = reload(org_a, certification)
    assert not row.has_evidence_file and row.evidence_name == "" and row.evidence_size == 0


def test_delete_removes_the_row_its_links_and_its_file_and_is_audited(
    org_a, media, python, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        certification = record(
            org_a, org_a.member, org_a.people["member"], evidence=pdf(), skills=[python]
        )
    with django_capture_on_commit_callbacks(execute=True), organisation_context(org_a.organisation):
        services.certification_delete(certification=reload(org_a, certification), by=org_a.hr)
    assert certifications_of(org_a) == []
    assert stored_files(media) == []
    event = audits(org_a)[-1]
    assert event.verb == "certification.deleted" and event.actor == org_a.hr
    assert event.before["name"] == "Certified Kubernetes Administrator"


def test_a_member_cannot_change_or_delete_a_peers_certification(org_a):
    certification = record(org_a, org_a.hr, org_a.people["hr"])
    with organisation_context(org_a.organisation):
        with pytest.raises(services.CertificationError):
            services.certification_update(
                certification=reload(org_a, certification),
                by=org_a.member,
                name="Changed",
                issuer="CNCF",
                issued_on=days(-1),
            )
        with pytest.raises(services.CertificationError):
            services.certification_delete(
                certification=reload(org_a, certification), by=org_a.member
            )
    assert [c.name for c in certifications_of(org_a)] == ["Certified Kubernetes Administrator"]
    assert len(audits(org_a)) == 1


def test_another_organisations_skill_is_refused_like_a_missing_one(org_a, org_b):
    foreign = SkillFactory(organisation=org_b.organisation, name="Foreign")
    with pytest.raises(services.CertificationError) as refused:
        record(org_a, org_a.member, org_a.people["member"], skills=[foreign])
    assert refused.value.message_dict == {"skills": ["Select a valid skill."]}
    assert certifications_of(org_a) == []


def test_an_archived_skill_is_refused_for_a_new_certification_but_kept_on_edit(org_a, python):
    certification = record(org_a, org_a.member, org_a.people["member"], skills=[python])
    with organisation_context(org_a.organisation):
        python.is_archived = True
        python.save(update_fields=["is_archived"])
    with pytest.raises(services.CertificationError) as refused:
        record(org_a, org_a.member, org_a.people["member"], name="New", skills=[python])
    assert "archived" in str(refused.value)
    with organisation_context(org_a.organisation):
        services.certification_update(
            certification=reload(org_a, certification),
            by=org_a.member,
            name="Still linked",
            issuer="CNCF",
            issued_on=days(-300),
            skills=[python],
        )
    assert skill_names(org_a, reload(org_a, certification)) == ["Python"]


def test_a_merged_skills_links_follow_it(org_a, python):
    py3 = SkillFactory(organisation=org_a.organisation, name="Python 3")
    both = record(org_a, org_a.member, org_a.people["member"], name="Both", skills=[python, py3])
    only = record(org_a, org_a.member, org_a.people["member"], name="Only", skills=[py3])
    with organisation_context(org_a.organisation):
        skill_merge(source=py3, into=python, by=org_a.hr)
    assert skill_names(org_a, both) == ["Python"]
    assert skill_names(org_a, only) == ["Python"]
