"""The ratings import: whole-file problems refused on upload, every row checked before anything is
written, events dated at noon UTC, and a second run of the same file changing nothing."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from skills.models import ProfileSkill, Rating, RatingSource
from skillsmap.core.models import Job
from skillsmap.core.tenancy import organisation_context
from tests.factories import PersonFactory
from tests.skills.factories import RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db


def _url(world) -> str:
    return reverse("skills:ratings_import", kwargs={"org_slug": world.organisation.slug})


@pytest.fixture
def framework(org_a):
    organisation = org_a.organisation
    return {
        "python": SkillFactory(organisation=organisation, name="Python"),
        "k8s": SkillFactory(organisation=organisation, name="Kubernetes", aliases=["K8s"]),
        "cobol": SkillFactory(organisation=organisation, name="COBOL", is_archived=True),
    }


@pytest.fixture
def engineer(org_a):
    return PersonFactory(organisation=org_a.organisation, email="eng@alpha.example")


def _csv(*rows: str, header: str = "email,skill,level,date,note,interest") -> SimpleUploadedFile:
    text = "\n".join([header, *rows]) + "\n"
    return SimpleUploadedFile("ratings.csv", text.encode(), content_type="text/csv")


def _upload(client, world, upload, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(_url(world), {"file": upload})


def _job(world) -> Job:
    with organisation_context(world.organisation):
        return Job.objects.get(kind=Job.Kind.RATINGS_IMPORT)


def _ratings(world) -> list[Rating]:
    with organisation_context(world.organisation):
        return list(Rating.objects.filter(source=RatingSource.IMPORT).order_by("skill__name"))


@pytest.mark.parametrize("role", ["member", "manager"])
def test_only_hr_and_admins_may_import(org_a, login, role):
    client = login(org_a.user(role))
    assert client.get(_url(org_a)).status_code == 403
    assert client.post(_url(org_a), {"file": _csv()}).status_code == 403


def test_a_good_csv_becomes_import_events_at_noon_utc(
    org_a, login, framework, engineer, django_capture_on_commit_callbacks
):
    client = login(org_a.hr)
    upload = _csv(
        "ENG@alpha.example,python,4,2025-03-01,Our main language,yes",
        "eng@alpha.example,k8s,n/a,2025-03-02,,",
    )
    response = _upload(client, org_a, upload, django_capture_on_commit_callbacks)
    job = _job(org_a)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "reports:job_detail", kwargs={"org_slug": org_a.organisation.slug, "job_id": job.pk}
    )
    assert job.status == Job.Status.SUCCEEDED, job.errors
    assert job.summary["ratings created"] == 2
    k8s, python = _ratings(org_a)
    assert (python.level, python.interest, python.note) == (4, True, "Our main language")
    assert python.rated_at == datetime(2025, 3, 1, 12, tzinfo=UTC)
    assert python.rated_by_id == org_a.hr.pk and python.person_id == engineer.pk
    assert k8s.not_applicable and k8s.level is None and k8s.skill_id == framework["k8s"].pk
    with organisation_context(org_a.organisation):
        assert ProfileSkill.objects.filter(person=engineer).count() == 2
        [audit] = AuditEvent.objects.filter(verb="ratings.imported")
    assert audit.after["created"] == 2 and audit.actor == org_a.hr


def test_a_good_xlsx_with_date_cells_is_imported(
    org_a, login, framework, engineer, django_capture_on_commit_callbacks
):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Email", "Skill", "Level", "Date"])
    sheet.append(["eng@alpha.example", "Python", 3, date(2024, 11, 5)])
    sheet.append(["eng@alpha.example", "Kubernetes", 2, datetime(2024, 11, 6, 9, 30)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("ratings.xlsx", buffer.getvalue())
    _upload(login(org_a.admin), org_a, upload, django_capture_on_commit_callbacks)
    assert _job(org_a).status == Job.Status.SUCCEEDED, _job(org_a).errors
    k8s, python = _ratings(org_a)
    assert python.level == 3 and python.rated_at.date() == date(2024, 11, 5)
    assert k8s.level == 2 and k8s.rated_at == datetime(2024, 11, 6, 12, tzinfo=UTC)


def test_importing_the_same_file_twice_leaves_the_second_run_unchanged(
    org_a, login, framework, engineer, django_capture_on_commit_callbacks
):
    client = login(org_a.hr)
    rows = ("eng@alpha.example,Python,4,2025-03-01,,", "eng@alpha.example,K8s,2,2025-03-01,,")
    _upload(client, org_a, _csv(*rows), django_capture_on_commit_callbacks)
    _upload(client, org_a, _csv(*rows), django_capture_on_commit_callbacks)
    with organisation_context(org_a.organisation):
        first, second = Job.objects.order_by("created_at", "pk")
    assert first.summary["ratings created"] == 2
    assert second.status == Job.Status.SUCCEEDED
    assert second.summary["ratings created"] == 0 and second.summary["unchanged rows"] == 2
    assert len(_ratings(org_a)) == 2


def test_three_bad_rows_are_all_reported_with_their_lines_and_nothing_is_written(
    org_a, org_b, login, framework, engineer, django_capture_on_commit_callbacks
):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    upload = _csv(
        "eng@alpha.example,Python,4,2025-03-01,,",  # line 2: good
        f"{org_b.member.email},Python,3,2025-03-01,,",  # line 3: another organisation's user
        "eng@alpha.example,Kubernetes,7,2025-03-01,,",  # line 4: off the scale
        f"eng@alpha.example,Python,3,{tomorrow},,",  # line 5: in the future
    )
    _upload(login(org_a.hr), org_a, upload, django_capture_on_commit_callbacks)
    job = _job(org_a)
    assert job.status == Job.Status.FAILED
    assert [e["line"] for e in job.errors] == [3, 4, 5]
    assert job.errors[0]["message"] == "No person with this email in Alpha Ltd."
    assert "not on the scale" in job.errors[1]["message"]
    assert "in the future" in job.errors[2]["message"]
    assert _ratings(org_a) == []
    with organisation_context(org_a.organisation):
        assert not ProfileSkill.objects.exists()
        assert not AuditEvent.objects.filter(verb="ratings.imported").exists()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("eng@alpha.example,COBOL,3,2025-03-01,,", "archived"),
        ("eng@alpha.example,Haskell,3,2025-03-01,,", "No skill “Haskell”"),
        ("eng@alpha.example,Python,3,01/03/2025,,", "not a date"),
        ("eng@alpha.example,Python,three,2025-03-01,,", "not on the scale"),
        ("eng@alpha.example,Python,3,2025-03-01,=HYPERLINK(1),", "formula"),
        ("eng@alpha.example,Python,3,2025-03-01,,maybe", "yes or no"),
        ("nobody@alpha.example,Python,3,2025-03-01,,", "No person with this email in Alpha Ltd."),
    ],
)
def test_each_kind_of_bad_row_is_reported(
    org_a, login, framework, engineer, django_capture_on_commit_callbacks, row, message
):
    _upload(login(org_a.hr), org_a, _csv(row), django_capture_on_commit_callbacks)
    job = _job(org_a)
    assert job.status == Job.Status.FAILED
    assert job.errors[0]["line"] == 2 and message in job.errors[0]["message"]
    assert _ratings(org_a) == []


def test_duplicate_rows_name_both_lines(
    org_a, login, framework, engineer, django_capture_on_commit_callbacks
):
    upload = _csv(
        "eng@alpha.example,Python,3,2025-03-01,,",
        "eng@alpha.example,Kubernetes,3,2025-03-01,,",
        "ENG@alpha.example,python,4,2025-03-01,,",
    )
    _upload(login(org_a.hr), org_a, upload, django_capture_on_commit_callbacks)
    job = _job(org_a)
    assert job.status == Job.Status.FAILED
    assert job.errors == [{"line": 4, "message": job.errors[0]["message"]}]
    assert "Lines 2 and 4" in job.errors[0]["message"]
    assert _ratings(org_a) == []


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("r.csv", b""), "empty"),
        (SimpleUploadedFile("r.csv", b"email,skill,level\nx@y.z,Python,3\n"), "Missing column"),
        (SimpleUploadedFile("r.xlsx", b"not a spreadsheet"), "not an XLSX"),
        (SimpleUploadedFile("r.csv", b"\xff\xfe\x00\x01binary"), "not"),
        (SimpleUploadedFile("r.csv", b"email,skill,level,date\n"), "no ratings"),
    ],
)
def test_a_whole_file_problem_is_a_400_and_starts_no_job(org_a, login, upload, message):
    response = login(org_a.hr).post(_url(org_a), {"file": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    with organisation_context(org_a.organisation):
        assert not Job.objects.exists()


def test_existing_ratings_are_left_alone_and_history_grows(
    org_a, login, framework, engineer, django_capture_on_commit_callbacks
):
    RatingFactory(organisation=org_a.organisation, person=engineer, skill=framework["python"],
                  level=2, rated_at=datetime(2024, 1, 1, tzinfo=UTC))  # fmt: skip
    _upload(login(org_a.hr), org_a, _csv("eng@alpha.example,Python,4,2025-03-01,,"),
            django_capture_on_commit_callbacks)  # fmt: skip
    with organisation_context(org_a.organisation):
        levels = sorted(Rating.objects.filter(person=engineer).values_list("level", flat=True))
    assert levels == [2, 4]
