"""The gap report's workbook carries a "Certifications" sheet: person, name, issuer, credential
id, issue and expiry dates (date cells), status and skills, for the scope's active people and
only those whose certifications the exporter may see; formula-like text is neutralised. The CSV
stays the gap table alone."""

from __future__ import annotations

from datetime import datetime

import pytest

from certifications.models import CertificationSkill
from reports import exports
from skillsmap.core.models import Job
from skillsmap.core.tenancy import organisation_context
from teams.models import Person
from tests.certifications.conftest import days
from tests.factories import CertificationFactory, PersonFactory
from tests.reports.test_exports import (
    _build,
    _csv_rows,
    _export_job,
    _file_bytes,
    _sheet_rows,
    _workbook,
)
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db


def _midnight(day) -> datetime:
    return datetime(day.year, day.month, day.day)


@pytest.fixture
def certified(org_a):
    """The member (Payments) holds one expiring in 30 days and one expired; the researcher
    (Research, outside the manager's line) one valid; a former employee one."""
    data = _build(org_a)
    organisation = org_a.organisation
    member = org_a.people["member"]
    aws = CertificationFactory(
        organisation=organisation,
        person=member,
        name="AWS Solutions Architect",
        issuer="Amazon Web Services",
        credential_id="AWS-42",
        issued_on=days(-700),
        expires_on=days(30),
    )
    with organisation_context(organisation):
        CertificationSkill.objects.create(organisation=organisation, certification=aws,
                                          skill=data.api)  # fmt: skip
    CertificationFactory(organisation=organisation, person=member, name="First Aid",
                         issuer="Red Cross", issued_on=days(-800), expires_on=days(-5))  # fmt: skip
    CertificationFactory(organisation=organisation, person=data.researcher, name="CKA",
                         expires_on=None)  # fmt: skip
    leaver = PersonFactory(organisation=organisation, name="Lee Leaver", is_active=False)
    CertificationFactory(organisation=organisation, person=leaver, name="Old cert")
    return data


def test_hrs_workbook_lists_every_active_persons_certifications(org_a, certified):
    job = _export_job(org_a, fmt="xlsx")
    assert job.status == Job.Status.SUCCEEDED, job.errors
    workbook = _workbook(_file_bytes(job))
    assert workbook.sheetnames[-1] == "Certifications"
    rows = _sheet_rows(workbook, "Certifications")
    assert rows[0] == exports.CERTIFICATIONS_COLUMNS
    member = org_a.people["member"]
    assert (
        member.name,
        member.email,
        "AWS Solutions Architect",
        "Amazon Web Services",
        "AWS-42",
        _midnight(days(-700)),
        _midnight(days(30)),
        "Expiring soon",
        "API Design",
    ) in rows
    first_aid = next(r for r in rows if r[2] == "First Aid")
    assert first_aid[7] == "Expired" and first_aid[6] == _midnight(days(-5))
    cka = next(r for r in rows if r[2] == "CKA")
    assert cka[0] == certified.researcher.name and cka[6] is None and cka[7] == "Valid"
    assert "Old cert" not in {r[2] for r in rows}  # an inactive person's
    sheet = workbook["Certifications"]
    assert sheet["F2"].number_format == exports.DATE_FORMAT
    about = dict(r[:2] for r in _sheet_rows(workbook, "About") if r[0])
    assert "Certifications" in about


def test_a_managers_workbook_lists_only_certifications_they_may_see(org_a, certified):
    job = _export_job(org_a, role="manager", fmt="xlsx", team_ids=[certified.payments.pk])
    assert job.status == Job.Status.SUCCEEDED, job.errors
    rows = _sheet_rows(_workbook(_file_bytes(job)), "Certifications")
    assert {r[2] for r in rows[1:]} == {"AWS Solutions Architect", "First Aid"}


def test_a_team_in_scope_but_outside_the_reporting_line_shows_no_certifications(org_a, certified):
    # The newcomer sits in Payments API, which the manager leads, but does not report to them.
    CertificationFactory(
        organisation=org_a.organisation, person=certified.newcomer, name="Newcomer's PMP"
    )
    with organisation_context(org_a.organisation):
        assert Person.objects.get(pk=certified.newcomer.pk).manager_id is None
    job = _export_job(org_a, role="manager", fmt="xlsx", team_ids=[certified.payments.pk])
    workbook = _workbook(_file_bytes(job))
    assert certified.newcomer.name in {r[0] for r in _sheet_rows(workbook, "Gap report")}
    assert "Newcomer's PMP" not in {r[2] for r in _sheet_rows(workbook, "Certifications")}


def test_formula_like_certification_text_is_neutralised(org_a, certified):
    CertificationFactory(
        organisation=org_a.organisation,
        person=org_a.people["member"],
        name='=HYPERLINK("http://evil","x")',
        issuer="@evil",
    )
    workbook = _workbook(_file_bytes(_export_job(org_a, fmt="xlsx")))
    row = next(r for r in _sheet_rows(workbook, "Certifications") if "HYPERLINK" in str(r[2]))
    assert row[2] == '\'=HYPERLINK("http://evil","x")' and row[3] == "'@evil"
    assert not [c for r in workbook["Certifications"].iter_rows() for c in r if c.data_type == "f"]


def test_another_organisations_certifications_never_appear(org_a, org_b, certified):
    CertificationFactory(
        organisation=org_b.organisation, person=org_b.people["member"], name="BRAVO secret"
    )
    workbook = _workbook(_file_bytes(_export_job(org_a, fmt="xlsx")))
    assert "BRAVO secret" not in {r[2] for r in _sheet_rows(workbook, "Certifications")}


def test_the_csv_is_still_the_gap_table_alone(org_a, certified):
    rows = _csv_rows(_file_bytes(_export_job(org_a, fmt="csv")))
    assert rows[0] == list(exports.GAP_COLUMNS)
    assert "AWS Solutions Architect" not in str(rows)


def test_a_job_whose_creator_left_exports_nothing(org_a, certified):
    membership = org_a.memberships["hr"]
    with organisation_context(org_a.organisation):
        membership.is_active = False
        membership.save(update_fields=["is_active"])
    job = _export_job(org_a, fmt="xlsx")
    assert job.status == Job.Status.FAILED


def test_certification_rows_with_skill_names_in_one_query_per_chunk(
    org_a, certified, django_assert_max_num_queries, monkeypatch
):
    organisation = org_a.organisation
    with organisation_context(organisation):
        skill = SkillFactory(organisation=organisation, name="Extra")
        for n in range(6):
            c = CertificationFactory(
                organisation=organisation, person=org_a.people["hr"], name=f"Bulk {n}"
            )
            CertificationSkill.objects.create(
                organisation=organisation, certification=c, skill=skill
            )
        scope = exports.Scope(True, [], frozenset())
        monkeypatch.setattr(exports, "CHUNK", 100)
        with django_assert_max_num_queries(2):
            rows = list(
                exports.certification_rows(organisation=organisation, scope=scope, membership=None)
            )
    assert len(rows) == 9
