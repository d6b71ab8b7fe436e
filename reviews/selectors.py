"""Reads of review campaigns: who a launcher may ask, which campaigns a member may see, a
campaign's progress per person and per team, a person's to-dos, and the figures of the summary.

"Rated" (the to-do's "7 of 16 rated"): the person has a rating event of the skill since the
campaign's launch (until its close), whatever its source: a self assessment, a manager's
validation, an import, or a review ("Mark as reviewed" writes one per skill already rated, so it
counts for each of them). It is read from the events every time, never stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, IntegerField, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from accounts.permissions import Perm
from reports import gaps
from reports.inputs import requirements_load
from reports.members import levels_for_gap
from reviews.models import Campaign, CampaignParticipant, CampaignSkill, CampaignStatus
from roles.models import RoleAssignment, RoleProfile
from skills.hooks import MySkillsNotice
from skills.levels import RatingEvent, effective_level
from skills.models import ProfileSkill, Rating, Skill
from skills.selectors.levels import effective_levels, rating_events
from skills.selectors.ratings import people_visible_to
from teams.hierarchy import team_subtree_ids, teams_visible_to
from teams.models import Person, Team, TeamMembership

# --- Who a launcher may ask ----------------------------------------------------------------------


@dataclass(frozen=True)
class LaunchScope:
    """The people and teams a member may name in a campaign. HR and admins: everyone."""

    whole_organisation: bool
    person_ids: frozenset[int]
    team_ids: frozenset[int]

    @property
    def any(self) -> bool:
        return self.whole_organisation or bool(self.person_ids)


def launch_scope(*, organisation: Organisation, membership: Membership) -> LaunchScope:
    """HR and admins ask anyone. A manager asks the teams they lead (and those below) and the
    people in them, and their reporting line (the people whose ratings they read, themselves
    included); anyone else nobody."""
    if membership.has_perm(Perm.CAMPAIGNS_LAUNCH_ALL):
        return LaunchScope(True, frozenset(), frozenset())
    if not membership.has_perm(Perm.CAMPAIGNS_LAUNCH_TEAMS):
        return LaunchScope(False, frozenset(), frozenset())
    teams = teams_visible_to(organisation=organisation, membership=membership).team_ids
    members = set(
        TeamMembership.objects.filter(organisation=organisation, team_id__in=teams).values_list(
            "person_id", flat=True
        )
    )
    line = people_visible_to(organisation=organisation, membership=membership)
    return LaunchScope(False, frozenset(members | line), frozenset(teams))


def launch_choices(
    *, organisation: Organisation, membership: Membership
) -> tuple[QuerySet[Team], QuerySet[RoleProfile], QuerySet[Person], QuerySet[Skill]]:
    """What the launch form offers: the teams and people within the launcher's scope, the role
    profiles (a manager's are resolved within their scope) and the organisation's live skills."""
    scope = launch_scope(organisation=organisation, membership=membership)
    teams = Team.objects.filter(organisation=organisation).order_by("name", "pk")
    people = Person.objects.filter(organisation=organisation, is_active=True).order_by("name", "pk")
    if not scope.whole_organisation:
        teams = teams.filter(pk__in=scope.team_ids)
        people = people.filter(pk__in=scope.person_ids)
    roles = RoleProfile.objects.filter(organisation=organisation).order_by("name", "pk")
    skills = Skill.objects.filter(
        organisation=organisation, is_archived=False, merged_into__isnull=True
    ).order_by("name", "pk")
    return teams, roles, people, skills


def launch_people_by_email(
    *, organisation: Organisation, membership: Membership, emails: Iterable[str]
) -> dict[str, Person]:
    """Lower-cased email → the active person of the launcher's scope with that address. Another
    organisation's people and those outside a manager's teams are simply not found."""
    _, _, people, _ = launch_choices(organisation=organisation, membership=membership)
    wanted = {e.lower() for e in emails}
    if not wanted:
        return {}
    return {
        person.email_lower: person
        for person in people.annotate(email_lower=Lower("email")).filter(email_lower__in=wanted)
    }


def people_of_teams(*, organisation: Organisation, team_ids: Iterable[int]) -> set[int]:
    """The people in these teams and every team below them."""
    subtree = team_subtree_ids(organisation=organisation, team_ids=list(team_ids))
    return set(
        TeamMembership.objects.filter(organisation=organisation, team_id__in=subtree).values_list(
            "person_id", flat=True
        )
    )


def people_with_roles(*, organisation: Organisation, role_ids: Iterable[int]) -> set[int]:
    """The people whose current or target role is one of these."""
    return set(
        RoleAssignment.objects.filter(
            organisation=organisation, role_id__in=set(role_ids)
        ).values_list("person_id", flat=True)
    )


def askable_people(*, organisation: Organisation, person_ids: Iterable[int] | None) -> set[int]:
    """Those who can answer: active people linked to an active member of the organisation, among
    ``person_ids`` (None: the whole organisation, without a list of ids in the query)."""
    users = Membership.objects.filter(
        organisation=organisation, is_active=True, user__is_active=True
    ).values("user_id")
    people = Person.objects.filter(organisation=organisation, is_active=True, user_id__in=users)
    if person_ids is not None:
        people = people.filter(pk__in=set(person_ids))
    return set(people.values_list("pk", flat=True))


def active_people_count(*, organisation: Organisation) -> int:
    """The organisation's active people, with an account or not: whom "everyone" names."""
    return Person.objects.filter(organisation=organisation, is_active=True).count()


def default_skill_ids(
    *, organisation: Organisation, person_ids: Iterable[int]
) -> dict[int, set[int]]:
    """Person → the skills a campaign asks by default, as My skills and the gap engine decide a
    person's skills: those their current and target roles require, those on their profile, and
    those they have rated; live skills only. Four queries however many people."""
    ids = set(person_ids)
    skills: dict[int, set[int]] = defaultdict(set)
    if not ids:
        return skills
    assignments = list(
        RoleAssignment.objects.filter(organisation=organisation, person_id__in=ids).values_list(
            "person_id", "role_id"
        )
    )
    requirements = requirements_load(organisation, role_ids={r for _, r in assignments})
    for person_id, role_id in assignments:
        skills[person_id].update(r.skill_id for r in requirements.get(role_id, []))
    for person_id, skill_id in ProfileSkill.objects.filter(
        organisation=organisation, person_id__in=ids
    ).values_list("person_id", "skill_id"):
        skills[person_id].add(skill_id)
    for person_id, skill_id in (
        Rating.objects.filter(organisation=organisation, person_id__in=ids)
        .order_by()
        .values_list("person_id", "skill_id")
        .distinct()
    ):
        skills[person_id].add(skill_id)
    live = set(
        Skill.objects.filter(
            organisation=organisation,
            pk__in={s for ss in skills.values() for s in ss},
            is_archived=False,
            merged_into__isnull=True,
        ).values_list("pk", flat=True)
    )
    return {p: ss & live for p, ss in skills.items() if ss & live}


# --- Figures of the summary ----------------------------------------------------------------------


def current_role_gaps(
    *, organisation: Organisation, person_ids: Iterable[int]
) -> dict[int, Decimal]:
    """Person → their current-role gap (0–100), by the gap engine over their effective levels;
    people without a current role are absent."""
    ids = set(person_ids)
    if not ids:
        return {}
    current = dict(
        RoleAssignment.objects.filter(
            organisation=organisation, person_id__in=ids, kind=RoleAssignment.Kind.CURRENT
        ).values_list("person_id", "role_id")
    )
    if not current:
        return {}
    requirements = requirements_load(organisation, role_ids=set(current.values()))
    levels, _ = levels_for_gap(effective_levels(organisation=organisation, person_ids=current))
    return {
        person_id: Decimal(
            repr(gaps.person_gap(requirements.get(role_id, []), levels.get(person_id, {})).gap)
        )
        for person_id, role_id in current.items()
    }


def average_gap(values: Iterable[Decimal]) -> Decimal | None:
    """The mean, rounded as the engine rounds (``gaps.hundredths``); None for nobody."""
    values = list(values)
    if not values:
        return None
    return gaps.hundredths(sum(values, Decimal(0)) / len(values))


# Staleness plays no part in "did the level change": any period will do.
_ANY_PERIOD = timedelta(days=36500)


def _level(events: Sequence[RatingEvent]) -> tuple[int | None, bool]:
    """The effective (level, not applicable) after ``events``; (None, False) when unrated."""
    if not events:
        return (None, False)
    eff = effective_level(events, review_period=_ANY_PERIOD, now=events[-1].rated_at)
    return (None, False) if eff.rated_at is None else (eff.level, eff.not_applicable)


def ratings_changed_count(
    *, organisation: Organisation, campaign: Campaign, until: datetime
) -> int:
    """The participants' rating events of the skills they were asked, between the launch and
    ``until``, after which their effective level differs from the one just before."""
    asked = _asked(organisation, campaign)
    pairs = {(p, s) for p, skills in asked.items() for s in skills}
    if not pairs:
        return 0
    events = rating_events(
        organisation=organisation,
        person_ids={p for p, _ in pairs},
        skill_ids={s for _, s in pairs},
    )
    changed = 0
    for pair in pairs:
        history = sorted(events.get(pair, []), key=lambda e: e.order)
        for index, event in enumerate(history):
            if not campaign.launched_at <= event.rated_at <= until:
                continue
            if _level(history[:index]) != _level(history[: index + 1]):
                changed += 1
    return changed


# --- Progress ------------------------------------------------------------------------------------


def _asked(
    organisation: Organisation, campaign: Campaign, person_ids: Iterable[int] | None = None
) -> dict[int, set[int]]:
    links = CampaignSkill.objects.filter(organisation=organisation, participant__campaign=campaign)
    if person_ids is not None:
        links = links.filter(participant__person_id__in=set(person_ids))
    asked: dict[int, set[int]] = defaultdict(set)
    for person_id, skill_id in links.values_list("participant__person_id", "skill_id"):
        asked[person_id].add(skill_id)
    return asked


@dataclass(frozen=True)
class PersonProgress:
    person: Person
    asked: int
    rated: int
    completed_at: datetime | None
    overdue: bool

    @property
    def complete(self) -> bool:
        return self.rated >= self.asked

    @property
    def percent(self) -> int:
        return 100 if not self.asked else round(100 * self.rated / self.asked)


@dataclass(frozen=True)
class TeamProgress:
    team: Team | None  # None: people in no team
    people: int
    complete: int
    asked: int
    rated: int
    overdue: int

    @property
    def percent(self) -> int:
        return 100 if not self.asked else round(100 * self.rated / self.asked)


@dataclass(frozen=True)
class CampaignProgress:
    campaign: Campaign
    people: list[PersonProgress]
    teams: list[TeamProgress]
    asked: int = 0
    rated: int = 0
    complete: int = 0
    overdue: int = 0

    @property
    def percent(self) -> int:
        return 100 if not self.asked else round(100 * self.rated / self.asked)

    @property
    def participants(self) -> int:
        return len(self.people)


def _rated_at(
    organisation: Organisation, campaign: Campaign, asked: Mapping[int, set[int]]
) -> dict[tuple[int, int], datetime]:
    """(person, skill) → the first rating event since the launch (until the close), for the
    asked pairs: one query."""
    if not asked:
        return {}
    events = Rating.objects.filter(
        organisation=organisation,
        person_id__in=set(asked),
        skill_id__in={s for ss in asked.values() for s in ss},
        rated_at__gte=campaign.launched_at,
    )
    if campaign.closed_at is not None:
        events = events.filter(rated_at__lte=campaign.closed_at)
    return {
        (p, s): first
        for p, s, first in events.order_by()
        .values("person_id", "skill_id")
        .annotate(first=Min("rated_at"))
        .values_list("person_id", "skill_id", "first")
        if s in asked.get(p, ())
    }


def _person_rows(
    campaign: Campaign,
    people: Mapping[int, Person],
    asked: Mapping[int, set[int]],
    rated: Mapping[tuple[int, int], datetime],
    today: date,
) -> list[PersonProgress]:
    rows = []
    for person_id, skills in asked.items():
        if person_id not in people:
            continue
        done = [rated[(person_id, s)] for s in skills if (person_id, s) in rated]
        complete = len(done) >= len(skills)
        rows.append(
            PersonProgress(
                person=people[person_id],
                asked=len(skills),
                rated=len(done),
                # When the last asked skill was first rated: the moment it was complete.
                completed_at=max(done) if complete and done else None,
                overdue=not complete and campaign.is_overdue(today),
            )
        )
    return sorted(rows, key=lambda r: (r.person.name.casefold(), r.person.pk))


def _today(campaign: Campaign, now: datetime | None) -> date:
    # A closed campaign is judged as it stood at its close.
    moment = campaign.closed_at or now or timezone.now()
    return timezone.localdate(moment)


def campaign_progress(
    *,
    organisation: Organisation,
    campaign: Campaign,
    person_ids: Iterable[int] | None = None,
    now: datetime | None = None,
) -> CampaignProgress:
    """Each participant's "rated of asked", completion and overdue flag, and per team (of the
    participants' teams) the same added up. ``person_ids`` narrows it to the people the reader
    may see. Five queries however many participants."""
    ids = None if person_ids is None else set(person_ids)
    asked = _asked(organisation, campaign, ids)
    people = Person.objects.filter(organisation=organisation).in_bulk(list(asked))
    rated = _rated_at(organisation, campaign, asked)
    rows = _person_rows(campaign, people, asked, rated, _today(campaign, now))
    by_person = {r.person.pk: r for r in rows}
    memberships: dict[int | None, list[int]] = defaultdict(list)
    in_a_team: set[int] = set()
    for team_id, person_id in TeamMembership.objects.filter(
        organisation=organisation, person_id__in=list(by_person)
    ).values_list("team_id", "person_id"):
        memberships[team_id].append(person_id)
        in_a_team.add(person_id)
    loose = [p for p in by_person if p not in in_a_team]
    if loose:
        memberships[None] = loose
    teams = Team.objects.filter(organisation=organisation).in_bulk(
        [t for t in memberships if t is not None]
    )
    team_rows = []
    for team_key, members in memberships.items():
        mine = [by_person[p] for p in members]
        team_rows.append(
            TeamProgress(
                team=teams.get(team_key) if team_key is not None else None,
                people=len(mine),
                complete=sum(r.complete for r in mine),
                asked=sum(r.asked for r in mine),
                rated=sum(r.rated for r in mine),
                overdue=sum(r.overdue for r in mine),
            )
        )
    team_rows.sort(key=lambda t: (t.team is None, t.team.name.casefold() if t.team else ""))
    return CampaignProgress(
        campaign=campaign,
        people=rows,
        teams=team_rows,
        asked=sum(r.asked for r in rows),
        rated=sum(r.rated for r in rows),
        complete=sum(r.complete for r in rows),
        overdue=sum(r.overdue for r in rows),
    )


# --- Which campaigns a member sees ---------------------------------------------------------------


def _team_people(organisation: Organisation, membership: Membership) -> set[int]:
    """The people in the teams a manager leads (and below) and their reporting line."""
    scope = launch_scope(organisation=organisation, membership=membership)
    return set(scope.person_ids)


def _visible(organisation: Organisation, membership: Membership) -> QuerySet[Campaign]:
    campaigns = (
        Campaign.objects.filter(organisation=organisation)
        .select_related("created_by")
        .annotate(participant_count=Count("participants", distinct=True))
    )
    if membership.has_perm(Perm.CAMPAIGNS_LAUNCH_ALL):
        return campaigns
    if not membership.has_perm(Perm.CAMPAIGNS_LAUNCH_TEAMS):
        return campaigns.none()
    asking = CampaignParticipant.objects.filter(
        organisation=organisation, person_id__in=_team_people(organisation, membership)
    ).values("campaign_id")
    return campaigns.filter(Q(created_by_id=membership.user_id) | Q(pk__in=asking))


def campaigns_visible(*, organisation: Organisation, membership: Membership) -> QuerySet[Campaign]:
    """HR and admins: every campaign. A manager: those they launched and those asking someone in
    their teams or reporting line. Anyone else: none (their own to-dos are ``campaign_todos``).
    Each with ``participant_count``."""
    return _visible(organisation, membership)


def campaign_get_for(
    *, organisation: Organisation, membership: Membership, campaign_id: int
) -> Campaign:
    """A campaign the caller may follow; another organisation's, one they may not see and a
    missing one are the same 404."""
    campaign = _visible(organisation, membership).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


def progress_people_for(
    *, organisation: Organisation, membership: Membership, campaign: Campaign
) -> set[int] | None:
    """Whose progress the caller reads on a campaign they may see: HR, admins and the launcher
    everyone's (None); another manager that of their own people."""
    if (
        membership.has_perm(Perm.CAMPAIGNS_LAUNCH_ALL)
        or campaign.created_by_id == membership.user_id
    ):
        return None
    return _team_people(organisation, membership)


def may_close(*, membership: Membership, campaign: Campaign) -> bool:
    """The launcher, HR and admins close a campaign by hand."""
    return membership.has_perm(Perm.CAMPAIGNS_LAUNCH_ALL) or (
        membership.has_perm(Perm.CAMPAIGNS_LAUNCH_TEAMS)
        and campaign.created_by_id == membership.user_id
    )


@dataclass(frozen=True)
class LaunchedCampaign:
    """An open campaign on its launcher's home page, with the progress its page shows them."""

    campaign: Campaign
    asked: int
    rated: int

    @property
    def percent(self) -> int:
        return 100 if not self.asked else round(100 * self.rated / self.asked)


def campaigns_launched_open(
    *, organisation: Organisation, user: User, limit: int
) -> list[LaunchedCampaign]:
    """The open campaigns ``user`` launched, soonest due first, each with "rated of asked" over
    all its participants (as ``campaign_progress`` counts them): one query, the counts being
    subqueries, so that the home page pays the same however many are asked."""
    links = CampaignSkill.objects.filter(
        organisation=organisation, participant__campaign=OuterRef("pk")
    )
    rated_since_launch = Rating.objects.filter(
        organisation=organisation,
        person_id=OuterRef("participant__person_id"),
        skill_id=OuterRef("skill_id"),
        rated_at__gte=OuterRef("participant__campaign__launched_at"),
    )

    def count(queryset: QuerySet[CampaignSkill]) -> Coalesce:
        counted = (
            queryset.order_by().values("participant__campaign").annotate(n=Count("pk")).values("n")
        )
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    campaigns = (
        Campaign.objects.filter(
            organisation=organisation, created_by=user, status=CampaignStatus.OPEN
        )
        .annotate(
            asked_count=count(links),
            rated_count=count(links.filter(Exists(rated_since_launch))),
        )
        .order_by("due_on", "pk")[:limit]
    )
    return [
        LaunchedCampaign(campaign=c, asked=c.asked_count, rated=c.rated_count) for c in campaigns
    ]


# --- A person's to-dos ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Todo:
    campaign: Campaign
    asked: int
    rated: int
    overdue: bool
    skill_ids: frozenset[int] = field(default=frozenset())

    @property
    def complete(self) -> bool:
        return self.rated >= self.asked

    @property
    def left(self) -> int:
        return max(0, self.asked - self.rated)

    @property
    def skill_list(self) -> list[int]:
        return sorted(self.skill_ids)


def campaign_todos(
    *, organisation: Organisation, person: Person, now: datetime | None = None
) -> list[Todo]:
    """The person's open campaigns, soonest due first, each with "rated of asked". Two queries,
    or one when they are asked nothing."""
    links = list(
        CampaignSkill.objects.filter(
            organisation=organisation,
            participant__person=person,
            participant__campaign__status=CampaignStatus.OPEN,
        ).values_list("participant__campaign_id", "skill_id")
    )
    if not links:
        return []
    asked: dict[int, set[int]] = defaultdict(set)
    for campaign_id, skill_id in links:
        asked[campaign_id].add(skill_id)
    campaigns = Campaign.objects.filter(organisation=organisation).in_bulk(list(asked))
    earliest = min(c.launched_at for c in campaigns.values())
    events = list(
        Rating.objects.filter(
            organisation=organisation,
            person=person,
            skill_id__in={s for ss in asked.values() for s in ss},
            rated_at__gte=earliest,
        )
        .order_by()
        .values_list("skill_id", "rated_at")
    )
    today = timezone.localdate(now or timezone.now())
    todos = []
    for campaign_id, skills in asked.items():
        campaign = campaigns[campaign_id]
        rated = {s for s, at in events if s in skills and at >= campaign.launched_at}
        todos.append(
            Todo(
                campaign=campaign,
                asked=len(skills),
                rated=len(rated),
                overdue=len(rated) < len(skills) and campaign.is_overdue(today),
                skill_ids=frozenset(skills),
            )
        )
    return sorted(todos, key=lambda t: (t.campaign.due_on, t.campaign.pk))


MY_SKILLS_TEMPLATE = "reviews/_my_skills_todos.html"


def my_skills_notice(*, organisation: Organisation, person: Person) -> MySkillsNotice | None:
    """The provider registered for My skills (``skills.hooks.on_my_skills_notice``): the
    person's open campaigns, or nothing."""
    todos = campaign_todos(organisation=organisation, person=person)
    return MySkillsNotice(template=MY_SKILLS_TEMPLATE, items=todos) if todos else None
