"""Writes of the people-and-teams domain. Keyword-only, atomic, audited; callers provide the
organisation context. A refusal is a ``skillsmap.core.errors.ServiceError`` keyed by field."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Organisation, User
from skillsmap.core.changes import inputs_changed
from skillsmap.core.errors import ServiceError
from skillsmap.core.jobqueue import job_start
from skillsmap.core.models import Job
from teams.hierarchy import is_at_or_below, team_pairs
from teams.imports import people_table
from teams.models import Person, Team, TeamManager, TeamMembership
from teams.selectors import person_find_by_email, person_manager_map, reporting_loops


@transaction.atomic
def person_link_user(*, organisation: Organisation, user: User) -> Person:
    """The person record of a user who joins: the one HR imported with the same email if there is
    one (now linked to the account), else a new one."""
    person = Person.objects.filter(organisation=organisation, user=user).first()
    if person is not None:
        return person
    person = Person.objects.filter(
        organisation=organisation, email__iexact=user.email, user__isnull=True
    ).first()
    if person is None:
        person = Person.objects.create(
            organisation=organisation, user=user, email=user.email.lower(), name=str(user)
        )
        verb = "person.created"
    else:
        person.user = user
        person.save(update_fields=["user"])
        verb = "person.linked"
    audit_record(
        organisation=organisation,
        actor=user,
        verb=verb,
        target=person,
        after={"email": person.email, "user": user.email},
    )
    return person


def _normalise_email(email: str) -> str:
    # Stored lower-case, as person_link_user does, so that lookups and the unique index agree.
    return email.strip().lower()


def _check_email_free(*, organisation: Organisation, email: str, person: Person | None) -> None:
    existing = person_find_by_email(
        organisation=organisation, email=email, exclude_id=person.pk if person else None
    )
    if existing is not None:
        raise ServiceError({"email": f"{existing.name} already has the address {email}."})


def _check_manager(
    *, organisation: Organisation, person: Person | None, manager: Person | None
) -> None:
    if manager is None:
        return
    # The form limits the choices to this organisation; this guards every other caller.
    if manager.organisation_id != organisation.pk:
        raise ServiceError({"manager": "Select a valid choice."})
    if person is None:
        return  # a new person has no reports yet, so cannot close a loop
    if manager.pk == person.pk:
        raise ServiceError({"manager": "A person cannot be their own manager."})
    manager_of = person_manager_map(organisation=organisation)
    manager_of[person.pk] = manager.pk
    for loop in reporting_loops(manager_of):
        if person.pk in loop:
            names = dict(
                Person.objects.filter(organisation=organisation, pk__in=loop).values_list(
                    "pk", "name"
                )
            )
            start = loop.index(person.pk)
            chain = [*loop[start:], *loop[:start], person.pk]
            raise ServiceError(
                {
                    "manager": "That would make a reporting loop: "
                    + " → ".join(names[pk] for pk in chain)
                    + "."
                }
            )


def _check_teams(*, organisation: Organisation, teams: Collection[Team]) -> None:
    if any(team.organisation_id != organisation.pk for team in teams):
        raise ServiceError({"teams": "Select a valid choice."})


def _apply_teams(*, person: Person, teams: Collection[Team]) -> tuple[list[str], list[str]]:
    """Make ``teams`` exactly the person's teams; return the team names before and after.

    Teams are an input of the gap scores and team coverage, so a change schedules a recompute."""
    organisation_id = person.organisation_id
    current = dict(
        TeamMembership.objects.filter(organisation_id=organisation_id, person=person).values_list(
            "team_id", "team__name"
        )
    )
    wanted = {team.pk: team for team in teams}
    removed, _ = TeamMembership.objects.filter(
        organisation_id=organisation_id, person=person, team_id__in=set(current) - set(wanted)
    ).delete()
    added = TeamMembership.objects.bulk_create(
        TeamMembership(organisation_id=organisation_id, person=person, team=team)
        for pk, team in wanted.items()
        if pk not in current
    )
    if removed or added:
        inputs_changed(organisation=person.organisation)
    return sorted(current.values()), sorted(team.name for team in wanted.values())


def _audit_value(value: object) -> object:
    """JSON-friendly and readable in the audit log."""
    if isinstance(value, Person):
        return value.email
    if isinstance(value, date):
        return value.isoformat()
    return value


PERSON_FIELDS = ("name", "email", "job_title", "manager", "location", "start_date", "is_active")


@transaction.atomic
def person_create(
    *,
    organisation: Organisation,
    by: User,
    name: str,
    email: str,
    job_title: str = "",
    manager: Person | None = None,
    location: str = "",
    start_date: date | None = None,
    is_active: bool = True,
    teams: Collection[Team] = (),
) -> Person:
    """Add someone to the directory, before or without an account of their own. Raises
    ``ServiceError`` keyed by field for an address already taken or a manager elsewhere."""
    email = _normalise_email(email)
    _check_email_free(organisation=organisation, email=email, person=None)
    _check_manager(organisation=organisation, person=None, manager=manager)
    _check_teams(organisation=organisation, teams=teams)
    person = Person.objects.create(
        organisation=organisation,
        name=name.strip(),
        email=email,
        job_title=job_title.strip(),
        manager=manager,
        location=location.strip(),
        start_date=start_date,
        is_active=is_active,
    )
    _before, team_names = _apply_teams(person=person, teams=teams)
    audit_record(
        organisation=organisation,
        actor=by,
        verb="person.created",
        target=person,
        after={
            **{field: _audit_value(getattr(person, field)) for field in PERSON_FIELDS},
            "teams": team_names,
        },
    )
    return person


@transaction.atomic
def person_update(
    *,
    person: Person,
    by: User,
    name: str,
    email: str,
    job_title: str,
    manager: Person | None,
    location: str,
    start_date: date | None,
    is_active: bool,
    teams: Collection[Team] | None = None,
) -> Person:
    """Change a person's details (and teams, when given). The audit row holds only what changed;
    a save that changes nothing writes nothing."""
    organisation = person.organisation
    email = _normalise_email(email)
    _check_email_free(organisation=organisation, email=email, person=person)
    _check_manager(organisation=organisation, person=person, manager=manager)
    if teams is not None:
        _check_teams(organisation=organisation, teams=teams)
    wanted: dict[str, Any] = {
        "name": name.strip(),
        "email": email,
        "job_title": job_title.strip(),
        "manager": manager,
        "location": location.strip(),
        "start_date": start_date,
        "is_active": is_active,
    }
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field, value in wanted.items():
        # Compare managers by id: the person's manager may not be loaded.
        current = person.manager_id if field == "manager" else getattr(person, field)
        new = value.pk if field == "manager" and value is not None else value
        if current != new:
            before[field] = _audit_value(person.manager if field == "manager" else current)
            after[field] = _audit_value(value)
            setattr(person, field, value)
    if after:
        person.save(update_fields=list(after))
    if teams is not None:
        teams_before, teams_after = _apply_teams(person=person, teams=teams)
        if teams_before != teams_after:
            before["teams"], after["teams"] = teams_before, teams_after
    if after:
        audit_record(
            organisation=organisation,
            actor=by,
            verb="person.updated",
            target=person,
            before=before,
            after=after,
        )
    return person


@transaction.atomic
def person_set_teams(*, person: Person, teams: Collection[Team], by: User) -> Person:
    """Make ``teams`` exactly the teams the person is in."""
    _check_teams(organisation=person.organisation, teams=teams)
    before, after = _apply_teams(person=person, teams=teams)
    if before != after:
        audit_record(
            organisation=person.organisation,
            actor=by,
            verb="person.teams_changed",
            target=person,
            before={"teams": before},
            after={"teams": after},
        )
    return person


def _current_teams(person: Person) -> list[Team]:
    return list(
        Team.objects.filter(
            organisation_id=person.organisation_id, memberships__person=person
        ).distinct()
    )


@transaction.atomic
def team_member_add(*, team: Team, person: Person, by: User) -> Person:
    """Put a person in a team (in addition to their other teams); already there changes nothing."""
    teams = _current_teams(person)
    if team.pk not in {t.pk for t in teams}:
        person_set_teams(person=person, teams=[*teams, team], by=by)
    return person


@transaction.atomic
def team_member_remove(*, team: Team, person: Person, by: User) -> Person:
    """Take a person out of one team; their other teams stay."""
    teams = _current_teams(person)
    if team.pk not in {t.pk for t in teams}:
        raise ServiceError({"person": "This person is not in the team."})
    person_set_teams(person=person, teams=[t for t in teams if t.pk != team.pk], by=by)
    return person


@transaction.atomic
def people_import_start(*, organisation: Organisation, by: User, filename: str, data: bytes) -> Job:
    """Check that the upload is a readable table with the right columns, then hand it to a
    background job, which checks every row. Raises ``skillsmap.core.tabular.TableError`` (and starts
    nothing) when the file as a whole is unusable. The job's handler writes the audit row."""
    people_table(data, filename=filename)
    return job_start(
        organisation=organisation,
        kind=Job.Kind.PEOPLE_IMPORT,
        by=by,
        filename=filename[-255:],
        payload=data,
    )


def _check_parent(*, team: Team | None, parent: Team | None, organisation: Organisation) -> None:
    """A team cannot sit below itself or below one of its own sub-teams."""
    if parent is None:
        return
    if parent.organisation_id != organisation.pk:
        raise ServiceError({"parent": "Select a valid choice."})
    if team is None:
        return
    parents = dict(team_pairs(organisation=organisation))
    if is_at_or_below(parents, team.pk, parent.pk):
        raise ServiceError({"parent": "A team cannot sit below itself or one of its sub-teams."})


@transaction.atomic
def team_create(
    *, organisation: Organisation, name: str, parent: Team | None = None, by: User
) -> Team:
    name = name.strip()
    if Team.objects.filter(organisation=organisation, name__iexact=name).exists():
        raise ServiceError({"name": f"A team called “{name}” already exists."})
    _check_parent(team=None, parent=parent, organisation=organisation)
    team = Team.objects.create(organisation=organisation, name=name, parent=parent)
    audit_record(
        organisation=organisation,
        actor=by,
        verb="team.created",
        target=team,
        after={"name": name, "parent": parent.name if parent else None},
    )
    inputs_changed(organisation=organisation)
    return team


@transaction.atomic
def team_update(
    *,
    team: Team,
    name: str,
    parent: Team | None,
    managers: Collection[Person],
    by: User,
) -> Team:
    """Rename, move and set the team's managers (who manage it and every team below it)."""
    organisation = team.organisation
    name = name.strip()
    if (
        Team.objects.filter(organisation=organisation, name__iexact=name)
        .exclude(pk=team.pk)
        .exists()
    ):
        raise ServiceError({"name": f"A team called “{name}” already exists."})
    if any(person.organisation_id != organisation.pk for person in managers):
        raise ServiceError({"managers": "Select a valid choice."})
    _check_parent(team=team, parent=parent, organisation=organisation)
    before = {
        "name": team.name,
        "parent": team.parent.name if team.parent else None,
        "managers": sorted(
            TeamManager.objects.filter(organisation=organisation, team=team).values_list(
                "person__name", flat=True
            )
        ),
    }
    team.name, team.parent = name, parent
    team.save(update_fields=["name", "parent"])
    TeamManager.objects.filter(organisation=organisation, team=team).exclude(
        person__in=list(managers)
    ).delete()
    existing = set(
        TeamManager.objects.filter(organisation=organisation, team=team).values_list(
            "person_id", flat=True
        )
    )
    TeamManager.objects.bulk_create(
        TeamManager(organisation=organisation, team=team, person=p)
        for p in managers
        if p.pk not in existing
    )
    after = {
        "name": name,
        "parent": parent.name if parent else None,
        "managers": sorted(p.name for p in managers),
    }
    if after != before:
        audit_record(
            organisation=organisation,
            actor=by,
            verb="team.updated",
            target=team,
            before=before,
            after=after,
        )
        inputs_changed(organisation=organisation)  # sub-team roll-ups change with the parent
    return team
