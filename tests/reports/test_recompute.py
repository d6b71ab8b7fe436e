"""Materialised results: recomputed from the current inputs, idempotently, kept fresh by Celery."""

import os
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Organisation
from reports.freshness import inputs_changed, recompute_enqueue
from reports.models import GapScore, TeamSkillCoverage
from reports.recompute import organisations_behind, recompute_organisation
from reports.snapshots import snapshot_take
from roles.models import RoleProfile
from roles.services import role_assign, role_requirement_set
from skills.models import RatingSource
from skillsmap.core.tenancy import organisation_context
from teams.models import Person
from tests.factories import TeamFactory, TeamMembershipFactory
from tests.skills.factories import RatingFactory, SkillFactory


def _backend_team(world):
    """Two engineers with a Backend role (API ≥ 4 weight 3, SQL ≥ 3 weight 1) in one team."""
    organisation = world.organisation
    with organisation_context(organisation):
        api = SkillFactory(organisation=organisation, name="API Design")
        sql = SkillFactory(organisation=organisation, name="SQL")
        role = RoleProfile.objects.create(organisation=organisation, name="Backend")
        role_requirement_set(role=role, skill=api, target_level=4, weight=Decimal(3), by=None)
        role_requirement_set(role=role, skill=sql, target_level=3, weight=Decimal(1), by=None)
        team = TeamFactory(organisation=organisation, name="Payments")
        people = [world.people["member"], world.people["manager"]]
        for person in people:
            TeamMembershipFactory(organisation=organisation, team=team, person=person)
            role_assign(organisation=organisation, person=person, role=role, by=None)
        # member: API 2 (self), SQL 3 → shortfall 2·3 over 4·3 + 3·1 = 15 → 40 %
        RatingFactory(organisation=organisation, person=people[0], skill=api, level=2)
        RatingFactory(organisation=organisation, person=people[0], skill=sql, level=3)
        # manager: API 4 → only they cover API
        RatingFactory(organisation=organisation, person=people[1], skill=api, level=5)
        RatingFactory(
            organisation=organisation, person=people[1], skill=api, level=4,
            source=RatingSource.MANAGER, rated_at=timezone.now() + timedelta(seconds=1),
        )  # fmt: skip
    return team, api, sql, role


@pytest.mark.django_db
def test_recompute_writes_gap_scores_and_team_coverage(org_a):
    team, api, sql, role = _backend_team(org_a)
    assert recompute_organisation(organisation_id=org_a.organisation.pk)
    with organisation_context(org_a.organisation):
        member = GapScore.objects.get(person=org_a.people["member"], role=role)
        manager = GapScore.objects.get(person=org_a.people["manager"], role=role)
        coverage = {c.skill_id: c for c in TeamSkillCoverage.objects.filter(team=team)}
    assert member.gap == Decimal("40.00") and member.readiness == Decimal("60.00")
    assert member.essential_alert and member.missing[0]["skill"] == api.pk
    assert manager.gap == Decimal("20.00")  # SQL unrated: 3·1 over 15
    assert coverage[api.pk].coverage == 1 and coverage[api.pk].bus_factor_risk
    assert coverage[sql.pk].coverage == 1 and coverage[sql.pk].covered_by == [
        org_a.people["member"].pk
    ]
    assert Organisation.objects.get(pk=org_a.organisation.pk).results_are_fresh


@pytest.mark.django_db
def test_recomputing_twice_gives_the_same_rows(org_a):
    _backend_team(org_a)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    with organisation_context(org_a.organisation):
        first = sorted(GapScore.objects.values_list("person_id", "role_id", "gap", "met"))
    recompute_organisation(organisation_id=org_a.organisation.pk)
    with organisation_context(org_a.organisation):
        assert sorted(GapScore.objects.values_list("person_id", "role_id", "gap", "met")) == first


@pytest.mark.django_db
def test_a_removed_assignment_removes_its_gap_score(org_a):
    _backend_team(org_a)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    with organisation_context(org_a.organisation):
        role_assign(
            organisation=org_a.organisation, person=org_a.people["member"], role=None, by=None
        )
    recompute_organisation(organisation_id=org_a.organisation.pk)
    with organisation_context(org_a.organisation):
        assert not GapScore.objects.filter(person=org_a.people["member"]).exists()


@pytest.mark.django_db
def test_recompute_of_one_organisation_never_touches_another(org_a, org_b):
    _backend_team(org_a)
    _backend_team(org_b)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    with organisation_context(org_b.organisation):
        assert not GapScore.objects.exists()
    assert organisations_behind() == [org_b.organisation.pk]


@pytest.mark.django_db
def test_a_burst_of_changes_enqueues_one_recompute(
    org_a, django_capture_on_commit_callbacks, monkeypatch
):
    from reports.tasks import recompute_organisation_task

    sent = []
    monkeypatch.setattr(
        "reports.tasks.recompute_organisation_task.apply_async",
        lambda **kwargs: sent.append(kwargs),
    )
    # A real broker: tests run tasks in-process, where every change recomputes at once.
    monkeypatch.setitem(recompute_organisation_task.app.conf, "task_always_eager", False)
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(500):
            inputs_changed(organisation=org_a.organisation)
    assert len(sent) == 1
    assert Organisation.objects.get(pk=org_a.organisation.pk).inputs_version == 500


@pytest.mark.django_db
def test_in_process_tasks_recompute_after_every_change(
    org_a, django_capture_on_commit_callbacks, monkeypatch
):
    # make demo runs tasks in-process: there is no queued task for the second change to join.
    sent = []
    monkeypatch.setattr(
        "reports.tasks.recompute_organisation_task.apply_async",
        lambda **kwargs: sent.append(kwargs),
    )
    cache.clear()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            inputs_changed(organisation=org_a.organisation)
    assert len(sent) == 2


@pytest.mark.django_db
def test_a_broker_outage_loses_nothing(org_a, monkeypatch):
    def broker_down(**kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr("reports.tasks.recompute_organisation_task.apply_async", broker_down)
    cache.clear()
    inputs_changed(organisation=org_a.organisation)
    assert recompute_enqueue(organisation_id=org_a.organisation.pk) is False
    # The change is recorded; the dispatcher finds the organisation behind and catches up.
    assert org_a.organisation.pk in organisations_behind()


@pytest.mark.django_db
def test_overlapping_runs_are_refused_by_the_lock(org_a):
    """Another run (here a thread with its own database connection, as a second worker would have)
    holds the lock: this run refuses to start."""
    import threading

    from django.db import connection

    from reports.recompute import recompute_lock

    held, done = threading.Event(), threading.Event()

    def other_run() -> None:
        try:
            with recompute_lock(org_a.organisation.pk) as taken:
                assert taken
                held.set()
                done.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_run)
    thread.start()
    try:
        assert held.wait(10)
        assert recompute_organisation(organisation_id=org_a.organisation.pk) is False
    finally:
        done.set()
        thread.join(10)
        cache.clear()
    assert recompute_organisation(organisation_id=org_a.organisation.pk) is True


@pytest.mark.django_db
def test_snapshots_are_taken_once_per_day(org_a):
    _backend_team(org_a)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    assert snapshot_take(organisation_id=org_a.organisation.pk) == 2
    snapshot_take(organisation_id=org_a.organisation.pk)
    from reports.models import GapSnapshot, TeamSnapshot

    with organisation_context(org_a.organisation):
        assert GapSnapshot.objects.count() == 2
        assert TeamSnapshot.objects.count() == 1


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL); CI runs it"
)
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_recomputes_after_a_change(org_a):
    """Through Redis and a real Celery worker: a committed change reaches the gap scores."""
    from celery.contrib.testing.worker import start_worker

    from skillsmap.celery import app

    _, _, _, role = _backend_team(org_a)
    app.conf.task_always_eager = False
    cache.clear()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            from django.db import transaction

            with transaction.atomic():
                inputs_changed(organisation=org_a.organisation)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if Organisation.objects.get(pk=org_a.organisation.pk).results_are_fresh:
                    break
                time.sleep(0.5)
    finally:
        app.conf.task_always_eager = True
    assert Organisation.objects.get(pk=org_a.organisation.pk).results_are_fresh
    with organisation_context(org_a.organisation):
        assert GapScore.objects.filter(role=role).count() == 2


@pytest.mark.django_db
def test_a_dispatched_task_for_an_organisation_already_caught_up_does_no_work(org_a, monkeypatch):
    """Two beat cycles queue two tasks for a lagging organisation; the second finds it current."""
    from reports.recompute import recompute_organisation_outcome
    from reports.tasks import dispatch_recomputes

    _backend_team(org_a)
    organisation_id = org_a.organisation.pk
    Organisation.objects.filter(pk=organisation_id).update(inputs_version=7, computed_version=3)
    sent = []
    monkeypatch.setattr(
        "reports.tasks.recompute_organisation_task.apply_async",
        lambda **kwargs: sent.append(kwargs["kwargs"]),
    )
    dispatch_recomputes()
    dispatch_recomputes()
    assert sent == [{"organisation_id": organisation_id, "only_if_behind": True}] * 2
    outcomes = [recompute_organisation_outcome(**kwargs) for kwargs in sent]
    assert outcomes == ["computed", "current"]
    assert Organisation.objects.get(pk=organisation_id).computed_version == 7
    # Without the flag (the nightly snapshot, the demo seed) a run always rebuilds: the results
    # also age with the clock.
    assert recompute_organisation_outcome(organisation_id=organisation_id) == "computed"


@pytest.mark.django_db
def test_a_score_a_later_recompute_left_as_it_was_reads_as_confirmed_by_that_recompute(org_a):
    """On PostgreSQL a recompute does not rewrite a row whose figures stand, so the row keeps the
    stamp of its last change; the person's page and the API say when it was last confirmed."""
    from django.utils.dateparse import parse_datetime

    from accounts.views_base import Tenant
    from reports.apis import GapScoreOut
    from reports.selectors import person_gap_view

    _team, _api, _sql, role = _backend_team(org_a)
    organisation_id, member = org_a.organisation.pk, org_a.people["member"]
    recompute_organisation(organisation_id=organisation_id)
    recompute_organisation(organisation_id=organisation_id)  # nothing changed in between
    organisation = Organisation.objects.get(pk=organisation_id)
    tenant = Tenant(organisation, org_a.memberships["hr"])
    with organisation_context(organisation):
        score = GapScore.objects.select_related("person", "role").get(person=member, role=role)
        assert score.computed_at <= organisation.computed_at
        view = person_gap_view(organisation=organisation, person=member)["current"]
        assert view.as_of == organisation.computed_at
        out = GapScoreOut(score, context={"tenant": tenant}).data
        assert parse_datetime(out["computed_at"]) == organisation.computed_at
        # A row written after the organisation's last catch-up (an incremental update while a
        # full recompute is pending) reads as its own.
        later = organisation.computed_at + timedelta(minutes=5)
        GapScore.objects.filter(pk=score.pk).update(computed_at=later)
        score.refresh_from_db()
        assert (
            parse_datetime(GapScoreOut(score, context={"tenant": tenant}).data["computed_at"])
            == later
        )


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_refuses_a_result_row_of_a_missing_or_foreign_person_or_team(org_a, org_b):
    """The result tables have no single-column foreign keys (reports.models): the composite
    (organisation, id) keys alone check them, so they must refuse what the single ones did."""
    organisation = org_a.organisation
    with organisation_context(organisation):
        role = RoleProfile.objects.create(organisation=organisation, name="Analyst")
        team = TeamFactory(organisation=organisation)
        skill = SkillFactory(organisation=organisation)
        missing_person = (
            Person.objects.order_by("-pk").values_list("pk", flat=True).first()
        ) + 1000
        for person_id in (missing_person, org_b.people["member"].pk):
            with pytest.raises(IntegrityError), transaction.atomic():
                GapScore.objects.create(
                    organisation=organisation, person_id=person_id, role=role, kind="current",
                    gap=0, readiness=100, met=0, total=0, computed_at=timezone.now(),
                    inputs_version=1,
                )  # fmt: skip
                connection.check_constraints()
        with organisation_context(org_b.organisation):
            foreign_team = TeamFactory(organisation=org_b.organisation)
        for team_id in (foreign_team.pk, team.pk + 1000):
            with pytest.raises(IntegrityError), transaction.atomic():
                TeamSkillCoverage.objects.create(
                    organisation=organisation, team_id=team_id, skill=skill, target=3,
                    coverage=0, required_by=1, avg_shortfall=3, computed_at=timezone.now(),
                    inputs_version=1,
                )  # fmt: skip
                connection.check_constraints()
