"""The navigation offers each role exactly the pages it may open (#13, item 3): every link in it
answers 200 for that user, and pages the role may not open are not offered at all."""

from __future__ import annotations

import re

import pytest

from tests.conftest import World

NAV = re.compile(r'<div class="site-nav" id="site-nav">(.*?)</div>\s*</header>', re.S)
HREF = re.compile(r'href="([^"]+)"')


def _nav_links(html: str) -> list[str]:
    match = NAV.search(html)
    assert match, "no site navigation on the page"
    return [h for h in HREF.findall(match.group(1)) if h.startswith("/")]


@pytest.mark.parametrize("role", ["member", "manager", "hr", "admin"])
def test_every_link_in_the_navigation_opens_for_the_role_that_sees_it(
    org_a: World, login, role: str
) -> None:
    client = login(org_a.user(role))
    links = _nav_links(client.get("/o/alpha/").content.decode())
    assert "/o/alpha/people/" in links and "/o/alpha/roles/" in links
    for href in links:
        # "My gap" redirects to the person's own gap page: following it must end on a page.
        assert client.get(href, follow=True).status_code == 200, f"{role}: {href}"


def test_a_member_is_not_offered_the_managers_hrs_or_admins_pages(org_a: World, login) -> None:
    links = _nav_links(login(org_a.member).get("/o/alpha/").content.decode())
    for page in ("validate", "search", "dashboard", "export", "audit"):
        assert not any(f"/{page}" in href for href in links), (page, links)


def test_the_page_in_view_is_marked_current_in_the_navigation(org_a: World, login) -> None:
    html = login(org_a.member).get("/o/alpha/people/").content.decode()
    assert re.search(r'<a href="/o/alpha/people/" aria-current="page">People</a>', html)
    assert html.count('aria-current="page"') == 1
