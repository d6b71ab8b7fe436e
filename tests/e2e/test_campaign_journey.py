"""A review campaign in Chromium against the demo organisation the stack seeds (issue #16): HR
launches a campaign; the engineer sees the to-do, rates and marks as reviewed; the manager sees
the team at 100 %.

HR asks the Platform team, picked in the launch form, two named skills, so the journey stays
short. Of Platform's people only Erin Engineer and Manuel Moreno, its manager, sign in (the others
have no login, so the campaign does not ask them): the team is at 100 % once both are complete.
Erin rated Security Engineering before the launch, which does not count; after it she rates
Containerisation (1 of 2) and confirms the rest with "Mark as reviewed" (2 of 2). Manuel, rated
in both by the demo's history, completes with "Mark as reviewed" alone.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import link_in, new_page, settled, sign_in, snap
from tests.e2e.stack import Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-password-1"
DEMO = "/o/acme/"
HR = "hr@acme.example"
ENGINEER, ENGINEER_NAME = "engineer@acme.example", "Erin Engineer"
MANAGER, MANAGER_NAME = "manager@acme.example", "Manuel Moreno"
TEAM = "Platform"
CAMPAIGN = "Platform skills check"
MESSAGE = "Before the roadmap planning: are these two still true of you?"
RATED_BEFORE, RATED_DURING = "Security Engineering", "Containerisation"
SKILLS = [RATED_DURING, RATED_BEFORE]


def _signed_in(browser: Browser, stack: Stack, email: str) -> Page:
    page = new_page(browser, stack)
    sign_in(page, email=email, password=DEMO_PASSWORD)
    return page


def _rate(page: Page, skill: str, level: int) -> None:
    """Rate ``skill`` on My skills as a person does: the level's radio, saved by htmx."""
    group = page.get_by_role("group", name=skill, exact=True)
    row = page.locator(".rating-row").filter(has=group)
    group.get_by_role("radio", name=re.compile(rf"^{level} ")).check()
    expect(row.get_by_role("status")).to_have_text("Saved")


def _open_campaigns(page: Page) -> None:
    """The campaigns page, from the navigation (under "Organisation")."""
    nav = page.locator("#site-nav")
    nav.locator("summary", has_text="Organisation").click()
    nav.get_by_role("link", name="Review campaigns").click()
    expect(page.get_by_role("heading", name="Review campaigns", level=1)).to_be_visible()


def _todo(container: Locator) -> Locator:
    """The campaign's item in a to-do list (home page or My skills)."""
    return container.get_by_role("listitem").filter(has_text=CAMPAIGN)


def _row(page: Page, section: str, name: str) -> Locator:
    table = page.get_by_role("region", name=section).get_by_role("table")
    return table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name, exact=True))


def test_hr_launches_the_engineer_rates_and_reviews_the_manager_sees_the_team_complete(
    browser: Browser, stack: Stack
) -> None:
    due = date.today() + timedelta(days=14)
    due_text = f"due {due.day} {due:%b %Y}"

    # --- 0. Before any campaign, the engineer has rated one of the skills it will ask -----------
    engineer = _signed_in(browser, stack, ENGINEER)
    engineer.goto(f"{DEMO}me/skills/")
    _rate(engineer, RATED_BEFORE, 3)

    # --- 1. HR launches the campaign for the engineer's team -------------------------------------
    hr = _signed_in(browser, stack, HR)
    _open_campaigns(hr)
    hr.get_by_role("link", name="Launch a campaign").click()
    hr.get_by_label("Name").fill(CAMPAIGN)
    hr.get_by_label("Message").fill(MESSAGE)
    hr.get_by_label("Due on").fill(due.isoformat())
    hr.get_by_label("Teams").select_option(label=TEAM)
    hr.get_by_label("Skills").select_option(label=SKILLS)
    snap(hr, "campaign-launch-form")
    hr.get_by_role("button", name="Launch campaign").click()
    expect(hr.get_by_text(f"{CAMPAIGN} was launched.")).to_be_visible()
    expect(hr.get_by_role("heading", name=CAMPAIGN, level=1)).to_be_visible()
    expect(hr.get_by_text(MESSAGE)).to_be_visible()
    # The team is its two people with a login, each asked the two skills, none rated yet.
    expect(_row(hr, "Per team", TEAM)).to_contain_text("0% 0 of 4")
    expect(_row(hr, "Per team", TEAM).get_by_role("cell").nth(1)).to_have_text("0 of 2")
    for name in (ENGINEER_NAME, MANAGER_NAME):
        expect(_row(hr, "Per person", name)).to_contain_text("In progress")
    snap(hr, "campaign-launched")

    # --- 2. The invitation reaches the engineer by email; its link leads to My skills -----------
    body = stack.wait_for_mail(ENGINEER, f"Review campaign: {CAMPAIGN}")
    assert MESSAGE in body, body
    assert f"rate 2 skills by {due.day} {due:%B %Y}" in body, body
    engineer.goto(link_in(body, f"{DEMO}me/skills/"))
    expect(engineer).to_have_url(re.compile(rf"{DEMO}me/skills/$"))
    card = engineer.get_by_role("region", name="Review campaigns")
    # The rating made before the launch does not count.
    expect(_todo(card)).to_contain_text(f"0 of 2 rated · {due_text}")

    # --- 3. The to-do on the home page; the engineer rates, then marks as reviewed ---------------
    engineer.goto(DEMO)
    home_card = engineer.get_by_role("region", name="Review campaigns")
    expect(_todo(home_card)).to_contain_text(f"0 of 2 rated · {due_text}")
    snap(engineer, "campaign-todo-home")
    home_card.get_by_role("link", name="Rate your skills").click()
    settled(engineer)

    _rate(engineer, RATED_DURING, 3)
    # The card follows the save, without a reload.
    expect(_todo(card)).to_contain_text("1 of 2 rated")
    snap(engineer, "campaign-todo-rated-one")

    engineer.get_by_role("button", name="Mark as reviewed").click()
    expect(engineer.get_by_text(re.compile(r"^\d+ ratings? confirmed\."))).to_be_visible()
    todo = _todo(card)
    expect(todo).to_contain_text("2 of 2 rated")
    expect(todo.get_by_text("Done", exact=True)).to_be_visible()
    snap(engineer, "campaign-todo-done")
    engineer.goto(DEMO)
    expect(_todo(engineer.get_by_role("region", name="Review campaigns"))).to_contain_text(
        "2 of 2 rated"
    )
    engineer.context.close()

    # --- 4. The manager follows the campaign: the engineer complete, then the team at 100 % -----
    manager = _signed_in(browser, stack, MANAGER)
    _open_campaigns(manager)
    manager.get_by_role("link", name=CAMPAIGN).click()
    expect(manager.get_by_role("heading", name=CAMPAIGN, level=1)).to_be_visible()
    expect(_row(manager, "Per person", ENGINEER_NAME)).to_contain_text("100% 2 of 2")
    expect(_row(manager, "Per person", ENGINEER_NAME)).to_contain_text("Complete")
    # He is in the team too, and asked: half the team's skills are rated so far.
    expect(_row(manager, "Per person", MANAGER_NAME)).to_contain_text("In progress")
    expect(_row(manager, "Per team", TEAM)).to_contain_text("50% 2 of 4")
    campaign_url = manager.url

    # His own to-do: his ratings from before the launch, confirmed in one go.
    manager.goto(f"{DEMO}me/skills/")
    my_card = manager.get_by_role("region", name="Review campaigns")
    expect(_todo(my_card)).to_contain_text("0 of 2 rated")
    manager.get_by_role("button", name="Mark as reviewed").click()
    expect(_todo(my_card)).to_contain_text("2 of 2 rated")

    manager.goto(campaign_url)
    team = _row(manager, "Per team", TEAM)
    expect(team.get_by_role("cell").nth(0)).to_have_text("100% 4 of 4")
    expect(team.get_by_role("cell").nth(1)).to_have_text("2 of 2")
    for name in (ENGINEER_NAME, MANAGER_NAME):
        expect(_row(manager, "Per person", name)).to_contain_text("Complete")
    expect(manager.get_by_role("region", name="Progress")).to_contain_text(
        "100% rated · 4 of 4 skills · 2 of 2 people complete"
    )
    snap(manager, "campaign-team-complete")
    manager.context.close()
    hr.context.close()
