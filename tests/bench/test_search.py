"""P6 and P8 (``bench.search``) on the benchmark's small variant: the hand-written reference SQL and
the search's selector find the same people, and both measures run and report. No timing is
asserted (BENCHMARKS.md holds the goals)."""

import json

import pytest

from accounts.models import Organisation
from bench.generate import Spec, generate
from bench.measure import MARKERS
from bench.search import (
    measure_p6,
    measure_p8,
    other_line,
    reference_search,
    render_rows,
    search_skills,
    selector_search,
)

SMALL = Spec(people=500, teams=10, skills=100, ratings_per_person=40, roles=6, neighbours=1)


@pytest.fixture
def small(db):
    built = generate(SMALL, reset=False)
    return Organisation.objects.get(pk=built.organisation_id)


@pytest.mark.postgres
def test_the_reference_sql_and_the_selector_find_the_same_people_in_the_same_order(small):
    skill_ids = search_skills(small)
    assert len(set(skill_ids)) == 3
    sizes = []
    for minimum in (1, 2, 3, 4, 5):
        reference = reference_search(organisation=small, skill_ids=skill_ids, minimum=minimum)
        found = selector_search(organisation=small, skill_ids=skill_ids, minimum=minimum)()
        assert found == reference, minimum
        sizes.append(len(found))
    # Many meet the lowest minimum, fewer each higher one: the sizes the statements are counted at.
    assert sizes[0] > sizes[3] and sizes == sorted(sizes, reverse=True)
    # Two of the three skills agree as well.
    assert selector_search(organisation=small, skill_ids=skill_ids[:2], minimum=3)() == (
        reference_search(organisation=small, skill_ids=skill_ids[:2], minimum=3)
    )


@pytest.mark.postgres
def test_p6_and_p8_run_and_report_their_figures(small):
    p6 = measure_p6(runs=1)
    assert p6["measure"] == "P6" and p6["identical"] is True
    assert p6["comparison"]["page_people"] == p6["people"] > 0
    assert [s["minimum"] for s in p6["statements"]] == [1, 2, 4]
    assert all(s["status"] == 200 and s["queries"] > 0 for s in p6["statements"])
    assert p6["statements_same_for_all"] is True
    assert p6["ratio"] > 0 and isinstance(p6["met"], bool)
    p8 = measure_p8(runs=1, workload="L")
    assert p8["status"] == 200 and p8["queries"] > 0
    assert p8["ratio"] is None and p8["met"] is None  # no XL figure to compare with
    with_xl = measure_p8(
        runs=1, workload="L", other={"dashboard_s": {"median": 1000.0}, "load_average": "1.0"}
    )
    assert with_xl["ratio"] > 2 and with_xl["met"] is False
    rows = render_rows([{**p6, "workload": "L"}, {**with_xl, "workload": "L"}])
    assert [r.split(" | ")[0] for r in rows] == [
        "| P6 people search, three skills",
        "| P8 organisation dashboard (L)",
    ]


def test_p8_reads_the_other_workloads_line_and_renders_without_one(tmp_path):
    start, end = MARKERS["XL"]
    xl = {"measure": "P8", "workload": "XL", "dashboard_s": {"median": 0.5}, "load_average": "2"}
    report = tmp_path / "BENCHMARKS.md"
    report.write_text(f"{start}\n```json\n{json.dumps(xl)}\n```\n{end}\n")
    assert other_line(report, "L", "P8") == xl
    assert other_line(report, "XL", "P8") is None  # no L section
    assert other_line(None, "L", "P8") is None
    line = {
        "measure": "P8",
        "workload": "XL",
        "dashboard_s": {"median": 0.5, "min": 0.4, "max": 0.6, "runs": 5},
        "queries": 10,
        "other_workload": "L",
        "other_dashboard_s": None,
        "other_load_average": None,
        "ratio": None,
        "load_average": "2.0 2.0 2.0",
        "met": None,
    }
    (row,) = render_rows([line])
    assert "no L figure in the report yet" in row and row.endswith("| – |")
    (row,) = render_rows([{**line, "other_dashboard_s": 0.1, "ratio": 5.0, "met": False}])
    assert "XL/L 5.0×" in row and row.endswith("| **no** |")
