"""``skillsmap.core.memo``: a page's sections share one read of who the caller may see, and
nothing is remembered outside a page request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from skills.selectors.ratings import people_visible_to
from skillsmap.core.memo import memoised, request_memo
from skillsmap.core.tenancy import organisation_context

pytestmark = pytest.mark.django_db


def test_a_memo_answers_once_per_key_and_forgets_when_it_ends():
    calls: list[str] = []

    def compute(key: str) -> str:
        calls.append(key)
        return key.upper()

    with request_memo():
        assert memoised("a", lambda: compute("a")) == "A"
        assert memoised("a", lambda: compute("a")) == "A"
        assert memoised("b", lambda: compute("b")) == "B"
    assert memoised("a", lambda: compute("a")) == "A"
    assert calls == ["a", "b", "a"]


def test_the_reporting_line_is_read_once_per_page_and_afresh_outside_one(org_a, org_b):
    organisation, manager = org_a.organisation, org_a.memberships["manager"]
    expected = {org_a.people["manager"].pk, org_a.people["member"].pk}
    with organisation_context(organisation), CaptureQueriesContext(connection) as captured:
        with request_memo():
            first = people_visible_to(organisation=organisation, membership=manager)
            first.add(-1)  # a caller's change to its copy is not remembered
            again = people_visible_to(organisation=organisation, membership=manager)
        in_memo = len(captured)
        outside = people_visible_to(organisation=organisation, membership=manager)
    assert again == outside == expected
    assert in_memo == 1 and len(captured) == 2
    with organisation_context(org_b.organisation), request_memo():
        theirs = people_visible_to(
            organisation=org_b.organisation, membership=org_b.memberships["manager"]
        )
    assert theirs.isdisjoint(expected)
