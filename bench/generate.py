"""The benchmark's data: one large organisation and its neighbours, deterministic for a seed.

    python -m bench.generate --preset L      # or: --preset XL (55,000 people, ~4 M ratings)
    python -m bench.generate --people 10000 --teams 200 --skills 1500 \\
        --ratings-per-person 40 --roles 60 --neighbours 20

builds, on PostgreSQL, one organisation ("bench-large") of ``--people`` people in ``--teams`` teams
(a team of 200, one of 50 and one of 10 among them, for the team-matrix measures; every tenth of the
others is the parent of the nine after it), ``--skills`` skills, about ``--ratings-per-person``
rating events per person with history (self, manager and import events over two years, a few "not
applicable", a few imports sharing a timestamp), ``--roles`` role profiles of about 15 requirements,
a current role for everyone and a target role for half of them, and ``--neighbours`` organisations
of ``--neighbour-people`` people (500) built the same way, so that every query runs among other
tenants' rows. ``--parent-block 1000`` (preset XL) adds a parent team whose subtree holds exactly
that many people (a parent of 50 and sub-teams of 50), for the team-matrix measures.

The large organisation is written in several transactions (its structure, then one per batch of
ratings), so that PostgreSQL checks the deferred foreign keys batch by batch instead of for
millions of rows at one COMMIT. Its name carries " (incomplete)" until the last neighbour is written
and the tables analysed: ``--if-missing`` takes only a finished dataset as built, and starts again
from an empty database otherwise.

Rows are written as the application role, inside ``organisation_context``, so row-level security
checks every one of them; ratings go in as ``INSERT … SELECT FROM unnest(arrays)`` in batches
(``COPY FROM`` is refused on tables with row-level security), everything else with ``bulk_create``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounts.models import Organisation
    from teams.models import Person

LARGE_SLUG = "bench-large"
NEIGHBOUR_PEOPLE = 500
INCOMPLETE = " (incomplete)"
# The team-matrix measures read teams of exactly these sizes (P3/P4).
MEASURED_TEAM_SIZES = (200, 50, 10)
MEMBER_EMAIL = "member@bench-large.example"
HR_EMAIL = "hr@bench-large.example"
PASSWORD = "bench-password-1"  # noqa: S105  (a throwaway bench database)
RATING_BATCH = 50_000
WEIGHTS = (Decimal("0.5"), Decimal("1"), Decimal("1"), Decimal("1.5"), Decimal("2"), Decimal("3"))
# A fixed "now" keeps the data (and so the gap numbers) identical from one run to the next.
EPOCH = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Spec:
    people: int = 10_000
    teams: int = 200
    skills: int = 1_500
    ratings_per_person: int = 40
    roles: int = 60
    neighbours: int = 20
    seed: int = 6
    neighbour_people: int = NEIGHBOUR_PEOPLE
    # People in the subtree of one measured parent team (0: none).
    parent_block: int = 0

    @property
    def label(self) -> str:
        """Stored in the organisation's name, so a later run knows what the data was built with.
        (The parameters added later appear only when they differ from what L always had.)"""
        extra = ""
        if self.neighbour_people != NEIGHBOUR_PEOPLE:
            extra += f" np{self.neighbour_people}"
        if self.parent_block:
            extra += f" pb{self.parent_block}"
        return (
            f"p{self.people} t{self.teams} s{self.skills} r{self.ratings_per_person} "
            f"roles{self.roles} n{self.neighbours}{extra} seed{self.seed}"
        )


PRESETS: dict[str, Spec] = {
    # make bench: ~400,000 rating events.
    "L": Spec(),
    # make bench-xl: ~4,000,000 rating events (72 per person), 200 neighbours of 100 people.
    "XL": Spec(
        people=55_000,
        teams=1_100,
        skills=2_500,
        ratings_per_person=72,
        roles=120,
        neighbours=200,
        neighbour_people=100,
        parent_block=1_000,
    ),
}


@dataclass
class Built:
    organisation_id: int
    people: int
    teams: int
    skills: int
    ratings: int
    requirements: int
    assignments: int
    # Team ids by the size the measures ask for (the parent block's parent under its subtree size).
    measured_teams: dict[int, int]


PARENT_BLOCK_TEAM = 50  # people in the parent and in each sub-team of the parent block


def _parent_block(people: int) -> list[int]:
    """Team sizes of the parent block: the parent first, then its sub-teams; they sum to people."""
    if people <= 0:
        return []
    sizes = [PARENT_BLOCK_TEAM] * (people // PARENT_BLOCK_TEAM)
    if people % PARENT_BLOCK_TEAM:
        sizes.append(people % PARENT_BLOCK_TEAM)
    return sizes


def _team_layout(people: int, teams: int, parent_block: int = 0) -> tuple[list[int], int, int]:
    """Team sizes summing to ``people``: the measured sizes first (when they fit), then the parent
    block (when asked for and it fits), the rest even. Returns the sizes and how many teams are
    measured and in the parent block."""
    fixed = [s for s in MEASURED_TEAM_SIZES if s * 2 <= people] if teams >= 4 else []
    block = _parent_block(parent_block)
    if not block or len(fixed) + len(block) >= teams or sum(fixed) + parent_block >= people:
        block = []
    rest_people, rest_teams = people - sum(fixed) - sum(block), teams - len(fixed) - len(block)
    base, extra = divmod(rest_people, rest_teams)
    sizes = fixed + block + [base + (1 if i < extra else 0) for i in range(rest_teams)]
    return sizes, len(fixed), len(block)


def build_organisation(
    *,
    name: str,
    slug: str,
    people: int,
    teams: int,
    skills: int,
    ratings_per_person: int,
    roles: int,
    rng: random.Random,
    with_users: bool = False,
    parent_block: int = 0,
) -> Built:
    """Create one organisation with its scale, skills, roles, teams, people and ratings.

    The structure is one transaction, the ratings one transaction per batch (each inside
    ``organisation_context``, so row-level security checks every row)."""
    from django.db import connection, transaction

    from accounts.models import Organisation
    from roles.models import Importance, RoleAssignment, RoleProfile, RoleRequirement
    from skills.models import Skill, SkillCategory
    from skills.services.scale import scale_install_default
    from skillsmap.core.tenancy import organisation_context
    from teams.models import Person, Team, TeamManager, TeamMembership

    with transaction.atomic():
        organisation = Organisation.objects.create(name=name, slug=slug)
        org_id = organisation.pk
        with organisation_context(organisation):
            scale_install_default(organisation=organisation)
            categories = SkillCategory.objects.bulk_create(
                [SkillCategory(organisation=organisation, name=f"Area {i:02d}") for i in range(20)]
            )
            skill_rows = Skill.objects.bulk_create(
                [
                    Skill(
                        organisation=organisation,
                        name=f"Skill {i:04d}",
                        normalised_name=f"skill {i:04d}",
                        category=categories[i % len(categories)],
                        kind="technical" if i % 5 else "human",
                    )
                    for i in range(skills)
                ],
                batch_size=5000,
            )
            skill_ids = [s.pk for s in skill_rows]

            role_rows = RoleProfile.objects.bulk_create(
                [RoleProfile(organisation=organisation, name=f"Role {i:02d}") for i in range(roles)]
            )
            requirements: dict[int, list[int]] = {}
            requirement_rows = []
            # Roles draw their skills from a "core" fifth of the framework, so teams share skills
            # and coverage is interesting; the rest of the framework is rated but never required.
            core = skill_ids[: max(20, len(skill_ids) // 5)]
            for role in role_rows:
                chosen = rng.sample(core, min(len(core), rng.randint(12, 18)))
                requirements[role.pk] = chosen
                for skill_id in chosen:
                    requirement_rows.append(
                        RoleRequirement(
                            organisation=organisation,
                            role=role,
                            skill_id=skill_id,
                            target_level=rng.choice((1, 2, 3, 3, 3, 4, 4, 5)),
                            importance=Importance.ESSENTIAL
                            if rng.random() < 0.6
                            else Importance.OPTIONAL,
                            weight=rng.choice(WEIGHTS),
                        )
                    )
            RoleRequirement.objects.bulk_create(requirement_rows, batch_size=5000)

            sizes, n_fixed, n_block = _team_layout(people, teams, parent_block)
            team_rows = Team.objects.bulk_create(
                [Team(organisation=organisation, name=f"Team {i:03d}") for i in range(len(sizes))]
            )
            measured = {
                size: team_rows[i].pk
                for i, size in enumerate(sizes[:n_fixed])
                if size in MEASURED_TEAM_SIZES
            }
            # The parent block: its first team leads the others, a subtree of parent_block people.
            block = team_rows[n_fixed : n_fixed + n_block]
            for team in block[1:]:
                team.parent = block[0]
            if block:
                measured[parent_block] = block[0].pk
            # Every tenth unmeasured team leads the nine after it: sub-teams roll up into parents.
            others = team_rows[n_fixed + n_block :]
            for i, team in enumerate(others):
                if i % 10:
                    team.parent = others[i - i % 10]
            Team.objects.bulk_update([*block[1:], *others], ["parent"])

            person_rows = Person.objects.bulk_create(
                [
                    Person(
                        organisation=organisation,
                        name=f"Person {i:05d}",
                        email=f"p{i:05d}@{slug}.example",
                        job_title="Engineer",
                        # One in a hundred has left: they neither hold gaps nor cover skills.
                        is_active=i == 0 or rng.random() >= 0.01,
                    )
                    for i in range(people)
                ],
                batch_size=5000,
            )
            person_ids = [p.pk for p in person_rows]

            memberships, index, team_of = [], 0, {}
            for team, size in zip(team_rows, sizes, strict=True):
                for person_id in person_ids[index : index + size]:
                    memberships.append(
                        TeamMembership(organisation=organisation, team=team, person_id=person_id)
                    )
                    team_of[person_id] = team.pk
                index += size
            # A few people of unmeasured teams also belong to a second team.
            unmeasured = [t.pk for t in others]
            for person_id in person_ids:
                if team_of[person_id] in unmeasured and len(unmeasured) > 1 and rng.random() < 0.03:
                    second = rng.choice(unmeasured)
                    if second != team_of[person_id]:
                        memberships.append(
                            TeamMembership(
                                organisation=organisation, team_id=second, person_id=person_id
                            )
                        )
            TeamMembership.objects.bulk_create(memberships, batch_size=5000)
            first_of_team: dict[int, int] = {}
            for person_id in person_ids:
                first_of_team.setdefault(team_of[person_id], person_id)
            TeamManager.objects.bulk_create(
                [
                    TeamManager(organisation=organisation, team_id=t, person_id=p)
                    for t, p in first_of_team.items()
                ]
            )
            for person in person_rows:
                lead = first_of_team[team_of[person.pk]]
                person.manager_id = lead if lead != person.pk else None
            Person.objects.bulk_update(person_rows, ["manager"], batch_size=5000)

            role_ids = [r.pk for r in role_rows]
            assignments, current = [], {}
            for person_id in person_ids:
                current[person_id] = rng.choice(role_ids)
                assignments.append(
                    RoleAssignment(
                        organisation=organisation,
                        person_id=person_id,
                        role_id=current[person_id],
                        kind=RoleAssignment.Kind.CURRENT,
                    )
                )
                if rng.random() < 0.5:
                    target = rng.choice(role_ids)
                    if target != current[person_id]:
                        assignments.append(
                            RoleAssignment(
                                organisation=organisation,
                                person_id=person_id,
                                role_id=target,
                                kind=RoleAssignment.Kind.TARGET,
                            )
                        )
            RoleAssignment.objects.bulk_create(assignments, batch_size=5000)

            if with_users:
                _users(organisation, person_rows[0])

    # The ratings: one transaction per batch of people, each admitted by row-level security.
    total = 0
    block_people = max(1, RATING_BATCH // max(1, ratings_per_person))
    for start in range(0, len(person_ids), block_people):
        ratings = _ratings(
            person_ids=person_ids[start : start + block_people],
            current=current,
            requirements=requirements,
            skill_ids=skill_ids,
            per_person=ratings_per_person,
            rng=rng,
        )
        if not ratings:
            continue
        columns = [list(c) for c in zip(*ratings, strict=True)]
        with organisation_context(org_id), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO skills_rating (organisation_id, person_id, skill_id, level, "
                "not_applicable, interest, source, rated_at, note, evidence_url) "
                "SELECT %s, p, s, l, na, i, src, t, '', '' FROM unnest("
                "%s::bigint[], %s::bigint[], %s::smallint[], %s::boolean[], "
                "%s::boolean[], %s::text[], %s::timestamptz[]) AS r(p, s, l, na, i, src, t)",
                [org_id, *columns[:7]],
            )
        total += len(ratings)
    return Built(
        organisation_id=org_id,
        people=people,
        teams=len(sizes),
        skills=skills,
        ratings=total,
        requirements=len(requirement_rows),
        assignments=len(assignments),
        measured_teams=measured,
    )


def _ratings(
    *,
    person_ids: list[int],
    current: dict[int, int],
    requirements: dict[int, list[int]],
    skill_ids: list[int],
    per_person: int,
    rng: random.Random,
) -> list[tuple[int, int, int | None, bool, bool, str, datetime]]:
    """Rating events: (person, skill, level, not applicable, interest, source, rated_at).

    About 60 % of a person's events are first self ratings of distinct skills (mostly those their
    role requires), the rest is history: later self re-ratings, imports (sharing one timestamp now
    and then, so the (rated_at, id) tie-break matters) and manager validations, some of them more
    than the review period older than a newer self rating, so that the rule's branches all occur.
    """
    events = []
    # Never more distinct skills than the organisation has (a small neighbour, many ratings).
    distinct = min(max(1, int(per_person * 0.6)), len(set(skill_ids)))
    for person_id in person_ids:
        wanted = list(requirements[current[person_id]])
        rng.shuffle(wanted)
        wanted = wanted[: max(1, int(len(wanted) * 0.8))]
        pool = set(wanted)
        while len(pool) < distinct:
            pool.add(rng.choice(skill_ids))
        pairs = sorted(pool)
        history: dict[int, list[tuple[int | None, datetime]]] = {}
        for skill_id in pairs:
            level = rng.choice((0, 1, 2, 2, 3, 3, 3, 4, 4, 5))
            at = EPOCH - timedelta(days=rng.randint(200, 730), seconds=rng.randint(0, 86_399))
            na = rng.random() < 0.02
            events.append(
                (person_id, skill_id, None if na else level, na, rng.random() < 0.1, "self", at)
            )
            history[skill_id] = [(level, at)]
        for _ in range(per_person - len(pairs)):
            skill_id = rng.choice(pairs)
            level, at = history[skill_id][-1]
            kind = rng.random()
            if kind < 0.45:  # the manager validates, agreeing or not
                new_at = min(
                    EPOCH, at + timedelta(days=rng.randint(0, 400), seconds=rng.randint(1, 999))
                )
                new = min(5, max(0, level + rng.choice((-1, 0, 0, 1))))
                events.append((person_id, skill_id, new, False, False, "manager", new_at))
                continue
            if kind < 0.55:  # an import, sometimes at exactly the same moment as the last event
                new_at = at if rng.random() < 0.5 else at + timedelta(days=rng.randint(1, 90))
                source = "import"
            else:
                new_at = min(
                    EPOCH, at + timedelta(days=rng.randint(1, 300), seconds=rng.randint(0, 999))
                )
                source = "self"
            new = min(5, max(0, level + rng.choice((-1, 0, 1, 1))))
            na = rng.random() < 0.01
            events.append(
                (person_id, skill_id, None if na else new, na, rng.random() < 0.1, source, new_at)
            )
            history[skill_id].append((new, new_at))
    return events


def _users(organisation: Organisation, person: Person) -> None:
    """A member linked to the first person (the self-rating measure) and an HR member (the team
    matrix measure)."""
    from allauth.account.models import EmailAddress

    from accounts.models import Membership, User
    from accounts.permissions import Role

    for email, role, linked in ((MEMBER_EMAIL, Role.MEMBER, person), (HR_EMAIL, Role.HR, None)):
        user = User.objects.create_user(email=email, password=PASSWORD, name=email.split("@")[0])
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        Membership.objects.create(organisation=organisation, user=user, role=role)
        if linked is not None:
            linked.user = user
            linked.email = email
            linked.save(update_fields=["user", "email"])


def reset_database() -> None:
    """Empty every organisation and the bench users. Refused unless the database is a bench one:
    this truncates every tenant table."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if "bench" not in name and not name.startswith("test_"):
        raise SystemExit(f"refusing to reset database {name!r}: its name does not contain 'bench'")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE accounts_organisation CASCADE")
        cursor.execute(
            "DELETE FROM account_emailaddress WHERE email LIKE %s", ["%@bench-large.example"]
        )
        cursor.execute("DELETE FROM accounts_user WHERE email LIKE %s", ["%@bench-large.example"])


def existing(spec: Spec) -> int | None:
    """The large organisation's id if it was built with this very spec."""
    from accounts.models import Organisation

    return (
        Organisation.objects.filter(slug=LARGE_SLUG, name=f"Bench large {spec.label}")
        .values_list("pk", flat=True)
        .first()
    )


def generate(spec: Spec, *, reset: bool = True, log: Any = None) -> Built:
    """Build the large organisation and its neighbours (after emptying a bench database)."""
    rng = random.Random(spec.seed)
    started = time.perf_counter()
    if reset:
        reset_database()
    built = build_organisation(
        name=f"Bench large {spec.label}{INCOMPLETE}",
        slug=LARGE_SLUG,
        people=spec.people,
        teams=spec.teams,
        skills=spec.skills,
        ratings_per_person=spec.ratings_per_person,
        roles=spec.roles,
        rng=rng,
        with_users=True,
        parent_block=spec.parent_block,
    )
    if log:
        log(f"large organisation: {built.ratings} ratings in {time.perf_counter() - started:.1f} s")
    scale = spec.neighbour_people / max(spec.people, 1)
    for n in range(spec.neighbours):
        build_organisation(
            name=f"Bench neighbour {n:02d}",
            slug=f"bench-neighbour-{n:02d}",
            people=spec.neighbour_people,
            teams=max(1, round(spec.teams * scale)),
            skills=max(20, round(spec.skills * scale)),
            ratings_per_person=spec.ratings_per_person,
            roles=max(1, round(spec.roles * scale)),
            rng=rng,
        )
        if log and n % 20 == 19:
            log(f"{n + 1} neighbours in {time.perf_counter() - started:.1f} s")
    analyse()
    # The marker of a finished dataset (--if-missing): the name without " (incomplete)".
    from accounts.models import Organisation

    Organisation.objects.filter(pk=built.organisation_id).update(name=f"Bench large {spec.label}")
    if log:
        log(f"{spec.neighbours} neighbours done in {time.perf_counter() - started:.1f} s")
    return built


ANALYSED_TABLES = (
    "accounts_organisation",
    "skills_skill",
    "skills_rating",
    "skills_roleprofile",
    "skills_rolerequirement",
    "skills_roleassignment",
    "teams_person",
    "teams_team",
    "teams_teammembership",
)


def analyse() -> None:
    """Fresh planner statistics, as autovacuum would have them in production a minute later:
    without them PostgreSQL plans the big joins for empty tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ANALYSED_TABLES:
            cursor.execute(f"ANALYZE {table}")


FIELDS = (
    "people",
    "teams",
    "skills",
    "ratings_per_person",
    "roles",
    "neighbours",
    "neighbour_people",
    "parent_block",
    "seed",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="L",
        help="the workload (L: make bench, XL: make bench-xl); the flags below override it",
    )
    for name in FIELDS:
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=None)
    parser.add_argument(
        "--if-missing",
        action="store_true",
        help="do nothing when the database already holds a finished dataset built with these "
        "arguments",
    )
    return parser


def spec_from_args(args: argparse.Namespace) -> Spec:
    """The preset, with every flag given on the command line in place of its value."""
    preset = PRESETS[getattr(args, "preset", None) or "L"]
    overrides = {n: getattr(args, n) for n in FIELDS if getattr(args, n, None) is not None}
    return replace(preset, **overrides)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    spec = spec_from_args(args)
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print("the benchmark runs on PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    if args.if_missing and existing(spec):
        print(json.dumps({"generate": "skipped", "spec": asdict(spec)}))
        return 0
    started = time.perf_counter()
    built = generate(spec, log=lambda msg: print(msg, file=sys.stderr))
    print(
        json.dumps(
            {
                "generate": "done",
                "seconds": round(time.perf_counter() - started, 1),
                "spec": asdict(spec),
                **{k: v for k, v in asdict(built).items() if k != "measured_teams"},
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
