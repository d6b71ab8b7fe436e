"""The product's main journey, in Chromium against gunicorn, PostgreSQL, Redis and a Celery worker
(issue #7): an admin sets up an organisation, an engineer rates themselves, their manager validates
and sees the gap move once the worker has recomputed, and HR downloads the gap report."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.helpers import link_in, new_page, sign_up, snap
from tests.e2e.stack import Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.browser

ADMIN = "ada@journey.example"
ENGINEER = "eli@journey.example"
MANAGER = "mo@journey.example"
HR = "hana@journey.example"
ENGINEER_NAME = "Eli Engineer"
MANAGER_NAME = "Mo Manager"

# The five self-ratings, against the Backend Engineer profile (roles/services.py): API Design,
# Distributed Systems and Continuous Delivery are essential at target 4, weight 3; Database Design
# is optional at 3, weight 1; Problem Solving is essential at 3, weight 2.
RATINGS = {
    "API Design and Development": 2,
    "Distributed Systems": 3,
    "Continuous Delivery (CD)": 4,
    "Database Design": 3,
    "Problem Solving": 3,
}
INTEREST = "Distributed Systems"
VALIDATED_SKILL, VALIDATED_LEVEL = "API Design and Development", 4
# gap = Σ weight·shortfall / Σ weight·target over the profile's 16 requirements (reports/gaps.py).
# Σ weight·target = 5 ways of working × 2·3 + 3 essential technical × 3·4 + 8 optional × 1·target
# (seven at 3, one at 2) = 30 + 36 + 23 = 89. Self-rated: API Design short 2 (×3), Distributed
# Systems short 1 (×3), four unrated ways of working 4 × 2·3, seven unrated optional skills 20:
# 6 + 3 + 24 + 20 = 53 → 59.55 %. The manager validates API Design at 4: 47 / 89 → 52.81 %.
EXPECTED_GAP = "60%"
EXPECTED_GAP_AFTER_VALIDATION = "53%"
EXPECTED_GAP_EXPORTED = 52.81
RECOMPUTE_TIMEOUT_S = 30


@dataclass
class Organisation:
    slug: str

    def url(self, path: str = "") -> str:
        return f"/o/{self.slug}/{path}"


def _invite(admin: Page, org: Organisation, stack: Stack, email: str, role: str) -> str:
    admin.goto(org.url("members/"))
    admin.get_by_label("Email address").fill(email)
    admin.get_by_label("Role", exact=True).select_option(label=role)
    admin.get_by_role("button", name="Send invitation").click()
    # The page says so, and the invitee gets a mail with their single-use link.
    admin.get_by_text(f"Invitation sent to {email}").wait_for()
    body = stack.wait_for_mail(email, "invit")
    return link_in(body, f"/invitations/{org.slug}/")


def _join(browser: Browser, stack: Stack, *, email: str, name: str, link: str) -> Page:
    page = new_page(browser, stack)
    sign_up(page, stack, email=email, name=name)
    page.goto(link)
    page.get_by_role("button", name="Accept and join").click()
    page.get_by_text("Welcome to Journey Ltd").wait_for()
    return page


def test_admin_engineer_manager_and_hr_journey(browser: Browser, stack: Stack) -> None:
    # --- 1. An admin signs up, verifies, creates the organisation and invites people ------------
    admin = new_page(browser, stack)
    sign_up(admin, stack, email=ADMIN, name="Ada Admin")
    admin.goto("/orgs/new/")
    admin.get_by_label("Organisation name").fill("Journey Ltd")
    admin.get_by_role("button", name="Create").click()
    admin.get_by_text("Journey Ltd is ready. You are its admin.").wait_for()
    match = re.search(r"/o/([\w-]+)/", admin.url)
    assert match, admin.url
    org = Organisation(match.group(1))
    snap(admin, "organisation-home")

    links = {
        email: _invite(admin, org, stack, email, role)
        for email, role in ((ENGINEER, "Member"), (MANAGER, "Manager"), (HR, "HR"))
    }
    snap(admin, "members")

    engineer = _join(browser, stack, email=ENGINEER, name=ENGINEER_NAME, link=links[ENGINEER])
    manager = _join(browser, stack, email=MANAGER, name=MANAGER_NAME, link=links[MANAGER])
    hr = _join(browser, stack, email=HR, name="Hana HR", link=links[HR])

    # The admin gives the engineer the Backend Engineer profile, a team and a manager: what the
    # matrix, the validation list and the gap report are built from.
    admin.goto(org.url("roles/"))
    admin.get_by_role("button", name="Add Backend Engineer").click()
    admin.get_by_text("“Backend Engineer” is ready").wait_for()
    # The picker names each person with their email, so two people of one name are told apart.
    admin.get_by_label("Person").select_option(label=f"{ENGINEER_NAME} — {ENGINEER}")
    admin.get_by_label("Kind").select_option(value="current")
    admin.get_by_role("button", name="Assign").click()
    admin.get_by_text(f"{ENGINEER_NAME} now has Backend Engineer as their current role").wait_for()
    snap(admin, "role-profile")

    admin.goto(org.url("teams/"))
    admin.get_by_label("Name").fill("Platform")
    admin.get_by_role("button", name="Create team").click()
    admin.get_by_text("Add its managers next").wait_for()
    admin.get_by_role("checkbox", name=re.compile(MANAGER_NAME)).check()
    admin.get_by_role("button", name="Save").click()
    admin.get_by_text("Team “Platform” saved.").wait_for()

    admin.goto(org.url("people/"))
    admin.get_by_role("link", name=ENGINEER_NAME).click()
    admin.get_by_role("link", name=f"Edit {ENGINEER_NAME}").click()
    admin.get_by_label("Manager").select_option(label=f"{MANAGER_NAME} ({MANAGER})")
    admin.get_by_role("checkbox", name="Platform").check()
    admin.get_by_role("button", name="Save").click()
    admin.get_by_text(f"{ENGINEER_NAME} was saved.").wait_for()

    # --- 2. The engineer rates five skills inline, marks interest, reloads -----------------------
    engineer.goto(org.url("me/skills/"))
    engineer.get_by_role("button", name="Rate the skills of my role").click()
    engineer.get_by_text("Added 16 skills of your role").wait_for()
    # A full page load would lose this; an htmx swap keeps it.
    engineer.evaluate("window.__sameDocument = true")
    for skill, level in RATINGS.items():
        with _inline_save(engineer):
            _rating_group(engineer, skill).get_by_role(
                "radio", name=re.compile(rf"^{level} ")
            ).check()
        expect(_rating_row(engineer, skill).get_by_role("status")).to_have_text("Saved")
    with _inline_save(engineer):
        _rating_row(engineer, INTEREST).get_by_label("I want to grow in this").check()
    assert engineer.evaluate("window.__sameDocument === true"), "a save reloaded the page"
    snap(engineer, "self-rating")

    engineer.reload()
    assert engineer.evaluate("window.__sameDocument === undefined")
    for skill, level in RATINGS.items():
        expect(
            _rating_group(engineer, skill).get_by_role("radio", name=re.compile(rf"^{level} "))
        ).to_be_checked()
    expect(_rating_row(engineer, INTEREST).get_by_label("I want to grow in this")).to_be_checked()
    expect(
        _rating_row(engineer, "Database Design").get_by_label("I want to grow in this")
    ).not_to_be_checked()

    # --- 3. The manager sees the ratings, validates one, sees the gap move -----------------------
    manager.goto(org.url("teams/"))
    manager.get_by_role("row", name=re.compile("Platform")).get_by_role(
        "link", name="Skill matrix"
    ).click()
    person_row = manager.get_by_role("row", name=re.compile(ENGINEER_NAME))
    _wait_for_text(manager, person_row.get_by_role("cell").nth(0), EXPECTED_GAP)
    for skill, level in RATINGS.items():
        column = _matrix_column(manager, skill)
        cell = person_row.locator("td").nth(column)
        expect(cell).to_have_attribute("title", re.compile(rf"^level {level}\b"))
    snap(manager, "team-matrix")

    manager.goto(org.url("ratings/validate/"))
    manager.get_by_role("link", name=f"Review {ENGINEER_NAME}").click()
    # The engineer's interest reaches the manager, next to the self-rating.
    expect(manager.get_by_role("row", name=re.compile(re.escape(INTEREST)))).to_contain_text(
        "wants to grow"
    )
    row = manager.get_by_role("row", name=re.compile(re.escape(VALIDATED_SKILL)))
    row.get_by_label(re.compile("^Level for")).select_option(value=str(VALIDATED_LEVEL))
    row.get_by_label("Note").fill("Designed the billing API end to end.")
    row.get_by_role("button", name="Confirm or adjust").click()
    expect(row.get_by_role("status")).to_have_text("Saved")
    snap(manager, "validation")

    # The matrix shows the validated level; the gap follows once it has been recomputed (small
    # changes in the request, anything else by the worker), so the gap page is polled.
    manager.goto(org.url("teams/"))
    manager.get_by_role("row", name=re.compile("Platform")).get_by_role(
        "link", name="Skill matrix"
    ).click()
    cell = person_row.locator("td").nth(_matrix_column(manager, VALIDATED_SKILL))
    expect(cell).to_have_attribute("title", re.compile(rf"^level {VALIDATED_LEVEL}, validated\b"))
    person_row.get_by_role("link", name=ENGINEER_NAME).click()
    readiness = manager.locator(".role-gap").filter(has_text="Current role: Backend Engineer")
    _wait_for_text(manager, readiness.locator(".readiness"), f"gap {EXPECTED_GAP_AFTER_VALIDATION}")
    snap(manager, "person-gap")

    # --- 4. HR downloads the XLSX gap report -----------------------------------------------------
    hr.goto(org.url("reports/export/"))
    hr.get_by_role("radio", name=re.compile("XLSX workbook")).check()
    hr.get_by_role("radio", name="The whole organisation").check()
    hr.get_by_role("button", name="Start the export").click()
    download_link = hr.get_by_role("link", name=re.compile(r"^Download .*\.xlsx$"))
    download_link.wait_for(timeout=RECOMPUTE_TIMEOUT_S * 1000)
    snap(hr, "export-ready")
    with hr.expect_download() as download_info:
        download_link.click()
    path = download_info.value.path()
    workbook = load_workbook(BytesIO(path.read_bytes()), read_only=True)
    rows = list(workbook["Gap report"].iter_rows(values_only=True))
    # The data sheet starts with its header row; what the report is sits on the "About" sheet.
    assert rows[0][0] == "Person", rows[0]
    assert "About" in workbook.sheetnames
    header = rows[0]
    records = [dict(zip(header, r, strict=False)) for r in rows[1:]]
    mine = [r for r in records if r.get("Email") == ENGINEER and r.get("Kind") == "current"]
    assert len(mine) == 1, records
    assert mine[0]["Person"] == ENGINEER_NAME
    assert mine[0]["Role"] == "Backend Engineer"
    assert mine[0]["Teams"] == "Platform"
    assert float(mine[0]["Gap %"]) == pytest.approx(EXPECTED_GAP_EXPORTED)


def _rating_group(page: Page, skill: str) -> Locator:
    return page.get_by_role("group", name=skill, exact=True)


def _rating_row(page: Page, skill: str) -> Locator:
    return page.locator(".rating-row").filter(has=_rating_group(page, skill))


@contextmanager
def _inline_save(page: Page) -> Iterator[None]:
    """The block's change is saved by an htmx request (not a form submission) that succeeds."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and "/me/skills/" in r.url
    ) as response:
        yield
    assert response.value.ok, response.value.status
    assert response.value.request.headers.get("hx-request") == "true"


def _matrix_column(page: Page, skill: str) -> int:
    """The index among a body row's <td> cells (after the person's <th>) of the skill's column."""
    headers = page.locator("table.matrix thead th").all_inner_texts()
    return [h.strip() for h in headers].index(skill) - 1


def _wait_for_text(page: Page, locator: Locator, text: str) -> None:
    """Reload until ``locator`` shows ``text``: results come from the Celery worker, which
    recomputes a few seconds after the change (a debounce), so the page may be a step behind."""
    deadline = time.monotonic() + RECOMPUTE_TIMEOUT_S
    while True:
        if text in locator.inner_text():
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{text!r} did not appear within {RECOMPUTE_TIMEOUT_S} s; last saw "
                f"{locator.inner_text()!r}"
            )
        time.sleep(1)
        page.reload()
