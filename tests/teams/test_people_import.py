"""The people import: the upload page, the background job's checks (every problem of every row,
nothing written if any), the upsert, idempotence, and the walls between organisations."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent
from skillsmap.core.jobs import job_run
from skillsmap.core.models import Job
from skillsmap.core.tenancy import organisation_context
from teams.imports import people_table
from teams.models import Person, Team, TeamMembership
from tests.conftest import World
from tests.factories import JobFactory, PersonFactory, TeamFactory, TeamMembershipFactory
from tests.teams.conftest import csv_bytes, people_state, xlsx_bytes

pytestmark = pytest.mark.django_db

GOOD_ROWS = [
    ["Ada Lovelace", "ada@alpha.example", "Head of Engineering", "Engineering", ""],
    ["Alan Turing", "Alan@Alpha.example", "Engineer", "Engineering; Research", "ada@alpha.example"],
    # Managed by someone further down the file: managers are set in a second pass.
    ["Grace Hopper", "grace@alpha.example", "", "Research", "linus@alpha.example"],
    ["Linus T", "linus@alpha.example", "Maintainer", "", "ADA@alpha.example"],
]


def _url(name: str, world: World, **kwargs: int) -> str:
    return reverse(f"teams:{name}", kwargs={"org_slug": world.organisation.slug, **kwargs})


@pytest.fixture
def upload(django_capture_on_commit_callbacks) -> Callable[..., tuple[HttpResponse, list]]:
    """POST a file to the import page; then run what was enqueued on commit (the job), as the
    worker would. Only the job: the recompute that the job schedules in turn is the reports
    app's business and is tested there."""

    def _upload(
        client: Client, world: World, data: bytes, filename: str
    ) -> tuple[HttpResponse, list]:
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post(
                _url("people_import", world), {"file": SimpleUploadedFile(filename, data)}
            )
        for callback in list(callbacks):
            callback()
        return response, callbacks

    return _upload


def _jobs(world: World) -> int:
    with organisation_context(world.organisation):
        return Job.objects.count()


def _assert_good_rows_imported(world: World) -> None:
    with organisation_context(world.organisation):
        people = {p.email: p for p in Person.objects.select_related("manager")}
        teams = {
            (m.person.email, m.team.name)
            for m in TeamMembership.objects.select_related("person", "team")
        }
        team_names = set(Team.objects.values_list("name", flat=True))
    assert people["alan@alpha.example"].name == "Alan Turing"
    assert people["alan@alpha.example"].job_title == "Engineer"
    assert people["alan@alpha.example"].manager.email == "ada@alpha.example"
    assert people["grace@alpha.example"].manager.email == "linus@alpha.example"
    assert people["linus@alpha.example"].manager.email == "ada@alpha.example"
    assert people["ada@alpha.example"].manager is None
    assert team_names >= {"Engineering", "Research"}
    assert {
        ("ada@alpha.example", "Engineering"),
        ("alan@alpha.example", "Engineering"),
        ("alan@alpha.example", "Research"),
        ("grace@alpha.example", "Research"),
    } <= teams


# --- the page ------------------------------------------------------------------------------------


def test_import_page_explains_the_columns_and_offers_a_template(org_a, login):
    response = login(org_a.hr).get(_url("people_import", org_a))
    html = response.content.decode()
    for column in ("name", "email", "title", "team", "manager email"):
        assert f"<code>{column}</code>" in html
    assert _url("people_import_template", org_a) in html
    assert 'enctype="multipart/form-data"' in html


def test_the_template_csv_has_the_columns_and_imports_as_it_is(org_a, login, run_import):
    response = login(org_a.hr).get(_url("people_import_template", org_a))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    table = people_table(response.content, filename="people-import-template.csv")
    assert table.headers == ["name", "email", "title", "team", "manager email"]
    job = run_import(org_a, response.content)
    assert job.status == Job.Status.SUCCEEDED, job.errors
    assert job.summary["created"] == len(table.rows)


def test_outsider_gets_404_on_the_import_pages_and_starts_nothing(org_a, outsider, login, upload):
    client = login(outsider)
    assert client.get(_url("people_import", org_a)).status_code == 404
    assert client.get(_url("people_import_template", org_a)).status_code == 404
    response, _ = upload(client, org_a, csv_bytes(GOOD_ROWS), "people.csv")
    assert response.status_code == 404
    assert _jobs(org_a) == 0


def test_a_member_cannot_follow_someone_elses_import_job(org_a, login):
    job = JobFactory(organisation=org_a.organisation, created_by=org_a.hr)
    url = reverse(
        "reports:job_detail", kwargs={"org_slug": org_a.organisation.slug, "job_id": job.pk}
    )
    assert login(org_a.member).get(url).status_code == 404
    assert login(org_a.hr).get(url).status_code == 200


# --- uploading -----------------------------------------------------------------------------------


def test_a_good_csv_creates_people_teams_and_managers(org_a, login, upload):
    client = login(org_a.hr)
    response, callbacks = upload(client, org_a, csv_bytes(GOOD_ROWS), "people.csv")
    assert response.status_code == 302
    assert len(callbacks) == 1  # the job, enqueued once the upload committed
    with organisation_context(org_a.organisation):
        job = Job.objects.get()
    assert response["Location"] == reverse(
        "reports:job_detail", kwargs={"org_slug": org_a.organisation.slug, "job_id": job.pk}
    )
    assert job.status == Job.Status.SUCCEEDED, job.errors
    assert job.summary == {"created": 4, "updated": 0, "unchanged": 0, "teams created": 2}
    assert job.created_by == org_a.hr
    assert bytes(job.payload) == b""  # not kept once handled
    _assert_good_rows_imported(org_a)
    page = client.get(response["Location"]).content.decode()
    assert "Created: 4" in page
    with organisation_context(org_a.organisation):
        events = list(AuditEvent.objects.filter(verb="people.imported"))
    assert len(events) == 1
    assert events[0].after["created"] == 4
    assert events[0].actor == org_a.hr


def test_a_good_xlsx_creates_people_teams_and_managers(org_a, login, upload):
    response, _ = upload(login(org_a.admin), org_a, xlsx_bytes(GOOD_ROWS), "people.xlsx")
    assert response.status_code == 302
    with organisation_context(org_a.organisation):
        job = Job.objects.get()
    assert job.status == Job.Status.SUCCEEDED, job.errors
    assert job.summary["created"] == 4
    _assert_good_rows_imported(org_a)


@pytest.mark.parametrize(
    "data,filename,message",
    [
        (b"nom,courriel\nAda,ada@alpha.example\n", "people.csv", "Missing columns: email, name"),
        (b"", "people.csv", "The file is empty."),
        (b"name,email,title\n", "people.csv", "no people below it"),
        (b"\x00\x01\x02\xffjunk\x00", "people.csv", "binary data"),
        (b"PK\x03\x04 not a zip at all", "people.xlsx", "damaged or not a spreadsheet"),
    ],
    ids=["wrong headers", "empty", "header only", "binary junk", "damaged xlsx"],
)
def test_an_unreadable_file_is_refused_at_once_and_starts_no_job(
    org_a, login, upload, data, filename, message
):
    before = people_state(org_a)
    response, callbacks = upload(login(org_a.hr), org_a, data, filename)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert callbacks == []
    assert _jobs(org_a) == 0
    assert people_state(org_a) == before


def test_posting_without_a_file_is_a_form_error(org_a, login):
    response = login(org_a.hr).post(_url("people_import", org_a), {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert _jobs(org_a) == 0


# --- the job: checks -----------------------------------------------------------------------------


def test_three_bad_rows_write_nothing_and_are_all_reported_with_their_lines(org_a, run_import):
    before = people_state(org_a)
    job = run_import(
        org_a,
        csv_bytes(
            [
                ["Fine Person", "fine@alpha.example", "", "New Team", ""],
                ["", "nameless@alpha.example", "", "", ""],
                ["Bad Email", "not-an-email", "", "", ""],
                ["Orphan", "orphan@alpha.example", "", "", "ghost@alpha.example"],
            ]
        ),
    )
    assert job.status == Job.Status.FAILED
    assert [(e["line"], e["message"]) for e in job.errors] == [
        (3, "The name is missing."),
        (4, "“not-an-email” is not a valid email address."),
        (5, "The manager ghost@alpha.example is neither in this file nor in the directory."),
    ]
    assert people_state(org_a) == before
    with organisation_context(org_a.organisation):
        assert not AuditEvent.objects.filter(verb="people.imported").exists()


@pytest.mark.parametrize(
    "rows,expected",
    [
        (
            [['=HYPERLINK("http://x")', "f@alpha.example", "", "", ""]],
            [(2, "The name looks like a spreadsheet formula; it was refused.")],
        ),
        (
            [["Team Formula", "t@alpha.example", "", "Core;@SUM(A1)", ""]],
            [(2, "The team looks like a spreadsheet formula; it was refused.")],
        ),
        (
            [
                ["One", "same@alpha.example", "", "", ""],
                ["Two", "other@alpha.example", "", "", ""],
                ["Three", "SAME@alpha.example", "", "", ""],
            ],
            [(4, "same@alpha.example is on lines 2 and 4; each person may appear once.")],
        ),
        (
            [["Self", "self@alpha.example", "", "", "self@alpha.example"]],
            [(2, "self@alpha.example cannot be their own manager.")],
        ),
        (
            [
                ["A", "a@alpha.example", "", "", "b@alpha.example"],
                ["B", "b@alpha.example", "", "", "a@alpha.example"],
            ],
            [
                (
                    2,
                    "These managers make a loop: a@alpha.example → b@alpha.example → a@alpha.example.",
                )
            ],
        ),
        (
            [["Long", "long@alpha.example", "x" * 151, "", ""]],
            [(2, "The title is longer than 150 characters.")],
        ),
    ],
    ids=["formula", "formula in a team", "duplicate email", "own manager", "loop", "too long"],
)
def test_each_kind_of_bad_row_is_reported_and_nothing_is_written(org_a, run_import, rows, expected):
    before = people_state(org_a)
    job = run_import(org_a, csv_bytes(rows))
    assert job.status == Job.Status.FAILED
    assert [(e["line"], e["message"]) for e in job.errors] == expected
    assert people_state(org_a) == before


def test_a_loop_through_people_already_in_the_directory_is_refused(org_a, run_import):
    # In the directory the member reports to the manager; the file makes the manager report to
    # the member.
    manager, member = org_a.people["manager"], org_a.people["member"]
    job = run_import(org_a, csv_bytes([[manager.name, manager.email, "", "", member.email]]))
    assert job.status == Job.Status.FAILED
    assert job.errors[0]["line"] == 2
    assert "make a loop" in job.errors[0]["message"]


def test_a_manager_only_known_in_another_organisation_is_unknown(org_a, org_b, run_import):
    theirs = org_b.people["manager"].email
    job = run_import(org_a, csv_bytes([["New", "new@alpha.example", "", "", theirs]]))
    assert job.errors == [
        {
            "line": 2,
            "message": f"The manager {theirs} is neither in this file nor in the directory.",
        }
    ]


# --- the job: writing ----------------------------------------------------------------------------


def test_running_the_same_file_twice_changes_nothing_the_second_time(org_a, run_import):
    data = csv_bytes(GOOD_ROWS)
    first = run_import(org_a, data)
    assert first.status == Job.Status.SUCCEEDED, first.errors
    after_first = people_state(org_a)
    second = run_import(org_a, data)
    assert second.status == Job.Status.SUCCEEDED
    assert second.summary == {"created": 0, "updated": 0, "unchanged": 4, "teams created": 0}
    assert people_state(org_a) == after_first
    with organisation_context(org_a.organisation):
        assert AuditEvent.objects.filter(verb="people.imported").count() == 1


def test_existing_people_are_updated_and_keep_their_teams_and_account(org_a, run_import):
    org = org_a.organisation
    member = org_a.people["member"]
    TeamMembershipFactory(
        organisation=org, team=TeamFactory(organisation=org, name="Old"), person=member
    )
    TeamFactory(organisation=org, name="Platform")
    job = run_import(
        org_a,
        csv_bytes(
            [
                # Matched by email whatever its case; a new team is added, the old one stays.
                ["New Name", member.email.upper(), "Staff Engineer", "platform", ""],
                # A blank title leaves the recorded one.
                ["Manager", org_a.people["manager"].email, "", "", ""],
            ]
        ),
    )
    assert job.status == Job.Status.SUCCEEDED, job.errors
    assert job.summary == {"created": 0, "updated": 2, "unchanged": 0, "teams created": 0}
    with organisation_context(org):
        person = Person.objects.get(pk=member.pk)
        teams = sorted(
            TeamMembership.objects.filter(person=person).values_list("team__name", flat=True)
        )
        manager = Person.objects.get(pk=org_a.people["manager"].pk)
    assert (person.name, person.job_title, person.user_id) == (
        "New Name",
        "Staff Engineer",
        org_a.member.pk,
    )
    assert person.manager_id == org_a.people["manager"].pk  # no manager column value: unchanged
    assert teams == ["Old", "Platform"]
    assert manager.name == "Manager"


def test_an_address_known_in_another_organisation_is_a_new_person_here(org_a, org_b, run_import):
    theirs = org_b.people["member"]
    before_b = people_state(org_b)
    job = run_import(org_a, csv_bytes([["Someone", theirs.email, "Analyst", "Ops", ""]]))
    assert job.status == Job.Status.SUCCEEDED, job.errors
    assert job.summary["created"] == 1
    with organisation_context(org_a.organisation):
        here = Person.objects.get(email=theirs.email)
    assert (here.name, here.user_id) == ("Someone", None)
    assert people_state(org_b) == before_b


def _rows(count: int) -> list[list[str]]:
    rows = [["Boss", "boss@alpha.example", "CEO", "Board", ""]]
    rows += [
        [f"P{i}", f"p{i}@alpha.example", "Engineer", f"Team {i % 3};Guild", "boss@alpha.example"]
        for i in range(count - 1)
    ]
    return rows


def test_the_import_does_not_query_per_row(org_a, org_b):
    def queries(world: World, rows: list[list[str]]) -> int:
        job = JobFactory(
            organisation=world.organisation, payload=csv_bytes(rows), created_by=world.hr
        )
        with CaptureQueriesContext(connection) as captured:
            job_run(organisation_id=world.organisation.pk, job_id=job.pk)
        with organisation_context(world.organisation):
            assert Job.objects.get(pk=job.pk).status == Job.Status.SUCCEEDED
            assert Person.objects.filter(email__startswith="p").count() == len(rows) - 1
        return len(captured)

    few, many = queries(org_a, _rows(10)), queries(org_b, _rows(200))
    # Only bulk inserts grow, by splitting into batches (SQLite caps a statement at 999
    # parameters); one query per row would add at least 190.
    assert many - few <= 200 // 50


def test_existing_people_from_a_big_file_are_updated_in_bulk(org_a, run_import):
    org = org_a.organisation
    for i in range(150):
        PersonFactory(organisation=org, name=f"Old {i}", email=f"p{i}@alpha.example")
    job = run_import(org_a, csv_bytes(_rows(151)))
    assert job.status == Job.Status.SUCCEEDED, job.errors
    assert job.summary == {"created": 1, "updated": 150, "unchanged": 0, "teams created": 5}
    assert job.processed == job.total == 151
