"""A rating saved while a full recompute of its organisation runs: the two never deadlock.

The save (an incremental update, inside the request) and the full recompute both write gap-score
rows and the organisation row. CI once saw them deadlock: the save locked the organisation row and
waited for a gap-score row the recompute had upserted; the recompute then waited for the
organisation row to record its version. These tests pause a real recompute, in its own thread and
connection, between its two upserts (a lock held on the coverage table) and save a rating then."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import psycopg
import pytest
from django.db import connection

from reports.models import GapScore, TeamSkillCoverage
from reports.recompute import recompute_organisation, recompute_organisation_outcome
from roles.models import RoleProfile
from roles.services import role_assign, role_requirement_set
from skills.models import RatingSource
from skills.services.ratings import rating_set
from skillsmap.core.tenancy import organisation_context
from tests.conftest import World
from tests.factories import TeamFactory, TeamMembershipFactory
from tests.skills.factories import SkillFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _team_with_role(world: World):
    organisation = world.organisation
    with organisation_context(organisation):
        api = SkillFactory(organisation=organisation, name="API Design")
        role = RoleProfile.objects.create(organisation=organisation, name="Backend")
        role_requirement_set(role=role, skill=api, target_level=4, weight=Decimal(1), by=None)
        team = TeamFactory(organisation=organisation, name="Payments")
        for key in ("member", "manager"):
            person = world.people[key]
            TeamMembershipFactory(organisation=organisation, team=team, person=person)
            role_assign(organisation=organisation, person=person, role=role, by=None)
    return api, role


def _raw() -> psycopg.Connection:
    """A connection of our own, outside Django's, to the test database."""
    params = connection.get_connection_params()
    return psycopg.connect(
        **{k: v for k, v in params.items() if k in ("host", "port", "user", "dbname", "password")}
    )


@contextmanager
def _coverage_writes_held() -> Iterator[None]:
    """Writes to the coverage table wait until the block ends; reads go on."""
    with _raw() as conn:
        conn.execute(f"LOCK TABLE {TeamSkillCoverage._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()


def _waiting() -> int:
    """Backends of this database waiting for a lock (read on a connection of its own: within a
    transaction PostgreSQL keeps showing the first snapshot of pg_stat_activity)."""
    with _raw() as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        ).fetchone()
    return int(row[0]) if row else 0


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class _Run(threading.Thread):
    """A call in its own thread and database connection, as a worker or a request would have."""

    def __init__(self, call: Callable[[], object]) -> None:
        super().__init__(daemon=True)
        self.call, self.result, self.error = call, None, None

    def run(self) -> None:
        try:
            self.result = self.call()
        except BaseException as error:  # reported by the test, whatever it is
            self.error = error
        finally:
            connection.close()


def test_a_rating_saved_during_a_full_recompute_waits_for_it_and_both_succeed(org_a, pg):
    api, role = _team_with_role(org_a)
    organisation, member = org_a.organisation, org_a.people["member"]
    assert recompute_organisation(organisation_id=organisation.pk)

    def save() -> object:
        with organisation_context(organisation):
            return rating_set(
                organisation=organisation, person=member, skill=api, level=4,
                source=RatingSource.SELF, by=org_a.member,
            )  # fmt: skip

    with _coverage_writes_held():
        full = _Run(lambda: recompute_organisation_outcome(organisation_id=organisation.pk))
        full.start()
        _until(lambda: _waiting() == 1, "the recompute to pause between its upserts")
        rating = _Run(save)
        rating.start()
        _until(lambda: _waiting() == 2, "the rating save to wait for the recompute")
    full.join(30)
    rating.join(30)

    assert full.error is None and full.result == "computed"
    assert rating.error is None, rating.error  # was: deadlock detected
    organisation.refresh_from_db()
    assert organisation.computed_version == organisation.inputs_version
    with organisation_context(organisation):
        score = GapScore.objects.get(person=member, role=role)
    assert score.gap == Decimal("0.00")  # the saved rating, level 4 of target 4, is in the row


def test_a_full_recompute_that_starts_while_a_rating_is_being_saved_reports_busy(org_a, pg):
    """The save holds the shared side of the lock until it commits; the dispatcher reruns the
    recompute on its next cycle."""
    api, _ = _team_with_role(org_a)
    organisation, member = org_a.organisation, org_a.people["member"]
    saving, release = threading.Event(), threading.Event()

    def slow_save() -> object:
        from django.db import transaction

        with organisation_context(organisation), transaction.atomic():
            rating_set(
                organisation=organisation, person=member, skill=api, level=3,
                source=RatingSource.SELF, by=org_a.member,
            )  # fmt: skip
            saving.set()
            release.wait(10)  # still inside the save's transaction
        return True

    rating = _Run(slow_save)
    rating.start()
    assert saving.wait(10)
    try:
        assert recompute_organisation_outcome(organisation_id=organisation.pk) == "busy"
    finally:
        release.set()
        rating.join(30)
    assert rating.error is None
    assert recompute_organisation_outcome(organisation_id=organisation.pk) == "computed"
