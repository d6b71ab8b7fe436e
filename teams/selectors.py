"""Reads of the people-and-teams domain. Each takes the organisation it reads from; an id of
another organisation is a 404 exactly like an id that does not exist."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import Organisation
from skillsmap.core.models import Job
from teams.models import Person, Team, TeamManager, TeamMembership

K = TypeVar("K", bound=Hashable)


def _team_memberships() -> Prefetch:
    # Into a list attribute, so templates loop over it without another query per person.
    return Prefetch(
        "team_memberships",
        queryset=TeamMembership.objects.select_related("team").order_by("team__name"),
        to_attr="team_list",
    )


def person_list(
    *,
    organisation: Organisation,
    q: str = "",
    team: Team | None = None,
    manager: Person | None = None,
    location: str = "",
    is_active: bool | None = True,
) -> QuerySet[Person]:
    """The directory: filtered, ordered, with managers and teams loaded in a fixed number of
    queries however many people a page shows. ``is_active=None`` means everyone."""
    people = Person.objects.filter(organisation=organisation)
    if q := q.strip():
        people = people.filter(
            Q(name__icontains=q) | Q(email__icontains=q) | Q(job_title__icontains=q)
        )
    if team is not None:
        people = people.filter(team_memberships__team=team)
    if manager is not None:
        people = people.filter(manager=manager)
    if location:
        people = people.filter(location=location)
    if is_active is not None:
        people = people.filter(is_active=is_active)
    return (
        people.select_related("manager")
        .prefetch_related(_team_memberships())
        .order_by("name", "pk")
    )


def person_get(*, organisation: Organisation, person_id: int) -> Person:
    """One person with manager, direct reports and teams, or 404."""
    person = (
        Person.objects.filter(organisation=organisation, pk=person_id)
        .select_related("manager", "user")
        .prefetch_related(
            _team_memberships(),
            Prefetch(
                "reports",
                queryset=Person.objects.order_by("-is_active", "name", "pk"),
                to_attr="report_list",
            ),
        )
        .first()
    )
    if person is None:
        raise Http404("No such person.")
    return person


def person_choices(
    *,
    organisation: Organisation,
    active_only: bool = False,
    exclude: Person | None = None,
    with_teams: bool = False,
) -> QuerySet[Person]:
    """People to pick from (a manager, a role holder), by name; ``active_only`` leaves out those
    who have left, ``exclude`` one person (no one is their own manager); ``with_teams`` fetches
    each one's teams in one query, for options that name them."""
    people = Person.objects.filter(organisation=organisation)
    if with_teams:
        people = people.prefetch_related("team_memberships__team")
    if active_only:
        people = people.filter(is_active=True)
    if exclude is not None:
        people = people.exclude(pk=exclude.pk)
    return people.order_by("name", "pk")


def person_manager_list(*, organisation: Organisation) -> QuerySet[Person]:
    """People with at least one direct report: the directory's manager filter."""
    return (
        Person.objects.filter(organisation=organisation, reports__isnull=False)
        .distinct()
        .order_by("name", "pk")
    )


def person_location_list(*, organisation: Organisation) -> list[str]:
    return list(
        Person.objects.filter(organisation=organisation)
        .exclude(location="")
        .values_list("location", flat=True)
        .distinct()
        .order_by("location")
    )


def person_manager_map(*, organisation: Organisation) -> dict[int, int | None]:
    """Every person's manager id, in one query: enough to find reporting loops in memory."""
    return dict(Person.objects.filter(organisation=organisation).values_list("pk", "manager_id"))


def person_find_by_email(
    *, organisation: Organisation, email: str, exclude_id: int | None = None
) -> Person | None:
    people = Person.objects.filter(organisation=organisation, email__iexact=email.strip())
    if exclude_id is not None:
        people = people.exclude(pk=exclude_id)
    return people.first()


def team_list(*, organisation: Organisation, exclude: Team | None = None) -> QuerySet[Team]:
    """The organisation's teams by name, less ``exclude`` when given (a team is not its own
    parent)."""
    teams = Team.objects.filter(organisation=organisation)
    if exclude is not None:
        teams = teams.exclude(pk=exclude.pk)
    return teams.order_by("name", "pk")


def team_overview(*, organisation: Organisation) -> QuerySet[Team]:
    """Teams with their parent, managers and head count, in three queries whatever their number."""
    from django.db.models import Count

    return (
        Team.objects.filter(organisation=organisation)
        .select_related("parent")
        .prefetch_related(
            Prefetch(
                "managers",
                queryset=TeamManager.objects.filter(organisation=organisation).select_related(
                    "person"
                ),
            )
        )
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("name")
    )


def team_overview_get(*, organisation: Organisation, team_id: int) -> Team:
    """One team with the columns of ``team_overview``, or 404."""
    team = team_overview(organisation=organisation).filter(pk=team_id).first()
    if team is None:
        raise Http404("No such team.")
    return team


def team_get(*, organisation: Organisation, team_id: int) -> Team:
    team = (
        Team.objects.filter(organisation=organisation, pk=team_id).select_related("parent").first()
    )
    if team is None:
        raise Http404("No such team.")
    return team


def team_manager_ids(*, organisation: Organisation, team: Team) -> list[int]:
    return list(
        TeamManager.objects.filter(organisation=organisation, team=team).values_list(
            "person_id", flat=True
        )
    )


def people_import_list(*, organisation: Organisation, limit: int = 10) -> list[Job]:
    """The latest people imports, so that HR can go back to a job's results."""
    return list(
        Job.objects.filter(organisation=organisation, kind=Job.Kind.PEOPLE_IMPORT)
        .defer("payload")
        .select_related("created_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def reporting_loops(manager_of: Mapping[K, K | None]) -> list[list[K]]:
    """Every loop in a reporting line given as ``{person: manager}``: ``[[a, b]]`` when a reports
    to b and b to a. Linear in the number of people, so an import of thousands stays cheap."""
    on_path, done = 1, 2
    state: dict[K, int] = {}
    loops: list[list[K]] = []
    for start in manager_of:
        if start in state:
            continue
        path: list[K] = []
        position: dict[K, int] = {}
        node: K | None = start
        while node is not None and node not in state:
            state[node] = on_path
            position[node] = len(path)
            path.append(node)
            node = manager_of.get(node)
        # Nodes of earlier walks are all `done`, so `on_path` means this walk met itself.
        if node is not None and state[node] == on_path:
            loops.append(path[position[node] :])
        for visited in path:
            state[visited] = done
    return loops
