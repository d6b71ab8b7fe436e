"""The certifications import: a good CSV or XLSX imports every row; one bad row writes nothing and
every problem is reported with its line; whole-file problems are refused on upload; the same file
twice changes nothing the second time."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent
from certifications.models import Certification
from skillsmap.core.models import Job
from skillsmap.core.tenancy import organisation_context
from tests.certifications.conftest import certifications_of, days, skill_names
from tests.factories import PersonFactory
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db

HEADER = "email,name,issuer,credential id,issued,expires,skills"


def _url(world) -> str:
    return reverse(
        "certifications:certifications_import", kwargs={"org_slug": world.organisation.slug}
    )


@pytest.fixture
def framework(org_a):
    organisation = org_a.organisation
    return {
        "k8s": SkillFactory(organisation=organisation, name="Kubernetes", aliases=["K8s"]),
        "aws": SkillFactory(organisation=organisation, name="Cloud Infrastructure"),
        "cobol": SkillFactory(organisation=organisation, name="COBOL", is_archived=True),
    }


@pytest.fixture
def engineer(org_a):
    return PersonFactory(organisation=org_a.organisation, email="eng@alpha.example", name="Eng")


def _csv(*rows: str, header: str = HEADER) -> SimpleUploadedFile:
    return SimpleUploadedFile("certs.csv", ("\n".join([header, *rows]) + "\n").encode())


def _upload(client, world, upload, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(_url(world), {"file": upload})


def _jobs(world) -> list[Job]:
    with organisation_context(world.organisation):
        return list(Job.objects.filter(kind=Job.Kind.CERTIFICATIONS_IMPORT).order_by("pk"))


@pytest.mark.parametrize("role", ["member", "manager"])
def test_only_hr_and_admins_may_import(org_a, login, role):
    client = login(org_a.user(role))
    assert client.get(_url(org_a)).status_code == 403
    assert client.post(_url(org_a), {"file": _csv()}).status_code == 403


def test_the_import_page_and_its_template_for_hr(org_a, login):
    client = login(org_a.hr)
    assert client.get(_url(org_a)).status_code == 200
    template = client.get(
        reverse("certifications:certifications_import_template", kwargs={"org_slug": "alpha"})
    )
    assert template.status_code == 200
    assert template.content.decode().splitlines()[0] == HEADER


def test_a_good_csv_imports_every_row(
    org_a, login, framework, engineer, django_capture_on_commit_callbacks
):
    upload = _csv(
        "ENG@alpha.example,CKA,CNCF,CKA-1,2024-05-01,2027-05-01,K8s;Cloud Infrastructure",
        "eng@alpha.example,AWS SAA,Amazon,,2025-01-15,,",
        f"{org_a.member.email},First Aid,Red Cross,,2024-01-01,2026-01-01,",
    )
    response = _upload(login(org_a.hr), org_a, upload, django_capture_on_commit_callbacks)
    [job] = _jobs(org_a)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "reports:job_detail", kwargs={"org_slug": "alpha", "job_id": job.pk}
    )
    assert job.status == Job.Status.SUCCEEDED, job.errors
    assert job.summary["certifications created"] == 3 and job.summary["people"] == 2
    rows = {c.name: c for c in certifications_of(org_a)}
    assert set(rows) == {"CKA", "AWS SAA", "First Aid"}
    cka = rows["CKA"]
    assert cka.person == engineer and cka.credential_id == "CKA-1"
    assert str(cka.expires_on) == "2027-05-01" and rows["AWS SAA"].expires_on is None
    assert skill_names(org_a, cka) == ["Cloud Infrastructure", "Kubernetes"]
    assert rows["First Aid"].person == org_a.people["member"]
    with organisation_context(org_a.organisation):
        [audit] = AuditEvent.objects.filter(verb="certifications.imported")
    assert audit.actor == org_a.hr and audit.after["created"] == 3


def test_a_good_xlsx_with_date_cells_is_imported(
    org_a, login, engineer, django_capture_on_commit_callbacks
):
    from datetime import date, datetime

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Email", "Name", "Issuer", "Issued", "Expires"])
    sheet.append(["eng@alpha.example", "CKA", "CNCF", date(2024, 11, 5), datetime(2027, 11, 5, 9)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("certs.xlsx", buffer.getvalue())
    _upload(login(org_a.admin), org_a, upload, django_capture_on_commit_callbacks)
    [job] = _jobs(org_a)
    assert job.status == Job.Status.SUCCEEDED, job.errors
    [row] = certifications_of(org_a)
    assert (str(row.issued_on), str(row.expires_on)) == ("2024-11-05", "2027-11-05")


def test_one_bad_row_writes_nothing_and_every_problem_is_reported_with_its_line(
    org_a, org_b, login, framework, engineer, django_capture_on_commit_callbacks
):
    tomorrow = days(1).isoformat()
    upload = _csv(
        "eng@alpha.example,CKA,CNCF,,2024-05-01,2027-05-01,K8s",  # line 2: good
        "eng@alpha.example,AWS,Amazon,,2025-06-01,2025-05-31,",  # line 3: expiry before issue
        f"{org_b.member.email},PMP,PMI,,2024-01-01,,",  # line 4: another organisation's person
        f"eng@alpha.example,Scrum,Scrum.org,,{tomorrow},,",  # line 5: issued in the future
        "eng@alpha.example,Old,IBM,,2024-01-01,,COBOL",  # line 6: archived skill
        "eng@alpha.example,Bad date,IBM,,01/02/2024,,",  # line 7: not a date
        "eng@alpha.example,=HYPERLINK(1),IBM,,2024-01-01,,",  # line 8: a formula
        "eng@alpha.example,Nameless,,,2024-01-01,,Haskell",  # line 9: no issuer, unknown skill
    )
    _upload(login(org_a.hr), org_a, upload, django_capture_on_commit_callbacks)
    [job] = _jobs(org_a)
    assert job.status == Job.Status.FAILED
    errors = [(e["line"], e["message"]) for e in job.errors]
    assert [line for line, _ in errors] == [3, 4, 5, 6, 7, 8, 9, 9]
    assert errors[0][1] == "The expiry date cannot be before the issue date."
    assert errors[1][1] == "No person with this email in Alpha Ltd."
    assert "cannot be in the future" in errors[2][1]
    assert "archived" in errors[3][1]
    assert "not a date" in errors[4][1]
    assert "formula" in errors[5][1]
    assert {m for line, m in errors if line == 9} == {
        "No skill “Haskell” in the framework.",
        "Enter the issuer.",
    }
    assert certifications_of(org_a) == []
    with organisation_context(org_a.organisation):
        assert not AuditEvent.objects.filter(verb="certifications.imported").exists()


def test_duplicate_rows_name_both_lines_and_write_nothing(
    org_a, login, engineer, django_capture_on_commit_callbacks
):
    upload = _csv(
        "eng@alpha.example,CKA,CNCF,,2024-05-01,,",
        "eng@alpha.example,AWS,Amazon,,2024-05-01,,",
        "ENG@alpha.example,cka,CNCF,,2024-05-01,,",
    )
    _upload(login(org_a.hr), org_a, upload, django_capture_on_commit_callbacks)
    [job] = _jobs(org_a)
    assert job.status == Job.Status.FAILED
    assert [e["line"] for e in job.errors] == [4]
    assert "Lines 2 and 4" in job.errors[0]["message"]
    assert certifications_of(org_a) == []


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    org_a, login, framework, engineer, django_capture_on_commit_callbacks
):
    rows = ("eng@alpha.example,CKA,CNCF,CKA-1,2024-05-01,2027-05-01,K8s",)
    client = login(org_a.hr)
    _upload(client, org_a, _csv(*rows), django_capture_on_commit_callbacks)
    _upload(client, org_a, _csv(*rows), django_capture_on_commit_callbacks)
    first, second = _jobs(org_a)
    assert first.summary["certifications created"] == 1
    assert second.status == Job.Status.SUCCEEDED
    assert second.summary["certifications created"] == 0 and second.summary["unchanged rows"] == 1
    assert len(certifications_of(org_a)) == 1
    # A renewal (new expiry) of the same certification updates it in place.
    _upload(client, org_a, _csv("eng@alpha.example,cka,CNCF,,2024-05-01,2029-05-01,"),
            django_capture_on_commit_callbacks)  # fmt: skip
    third = _jobs(org_a)[-1]
    assert third.summary["certifications updated"] == 1
    [row] = certifications_of(org_a)
    assert str(row.expires_on) == "2029-05-01" and row.credential_id == "CKA-1"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("c.csv", b""), "empty"),
        (SimpleUploadedFile("c.csv", b"email,name\nx@y.z,CKA\n"), "Missing column"),
        (SimpleUploadedFile("c.xlsx", b"not a spreadsheet"), "not an XLSX"),
        (SimpleUploadedFile("c.csv", b"email,name,issuer,issued\n"), "no certifications"),
    ],
)
def test_a_whole_file_problem_is_a_400_and_starts_no_job(org_a, login, upload, message):
    response = login(org_a.hr).post(_url(org_a), {"file": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _jobs(org_a) == []


def test_the_import_never_reaches_another_organisation(
    org_a, org_b, login, django_capture_on_commit_callbacks
):
    PersonFactory(organisation=org_b.organisation, email="shared@example.com")
    upload = _csv("shared@example.com,CKA,CNCF,,2024-05-01,,")
    _upload(login(org_a.hr), org_a, upload, django_capture_on_commit_callbacks)
    [job] = _jobs(org_a)
    assert job.status == Job.Status.FAILED
    assert job.errors[0]["message"] == "No person with this email in Alpha Ltd."
    with organisation_context(org_b.organisation):
        assert not Certification.objects.exists()
