"""The team matrix's role lens, in Chromium against the demo organisation the stack seeds (issue
#13): HR opens a team's matrix, chooses another role profile, and every figure on the page (each
cell's shortfall, the gap column, the team targets, coverage and bus factor) is what the gap
engine (``reports.gaps``) computes for that role from the levels the page shows."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from reports import gaps
from tests.e2e.helpers import new_page, sign_in, snap
from tests.e2e.stack import Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-password-1"
LENS = "Senior Backend Engineer"
TEAM = "Platform"

# The matrix as the page draws it: the skill headers, each row's gap and cells (level text, and
# the small shortfall number), and the team target and coverage rows of the footer.
READ_MATRIX = """() => {
    const table = document.querySelector("table.matrix");
    const skills = [...table.querySelectorAll("thead th.skill-col")].map(th => th.innerText.trim());
    const rows = [...table.querySelectorAll("tbody tr")].map(tr => ({
        person: tr.querySelector("th a").innerText.trim(),
        gap: tr.querySelector("td.num").innerText.trim(),
        cells: [...tr.querySelectorAll("td.cell")].map(td => ({
            text: td.firstChild ? td.firstChild.textContent.trim() : "",
            short: td.querySelector("sup.short")?.innerText.trim() || "",
        })),
    }));
    const footer = name => [...table.querySelectorAll(`tfoot tr.${name} td`)].slice(1)
        .map(td => td.innerText.trim());
    return { skills, rows, targets: footer("team-target"), coverage: footer("coverage") };
}"""


def _requirements(stack: Stack, role: str) -> dict[str, gaps.Requirement]:
    """The lens role's requirements by skill name, straight from the stack's database (as the
    organisation, under its row-level security)."""
    import psycopg

    with psycopg.connect(stack.database_url) as conn:
        (org_id,) = conn.execute(
            "SELECT id FROM accounts_organisation WHERE slug = 'acme'"
        ).fetchone()  # type: ignore[misc]
        conn.execute("SELECT set_config('app.current_organisation', %s, false)", [str(org_id)])
        rows = conn.execute(
            """SELECT s.id, s.name, r.target_level, r.weight, r.importance
               FROM skills_rolerequirement r
               JOIN skills_roleprofile p ON p.id = r.role_id
               JOIN skills_skill s ON s.id = r.skill_id
               WHERE p.name = %s AND NOT s.is_archived""",
            [role],
        ).fetchall()
    return {
        name: gaps.Requirement(skill_id, target, float(weight), importance == "essential")
        for skill_id, name, target, weight, importance in rows
    }


def _level(text: str) -> int:
    """The level the engine uses for a cell: "·" (not rated) and "n/a" count as 0."""
    return int(text) if text.isdigit() else 0


def _percent(text: str) -> float:
    match = re.fullmatch(r"(\d+)%", text)
    assert match, text
    return float(match.group(1))


def _read(page: Page) -> dict[str, Any]:
    return page.evaluate(READ_MATRIX)


def test_the_role_lens_recomputes_the_whole_matrix_against_the_chosen_role(
    browser: Browser, stack: Stack
) -> None:
    page = new_page(browser, stack)
    sign_in(page, email="hr@acme.example", password=DEMO_PASSWORD)
    page.goto("/o/acme/dashboard/")
    page.get_by_role("link", name=TEAM, exact=True).first.click()
    page.wait_for_url(re.compile(r"/teams/\d+/matrix/"))
    own = _read(page)

    page.get_by_label("Role profile").select_option(label=LENS)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"role=\d+"))
    expect(page.get_by_role("status").filter(has_text="Role lens")).to_contain_text(LENS)
    snap(page, "matrix-lens")
    lensed = _read(page)

    requirements = _requirements(stack, LENS)
    assert lensed["skills"] and set(lensed["skills"]) == set(requirements)
    by_id = {r.skill_id: name for name, r in requirements.items()}
    members = []
    for row in lensed["rows"]:
        levels = {
            requirements[name].skill_id: _level(cell["text"])
            for name, cell in zip(lensed["skills"], row["cells"], strict=True)
        }
        # Each cell's shortfall is against the lens role's target, whatever the person's role.
        for name, cell in zip(lensed["skills"], row["cells"], strict=True):
            expected = gaps.shortfall(requirements[name].target, _level(cell["text"]))
            assert cell["short"] == (f"−{expected}" if expected else ""), (row["person"], name)
        # The gap column: the engine's gap against the whole lens role, as the page rounds it.
        gap = gaps.person_gap(list(requirements.values()), levels).gap
        assert abs(_percent(row["gap"]) - gap) <= 0.5, (row["person"], row["gap"], gap)
        members.append(
            gaps.Member(len(members), tuple(requirements.values()), levels)  # ids: row order
        )
    coverage = gaps.team_coverage(members)
    for name, target, shown in zip(
        lensed["skills"], lensed["targets"], lensed["coverage"], strict=True
    ):
        expected = coverage[requirements[name].skill_id]
        assert int(target) == expected.target == requirements[name].target
        count, *badge = shown.split()
        assert int(count) == expected.coverage, name
        if expected.coverage == 0:
            assert badge == ["uncovered"], name
        elif expected.bus_factor_risk:
            assert badge and badge[0].startswith("⚠"), name
        else:
            assert not badge, name
    assert set(by_id.values()) == set(lensed["skills"])
    # The lens is stricter than the members' own Backend Engineer profile: it shows shortfalls
    # (the bug removed them all) and at least one gap differs from the own-role figure.
    assert any(cell["short"] for row in lensed["rows"] for cell in row["cells"])
    own_gaps = {r["person"]: r["gap"] for r in own["rows"]}
    assert any(own_gaps[r["person"]] != r["gap"] for r in lensed["rows"])


def test_on_a_phone_the_matrix_scrolls_in_its_own_region_with_a_sticky_first_column(
    browser: Browser, stack: Stack
) -> None:
    context = browser.new_context(base_url=stack.base_url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, email="hr@acme.example", password=DEMO_PASSWORD)
    page.goto("/o/acme/teams/")
    page.locator("main a[href*='/matrix/']").first.click()
    page.wait_for_url(re.compile(r"/teams/\d+/matrix/"))
    region = page.get_by_role("region", name=re.compile("Skill matrix"))
    sizes = region.evaluate("el => ({scroll: el.scrollWidth, client: el.clientWidth})")
    assert sizes["scroll"] > sizes["client"]  # the matrix is wider than the phone: it scrolls
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page does not
    first = page.locator("table.matrix tbody th.sticky-col").first
    before = first.bounding_box()
    region.evaluate("el => { el.scrollLeft = 300; }")
    after = first.bounding_box()
    assert before and after and after["x"] == before["x"]  # the names stay in view
    snap(page, "matrix-phone")
    context.close()
