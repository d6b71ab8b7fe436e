"""``organisation_context_from``: an organisation page reads its organisation and enters its
context in one statement (issue #14), with the walls exactly as ``organisation_context`` raises
them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import ScopeError

from accounts.models import Membership, Organisation
from skillsmap.core.tenancy import (
    current_database_organisation,
    organisation_context,
    organisation_context_from,
)

pytestmark = pytest.mark.django_db


def _by_slug(slug: str):
    return Organisation.objects.filter(slug=slug)


def test_the_organisation_is_read_and_entered(org_a, org_b):
    with (
        CaptureQueriesContext(connection) as captured,
        organisation_context_from(_by_slug("alpha")) as organisation,
    ):
        entered = [q["sql"] for q in captured.captured_queries]
        assert organisation == org_a.organisation
        emails = set(Membership.objects.values_list("user__email", flat=True))
        if connection.vendor == "postgresql":
            assert current_database_organisation() == str(organisation.pk)
    assert emails == {f"{role}@alpha.example" for role in ("admin", "hr", "manager", "member")}
    # The savepoint, then one statement: no separate set_config before or after the read.
    assert len(entered) == 2 and "accounts_organisation" in entered[1]
    if connection.vendor == "postgresql":
        assert "set_config" in entered[1]


def test_an_unknown_slug_enters_nothing(org_a):
    with organisation_context_from(_by_slug("nope")) as organisation:
        assert organisation is None
        with pytest.raises(ScopeError):
            list(Membership.objects.all())
        if connection.vendor == "postgresql":
            assert current_database_organisation() == ""


def test_a_query_matching_two_organisations_is_refused_and_sets_nothing(org_a, org_b):
    both = Organisation.objects.filter(slug__in=["alpha", "beta"])
    with pytest.raises(ValueError, match="one row"), organisation_context_from(both):
        pass  # pragma: no cover - never entered
    if connection.vendor == "postgresql":
        assert current_database_organisation() == ""


@pytest.mark.postgres
def test_nested_in_another_organisation_it_restores_that_one_on_exit(pg, org_a, org_b):
    with organisation_context(org_b.organisation):
        with organisation_context_from(_by_slug("alpha")):
            assert current_database_organisation() == str(org_a.organisation.pk)
        assert current_database_organisation() == str(org_b.organisation.pk)
    assert current_database_organisation() == ""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_as_the_whole_transaction_it_leaves_the_setting_to_the_commit(pg, org_a):
    """A page's context is its request's one transaction (a Celery task's too): the commit ends
    the transaction-local setting, so no statement restores it."""
    for enter in (
        lambda: organisation_context_from(_by_slug("alpha")),
        lambda: organisation_context(org_a.organisation),
    ):
        with CaptureQueriesContext(connection) as captured, enter():
            assert current_database_organisation() == str(org_a.organisation.pk)
        set_configs = [q["sql"] for q in captured.captured_queries if "set_config" in q["sql"]]
        assert len(set_configs) == 1  # entering; none on the way out
        assert current_database_organisation() == ""
