"""The gap engine: pure functions over plain data, with no database access.

Pages, the API, the Celery recomputation and the exports all call these, so a number means the
same thing everywhere. Levels come from ``skills.levels.effective_level`` (``level_for_gap``:
unrated and "not applicable" both count as 0 for a required skill).

Formulas
--------
Per requirement of a role (skill, target level ``t``, weight ``w``, essential or optional), for a
person at effective level ``l``::

    shortfall = max(0, t - l)

Role gap of a person::

    gap = Σ w·shortfall / Σ w·t        shown as 0–100 %  (0 % = meets every target)
    readiness = 100 % - gap

Percentages and averages are rounded to 0.01, half to even, on the exact values (weights are the
two-decimal numbers entered), never on binary floats (``hundredths``).

plus the number of requirements met (shortfall 0) and a flag when any *essential* requirement
falls short by 2 levels or more. A role whose targets are all 0 has gap 0.

Per team and required skill (a skill required by the current role of at least one member; the
team's target for it is the highest target among those roles)::

    coverage n   = members at or above the team's target (whatever their own role)
    bus factor   = flagged when n ≤ 1: one departure leaves the skill uncovered
    avg shortfall = mean shortfall of the members whose role requires the skill, each against
                    their own role's target

Invariants (property-tested): the gap lies in 0–100; adding or raising a rating never increases it;
raising a target that the person does not already exceed never decreases it. (Raising a target the
person is *above* leaves the shortfall at 0 and enlarges the denominator, so the gap may fall: the
role asks more of everyone, and this person already delivers it.)

Team average gap (the trend snapshots, the organisation dashboard): the mean of the current-role
gaps of the team's direct members who have one (``mean_gap``, which the dashboard applies to the
sums and counts SQL adds up).

What-if: the same team figures recomputed without one person. Mentor pairs: within a team and
skill, members at 4 or above paired with members at 2 or below who marked interest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

ESSENTIAL_ALERT_SHORTFALL = 2
MENTOR_MIN_LEVEL = 4
MENTEE_MAX_LEVEL = 2


@dataclass(frozen=True)
class Requirement:
    skill_id: int
    target: int
    weight: float = 1.0
    essential: bool = True


@dataclass(frozen=True)
class RequirementResult:
    requirement: Requirement
    level: int
    shortfall: int

    @property
    def met(self) -> bool:
        return self.shortfall == 0


@dataclass(frozen=True)
class PersonGap:
    gap: float  # 0–100, rounded to 0.01
    met: int
    total: int
    essential_alert: bool
    results: tuple[RequirementResult, ...] = field(default=())

    @property
    def readiness(self) -> float:
        return float(100 - Decimal(repr(self.gap)))

    @property
    def missing(self) -> list[RequirementResult]:
        """Requirements not met, the heaviest (weight × shortfall) first."""
        return sorted(
            (r for r in self.results if not r.met),
            key=lambda r: (
                -exact(r.requirement.weight) * r.shortfall,
                -r.shortfall,
                r.requirement.skill_id,
            ),
        )


def shortfall(target: int, level: int) -> int:
    return max(0, target - level)


def exact(weight: float) -> Decimal:
    """A requirement's weight as the two-decimal number it was entered as (``1.1``, not the binary
    float nearest to it), so sums and orderings are exact, as they are in SQL."""
    return Decimal(repr(weight))


def hundredths(value: Decimal) -> Decimal:
    """Rounded to 0.01, half to even, on the exact value: a figure does not depend on binary
    floating point, and PostgreSQL's set-based recompute (``reports.sql``) rounds alike."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def person_gap(requirements: Sequence[Requirement], levels: Mapping[int, int]) -> PersonGap:
    """A person's gap against one role. ``levels`` maps skill id → effective level (missing = 0)."""
    results = tuple(
        RequirementResult(
            r, levels.get(r.skill_id, 0), shortfall(r.target, levels.get(r.skill_id, 0))
        )
        for r in requirements
    )
    denominator = sum((exact(r.weight) * r.target for r in requirements), Decimal(0))
    numerator = sum((exact(x.requirement.weight) * x.shortfall for x in results), Decimal(0))
    gap = 0.0 if denominator <= 0 else float(hundredths(100 * numerator / denominator))
    return PersonGap(
        gap=gap,
        met=sum(1 for x in results if x.met),
        total=len(results),
        essential_alert=any(
            x.requirement.essential and x.shortfall >= ESSENTIAL_ALERT_SHORTFALL for x in results
        ),
        results=results,
    )


def team_current_gaps(
    memberships: Iterable[tuple[int, int]], current_gap: Mapping[int, Decimal]
) -> dict[int, list[Decimal]]:
    """Team → the current-role gaps of its direct members (no sub-teams) who have one, from
    (team, person) pairs and person → gap, in the order of the pairs."""
    by_team: dict[int, list[Decimal]] = {}
    for team_id, person_id in memberships:
        if person_id in current_gap:
            by_team.setdefault(team_id, []).append(current_gap[person_id])
    return by_team


def mean_gap(total: Decimal, count: int) -> Decimal | None:
    """The mean of ``count`` gaps adding up to ``total``; ``None`` when there are none. The one
    definition of an average gap: ``team_average_gap`` over a list, and the organisation
    dashboard over the sums and counts SQL adds up (``reports.selectors``)."""
    if count <= 0:
        return None
    return total / count


def team_average_gap(member_gaps: Sequence[Decimal]) -> Decimal | None:
    """A team's average gap: the mean of its members' current-role gaps (``team_current_gaps``);
    ``None`` for a team with none (callers choose how to show it)."""
    return mean_gap(sum(member_gaps, Decimal(0)), len(member_gaps))


@dataclass(frozen=True)
class Member:
    """A team member as the engine sees them: their role's requirements and their levels."""

    person_id: int
    requirements: tuple[Requirement, ...]
    levels: Mapping[int, int]
    interests: frozenset[int] = frozenset()  # skill ids they want to grow in


@dataclass(frozen=True)
class SkillCoverage:
    skill_id: int
    target: int
    coverage: int
    required_by: int  # members whose role requires the skill
    avg_shortfall: float
    covered_by: tuple[int, ...]  # person ids at or above target

    @property
    def bus_factor_risk(self) -> bool:
        return self.coverage <= 1


def team_coverage(
    members: Iterable[Member], *, targets: Mapping[int, int] | None = None
) -> dict[int, SkillCoverage]:
    """Coverage, bus factor and average shortfall per skill required in the team.

    ``targets`` fixes the team's target per skill instead of deriving it from the members' roles
    (what-if keeps the team's targets while a person is taken away)."""
    members = list(members)
    derived: dict[int, int] = {}
    shortfalls: dict[int, list[int]] = {}
    for member in members:
        for r in member.requirements:
            derived[r.skill_id] = max(derived.get(r.skill_id, 0), r.target)
            shortfalls.setdefault(r.skill_id, []).append(
                shortfall(r.target, member.levels.get(r.skill_id, 0))
            )
    chosen = derived if targets is None else targets
    # Walk each member's rated skills once rather than every member once per skill: levels are
    # sparse (a few dozen of a framework's hundreds), and a large team has hundreds of skills.
    # Unrated counts as 0, which meets only a target of 0: every member covers those.
    covering: dict[int, list[int]] = {skill_id: [] for skill_id in chosen}
    anyone = [skill_id for skill_id, target in chosen.items() if target <= 0]
    for member in members:
        for skill_id, level in member.levels.items():
            target = chosen.get(skill_id)
            if target is not None and 0 < target <= level:
                covering[skill_id].append(member.person_id)
        for skill_id in anyone:
            covering[skill_id].append(member.person_id)
    coverage = {}
    for skill_id, target in chosen.items():
        covered = tuple(sorted(covering[skill_id]))
        values = shortfalls.get(skill_id, [])
        coverage[skill_id] = SkillCoverage(
            skill_id=skill_id,
            target=target,
            coverage=len(covered),
            required_by=len(values),
            avg_shortfall=float(hundredths(Decimal(sum(values)) / len(values))) if values else 0.0,
            covered_by=covered,
        )
    return coverage


@dataclass(frozen=True)
class CoverageChange:
    skill_id: int
    before: SkillCoverage
    after: SkillCoverage  # against the same target as before

    @property
    def coverage_after(self) -> int:
        return self.after.coverage

    @property
    def becomes_risk(self) -> bool:
        return not self.before.bus_factor_risk and self.coverage_after <= 1


def what_if_without(members: Iterable[Member], person_id: int) -> list[CoverageChange]:
    """The team's figures recomputed without one person, skill by skill, the worst change first
    ("without this person: Kubernetes coverage 1 → 0"). The team's targets stay those of the
    whole team: the question is what the team loses, not what it would then ask for."""
    members = list(members)
    before = team_coverage(members)
    after = team_coverage(
        (m for m in members if m.person_id != person_id),
        targets={skill_id: c.target for skill_id, c in before.items()},
    )
    changes = [CoverageChange(skill_id, b, after[skill_id]) for skill_id, b in before.items()]
    return sorted(
        changes,
        key=lambda c: (c.coverage_after - c.before.coverage, -int(c.becomes_risk), c.skill_id),
    )


@dataclass(frozen=True)
class MentorPair:
    skill_id: int
    mentor_id: int
    mentee_id: int
    mentor_level: int
    mentee_level: int


def mentor_pairs(members: Iterable[Member], *, limit: int | None = None) -> list[MentorPair]:
    """Within one team: for every skill, each interested member at level ≤ 2 paired with each
    member at level ≥ 4, strongest mentor first; skills in id order. ``limit`` stops after that
    many pairs (the team page shows the first few of a 1,000-person team's)."""
    # One pass over the members' levels and interests, not one per skill: a large team's page
    # shows hundreds of skills, and most members hold a level in few of them.
    mentors: dict[int, list[Member]] = {}
    mentees: dict[int, list[Member]] = {}
    for member in members:
        for skill_id, level in member.levels.items():
            if level >= MENTOR_MIN_LEVEL:
                mentors.setdefault(skill_id, []).append(member)
        for skill_id in member.interests:
            if member.levels.get(skill_id, 0) <= MENTEE_MAX_LEVEL:
                mentees.setdefault(skill_id, []).append(member)
    pairs: list[MentorPair] = []
    for skill_id in sorted(mentors.keys() & mentees.keys()):
        strongest = sorted(mentors[skill_id], key=lambda m: (-m.levels[skill_id], m.person_id))
        waiting = sorted(mentees[skill_id], key=lambda m: (m.levels.get(skill_id, 0), m.person_id))
        for mentee in waiting:
            for mentor in strongest:
                if mentor.person_id == mentee.person_id:
                    continue
                if limit is not None and len(pairs) >= limit:
                    return pairs
                pairs.append(
                    MentorPair(
                        skill_id,
                        mentor.person_id,
                        mentee.person_id,
                        mentor.levels[skill_id],
                        mentee.levels.get(skill_id, 0),
                    )
                )
    return pairs
