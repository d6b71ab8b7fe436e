"""The measures of ``make bench``, on the data of ``bench.generate``; one JSON line each.

    python -m bench.measure [--runs 5] [--report BENCHMARKS.md] [--only P1,P2] [--workload XL]

- P1  full recompute of the large organisation (gap scores + team coverage) against the reference
      ``INSERT … SELECT`` (``bench.reference``); the ratio, and whether the numbers are identical.
      Timed on unchanged inputs (only changed rows are written) and from no results (every row
      written). P1m: the peak memory (``VmHWM``) of one recompute run in a fresh process of its own.
- P2  one rating change → the affected rows fresh (``reports.incremental.ratings_changed``); its
      time and its ratio to P1, and whether the rows equal those of a full recompute.
- P3/P4  the team matrix page for teams of 200, 50 and 10 people and for a parent team (its
      subtree; 1,000 people in XL): queries, and server time against a bare view rendering a table
      of the same size (``bench.views``). The parent team's matrix is paged (its first page of
      ``reports.selectors.MATRIX_PAGE_SIZE`` people is the table), and P4 holds it to the
      200-person team's page, the two timed in turn; the whole team's mentor pairs, which a paged
      page loads in a request of its own, are timed beside it. P3 also counts the statements of
      one request to the organisation dashboard, My skills, the people list filtered on each of
      those teams and the person page of each team's first member.
- P5  the XLSX gap report of the large organisation: peak memory (``VmHWM`` of a process of its
      own) and time against the same rows written with the csv module and against the reference
      SQL of P1 (``reference_ratio``).
- Rating save: median and p95 of the self-rating request and of the team matrix API.
- P6  people search (three skills AND-ed, each at or above a level) against a hand-written SQL
      query of the same people; P8 the organisation dashboard, XL's time against L's
      (``bench.search``).

Every line carries ``workload`` (L: ``make bench``, XL: ``make bench-xl``); each workload has its
own section of BENCHMARKS.md. Times are medians of several runs, with min and max. Ratings the measures add are deleted at the
end and the results recomputed, so a second run measures the same data. No goal is asserted here
or in tests: missed goals are reported, with a profile, in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Django is set up after the arguments are read
    from django.test import Client

    from accounts.models import Organisation, User
    from skills.models import Skill
    from teams.models import Person

WORKLOADS = ("L", "XL")
# The markers of each workload's section of BENCHMARKS.md, and the command that writes it.
MARKERS = {
    "L": ("<!-- bench:start -->", "<!-- bench:end -->"),
    "XL": ("<!-- bench-xl:start -->", "<!-- bench-xl:end -->"),
}
REPORT_START, REPORT_END = MARKERS["L"]
COMMANDS = {"L": "make bench", "XL": "make bench-xl"}
COMMAND = COMMANDS["L"]
# P1m: the recompute's peak on XL, and at most this many times L's peak.
RECOMPUTE_PEAK_GOAL_MB, RECOMPUTE_PEAK_GROWTH = 512, 2.0
# P2's goal grows with the organisation: one rating is a smaller share of a larger recompute.
P2_GOALS = {"L": 1 / 200, "XL": 1 / 2000}
# P5's export against P1's reference SQL.
REFERENCE_GOAL = 3.0
P1_GOAL, P2_GOAL, QUERY_GOAL, PAGE_GOAL, MEMORY_GOAL_MB, XLSX_GOAL, SAVE_P95_GOAL_MS = (
    1.5,
    1 / 200,
    12,
    2.0,
    250,
    3.0,
    50,
)
MATRIX_TEAMS = ("Team 000", "Team 001", "Team 002")  # 200, 50 and 10 people (bench.generate)
# The first team after the measured ones leads sub-teams: the parent block of XL (1,000 people in
# its subtree), a parent of nine teams in L.
PARENT_TEAM = "Team 003"


# --- Timing ------------------------------------------------------------------------------------


def stats(samples: list[float]) -> dict[str, float]:
    """Median, min and max in the unit given; p95 once there are enough samples."""
    result = {
        "median": round(statistics.median(samples), 4),
        "min": round(min(samples), 4),
        "max": round(max(samples), 4),
        "runs": len(samples),
    }
    if len(samples) >= 20:
        result["p95"] = round(statistics.quantiles(samples, n=20)[-1], 4)
    return result


def timed(
    fn: Callable[[], Any], runs: int, *, before: Callable[[], Any] | None = None
) -> list[float]:
    samples = []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def profile(fn: Callable[[], Any], *, lines: int = 45) -> str:
    """A pyinstrument call tree of one run of ``fn``, cut to its first lines."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    try:
        fn()
    finally:
        profiler.stop()
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    return "\n".join(text.splitlines()[:lines])


# --- The data ----------------------------------------------------------------------------------


def large_organisation() -> Organisation:
    from accounts.models import Organisation
    from bench.generate import LARGE_SLUG

    return Organisation.objects.get(slug=LARGE_SLUG)


def vacuum() -> None:
    """Clear the dead rows of the previous run, as autovacuum would between two recomputes, so
    that run N does not pay for the bloat of runs 1 … N-1. Outside a transaction; PostgreSQL."""
    from django.db import connection

    if connection.vendor != "postgresql" or not connection.get_autocommit():
        return
    with connection.cursor() as cursor:
        for table in ("reports_gapscore", "reports_teamskillcoverage", "bench_reference_gap"):
            cursor.execute(f"VACUUM ANALYZE {table}")


# --- P1 ----------------------------------------------------------------------------------------


def recompute_once() -> dict[str, Any]:
    """One full recompute of the large organisation in this process, with its memory."""
    from reports.recompute import recompute_organisation

    organisation = large_organisation()
    baseline = _rss_mb()
    started = time.perf_counter()
    recompute_organisation(organisation_id=organisation.pk)
    return {
        "seconds": time.perf_counter() - started,
        "rss_before_mb": round(baseline, 1),
        "peak_rss_mb": round(_rss_mb("VmHWM"), 1),
    }


def measure_p1(*, runs: int, in_process: bool = False) -> dict[str, Any]:
    from bench import reference
    from reports.recompute import recompute_organisation

    organisation = large_organisation()
    reference.reference_prepare()
    engine = timed(
        lambda: recompute_organisation(organisation_id=organisation.pk), runs, before=vacuum
    )
    # The recompute rewrites only the rows whose figures changed (reports/sql.py), so the runs
    # above, on unchanged inputs, write nothing. The same recompute from no results at all writes
    # every row, as the reference does: measured too, and the goal holds for both.
    cold = timed(
        lambda: recompute_organisation(organisation_id=organisation.pk),
        runs,
        before=lambda: _results_forget(organisation),
    )
    vacuum()
    memory = recompute_once() if in_process else _child("--recompute-child")
    ref = timed(lambda: reference.reference_compute(organisation=organisation), runs, before=vacuum)
    check = reference.compare(organisation=organisation)
    ratio = statistics.median(engine) / statistics.median(ref)
    cold_ratio = statistics.median(cold) / statistics.median(ref)
    return {
        "measure": "P1",
        "what": "full recompute (gap scores + team coverage) vs reference INSERT … SELECT",
        "engine_s": stats(engine),
        "reference_s": stats(ref),
        "ratio": round(ratio, 2),
        "engine_from_empty_s": stats(cold),
        "ratio_from_empty": round(cold_ratio, 2),
        "peak_rss_mb": memory["peak_rss_mb"],
        "rss_before_recompute_mb": memory["rss_before_mb"],
        "peak_process": "in-process (not isolated)" if in_process else "fresh child process",
        "child_recompute_s": round(memory["seconds"], 4),
        "goal": f"ratio <= {P1_GOAL}",
        "met": max(ratio, cold_ratio) <= P1_GOAL and bool(check["identical"]),
        "identical": check["identical"],
        "comparison": check,
    }


def _results_forget(organisation: Organisation) -> None:
    """No gap scores or coverage for the organisation, its dead rows vacuumed: the state before
    its first recompute."""
    from reports.models import GapScore, TeamSkillCoverage
    from skillsmap.core.tenancy import organisation_context

    with organisation_context(organisation):
        for model in (GapScore, TeamSkillCoverage):
            model.objects.filter(organisation=organisation).delete()
    vacuum()


# --- P2 ----------------------------------------------------------------------------------------


def _member_and_skill() -> tuple[Organisation, User, Person, Skill]:
    """The measured member, their person and a skill their current role requires."""
    from accounts.models import User
    from bench.generate import MEMBER_EMAIL
    from roles.models import RoleAssignment, RoleRequirement
    from skills.models import Skill
    from skillsmap.core.tenancy import organisation_context
    from teams.models import Person

    organisation = large_organisation()
    user = User.objects.get(email=MEMBER_EMAIL)
    with organisation_context(organisation):
        person = Person.objects.get(organisation=organisation, user=user)
        role_id = RoleAssignment.objects.get(
            organisation=organisation, person=person, kind=RoleAssignment.Kind.CURRENT
        ).role_id
        skill_id = (
            RoleRequirement.objects.filter(organisation=organisation, role_id=role_id)
            .order_by("skill_id")
            .values_list("skill_id", flat=True)
            .first()
        )
        skill = Skill.objects.get(organisation=organisation, pk=skill_id)
    return organisation, user, person, skill


def _last_rating_id(organisation: Organisation) -> int:
    from skills.models import Rating
    from skillsmap.core.tenancy import organisation_context

    with organisation_context(organisation):
        return (
            Rating.objects.filter(organisation=organisation)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
            or 0
        )


def _forget_ratings_after(organisation: Organisation, last_id: int) -> None:
    """Remove the ratings the measures added (the data stays the generator's) and rebuild."""
    from reports.recompute import recompute_organisation
    from skills.models import Rating
    from skillsmap.core.tenancy import organisation_context

    with organisation_context(organisation):
        Rating.objects.filter(organisation=organisation, pk__gt=last_id).delete()
    recompute_organisation(organisation_id=organisation.pk)


def _affected_rows(organisation: Organisation, person: Person, skill: Skill) -> tuple[list, list]:
    from reports.models import GapScore, TeamSkillCoverage
    from skillsmap.core.tenancy import organisation_context

    with organisation_context(organisation):
        scores = sorted(
            GapScore.objects.filter(organisation=organisation, person=person).values_list(
                "person_id", "role_id", "kind", "gap", "readiness", "met", "missing"
            )
        )
        coverage = sorted(
            TeamSkillCoverage.objects.filter(organisation=organisation, skill=skill).values_list(
                "team_id", "target", "coverage", "required_by", "avg_shortfall", "covered_by"
            )
        )
    return scores, coverage


def measure_p2(*, runs: int, p1_engine_median: float | None, workload: str = "L") -> dict[str, Any]:
    from reports.recompute import recompute_organisation
    from skills.models import RatingSource
    from skills.services.ratings import rating_set
    from skillsmap.core.tenancy import organisation_context

    organisation, user, person, skill = _member_and_skill()
    last_id = _last_rating_id(organisation)
    recompute_organisation(organisation_id=organisation.pk)  # start fresh, as in steady state
    levels = iter([5, 0] * (runs + 1))

    def change() -> None:
        # One transaction, committed: the rating, the version bump and the fresh rows.
        with organisation_context(organisation):
            rating_set(
                organisation=organisation,
                person=person,
                skill=skill,
                level=next(levels),
                source=RatingSource.SELF,
                by=user,
            )

    try:
        change()  # warm up: the first call compiles queries and fills caches
        samples = timed(change, runs)
        incremental = _affected_rows(organisation, person, skill)
        organisation.refresh_from_db()
        fresh_flag = organisation.results_are_fresh
        recompute_organisation(organisation_id=organisation.pk)
        full = _affected_rows(organisation, person, skill)
    finally:
        _forget_ratings_after(organisation, last_id)
    median = statistics.median(samples)
    ratio = median / p1_engine_median if p1_engine_median else None
    return {
        "measure": "P2",
        "what": "one self rating → that person's gap scores and the skill's coverage in their teams fresh",
        "change_s": stats(samples),
        "ratio_to_p1": round(ratio, 5) if ratio is not None else None,
        "goal": f"ratio_to_p1 <= {P2_GOALS.get(workload, P2_GOAL)}",
        "met": ratio is not None
        and ratio <= P2_GOALS.get(workload, P2_GOAL)
        and incremental == full,
        "fresh_equals_full": incremental == full,
        "organisation_fresh": fresh_flag,
    }


# --- P3/P4 -------------------------------------------------------------------------------------


def _client(email: str) -> Client:
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=email))
    return client


def _matrix_teams(organisation: Organisation) -> list[tuple[str, int, int]]:
    """(name, team id, people) of the teams the matrix measure reads, largest first: the teams of
    200, 50 and 10 people and the parent team (people: everyone in its subtree, as its matrix)."""
    from skillsmap.core.tenancy import organisation_context
    from teams.hierarchy import team_subtree_ids
    from teams.models import Team, TeamMembership

    with organisation_context(organisation):
        found = []
        for name, team_id in Team.objects.filter(
            organisation=organisation, name__in=(*MATRIX_TEAMS, PARENT_TEAM)
        ).values_list("name", "pk"):
            subtree = team_subtree_ids(organisation=organisation, team_ids=[team_id])
            if name == PARENT_TEAM and len(subtree) < 2:
                continue  # no sub-teams: not a parent
            people = (
                TeamMembership.objects.filter(organisation=organisation, team_id__in=subtree)
                .values("person_id")
                .distinct()
                .count()
            )
            found.append((name, team_id, people))
    return sorted(found, key=lambda t: (-t[2], t[0]))


def _statements(client: Client, url: str) -> tuple[int, int]:
    """(status, SQL statements) of one GET. A wrapper rather than CaptureQueriesContext: each
    request resets the debug log."""
    from django.db import connection

    statements: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        status = client.get(url).status_code
    return status, len(statements)


# P3's other pages: (key, label, who asks, per team).
P3_PAGES = (
    ("dashboard", "organisation dashboard", "hr", False),
    ("my_skills", "My skills (the member's own ratings)", "member", False),
    ("people_list", "people list filtered on the team", "hr", True),
    ("person", "person page of the team's first member", "hr", True),
)


def measure_pages(
    organisation: Organisation, teams: list[tuple[str, int, int]]
) -> list[dict[str, Any]]:
    """Statements of one request to each page of ``P3_PAGES`` (after one warm-up request to the page), per
    team where the team matters; one entry per page with its counts and whether they meet P3."""
    from django.urls import reverse

    from bench.generate import HR_EMAIL, MEMBER_EMAIL
    from skillsmap.core.tenancy import organisation_context
    from teams.models import TeamMembership

    clients = {"hr": _client(HR_EMAIL), "member": _client(MEMBER_EMAIL)}
    slug = {"org_slug": organisation.slug}
    with organisation_context(organisation):
        first_member = {
            team_id: TeamMembership.objects.filter(organisation=organisation, team_id=team_id)
            .order_by("person_id")
            .values_list("person_id", flat=True)
            .first()
            for _, team_id, _ in teams
        }
    pages = []
    for key, label, who, per_team in P3_PAGES:
        targets: list[tuple[str | None, int | None, str]] = []
        if key == "dashboard":
            targets.append((None, None, reverse("reports:organisation_dashboard", kwargs=slug)))
        elif key == "my_skills":
            targets.append((None, None, reverse("skills:self_rating", kwargs=slug)))
        for team_name, team_id, people in teams if per_team else ():
            if key == "people_list":
                url = f"{reverse('teams:person_list', kwargs=slug)}?team={team_id}"
            else:
                url = reverse(
                    "teams:person_detail", kwargs={**slug, "person_id": first_member[team_id]}
                )
            targets.append((team_name, people, url))
        counts: list[dict[str, Any]] = []
        clients[who].get(targets[0][2])  # warm up: caches, session, the page's first compile
        for name, size, url in targets:
            status, queries = _statements(clients[who], url)
            counts.append({"team": name, "people": size, "status": status, "queries": queries})
        distinct: set[int] = {c["queries"] for c in counts}
        pages.append(
            {
                "page": key,
                "what": label,
                "as": who,
                "counts": counts,
                "queries_same_for_all": len(distinct) == 1,
                "met": len(distinct) == 1
                and max(distinct) <= QUERY_GOAL
                and all(c["status"] == 200 for c in counts),
            }
        )
    return pages


def _alternated(
    first: Callable[[], Any], second: Callable[[], Any], runs: int
) -> tuple[list[float], list[float]]:
    """Two requests timed in turn, so that both see the same load: the paged parent team's page
    against the 200-person team's, whose ratio is P4's goal for a large team."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(runs):
        a += timed(first, 1)
        b += timed(second, 1)
    return a, b


def measure_p3_p4(*, runs: int) -> dict[str, Any]:
    from django.test.utils import override_settings
    from django.urls import reverse

    from bench.generate import HR_EMAIL
    from reports.selectors import team_matrix
    from skillsmap.core.tenancy import organisation_context
    from teams.models import Team

    organisation = large_organisation()
    client = _client(HR_EMAIL)
    teams = []
    measured = _matrix_teams(organisation)
    urls: dict[str, str] = {}
    with override_settings(ROOT_URLCONF="bench.views"):
        for name, team_id, people in measured:
            url = urls[name] = reverse(
                "reports:team_matrix", kwargs={"org_slug": organisation.slug, "team_id": team_id}
            )
            # The page's table: its first page of people (reports.selectors.MATRIX_PAGE_SIZE),
            # which is the whole team up to that size.
            with organisation_context(organisation):
                matrix = team_matrix(
                    organisation=organisation, team=Team.objects.get(pk=team_id), page=1
                )
            size = (len(matrix.rows), len(matrix.columns))
            bare = reverse("bench_table", kwargs={"rows": size[0], "columns": size[1]})
            assert client.get(url).status_code == 200 and client.get(bare).status_code == 200
            _, queries = _statements(client, url)
            page = timed(lambda url=url: client.get(url), runs)
            baseline = timed(lambda bare=bare: client.get(bare), runs)
            ratio = statistics.median(page) / statistics.median(baseline)
            entry: dict[str, Any] = {
                "team": name,
                "people": people,
                "parent": name == PARENT_TEAM,
                "rows": size[0],
                "columns": size[1],
                "queries": queries,
                "page_s": stats(page),
                "bare_view_s": stats(baseline),
                "ratio": round(ratio, 2),
                "team_rows": matrix.people_total,
                "pages": matrix.pages,
            }
            if matrix.pages > 1:
                # A paged matrix leaves the whole team's mentor pairs to a request of their own
                # (loaded when the card scrolls into view): reported beside the page.
                mentors = reverse(
                    "reports:team_matrix_mentors",
                    kwargs={"org_slug": organisation.slug, "team_id": team_id},
                )
                assert client.get(mentors).status_code == 200
                _, entry["mentor_pairs_queries"] = _statements(client, mentors)
                entry["mentor_pairs_s"] = stats(timed(lambda m=mentors: client.get(m), runs))
            teams.append(entry)
        # P4 for a large team: its (paged) page against the 200-person team's page, in turn.
        by_name = {t["team"]: t for t in teams}
        for t in teams:
            if t["parent"] and MATRIX_TEAMS[0] in by_name:
                parent_s, team_200_s = _alternated(
                    lambda u=urls[t["team"]]: client.get(u),
                    lambda: client.get(urls[MATRIX_TEAMS[0]]),
                    runs,
                )
                t["vs_200"] = {
                    "team": MATRIX_TEAMS[0],
                    "people": by_name[MATRIX_TEAMS[0]]["people"],
                    "page_s": stats(parent_s),
                    "team_200_page_s": stats(team_200_s),
                    "ratio": round(statistics.median(parent_s) / statistics.median(team_200_s), 2),
                }
        pages = measure_pages(organisation, measured)
    counts = {t["queries"] for t in teams}
    return {
        "measure": "P3/P4",
        "what": "team matrix page: queries and server time vs a bare view of the same table "
        "(a parent team's paged page also vs the 200-person team's page); queries of one "
        "request to the other pages",
        "teams": teams,
        "queries_same_for_all": len(counts) == 1,
        "goal": f"same query count <= {QUERY_GOAL}; ratio <= {PAGE_GOAL} (a parent team: its "
        f"page <= {PAGE_GOAL}x the 200-person page)",
        "met": len(counts) == 1
        and max(counts) <= QUERY_GOAL
        and all(_p4_ratio(t) <= PAGE_GOAL for t in teams),
        "pages": pages,
        "pages_goal": f"<= {QUERY_GOAL} queries, the same for every team size",
        "pages_met": all(p["met"] for p in pages),
    }


def _p4_ratio(team: dict[str, Any]) -> float:
    """The ratio P4 holds a team's page to: a parent team's against the 200-person team's page
    (issue #14: a 1,000-person team is paged, so its page costs at most twice the 200-person
    page), every other team's against the bare view of the same table."""
    return team["vs_200"]["ratio"] if "vs_200" in team else team["ratio"]


# --- P5 ----------------------------------------------------------------------------------------


def _rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory now (``VmRSS``) or at its peak (``VmHWM``). Not
    ``getrusage``: Linux carries ``ru_maxrss`` across ``exec``, so a child would report the peak
    of the parent that started it."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_once(fmt: str) -> dict[str, Any]:
    """One gap report of the large organisation, whole organisation, in this process."""
    from reports.exports import XLSX, CsvWriter, Scope, gap_report_write
    from skillsmap.core.tenancy import organisation_context
    from teams.models import Team

    class CsvWithSheets(CsvWriter):
        """Every row the workbook gets (team sheets included), written by the csv module."""

        wants_sheets = True

    organisation = large_organisation()
    with organisation_context(organisation):
        team_ids = frozenset(
            Team.objects.filter(organisation=organisation).values_list("pk", flat=True)
        )
        scope = Scope(True, [], team_ids)
        baseline = _rss_mb()
        started = time.perf_counter()
        data, rows = gap_report_write(
            organisation=organisation,
            scope=scope,
            fmt=XLSX if fmt == "xlsx" else "csv",
            writer=None if fmt == "xlsx" else CsvWithSheets(),
        )
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": rows,
        "bytes": len(data),
        "rss_before_mb": round(baseline, 1),
        "peak_rss_mb": round(_rss_mb("VmHWM"), 1),
    }


def _export_in_child(fmt: str) -> dict[str, Any]:
    """A process of its own, so that its peak memory is the export's and nothing else's."""
    return _child("--export-child", fmt)


def _child(*args: str) -> dict[str, Any]:
    """``python -m bench.measure <args>`` in a fresh process; its last line, a JSON object, holds
    its own ``VmHWM`` (read from ``/proc/self/status`` by the child, so the peak is its alone)."""
    out = subprocess.run(  # noqa: S603  (our own module, fixed arguments)
        [sys.executable, "-m", "bench.measure", *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"]},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_p5(
    *, runs: int, in_process: bool = False, reference_median: float | None = None
) -> dict[str, Any]:
    run = export_once if in_process else _export_in_child
    xlsx = [run("xlsx") for _ in range(runs)]
    csv = [run("csv") for _ in range(runs)]
    x, c = [r["seconds"] for r in xlsx], [r["seconds"] for r in csv]
    peak = max(r["peak_rss_mb"] for r in xlsx)
    ratio = statistics.median(x) / statistics.median(c)
    if reference_median is None:  # P1 was not run: time the reference SQL here
        from bench import reference

        organisation = large_organisation()
        reference.reference_prepare()
        reference_median = statistics.median(
            timed(
                lambda: reference.reference_compute(organisation=organisation),
                max(1, runs),
                before=vacuum,
            )
        )
    reference_ratio = statistics.median(x) / reference_median
    return {
        "measure": "P5",
        "what": "XLSX gap report of the large organisation vs the same rows with the csv module",
        "xlsx_s": stats(x),
        "csv_s": stats(c),
        "ratio": round(ratio, 2),
        "reference_s": round(reference_median, 4),
        "reference_ratio": round(reference_ratio, 2),
        "peak_process": "in-process (not isolated)" if in_process else "fresh child process",
        "peak_rss_mb": peak,
        "rss_before_export_mb": xlsx[0]["rss_before_mb"],
        "csv_peak_rss_mb": max(r["peak_rss_mb"] for r in csv),
        "gap_rows": xlsx[0]["rows"],
        "xlsx_bytes": xlsx[0]["bytes"],
        "goal": f"peak <= {MEMORY_GOAL_MB} MB; ratio <= {XLSX_GOAL}",
        "met": peak <= MEMORY_GOAL_MB and ratio <= XLSX_GOAL,
        "reference_goal": f"reference_ratio <= {REFERENCE_GOAL}",
        "reference_met": reference_ratio <= REFERENCE_GOAL,
    }


# --- Rating save and the team matrix API -------------------------------------------------------


def measure_requests(*, runs: int) -> dict[str, Any]:
    from django.urls import reverse

    from bench.generate import HR_EMAIL, MEMBER_EMAIL

    organisation, _, _, skill = _member_and_skill()
    last_id = _last_rating_id(organisation)
    member = _client(MEMBER_EMAIL)
    save = reverse(
        "skills:self_rating_save", kwargs={"org_slug": organisation.slug, "skill_id": skill.pk}
    )
    levels = iter(["4", "1"] * (runs + 1))

    def post() -> None:
        response = member.post(save, {"level": next(levels)}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, response.status_code

    try:
        post()  # warm up
        saves = [s * 1000 for s in timed(post, runs)]
    finally:
        _forget_ratings_after(organisation, last_id)
    hr = _client(HR_EMAIL)
    team = next(t for t in _matrix_teams(organisation) if t[0] == MATRIX_TEAMS[1])
    api = reverse("api:team-matrix", kwargs={"org_slug": organisation.slug, "team_id": team[1]})
    assert hr.get(api).status_code == 200
    reads = [s * 1000 for s in timed(lambda: hr.get(api), runs)]
    save_stats = stats(saves)
    return {
        "measure": "requests",
        "what": f"self-rating save (htmx POST) and team matrix API ({team[2]} people)",
        "rating_save_ms": save_stats,
        "team_matrix_api_ms": stats(reads),
        "goal": f"rating save p95 <= {SAVE_P95_GOAL_MS} ms",
        "met": save_stats.get("p95", save_stats["max"]) <= SAVE_P95_GOAL_MS,
    }


# --- The report --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import django
    from django.db import connection

    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
        with open("/proc/meminfo") as info:
            memory = round(
                int(next(line for line in info if line.startswith("MemTotal")).split()[1])
                / 1024**2,
                1,
            )
    except (OSError, StopIteration):
        memory = None
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        database = cursor.fetchone()[0].split(" on ")[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database,
        "load average at start": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def _line(result: dict[str, Any]) -> str:
    return json.dumps(result, default=str)


def _s(value: dict[str, float], unit: str = "s") -> str:
    return (
        f"{value['median']} {unit} (min {value['min']}, max {value['max']}, {value['runs']} runs)"
    )


def render(
    results: list[dict[str, Any]],
    profiles: dict[str, str],
    info: dict[str, Any],
    spec: str,
    runs: int,
    workload: str = "L",
    other_p1: dict[str, Any] | None = None,
) -> str:
    """The generated part of BENCHMARKS.md for one workload. ``other_p1``: the P1 line of the
    other workload's section, when the report has one (P1m's growth goal compares XL with L)."""
    by = {r["measure"]: r for r in results}
    start, _ = MARKERS[workload]
    out = [
        start,
        f"## Results, workload {workload}",
        "",
        f"Generated by `{COMMANDS[workload]}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; times are medians of "
        f"{runs} runs (min and max in brackets) unless stated. Data: `python -m bench.generate {spec}`.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()) + ".",
        "",
        "| measure | figure | goal | met |",
        "| --- | --- | --- | :-: |",
    ]

    def row(name: str, figure: str, goal: str, met: bool) -> None:
        out.append(f"| {name} | {figure} | {goal} | {'yes' if met else '**no**'} |")

    if "P1" in by:
        p1 = by["P1"]
        row(
            "P1 full recompute",
            f"engine {_s(p1['engine_s'])}; reference SQL {_s(p1['reference_s'])}; ratio "
            f"{p1['ratio']}×; from no results {_s(p1['engine_from_empty_s'])}, ratio "
            f"{p1['ratio_from_empty']}×; {p1['comparison']['rows']} gap scores, identical: "
            f"{'yes' if p1['identical'] else 'NO'}",
            f"≤ {P1_GOAL}× (both) and identical",
            p1["met"],
        )
        peak = p1["peak_rss_mb"]
        figure = (
            f"peak RSS (VmHWM) {peak} MB, {p1['peak_process']} (at {p1['rss_before_recompute_mb']} "
            f"MB before the recompute; that run {p1['child_recompute_s']} s)"
        )
        l_peak = (other_p1 or {}).get("peak_rss_mb") if workload == "XL" else None
        if workload == "XL":
            met = peak <= RECOMPUTE_PEAK_GOAL_MB
            goal = f"≤ {RECOMPUTE_PEAK_GOAL_MB} MB on XL"
            if l_peak:
                figure += f"; {round(peak / l_peak, 2)}× L's {l_peak} MB"
                goal += f"; ≤ {RECOMPUTE_PEAK_GROWTH}× L's"
                met = met and peak <= RECOMPUTE_PEAK_GROWTH * l_peak
            row("P1m recompute peak memory", figure, goal, met)
        else:
            xl_peak = (other_p1 or {}).get("peak_rss_mb")
            if xl_peak:
                figure += f"; XL's peak {xl_peak} MB ({round(xl_peak / peak, 2)}× this)"
            out.append(
                f"| P1m recompute peak memory | {figure} | reported (the goal is XL's: "
                f"≤ {RECOMPUTE_PEAK_GOAL_MB} MB, ≤ {RECOMPUTE_PEAK_GROWTH}× L's) | – |"
            )
    if "P2" in by:
        p2 = by["P2"]
        row(
            "P2 one rating → fresh rows",
            f"{_s(p2['change_s'])}; {p2['ratio_to_p1']} of P1; equal to a full recompute: "
            f"{'yes' if p2['fresh_equals_full'] else 'NO'}",
            f"≤ 1/{round(1 / P2_GOALS.get(workload, P2_GOAL))} "
            f"({P2_GOALS.get(workload, P2_GOAL)}) of P1",
            p2["met"],
        )
    if "P3/P4" in by:
        p3 = by["P3/P4"]
        for t in p3["teams"]:
            kind = "parent team (subtree)" if t.get("parent") else "team matrix"
            table = f"{t['rows']}×{t['columns']}"
            if t.get("pages", 1) > 1:
                table += f", page 1 of {t['pages']} of {t['team_rows']} rows"
            figure = (
                f"{t['queries']} queries; page {_s(t['page_s'])}; bare view "
                f"{_s(t['bare_view_s'])}; ratio {t['ratio']}×"
            )
            goal = f"same count ≤ {QUERY_GOAL}; ≤ {PAGE_GOAL}×"
            if "vs_200" in t:
                v = t["vs_200"]
                figure += (
                    f"; in turn with the {v['people']}-person page: {_s(v['page_s'])} vs "
                    f"{_s(v['team_200_page_s'])}, ratio {v['ratio']}×"
                )
                goal = f"same count ≤ {QUERY_GOAL}; ≤ {PAGE_GOAL}× the 200-person page"
            if "mentor_pairs_s" in t:
                figure += (
                    f"; its mentor pairs (own request, {t['mentor_pairs_queries']} queries) "
                    f"{_s(t['mentor_pairs_s'])}"
                )
            row(
                f"P3/P4 {kind}, {t['people']} people ({table})",
                figure,
                goal,
                t["queries"] <= QUERY_GOAL
                and p3["queries_same_for_all"]
                and _p4_ratio(t) <= PAGE_GOAL,
            )
        for page in p3.get("pages", []):
            counts = "; ".join(
                f"{c['queries']} queries"
                + (f" ({c['people']} people)" if c["team"] else "")
                + ("" if c["status"] == 200 else f" HTTP {c['status']}")
                for c in page["counts"]
            )
            sizes = "same for every team size" if len(page["counts"]) > 1 else "one request"
            row(
                f"P3 {page['what']}",
                f"{counts} (as {page['as']})",
                f"≤ {QUERY_GOAL}, {sizes}",
                page["met"],
            )
    if "P5" in by:
        p5 = by["P5"]
        row(
            "P5 XLSX gap report",
            f"peak RSS {p5['peak_rss_mb']} MB (process at {p5['rss_before_export_mb']} MB before "
            f"the export); XLSX {_s(p5['xlsx_s'])}; csv module {_s(p5['csv_s'])}; ratio "
            f"{p5['ratio']}×; {p5['gap_rows']} gap rows + team sheets",
            f"≤ {MEMORY_GOAL_MB} MB; ≤ {XLSX_GOAL}×",
            p5["met"],
        )
        row(
            "P5 XLSX vs reference SQL",
            f"XLSX {p5['xlsx_s']['median']} s / reference SQL {p5['reference_s']} s (P1's, same "
            f"run) = {p5['reference_ratio']}×",
            f"≤ {REFERENCE_GOAL}×",
            p5["reference_met"],
        )
    if "requests" in by:
        rq = by["requests"]
        s, a = rq["rating_save_ms"], rq["team_matrix_api_ms"]
        row(
            "Rating save (htmx POST)",
            f"median {s['median']} ms, p95 {s.get('p95', '–')} ms (min {s['min']}, max {s['max']}, "
            f"{s['runs']} requests)",
            f"p95 ≤ {SAVE_P95_GOAL_MS} ms",
            rq["met"],
        )
        row(
            "Team matrix API (50 people)",
            f"median {a['median']} ms, p95 {a.get('p95', '–')} ms (min {a['min']}, max {a['max']})",
            "reported",
            True,
        )
    from bench.search import render_rows

    out += render_rows(results)
    if profiles:
        out += ["", "### Profiles of the missed goals", ""]
        for name, text in profiles.items():
            out += [f"{name} (pyinstrument, one run):", "", "```text", text, "```", ""]
    out += ["", "Raw figures (one JSON line per measure):", "", "```json"]
    out += [_line(r) for r in results]
    out += ["```", MARKERS[workload][1]]
    return "\n".join(out)


def section_lines(text: str, workload: str) -> list[dict[str, Any]]:
    """The JSON lines of one workload's section of a report (empty when it has none)."""
    start, end = MARKERS[workload]
    if start not in text or end not in text:
        return []
    section = text.split(start, 1)[1].split(end, 1)[0]
    lines = []
    for line in section.splitlines():
        if line.startswith('{"measure"'):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def other_p1(path: Path | None, workload: str) -> dict[str, Any] | None:
    """The P1 line of the other workload's section of the report, if there is one."""
    if path is None or not path.exists():
        return None
    other = next(w for w in WORKLOADS if w != workload)
    return next((r for r in section_lines(path.read_text(), other) if r["measure"] == "P1"), None)


def write_report(path: Path, generated: str, workload: str = "L") -> None:
    """Replace the part between this workload's markers; everything outside them (the other
    workload's section included) is kept as it is. A section not there yet is appended."""
    start, end = MARKERS[workload]
    text = path.read_text() if path.exists() else ""
    if start in text and end in text:
        head, rest = text.split(start, 1)
        tail = rest.split(end, 1)[1]
        text = head + generated + tail
    else:
        text = (
            (text or HEADER) + ("\n" if text and not text.endswith("\n") else "") + generated + "\n"
        )
    path.write_text(text)


HEADER = """# Benchmarks

Speed targets of skillsmap (GitHub issues #6 and #14), measured against PostgreSQL on the data of
`bench/generate.py`, in two workloads:

- **L** (`make bench`, `--preset L`): one organisation of 10,000 people in 200 teams, 1,500 skills,
  about 400,000 rating events with history, 60 role profiles, about 15,000 role assignments, and
  20 neighbouring organisations of 500 people.
- **XL** (`make bench-xl`, by hand, not in CI; `--preset XL`): one organisation of 55,000 people in
  1,100 teams (parent teams of up to 1,000 people, one of exactly 1,000), 2,500 skills, about
  4,000,000 rating events (72 a person), 120 role profiles, and 200 neighbouring organisations of
  100 people.

```sh
make bench     # DATABASE_URL defaults to postgres://skillsmap@127.0.0.1:5432/skillsmap_bench
make bench-xl  # DATABASE_URL defaults to postgres://skillsmap@127.0.0.1:5432/skillsmap_bench_xl
```

Each workload rewrites only its own section between the markers below; the rest of this file is
left as it is.

"""


def run_all(
    *,
    runs: int,
    only: set[str] | None = None,
    in_process: bool = False,
    profile_misses: bool = True,
    workload: str = "L",
    report: Path | None = None,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Run the measures, printing one JSON line each; profile those that miss their goal.
    ``report``: the Markdown file whose other workload's section P8 compares with."""
    from reports.recompute import recompute_organisation

    results: list[dict[str, Any]] = []
    profiles: dict[str, str] = {}
    organisation = large_organisation()

    def emit(result: dict[str, Any]) -> None:
        result = {"measure": result["measure"], "workload": workload, **result}
        results.append(result)
        print(_line(result), flush=True)

    p1_median = reference_median = None
    if not only or "P1" in only:
        p1 = measure_p1(runs=runs, in_process=in_process)
        p1_median = p1["engine_s"]["median"]
        reference_median = p1["reference_s"]["median"]
        emit(p1)
        if profile_misses and not p1["met"]:
            profiles["P1 full recompute"] = profile(
                lambda: recompute_organisation(organisation_id=organisation.pk)
            )
    if not only or "P2" in only:
        emit(
            measure_p2(
                runs=runs if in_process else max(runs, 10),
                p1_engine_median=p1_median,
                workload=workload,
            )
        )
    if not only or "P3" in only:
        p3 = measure_p3_p4(runs=runs if in_process else max(runs, 5))
        emit(p3)
        if profile_misses and not p3["met"]:
            from django.test.utils import override_settings
            from django.urls import reverse

            from bench.generate import HR_EMAIL

            client = _client(HR_EMAIL)
            team = _matrix_teams(organisation)[0]
            url = reverse(
                "reports:team_matrix", kwargs={"org_slug": organisation.slug, "team_id": team[1]}
            )
            with override_settings(ROOT_URLCONF="bench.views"):
                profiles[f"P3/P4 team matrix page, {team[2]} people"] = profile(
                    lambda: client.get(url)
                )
    if not only or "P5" in only:
        p5 = measure_p5(
            runs=max(1, min(runs, 3)), in_process=in_process, reference_median=reference_median
        )
        emit(p5)
        if profile_misses and not p5["met"]:
            profiles["P5 XLSX gap report"] = profile(lambda: export_once("xlsx"))
    if not only or "requests" in only:
        rq = measure_requests(runs=max(runs * 8, 40) if not in_process else 20)
        emit(rq)
    # People search and the dashboard (bench/search.py, which imports this module).
    from bench import search

    if not only or "P6" in only:
        p6 = search.measure_p6(runs=runs if in_process else max(runs, 5))
        emit(p6)
        if profile_misses and not p6["met"]:
            profiles["P6 people search (selector)"] = search.profile_p6()
    if not only or "P8" in only:
        p8 = search.measure_p8(
            runs=runs if in_process else max(runs, 5),
            workload=workload,
            other=search.other_line(report, workload, "P8"),
        )
        emit(p8)
        if profile_misses and p8["met"] is False:
            profiles["P8 organisation dashboard"] = search.profile_p8()
    return results, profiles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.measure", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--report", type=Path, help="write the results into this Markdown file")
    parser.add_argument("--only", help="comma-separated: P1,P2,P3,P5,requests,P6,P8")
    parser.add_argument("--spec", default="", help="the generator's arguments, for the report")
    parser.add_argument(
        "--workload",
        choices=WORKLOADS,
        default="L",
        help="the data's workload (bench.generate --preset): labels the lines, picks the section",
    )
    parser.add_argument("--export-child", choices=["xlsx", "csv"], help=argparse.SUPPRESS)
    parser.add_argument("--recompute-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from bench.generate import setup_django

    setup_django()
    if args.export_child:
        result = export_once(args.export_child)
        print(json.dumps(result))
        return 0
    if args.recompute_child:
        print(json.dumps(recompute_once()))
        return 0
    from django.db import connection

    if connection.vendor != "postgresql":
        print("the benchmark runs on PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    only = {o.strip() for o in args.only.split(",")} if args.only else None
    results, profiles = run_all(
        runs=args.runs, only=only, workload=args.workload, report=args.report
    )
    if args.report:
        generated = render(
            results,
            profiles,
            machine(),
            args.spec,
            args.runs,
            workload=args.workload,
            other_p1=other_p1(args.report, args.workload),
        )
        write_report(args.report, generated, args.workload)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
