"""Reads of the people-and-teams domain. Each takes the organisation it reads from; an id of
another organisation is a 404 exactly like an id that does not exist."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, Window
from django.http import Http404

from accounts.models import Organisation
from skillsmap.core.aggregates import json_list, json_rows
from skillsmap.core.models import Job
from teams.models import Person, Team, TeamManager, TeamMembership

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class TeamRef:
    """A team a person is in, as the people pages and the API name it."""

    id: int
    name: str


@dataclass(frozen=True)
class ReportRef:
    """A direct report, as the person page lists them."""

    pk: int
    name: str
    job_title: str
    is_active: bool


def _with_teams(people: QuerySet[Person], organisation: Organisation) -> QuerySet[Person]:
    """``people`` with each one's teams in the same statement (JSON), for ``person_teams``: a
    list of people costs no statement more for its teams, whatever its length."""
    return people.annotate(
        team_refs_json=json_rows(
            TeamMembership.objects.filter(organisation=organisation, person=OuterRef("pk")),
            id="team_id",
            name="team__name",
        )
    )


def person_teams(person: Person) -> list[TeamRef]:
    """The teams ``_with_teams`` read for ``person``, by name (the order the database would give:
    both sort names by their characters)."""
    rows = json_list(getattr(person, "team_refs_json", None))
    return sorted((TeamRef(int(r["id"]), r["name"]) for r in rows), key=lambda t: (t.name, t.id))


def _people_filtered(
    organisation: Organisation,
    *,
    q: str,
    team_id: int | None,
    manager_id: int | None,
    location: str,
    is_active: bool | None,
) -> QuerySet[Person]:
    people = Person.objects.filter(organisation=organisation)
    if q := q.strip():
        people = people.filter(
            Q(name__icontains=q) | Q(email__icontains=q) | Q(job_title__icontains=q)
        )
    if team_id is not None:
        people = people.filter(team_memberships__team_id=team_id)
    if manager_id is not None:
        people = people.filter(manager_id=manager_id)
    if location:
        people = people.filter(location=location)
    if is_active is not None:
        people = people.filter(is_active=is_active)
    return people


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
    people = _people_filtered(
        organisation,
        q=q,
        team_id=team.pk if team is not None else None,
        manager_id=manager.pk if manager is not None else None,
        location=location,
        is_active=is_active,
    )
    # Each person's teams come as JSON (``person_teams``), not a prefetch's second statement.
    return _with_teams(people.select_related("manager"), organisation).order_by("name", "pk")


class _CountedPaginator(Paginator):
    """A paginator told how many rows there are: the page's own statement counted them (a window
    over the filtered rows), so Django's separate ``COUNT(*)`` is not needed."""

    def __init__(self, *, per_page: int, count: int) -> None:
        super().__init__([], per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def _page_number(page: str | int | None) -> int:
    """The page asked for, as ``Paginator.get_page`` reads it: what is not a whole number is the
    first page (a number below 1, like one past the end, stands for the last)."""
    try:
        return int(page)  # type: ignore[arg-type]  # None and junk fall to the first page
    except (TypeError, ValueError):
        return 1


def person_directory_page(
    *,
    organisation: Organisation,
    page: str | int | None,
    per_page: int,
    q: str = "",
    team_id: int | None = None,
    manager_id: int | None = None,
    location: str = "",
    is_active: bool | None = True,
) -> Page[Person]:
    """One page of the directory (``person_list``'s filters and order), in one statement whatever
    the page's size: each person with their manager (a join), their teams (``team_refs``, from
    JSON) and the number of people the filters keep (a window). A page past the last one (or below
    the first) shows the last, as ``Paginator.get_page`` does; only that case costs two statements
    more."""
    people = _people_filtered(
        organisation,
        q=q,
        team_id=team_id,
        manager_id=manager_id,
        location=location,
        is_active=is_active,
    )
    rows = _with_teams(people.select_related("manager"), organisation).annotate(
        directory_count=Window(Count("pk"))
    )
    rows = rows.order_by("name", "pk")
    number = _page_number(page)
    found = list(rows[(number - 1) * per_page : number * per_page]) if number >= 1 else []
    if not found and number != 1:
        number = max(1, -(-people.count() // per_page))  # the last page
        found = list(rows[(number - 1) * per_page : number * per_page])
    count = found[0].directory_count if found else 0
    for person in found:
        person.team_refs = person_teams(person)  # type: ignore[attr-defined]  # for the template
    return Page(found, number, _CountedPaginator(per_page=per_page, count=count))


@dataclass(frozen=True)
class PersonFilterChoices:
    """What the directory's filters offer: teams and managers as (id, label), locations."""

    teams: list[tuple[int, str]]
    managers: list[tuple[int, str]]
    locations: list[str]


def person_filter_choices(*, organisation: Organisation) -> PersonFilterChoices:
    """The directory's filter choices in one statement: the teams, the people with at least one
    direct report (labelled with their address: two people may share a name) and the locations,
    each by name, as one UNION of (kind, id, name, email)."""
    no_id = Value(None, output_field=IntegerField())
    no_email = Value("")
    teams = Team.objects.filter(organisation=organisation).annotate(
        kind=Value("team"), email_or_blank=no_email
    )
    managers = Person.objects.filter(organisation=organisation, reports__isnull=False).annotate(
        kind=Value("manager")
    )
    locations = (
        Person.objects.filter(organisation=organisation)
        .exclude(location="")
        .annotate(kind=Value("location"), no_id=no_id, email_or_blank=no_email)
    )
    # Each part unordered (a compound statement orders only as a whole); UNION also removes the
    # duplicates: a manager of several people, a location many people share.
    union: QuerySet[Any, tuple[Any, ...]] = (
        teams.order_by()
        .values_list("kind", "pk", "name", "email_or_blank")
        .union(
            managers.order_by().values_list("kind", "pk", "name", "email"),
            locations.order_by().values_list("kind", "no_id", "location", "email_or_blank"),
        )
        .order_by("kind", "name", "pk")
    )
    choices: PersonFilterChoices = PersonFilterChoices([], [], [])
    for kind, row_id, name, email in union:
        if kind == "team":
            choices.teams.append((row_id, name))
        elif kind == "manager":
            choices.managers.append((row_id, f"{name} ({email})"))
        else:
            choices.locations.append(name)
    return choices


def person_get(*, organisation: Organisation, person_id: int) -> Person:
    """One person with manager, direct reports (``report_list``) and teams (``team_refs``), or
    404. One statement: the reports and the teams come as JSON in the person's row."""
    person = (
        _with_teams(Person.objects.filter(organisation=organisation, pk=person_id), organisation)
        .select_related("manager", "user")
        .annotate(
            reports_json=json_rows(
                Person.objects.filter(organisation=organisation, manager=OuterRef("pk")),
                pk="pk",
                name="name",
                job_title="job_title",
                is_active="is_active",
            )
        )
        .first()
    )
    if person is None:
        raise Http404("No such person.")
    reports = (
        ReportRef(int(r["pk"]), r["name"], r["job_title"], bool(r["is_active"]))
        for r in json_list(person.reports_json)
    )
    # Active first, then by name, as the page lists them.
    person.report_list = sorted(reports, key=lambda r: (not r.is_active, r.name, r.pk))  # type: ignore[attr-defined]  # for the template
    person.team_refs = person_teams(person)  # type: ignore[attr-defined]  # for the template and the edit form
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
