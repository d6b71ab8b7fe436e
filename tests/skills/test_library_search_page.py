"""The library search keeps what was ticked: leaving the search box does not re-run the search, and
a new search, filter or page keeps earlier ticks (issue #13, item 5). Destructive framework forms
ask first (item 14)."""

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.html import Element, parse_html
from django.test.utils import CaptureQueriesContext

from skillsmap.core.tenancy import organisation_context
from tests.skills.factories import LibrarySkillFactory, SkillFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _page(response) -> Element:
    assert response.status_code == 200
    return parse_html(response.content.decode())


def _walk(element: Element) -> Iterator[Element]:
    for child in element.children:
        if isinstance(child, Element):
            yield child
            yield from _walk(child)


def _find(root: Element, tag: str, **attrs: str) -> list[Element]:
    """Elements ``tag`` whose attributes have these values; ``class_`` is one class."""
    wanted = {key.rstrip("_").replace("_", "-"): value for key, value in attrs.items()}
    found = []
    for element in _walk(root):
        have = dict(element.attributes)
        if element.name != tag:
            continue
        if "class" in wanted and wanted["class"] not in (have.get("class") or "").split():
            continue
        if all(have.get(k) == v for k, v in wanted.items() if k != "class"):
            found.append(element)
    return found


def _attr(element: Element, name: str) -> str | None:
    return dict(element.attributes).get(name)


def _has(element: Element, name: str) -> bool:
    return name in dict(element.attributes)


def _search_events(form: Element) -> list[str]:
    trigger = _attr(form, "hx-trigger") or ""
    return [part.strip().split()[0] for part in trigger.split(",")]


@pytest.mark.parametrize("url", ["/o/alpha/skills/library/", "/o/alpha/skills/"])
def test_the_search_reruns_as_you_type_not_when_focus_leaves_the_box(org_a, login, url):
    [form] = _find(_page(login(org_a.hr).get(url)), "form", role="search")
    # "change" fires when focus leaves the box, e.g. for a click on a result's checkbox; the
    # answer would replace the results and the tick with them. Selects fire "input" too.
    assert _search_events(form) == ["input", "submit"]


def test_a_new_search_sends_the_boxes_ticked_before(org_a, login):
    [form] = _find(_page(login(org_a.hr).get("/o/alpha/skills/library/")), "form", role="search")
    assert _attr(form, "hx-include") == "#library-results [name=library_skill]:checked"


def test_ticked_results_stay_ticked_and_ticks_off_the_page_are_kept_above(org_a, login):
    rust = LibrarySkillFactory(name="Rust programming language")
    ruby = LibrarySkillFactory(name="Ruby")
    writing = LibrarySkillFactory(name="Writing")
    adopted = LibrarySkillFactory(name="Rust analyser")
    with organisation_context(org_a.organisation):
        SkillFactory(organisation=org_a.organisation, name="Rust analyser", library_skill=adopted)
    response = login(org_a.hr).get(
        "/o/alpha/skills/library/",
        {"q": "ru", "library_skill": [rust.pk, writing.pk, adopted.pk, "x", 999999]},
        **HTMX,
    )
    [adopt_form] = _find(_page(response), "form", method="post")
    [table] = _find(adopt_form, "table")
    boxes = {int(_attr(b, "value")): _has(b, "checked") for b in _find(table, "input")}
    assert boxes == {rust.pk: True, ruby.pk: False}  # the adopted one has no box
    # Ticked before but not among these results: kept, ticked, inside the adopt form.
    [kept] = _find(adopt_form, "fieldset", class_="library-kept")
    assert [(int(_attr(b, "value")), _has(b, "checked")) for b in _find(kept, "input")] == [
        (writing.pk, True)
    ]
    assert "Writing" in str(kept)


def test_ticks_survive_a_search_that_matches_nothing(org_a, login):
    writing = LibrarySkillFactory(name="Writing")
    response = login(org_a.hr).get(
        "/o/alpha/skills/library/", {"q": "zzz", "library_skill": [writing.pk]}, **HTMX
    )
    page = _page(response)
    assert "No library skill matches" in str(page)
    [adopt_form] = _find(page, "form", method="post")
    [box] = _find(adopt_form, "input", name="library_skill")
    assert (_attr(box, "value"), _has(box, "checked")) == (str(writing.pk), True)


def test_the_pages_of_results_carry_the_ticks_along(org_a, login):
    for n in range(51):
        LibrarySkillFactory(name=f"Tool {n:02}")
    page = _page(login(org_a.hr).get("/o/alpha/skills/library/", {"q": "tool"}))
    [nav] = _find(page, "nav", class_="pagination")
    [next_page] = _find(nav, "a")
    assert _attr(next_page, "hx-include") == "#library-results [name=library_skill]:checked"
    assert _attr(next_page, "hx-get") == _attr(next_page, "href")


def test_ticks_cost_one_query_however_many_there_are(org_a, login):
    client = login(org_a.hr)
    ticks = [LibrarySkillFactory(name=f"Writing {n}").pk for n in range(5)]
    LibrarySkillFactory(name="Ruby")

    def queries(params):
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/o/alpha/skills/library/", params, **HTMX).status_code == 200
        return len(captured)

    plain = queries({"q": "ruby"})
    assert queries({"q": "ruby", "library_skill": ticks[:1]}) == plain + 1
    assert queries({"q": "ruby", "library_skill": ticks}) == plain + 1


# --- Destructive actions ask first -----------------------------------------------------------


def test_archive_and_merge_forms_ask_for_confirmation_naming_the_skill(org_a, login):
    with organisation_context(org_a.organisation):
        skill = SkillFactory(organisation=org_a.organisation, name="Perl")
    client = login(org_a.hr)
    detail = _page(client.get(f"/o/alpha/skills/{skill.pk}/"))
    [archive] = _find(detail, "form", action=f"/o/alpha/skills/{skill.pk}/archive/")
    [merge] = _find(detail, "form", action=f"/o/alpha/skills/{skill.pk}/merge/")
    assert (_attr(archive, "data-confirm") or "").startswith("Archive Perl?")
    assert "closed to new ratings" in (_attr(archive, "data-confirm") or "")
    assert _attr(archive, "data-confirm-button") == "Archive"
    assert (_attr(merge, "data-confirm") or "").startswith("Merge Perl into")
    assert "cannot be undone" in (_attr(merge, "data-confirm") or "")
    assert _attr(merge, "data-confirm-button") == "Merge"

    framework = _page(client.get("/o/alpha/skills/"))
    [row] = _find(framework, "tr", id=f"skill-row-{skill.pk}")
    [row_archive] = _find(row, "form", action=f"/o/alpha/skills/{skill.pk}/archive/")
    assert (_attr(row_archive, "data-confirm") or "").startswith("Archive Perl?")


def test_unarchiving_does_not_ask(org_a, login):
    with organisation_context(org_a.organisation):
        skill = SkillFactory(organisation=org_a.organisation, name="Perl", is_archived=True)
    client = login(org_a.hr)
    detail = _page(client.get(f"/o/alpha/skills/{skill.pk}/"))
    [form] = _find(detail, "form", action=f"/o/alpha/skills/{skill.pk}/archive/")
    assert not _has(form, "data-confirm")
    framework = _page(client.get("/o/alpha/skills/", {"archived": "on"}))
    [row] = _find(framework, "tr", id=f"skill-row-{skill.pk}")
    [row_form] = _find(row, "form")
    assert not _has(row_form, "data-confirm")
