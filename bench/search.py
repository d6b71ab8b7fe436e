"""P6 and P8 of the benchmarks (issue #14), on the data of ``bench.generate``; one JSON line each,
read by ``bench.measure`` (``run_all``, ``render``).

- P6  people search as HR for three skills AND-ed, each at or above a level. Timed: the selector
      the search page calls (``skills.selectors.ratings.people_search``, for every match, as the
      page asks it) against ``REFERENCE_SQL``, a hand-written query of the same people that states
      the effective-level rule of ``skills.levels`` on its own. Checked: both find the same people
      with the same totals, and the page says as many. The page request is timed too (reported:
      it also renders the framework's skills three times in its form), and its statements are
      counted at three result sizes, which must be equal.
- P8  the organisation dashboard page as HR: its time on this workload, and XL's against L's
      when the report holds the other workload's P8 line (``other_line``).

The skills searched are the three that the roles of the most people require together (a search
many people meet); the timed search asks for ``SEARCH_MINIMUM`` in each. Nothing is written.
"""

from __future__ import annotations

import os
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bench.measure import (
    WORKLOADS,
    _client,
    _s,
    _statements,
    large_organisation,
    profile,
    section_lines,
    stats,
    timed,
)

if TYPE_CHECKING:
    from accounts.models import Organisation

P6_GOAL = 2.0  # the search against the reference SQL
P8_GOAL = 2.0  # the dashboard on XL against L
SEARCH_MINIMUM = 2  # the timed search: at least this level in each skill
# The statement count is taken at these minimums: results over and under a page (200) of them.
STATEMENT_MINIMUMS = (1, SEARCH_MINIMUM, 4)

# The people (active, of the organisation) whose effective level in each wanted skill is at least
# its minimum, with the sum of those levels, in the page's order. The effective level restated
# from skills.levels' docstring, not from its code: the latest self assessment (self or import)
# and the latest manager validation, each by (rated_at, id); the manager's unless the self
# assessment is newer by more than the review period; reviews never assess; "not applicable" has
# no level, so it never matches. HR may see everyone, so there is no visibility filter.
REFERENCE_SQL = """
WITH wanted (skill_id, minimum) AS (
    SELECT * FROM unnest(%(skills)s::bigint[], %(minimums)s::integer[])
), latest AS (
    SELECT DISTINCT ON (r.person_id, r.skill_id, r.source = 'manager')
           r.person_id, r.skill_id, r.source = 'manager' AS by_manager,
           CASE WHEN r.not_applicable THEN NULL ELSE r.level END AS level, r.rated_at
    FROM skills_rating r
    WHERE r.organisation_id = %(org)s AND r.skill_id = ANY(%(skills)s)
      AND r.source IN ('self', 'import', 'manager')
    ORDER BY r.person_id, r.skill_id, r.source = 'manager', r.rated_at DESC, r.id DESC
), effective AS (
    SELECT coalesce(s.person_id, m.person_id) AS person_id,
           coalesce(s.skill_id, m.skill_id) AS skill_id,
           CASE WHEN m.person_id IS NOT NULL
                     AND (s.person_id IS NULL OR s.rated_at - m.rated_at <= %(period)s)
                THEN m.level ELSE s.level END AS level
    FROM (SELECT * FROM latest WHERE NOT by_manager) s
    FULL JOIN (SELECT * FROM latest WHERE by_manager) m
           ON m.person_id = s.person_id AND m.skill_id = s.skill_id
)
SELECT p.id, sum(e.level) AS total
FROM effective e
JOIN wanted w ON w.skill_id = e.skill_id AND e.level >= w.minimum
JOIN teams_person p ON p.id = e.person_id AND p.organisation_id = %(org)s AND p.is_active
GROUP BY p.id, p.name
HAVING count(*) = (SELECT count(DISTINCT skill_id) FROM wanted)
ORDER BY total DESC, lower(p.name), p.id
"""


# --- P6 ----------------------------------------------------------------------------------------


def search_skills(organisation: Organisation) -> list[int]:
    """The three skills required together by the roles of the most people (their current role),
    ties to the lowest ids: the people of those roles rate them, so many meet the search."""
    from roles.models import RoleAssignment, RoleRequirement
    from skillsmap.core.tenancy import organisation_context

    with organisation_context(organisation):
        holders = Counter(
            RoleAssignment.objects.filter(
                organisation=organisation, kind=RoleAssignment.Kind.CURRENT
            ).values_list("role_id", flat=True)
        )
        required: dict[int, set[int]] = defaultdict(set)
        for role_id, skill_id in RoleRequirement.objects.filter(
            organisation=organisation
        ).values_list("role_id", "skill_id"):
            required[role_id].add(skill_id)
    people: Counter[tuple[int, ...]] = Counter()
    for role_id, skills in required.items():
        for triple in combinations(sorted(skills), 3):
            people[triple] += holders[role_id]
    best = min(people, key=lambda triple: (-people[triple], triple))
    return list(best)


def reference_search(
    *, organisation: Organisation, skill_ids: list[int], minimum: int
) -> list[tuple[int, int]]:
    """(person id, total) of ``REFERENCE_SQL``, in its order."""
    from django.db import connection

    from skills.selectors.levels import review_period
    from skillsmap.core.tenancy import organisation_context

    params: dict[str, Any] = {
        "org": organisation.pk,
        "skills": skill_ids,
        "minimums": [minimum] * len(skill_ids),
        "period": review_period(organisation),
    }
    with organisation_context(organisation), connection.cursor() as cursor:
        cursor.execute(REFERENCE_SQL, params)
        return [(person_id, int(total)) for person_id, total in cursor.fetchall()]


def selector_search(
    *, organisation: Organisation, skill_ids: list[int], minimum: int
) -> Callable[[], list[tuple[int, int]]]:
    """A call of the selector the search page calls, as HR, for every match (as the page asks);
    it returns (person id, total) in its order. The caller's membership and the skills are read
    here, once, as the page reads them before it searches."""
    from accounts.models import Membership
    from bench.generate import HR_EMAIL
    from skills.models import Skill
    from skills.selectors.ratings import people_search
    from skills.views.ratings import SEARCH_EVERYONE
    from skillsmap.core.tenancy import organisation_context

    with organisation_context(organisation):
        membership = Membership.objects.get(organisation=organisation, user__email=HR_EMAIL)
        skills = Skill.objects.filter(organisation=organisation).in_bulk(skill_ids)
    criteria = [(skills[pk], minimum) for pk in skill_ids]

    def search() -> list[tuple[int, int]]:
        with organisation_context(organisation):
            results, _ = people_search(
                organisation=organisation,
                membership=membership,
                criteria=criteria,
                limit=SEARCH_EVERYONE,
            )
        return [(r.person.pk, r.total) for r in results]

    return search


def search_url(organisation: Organisation, skill_ids: list[int], minimum: int) -> str:
    from django.urls import reverse

    query = urlencode(
        [(key, v) for pk in skill_ids for key, v in (("skill", pk), ("min", minimum))]
    )
    return f"{reverse('skills:people_search', kwargs={'org_slug': organisation.slug})}?{query}"


# The count of matches on the page: "<h2>196 people</h2>".
_PAGE_COUNT = re.compile(r"<h2>(\d+) (?:person|people)</h2>")


def _page_count(html: str) -> int | None:
    found = _PAGE_COUNT.search(html)
    return int(found.group(1)) if found else None


def compare(search: list[tuple[int, int]], reference: list[tuple[int, int]]) -> dict[str, Any]:
    """The selector's matches against the reference's: the same people with the same totals."""
    mine, theirs = dict(search), dict(reference)
    return {
        "people": len(mine),
        "reference_people": len(theirs),
        "only_search": len(mine.keys() - theirs.keys()),
        "only_reference": len(theirs.keys() - mine.keys()),
        "differing_totals": sum(1 for k in mine.keys() & theirs.keys() if mine[k] != theirs[k]),
        "same_order": search == reference,
        "identical": mine == theirs,
    }


def measure_p6(*, runs: int) -> dict[str, Any]:
    from bench.generate import HR_EMAIL

    organisation = large_organisation()
    skill_ids = search_skills(organisation)

    search = selector_search(organisation=organisation, skill_ids=skill_ids, minimum=SEARCH_MINIMUM)

    def reference() -> list[tuple[int, int]]:
        return reference_search(
            organisation=organisation, skill_ids=skill_ids, minimum=SEARCH_MINIMUM
        )

    # Warm up (the first run reads the ratings from disk), and the answers compared.
    check = compare(search(), reference())
    # Interleaved, so that the load of a noisy machine falls on both alike.
    search_s: list[float] = []
    reference_s: list[float] = []
    for _ in range(runs):
        search_s += timed(search, 1)
        reference_s += timed(reference, 1)
    client = _client(HR_EMAIL)
    url = search_url(organisation, skill_ids, SEARCH_MINIMUM)
    response = client.get(url)  # warm up: caches, session, the template's first compile
    check["page_people"] = _page_count(response.content.decode())
    page_s = timed(lambda: client.get(url), runs)
    statements = []
    for minimum in STATEMENT_MINIMUMS:
        people = len(
            reference_search(organisation=organisation, skill_ids=skill_ids, minimum=minimum)
        )
        status, queries = _statements(client, search_url(organisation, skill_ids, minimum))
        statements.append(
            {"minimum": minimum, "people": people, "status": status, "queries": queries}
        )
    ratio = statistics.median(search_s) / statistics.median(reference_s)
    identical = bool(check["identical"]) and check["page_people"] == check["people"]
    same_count = len({s["queries"] for s in statements}) == 1
    return {
        "measure": "P6",
        "what": f"people search as HR: three skills AND-ed, each >= {SEARCH_MINIMUM}; the "
        "selector the page calls vs a hand-written SQL query of the same people; the page's "
        "statements at three result sizes",
        "skills": skill_ids,
        "minimum": SEARCH_MINIMUM,
        "people": check["people"],
        "search_s": stats(search_s),
        "reference_s": stats(reference_s),
        "ratio": round(ratio, 2),
        "page_s": stats(page_s),
        "page_ratio": round(statistics.median(page_s) / statistics.median(reference_s), 2),
        "statements": statements,
        "statements_same_for_all": same_count,
        "identical": identical,
        "comparison": check,
        "load_average": _load(),
        "goal": f"ratio <= {P6_GOAL}; identical; the same statement count at every result size",
        "met": ratio <= P6_GOAL
        and identical
        and same_count
        and all(s["status"] == 200 for s in statements),
    }


def profile_p6() -> str:
    """A pyinstrument call tree of one run of P6's selector search (for a missed goal)."""
    organisation = large_organisation()
    skill_ids = search_skills(organisation)
    return profile(
        selector_search(organisation=organisation, skill_ids=skill_ids, minimum=SEARCH_MINIMUM)
    )


# --- P8 ----------------------------------------------------------------------------------------


def other_line(path: Path | None, workload: str, measure: str) -> dict[str, Any] | None:
    """The line of ``measure`` in the other workload's section of the report, if there is one."""
    if path is None or not path.exists():
        return None
    other = next(w for w in WORKLOADS if w != workload)
    lines = section_lines(path.read_text(), other)
    return next((r for r in lines if r["measure"] == measure), None)


def _dashboard_url(organisation: Organisation) -> str:
    from django.urls import reverse

    return reverse("reports:organisation_dashboard", kwargs={"org_slug": organisation.slug})


def measure_p8(
    *, runs: int, workload: str = "L", other: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The dashboard's time here; with ``other`` (the other workload's P8 line, ``other_line``)
    also XL's median against L's. The two come from different runs, perhaps at different loads:
    each line carries its own load average."""
    from bench.generate import HR_EMAIL

    organisation = large_organisation()
    client = _client(HR_EMAIL)
    url = _dashboard_url(organisation)
    client.get(url)  # warm up
    status, queries = _statements(client, url)
    samples = timed(lambda: client.get(url), runs)
    median = statistics.median(samples)
    other_median = (other or {}).get("dashboard_s", {}).get("median")
    ratio = None
    if other_median:
        xl, large = (median, other_median) if workload == "XL" else (other_median, median)
        ratio = round(xl / large, 2)
    return {
        "measure": "P8",
        "what": "organisation dashboard page (as HR): its time on this workload, and XL's "
        "against L's (the other workload's line of the report)",
        "dashboard_s": stats(samples),
        "status": status,
        "queries": queries,
        "other_workload": next(w for w in WORKLOADS if w != workload),
        "other_dashboard_s": other_median,
        "other_load_average": (other or {}).get("load_average"),
        "ratio": ratio,
        "load_average": _load(),
        "goal": f"XL <= {P8_GOAL} x L",
        # Unknown (null) until both workloads have a figure.
        "met": None if ratio is None else ratio <= P8_GOAL and status == 200,
    }


def profile_p8() -> str:
    """A pyinstrument call tree of one dashboard request (for a missed goal)."""
    from bench.generate import HR_EMAIL

    organisation = large_organisation()
    client = _client(HR_EMAIL)
    url = _dashboard_url(organisation)
    client.get(url)
    return profile(lambda: client.get(url))


# --- The report --------------------------------------------------------------------------------


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _met(met: bool | None) -> str:
    return "–" if met is None else "yes" if met else "**no**"


def render_rows(results: list[dict[str, Any]]) -> list[str]:
    """Rows of the results table of BENCHMARKS.md for the P6 and P8 lines among ``results``."""
    rows = []
    for r in results:
        if r["measure"] == "P6":
            c = r["comparison"]
            sizes = "; ".join(
                f"{s['queries']} queries ({s['people']} people, at least {s['minimum']})"
                + ("" if s["status"] == 200 else f" HTTP {s['status']}")
                for s in r["statements"]
            )
            figure = (
                f"skills {', '.join(map(str, r['skills']))}, each ≥ {r['minimum']}: "
                f"{r['people']} people; selector {_s(r['search_s'])}; reference SQL "
                f"{_s(r['reference_s'])}; ratio {r['ratio']}×; same people and totals: "
                f"{'yes' if c['identical'] else 'NO'}, page shows {c['page_people']}; page "
                f"{_s(r['page_s'])} ({r['page_ratio']}× the SQL); {sizes}; load {r['load_average']}"
            )
            goal = f"≤ {P6_GOAL}× and identical; same count at every size"
            rows.append(
                f"| P6 people search, three skills | {figure} | {goal} | {_met(r['met'])} |"
            )
        elif r["measure"] == "P8":
            here = r.get("workload", "?")
            figure = (
                f"{_s(r['dashboard_s'])}, {r['queries']} queries (as hr; load {r['load_average']})"
            )
            if r["ratio"] is not None:
                figure += (
                    f"; {r['other_workload']}'s {r['other_dashboard_s']} s (load "
                    f"{r['other_load_average'] or '?'}); XL/L {r['ratio']}×"
                )
            else:
                figure += f"; no {r['other_workload']} figure in the report yet"
            rows.append(
                f"| P8 organisation dashboard ({here}) | {figure} | XL ≤ {P8_GOAL}× L | "
                f"{_met(r['met'])} |"
            )
    return rows
