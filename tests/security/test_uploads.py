"""Malformed uploads, through the pages as HR would send them: each kind of bad file gets a message
that says what is wrong, shown where the uploader looks (the import page, or the job's page for
row problems), and nothing is written, in this organisation or the other.

Kinds already covered elsewhere for one import (tests/test_tabular.py, tests/teams/
test_people_import.py, tests/skills/test_rating_import.py) are here run end to end through both
import pages, with the other organisation's data checked too.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from openpyxl import Workbook

from skillsmap.core.models import Job
from skillsmap.core.rls import tenant_models
from skillsmap.core.tabular import MAX_BYTES, MAX_ROWS
from skillsmap.core.tenancy import organisation_context
from tests.conftest import World
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db

PEOPLE_HEADER = "name,email,title,team,manager email"
RATINGS_HEADER = "email,skill,level,date,note"


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    # 80 MB of zeros deflate to about 80 KB: small to upload, ruinous to open.
    return _zip({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"0" * 80_000_000})


def _xml_bomb_xlsx() -> bytes:
    """A real workbook whose sheet expands one cell a billion times over ("billion laughs")."""
    entities = "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "lol" * 10}">' for i in range(1, 10)
    )
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>email</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    source = zipfile.ZipFile(io.BytesIO(_xlsx([["name", "email"], ["Ada", "ada@alpha.example"]])))
    files = {info.filename: source.read(info) for info in source.infolist()}
    files["xl/worksheets/sheet1.xml"] = sheet
    return _zip(files)


@dataclass(frozen=True)
class Case:
    kind: str  # "people" or "ratings": which import page
    filename: str
    data: Callable[[World, World], bytes]  # (this organisation, the other one) -> the file
    message: str  # what the uploader is told, verbatim
    on_job_page: bool = False  # row problems are reported by the job, whole-file ones at once


def _people(*rows: str) -> Callable[[World, World], bytes]:
    return lambda a, b: "\n".join([PEOPLE_HEADER, *rows, ""]).encode()


CASES: dict[str, Case] = {
    # --- not a table at all ---
    "empty file": Case("people", "people.csv", lambda a, b: b"", "The file is empty."),
    "only blank lines": Case("ratings", "r.csv", lambda a, b: b"\r\n \n\t\n", "The file is empty."),
    "binary junk": Case(
        "people",
        "people.csv",
        lambda a, b: bytes(range(256)) * 8,
        "This is not a CSV or XLSX file (it contains binary data).",
    ),
    "a NUL byte deep inside a CSV": Case(
        "people",
        "people.csv",
        lambda a, b: (
            (PEOPLE_HEADER + "\n" + "Ada,ada@alpha.example,,,\n" * 300).encode()
            + b"Eve,eve\x00@alpha.example,,,\n"
        ),
        "This is not a CSV or XLSX file (it contains binary data).",
    ),
    "wrong encoding (Windows-1252)": Case(
        "people",
        "people.csv",
        lambda a, b: "name,email\nJosé Núñez,jose@alpha.example\n".encode("cp1252"),
        "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again "
        "(first bad byte at position 14).",
    ),
    "a UTF-8 BOM over Windows-1252 text": Case(
        "ratings",
        "r.csv",
        lambda a, b: (
            codecs.BOM_UTF8 + "email,skill,level,date\nzoë@x.example,,,\n".encode("cp1252")
        ),
        "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again "
        "(first bad byte at position 25).",
    ),
    "UTF-16 with its BOM (Excel's Unicode text)": Case(
        "people",
        "people.csv",
        lambda a, b: "name\temail\nAda\tada@alpha.example\n".encode("utf-16"),
        "The file is UTF-16 text (Excel's “Unicode text”). Save it as “CSV UTF-8” and upload "
        "it again.",
    ),
    "an old .xls or password-protected workbook": Case(
        "ratings",
        "ratings.xls",
        lambda a, b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
        "This is an old Excel (.xls) workbook or a password-protected file, which cannot be read. "
        "Save it as .xlsx without a password, or as “CSV UTF-8”.",
    ),
    "a CSV named .xlsx": Case(
        "ratings",
        "ratings.xlsx",
        lambda a, b: b"email,skill,level,date\n",
        "The file is named .xlsx but is not an XLSX spreadsheet.",
    ),
    "a zip that is not a spreadsheet": Case(
        "people",
        "people.xlsx",
        lambda a, b: _zip({"word/document.xml": b"<w:document/>"}),
        "The XLSX file is damaged or not a spreadsheet.",
    ),
    "a truncated xlsx": Case(
        "people",
        "people.xlsx",
        lambda a, b: _xlsx([["name", "email"], ["Ada", "ada@alpha.example"]])[:700],
        "The XLSX file is damaged or not a spreadsheet.",
    ),
    "a zip bomb posing as xlsx": Case(
        "people",
        "people.xlsx",
        lambda a, b: _zip_bomb(),
        "The XLSX file expands to far more data than it holds; it was refused.",
    ),
    "an XML entity bomb inside an xlsx": Case(
        "ratings",
        "ratings.xlsx",
        lambda a, b: _xml_bomb_xlsx(),
        "The XLSX file is damaged or not a spreadsheet.",
    ),
    "larger than 10 MB": Case(
        "people",
        "people.csv",
        lambda a, b: (PEOPLE_HEADER + "\n").encode() + b"x" * MAX_BYTES,
        "The file is larger than 10 MB.",
    ),
    "larger than 10 MB (ratings)": Case(
        "ratings",
        "r.csv",
        lambda a, b: (RATINGS_HEADER + "\n").encode() + b"x" * MAX_BYTES,
        "The file is larger than 10 MB.",
    ),
    "too many rows": Case(
        "people",
        "people.csv",
        lambda a, b: ("name,email\n" + "A,a@a.example\n" * (MAX_ROWS + 1)).encode(),
        f"The file has more than {MAX_ROWS} rows; split it.",
    ),
    # --- a table, but not ours ---
    "an HTML page saved as .csv": Case(
        "people",
        "people.csv",
        lambda a, b: b"<html><body><script>alert(1)</script></body></html>\n",
        "Missing columns: email, name. Expected: email, manager email, name, team, title.",
    ),
    "wrong headers": Case(
        "ratings",
        "r.csv",
        lambda a, b: b"mail,competence,niveau,jour\nx@alpha.example,Python,3,2025-01-01\n",
        "Missing columns: date, email, level, skill. Expected: date, email, interest, level, "
        "note, skill.",
    ),
    "missing header row": Case(
        "people",
        "people.csv",
        lambda a, b: b"Ada Lovelace,ada@alpha.example,Engineer,,\n",
        "Missing columns: email, name. Expected: email, manager email, name, team, title.",
    ),
    "one required column missing": Case(
        "ratings",
        "r.csv",
        lambda a, b: b"email,skill,level\nmember@alpha.example,Python,3\n",
        "Missing column: date. Expected: date, email, interest, level, note, skill.",
    ),
    "a duplicated column": Case(
        "people",
        "people.csv",
        lambda a, b: b"name,email,Email\nAda,ada@alpha.example,eve@alpha.example\n",
        "Duplicate column: email.",
    ),
    "a header and nothing else": Case(
        "people",
        "people.csv",
        lambda a, b: (PEOPLE_HEADER + "\n").encode(),
        "The file has a header row but no people below it.",
    ),
    "a header and nothing else (ratings)": Case(
        "ratings",
        "r.xlsx",
        lambda a, b: _xlsx([["email", "skill", "level", "date"]]),
        "The file has a header row but no ratings.",
    ),
    # --- readable, but some rows are wrong: the job refuses the whole file ---
    "duplicate rows": Case(
        "people",
        "people.csv",
        _people("Ada,ada@alpha.example,,,", "Ada,ADA@alpha.example,,,"),
        "ada@alpha.example is on lines 2 and 3; each person may appear once.",
        on_job_page=True,
    ),
    "duplicate rows (ratings)": Case(
        "ratings",
        "r.csv",
        lambda a, b: (
            f"{RATINGS_HEADER}\nmember@alpha.example,Python,3,2025-01-01,\n"
            "member@alpha.example,python,4,2025-01-01,\n"
        ).encode(),
        "Lines 2 and 3 rate the same person in the same skill on the same date; keep one.",
        on_job_page=True,
    ),
    "a formula typed as text": Case(
        "people",
        "people.csv",
        _people('"=HYPERLINK(""http://evil.example"",""Click"")",ada@alpha.example,,,'),
        "The name looks like a spreadsheet formula; it was refused.",
        on_job_page=True,
    ),
    "a real formula cell in an xlsx": Case(
        "ratings",
        "r.xlsx",
        lambda a, b: _xlsx(
            [
                ["email", "skill", "level", "date"],
                ["member@alpha.example", "Python", "=1+2", "2025-01-01"],
            ]
        ),
        "The level cell looks like a formula; formulas are refused.",
        on_job_page=True,
    ),
    "a DDE payload": Case(
        "people",
        "people.csv",
        _people("Ada,ada@alpha.example,\"@SUM(1+1)*cmd|' /C calc'!A0\",,"),
        "The title looks like a spreadsheet formula; it was refused.",
        on_job_page=True,
    ),
    "a cell longer than the field": Case(
        "people",
        "people.csv",
        _people("A" * 151 + ",ada@alpha.example,,,"),
        "The name is longer than 150 characters.",
        on_job_page=True,
    ),
    "another organisation's email as a manager": Case(
        "people",
        "people.csv",
        lambda a, b: _people("Ada,ada@alpha.example,,,manager@beta.example")(a, b),
        "The manager manager@beta.example is neither in this file nor in the directory.",
        on_job_page=True,
    ),
    "another organisation's person to rate": Case(
        "ratings",
        "r.csv",
        lambda a, b: f"{RATINGS_HEADER}\nmember@beta.example,Python,3,2025-01-01,\n".encode(),
        "No person with this email in Alpha Ltd.",
        on_job_page=True,
    ),
    "another organisation's skill by name": Case(
        "ratings",
        "r.csv",
        lambda a, b: f"{RATINGS_HEADER}\nmember@alpha.example,Beta Secret,3,2025-01-01,\n".encode(),
        "No skill “Beta Secret” in the framework.",
        on_job_page=True,
    ),
    "another organisation's skill by id": Case(
        "ratings",
        "r.csv",
        lambda a, b: (
            f"{RATINGS_HEADER}\nmember@alpha.example,{_skill_id(b, 'Beta Secret')},3,2025-01-01,\n"
        ).encode(),
        "No skill “{beta_skill_id}” in the framework.",
        on_job_page=True,
    ),
}


def _skill_id(world: World, name: str) -> int:
    from skills.models import Skill

    with organisation_context(world.organisation):
        return Skill.objects.get(name=name).pk


def _state(world: World) -> dict[str, list[tuple]]:
    """Every tenant row of the organisation except the jobs themselves, to compare before/after."""
    with organisation_context(world.organisation):
        return {
            model._meta.label: sorted(model.objects.values_list(), key=lambda row: row[0])
            for model in tenant_models()
            if model is not Job
        }


@pytest.fixture
def both(org_a: World, org_b: World) -> tuple[World, World]:
    SkillFactory(organisation=org_a.organisation, name="Python")
    SkillFactory(organisation=org_b.organisation, name="Python")
    SkillFactory(organisation=org_b.organisation, name="Beta Secret")
    return org_a, org_b


def _upload(client: Client, world: World, case: Case, data: bytes, capture) -> object:
    name = "teams:people_import" if case.kind == "people" else "skills:ratings_import"
    url = reverse(name, kwargs={"org_slug": world.organisation.slug})
    with capture(execute=True):  # runs the job, as the worker would once the upload commits
        return client.post(url, {"file": SimpleUploadedFile(case.filename, data)})


def test_there_are_at_least_twenty_kinds():
    assert len(CASES) >= 20


@pytest.mark.parametrize("name", list(CASES))
def test_a_malformed_upload_is_refused_clearly_and_writes_nothing(
    name, both, login, django_capture_on_commit_callbacks
):
    org_a, org_b = both
    case = CASES[name]
    data = case.data(org_a, org_b)
    message = case.message.replace("{beta_skill_id}", str(_skill_id(org_b, "Beta Secret")))
    before_a, before_b = _state(org_a), _state(org_b)
    client = login(org_a.hr)

    response = _upload(client, org_a, case, data, django_capture_on_commit_callbacks)

    with organisation_context(org_a.organisation):
        jobs = list(Job.objects.all())
    if case.on_job_page:
        assert response.status_code == 302, response.content[:300]
        [job] = jobs
        assert job.status == Job.Status.FAILED
        assert message in [error["message"] for error in job.errors]
        assert bytes(job.payload) == b""  # the upload is not kept
        page = client.get(response["Location"])
    else:
        page = response
        assert response.status_code == 400
        assert jobs == []
    assert escape(message) in page.content.decode()
    assert _state(org_a) == before_a
    assert _state(org_b) == before_b


def test_a_doubled_bom_before_the_header_does_not_hide_a_column(
    org_a, login, django_capture_on_commit_callbacks
):
    # Some editors add a second BOM when re-saving: it is invisible, so "name" must still be found.
    data = codecs.BOM_UTF8 * 2 + b"name,email\nAda,ada@alpha.example\n"
    case = Case("people", "people.csv", lambda a, b: data, "")
    response = _upload(login(org_a.hr), org_a, case, data, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    with organisation_context(org_a.organisation):
        job = Job.objects.get()
    assert job.status == Job.Status.SUCCEEDED, job.errors
    assert job.summary["created"] == 1
