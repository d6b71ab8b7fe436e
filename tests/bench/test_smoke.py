"""The benchmark's small variant (``--people 500``): the generator and every measure run, and the
gap engine agrees with the reference SQL number for number. No timing is asserted: speed goals live
in BENCHMARKS.md (``make bench``), never in tests."""

import pytest

from accounts.models import Organisation
from bench.generate import LARGE_SLUG, Spec, generate
from bench.measure import run_all
from bench.reference import compare, reference_compute, reference_prepare
from reports.recompute import recompute_organisation
from roles.models import RoleAssignment
from skillsmap.core.tenancy import organisation_context

SMALL = Spec(people=500, teams=10, skills=100, ratings_per_person=40, roles=6, neighbours=1)


@pytest.fixture
def small(db):
    built = generate(SMALL, reset=False)
    return Organisation.objects.get(pk=built.organisation_id), built


@pytest.mark.postgres
def test_generated_data_gives_identical_gap_scores_in_engine_and_reference_sql(small):
    organisation, built = small
    assert organisation.slug == LARGE_SLUG
    assert (built.people, built.teams, built.skills) == (500, 10, 100)
    assert built.ratings == 500 * 40
    assert sorted(built.measured_teams) == [10, 50, 200]
    assert Organisation.objects.filter(slug__startswith="bench-neighbour-").count() == 1

    recompute_organisation(organisation_id=organisation.pk)
    reference_prepare()
    with organisation_context(organisation):
        held = RoleAssignment.objects.filter(organisation=organisation, person__is_active=True)
        expected = held.count()
    assert 0 < expected < built.assignments  # a few people have left and hold no scores
    assert reference_compute(organisation=organisation) == expected
    result = compare(organisation=organisation)
    assert result["differing"] == 0 and result["only_engine"] == result["only_reference"] == 0
    assert result["identical"] and result["rows"] > 0


@pytest.mark.postgres
def test_every_measure_runs_and_reports_its_figures(small):
    results, profiles = run_all(runs=1, in_process=True, profile_misses=False)
    by = {r["measure"]: r for r in results}
    assert set(by) == {"P1", "P2", "P3/P4", "P5", "requests"}
    assert by["P1"]["identical"] is True
    assert {"engine_s", "reference_s", "ratio", "met"} <= set(by["P1"])
    assert by["P2"]["fresh_equals_full"] is True and by["P2"]["organisation_fresh"] is True
    assert [t["people"] for t in by["P3/P4"]["teams"]] == [200, 50, 10]
    assert all(t["queries"] > 0 and t["rows"] > 0 for t in by["P3/P4"]["teams"])
    assert by["P5"]["gap_rows"] == by["P1"]["comparison"]["rows"]
    assert {"median", "min", "max", "p95"} <= set(by["requests"]["rating_save_ms"])
    assert profiles == {}
