"""Set-up and checks that need the ORM on the private stack's database, run as a subprocess with
the stack's environment (``Stack.script``): ``python -m tests.reliability.scripts <command>``.
Each command prints one JSON object on its last line.

Running these in a child process keeps the pytest process on its own test database and means the
checks read the private database exactly as the application does (as the non-superuser role,
through the organisation context and row-level security).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import django

LOAD_PASSWORD = "load-password-1"
SLUG = "acme"


def _org() -> Any:
    from accounts.models import Organisation

    return Organisation.objects.get(slug=SLUG)


def _user(email: str, name: str, password_hash: str) -> Any:
    from allauth.account.models import EmailAddress

    from accounts.models import User

    user, _ = User.objects.get_or_create(email=email, defaults={"name": name})
    user.password = password_hash  # hashed once: the hasher is slow on purpose
    user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def load_users(args: argparse.Namespace) -> dict[str, Any]:
    """Accounts for the load test: every Acme engineer without a login gets one (role member),
    every team lead one with role manager; HR is the demo HR. All share ``LOAD_PASSWORD``."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import Membership
    from accounts.permissions import Role
    from skillsmap.core.tenancy import organisation_context
    from teams.models import Person, TeamManager
    from teams.services import person_link_user

    password_hash = make_password(LOAD_PASSWORD)
    organisation = _org()
    engineers: list[str] = []
    managers: list[dict[str, Any]] = []
    with organisation_context(organisation):
        leads: dict[int, list[int]] = {}
        for person_id, team_id in TeamManager.objects.values_list("person_id", "team_id"):
            leads.setdefault(person_id, []).append(team_id)
        for person in Person.objects.filter(is_active=True).order_by("email"):
            if person.email in {"admin@acme.example", "hr@acme.example"}:
                continue
            role = Role.MANAGER if person.pk in leads else Role.MEMBER
            user = _user(person.email, person.name, password_hash)
            Membership.objects.update_or_create(
                organisation=organisation, user=user, defaults={"role": role, "is_active": True}
            )
            person_link_user(organisation=organisation, user=user)
            if role == Role.MANAGER:
                managers.append({"email": person.email, "team_ids": sorted(leads[person.pk])})
            else:
                engineers.append(person.email)
    hr = _user("hr@acme.example", "Harriet Hughes", password_hash)
    return {
        "slug": SLUG,
        "password": LOAD_PASSWORD,
        "engineers": engineers,
        "managers": managers,
        "hr": [hr.email],
    }


def acks_check(args: argparse.Namespace) -> dict[str, Any]:
    """Every rating the server acknowledged (one JSON line each, written by the locustfile) is in
    the database with the person, skill, level and source it was acknowledged with."""
    from skills.models import Rating
    from skillsmap.core.tenancy import organisation_context

    acks = [json.loads(line) for line in Path(args.file).read_text().splitlines() if line]
    with organisation_context(_org()):
        stored = {
            note: {
                "person": email.lower(),
                "person_id": person_id,
                "skill": skill_id,
                "level": level,
                "source": source,
            }
            for note, person_id, email, skill_id, level, source in Rating.objects.filter(
                note__in=[ack["note"] for ack in acks]
            ).values_list("note", "person_id", "person__email", "skill_id", "level", "source")
        }
        total = Rating.objects.count()

    def matches(ack: dict[str, Any]) -> bool:
        row = stored.get(ack["note"])
        if row is None:
            return False
        expected = {k: v.lower() if k == "person" else v for k, v in ack.items() if k != "note"}
        return all(row[k] == v for k, v in expected.items())

    missing = [ack for ack in acks if not matches(ack)]
    return {
        "acknowledged": len(acks),
        "missing": missing[:20],
        "missing_count": len(missing),
        "found": len(stored),
        "ratings_total": total,
    }


def integrity(args: argparse.Namespace) -> dict[str, Any]:
    """No half-written rating: each rating saved through the pages has its audit event and its
    profile entry (all three are written in one transaction with the version bump)."""
    from accounts.models import AuditEvent
    from skills.models import ProfileSkill, Rating
    from skillsmap.core.tenancy import organisation_context

    organisation = _org()
    with organisation_context(organisation):
        ratings = list(
            Rating.objects.filter(note__startswith=args.prefix).values_list(
                "pk", "person_id", "skill_id"
            )
        )
        audited = set(
            AuditEvent.objects.filter(verb="rating.created", target_type="skills.rating")
            .values_list("target_id", flat=True)
            .iterator()
        )
        profile = set(ProfileSkill.objects.values_list("person_id", "skill_id"))
    incomplete = [pk for pk, p, s in ratings if str(pk) not in audited or (p, s) not in profile]
    return {
        "ratings": len(ratings),
        "incomplete": incomplete,
        "inputs_version": organisation.inputs_version,
        "computed_version": organisation.computed_version,
    }


def role_requirement(args: argparse.Namespace) -> dict[str, Any]:
    """A requirement of the Backend Engineer role, for a test to change through the role page."""
    from roles.models import RoleRequirement
    from skillsmap.core.tenancy import organisation_context

    with organisation_context(_org()):
        requirement = (
            RoleRequirement.objects.filter(role__name="Backend Engineer").order_by("pk").first()
        )
        assert requirement is not None
        return {
            "role_id": requirement.role_id,
            "skill_id": requirement.skill_id,
            "target_level": requirement.target_level,
            "importance": requirement.importance,
            "weight": str(requirement.weight),
        }


def org_state(args: argparse.Namespace) -> dict[str, Any]:
    organisation = _org()
    return {
        "id": organisation.pk,
        "inputs_version": organisation.inputs_version,
        "computed_version": organisation.computed_version,
        "computed_at": organisation.computed_at.isoformat() if organisation.computed_at else None,
    }


def _rows() -> dict[str, list[list[Any]]]:
    """The materialised results without their timestamps, sorted: what two runs must agree on."""
    from reports.models import GapScore, TeamSkillCoverage

    def plain(value: Any) -> Any:
        return str(value) if isinstance(value, Decimal) else value

    scores = GapScore.objects.values_list(
        "person_id",
        "role_id",
        "kind",
        "gap",
        "readiness",
        "met",
        "total",
        "essential_alert",
        "missing",
        "inputs_version",
    )
    coverage = TeamSkillCoverage.objects.values_list(
        "team_id",
        "skill_id",
        "target",
        "coverage",
        "required_by",
        "avg_shortfall",
        "bus_factor_risk",
        "covered_by",
        "inputs_version",
    )
    return {
        "gap_scores": sorted([plain(v) for v in row] for row in scores),
        "coverage": sorted([plain(v) for v in row] for row in coverage),
    }


def results(args: argparse.Namespace) -> dict[str, Any]:
    from skillsmap.core.tenancy import organisation_context

    with organisation_context(_org()):
        return {**_rows(), **org_state(args)}


class _Rollback(Exception):
    pass


def expected_results(args: argparse.Namespace) -> dict[str, Any]:
    """The rows an uninterrupted run produces from the current inputs: run the recompute in this
    process inside a transaction and roll it back, so the database is left as it was."""
    from django.db import transaction

    from reports.recompute import recompute_organisation
    from skillsmap.core.tenancy import organisation_context

    organisation = _org()
    captured: dict[str, Any] = {}
    started = time.monotonic()
    try:
        with transaction.atomic():
            assert recompute_organisation(organisation_id=organisation.pk)
            with organisation_context(organisation):
                captured = _rows()
            raise _Rollback
    except _Rollback:
        pass
    return {**captured, "seconds": round(time.monotonic() - started, 2)}


def big_org(args: argparse.Namespace) -> dict[str, Any]:
    """Grow Acme by ``--people`` engineers in new teams, each holding the Backend Engineer role and
    rated in every skill it requires, so that a full recompute takes seconds, not milliseconds.
    Bulk inserts, deterministic, then one version bump marks the results as behind."""
    from django.db import connection, transaction
    from django.db.models import F
    from django.utils import timezone

    from accounts.models import Organisation
    from roles.models import RoleAssignment, RoleProfile, RoleRequirement
    from skills.models import Rating, RatingSource
    from skillsmap.core.tenancy import organisation_context
    from teams.models import Person, Team, TeamMembership

    organisation = _org()
    now = timezone.now()
    with organisation_context(organisation), transaction.atomic():
        role = RoleProfile.objects.get(name="Backend Engineer")
        skills = list(RoleRequirement.objects.filter(role=role).values_list("skill_id", flat=True))
        teams = Team.objects.bulk_create(
            [Team(organisation=organisation, name=f"Load team {n:03d}") for n in range(args.teams)]
        )
        people = Person.objects.bulk_create(
            [
                Person(
                    organisation=organisation,
                    name=f"Load Person {n}",
                    email=f"load.{n}@acme.example",
                )
                for n in range(args.people)
            ],
            batch_size=2000,
        )
        TeamMembership.objects.bulk_create(
            [
                TeamMembership(organisation=organisation, team=teams[n % len(teams)], person=p)
                for n, p in enumerate(people)
            ],
            batch_size=2000,
        )
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(organisation=organisation, person=p, role=role) for p in people],
            batch_size=2000,
        )
        # Ratings in one INSERT … SELECT: a self and a manager rating per person and required
        # skill, levels and dates derived from a hash so that every run builds the same data.
        table = Rating._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table} (organisation_id, person_id, skill_id, level, not_applicable,
                    interest, source, rated_by_id, note, evidence_url, rated_at)
                SELECT %(org)s, p.id, s.id, abs(hashtext(p.id || ':' || s.id || src)) %% 6,
                    false, false, src, NULL, '', '',
                    %(now)s - make_interval(days => abs(hashtext(src || p.id || ':' || s.id)) %% 300)
                FROM unnest(%(people)s::bigint[]) AS p(id)
                CROSS JOIN unnest(%(skills)s::bigint[]) AS s(id)
                CROSS JOIN unnest(%(sources)s::text[]) AS src
                """,  # noqa: S608  the table name is the model's, not input
                {
                    "org": organisation.pk,
                    "now": now,
                    "people": [p.pk for p in people],
                    "skills": skills,
                    "sources": [RatingSource.SELF.value, RatingSource.MANAGER.value],
                },
            )
            rated = cursor.rowcount
        Organisation.objects.filter(pk=organisation.pk).update(
            inputs_version=F("inputs_version") + 1
        )
    return {"people": len(people), "ratings": rated, "skills": len(skills)}


def main() -> None:
    django.setup()
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("load-users").set_defaults(fn=load_users)
    p = sub.add_parser("acks-check")
    p.add_argument("file")
    p.set_defaults(fn=acks_check)
    p = sub.add_parser("integrity")
    p.add_argument("--prefix", required=True)
    p.set_defaults(fn=integrity)
    sub.add_parser("org-state").set_defaults(fn=org_state)
    sub.add_parser("role-requirement").set_defaults(fn=role_requirement)
    sub.add_parser("results").set_defaults(fn=results)
    sub.add_parser("expected-results").set_defaults(fn=expected_results)
    p = sub.add_parser("big-org")
    p.add_argument("--people", type=int, default=3000)
    p.add_argument("--teams", type=int, default=60)
    p.set_defaults(fn=big_org)
    args = parser.parse_args()
    result = args.fn(args)
    sys.stdout.write(json.dumps(result, default=str) + "\n")


if __name__ == "__main__":
    main()
