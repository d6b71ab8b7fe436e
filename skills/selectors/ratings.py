"""Reads of ratings: whose ratings a member may see, effective levels, and the data of the rating
pages. Each takes the organisation; each page's data comes in a fixed number of queries.

Who sees what (enforced here, not in templates): a member their own ratings; a manager also those
of everyone below them in the reporting line (``Person.manager``, direct and indirect); HR and
admins (``RATINGS_VIEW_ALL``) everyone's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from accounts.permissions import Perm
from skills.levels import (
    UNRATED,
    Effective,
    RatingEvent,
    effective_level,
    is_manager_validation,
    is_self_assessment,
)
from skills.models import ProficiencyLevel, ProfileSkill, Rating, Skill, SkillLevelDescriptor
from skills.selectors.framework import skill_list
from skills.selectors.levels import EVENT_FIELDS, effective_levels, rating_event, review_period
from skills.selectors.search import search_candidates
from skillsmap.core.aggregates import json_datetime, json_list, json_rows
from skillsmap.core.memo import memoised
from teams.models import Person

NOT_APPLICABLE = "na"  # the form value of "Not applicable"; it is a flag, not a level
NOT_APPLICABLE_TEXT = "This skill has nothing to do with my work."


# --- Who may see whose ratings -------------------------------------------------------------------


def person_for_user(*, organisation: Organisation, user: User) -> Person:
    """The caller's own person record, or 404 (every member gets one on joining)."""
    person = Person.objects.filter(organisation=organisation, user=user).first()
    if person is None:
        raise Http404("No such person.")
    return person


def _own_person_id(organisation: Organisation, membership: Membership) -> int | None:
    return (
        Person.objects.filter(organisation=organisation, user_id=membership.user_id)
        .values_list("pk", flat=True)
        .first()
    )


def _below(pairs: Iterable[tuple[int, int | None]], root: int) -> set[int]:
    """Everyone below ``root`` in the reporting line, direct and indirect. The ``seen`` set stops a
    cycle (A manages B manages A, which HR can create by mistake) from looping forever."""
    reports: dict[int, list[int]] = defaultdict(list)
    for person_id, manager_id in pairs:
        if manager_id is not None:
            reports[manager_id].append(person_id)
    seen: set[int] = set()
    stack = list(reports.get(root, []))
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(reports.get(current, []))
    seen.discard(root)
    return seen


def people_visible_to(*, organisation: Organisation, membership: Membership) -> set[int]:
    """Ids of the people whose ratings the caller may read: themselves; a manager also their direct
    and indirect reports; HR and admins everyone. At most two queries, once per page request
    (``skillsmap.core.memo``: the person page's sections each ask)."""
    key = ("people_visible_to", organisation.pk, membership.pk, membership.role)
    return set(memoised(key, lambda: _people_visible_to(organisation, membership)))


def person_is_visible_to(
    *, organisation: Organisation, membership: Membership, person: Person
) -> bool:
    """Whether the caller may read ``person``'s ratings (``people_visible_to``), without a query
    for oneself, for HR and admins and for a member; a manager's reporting line takes one."""
    if person.organisation_id != organisation.pk:
        return False
    if person.user_id is not None and person.user_id == membership.user_id:
        return True
    if membership.has_perm(Perm.RATINGS_VIEW_ALL):
        return True
    if not membership.has_perm(Perm.RATINGS_VALIDATE_REPORTS):
        return False
    return person.pk in people_visible_to(organisation=organisation, membership=membership)


def _people_visible_to(organisation: Organisation, membership: Membership) -> frozenset[int]:
    if membership.has_perm(Perm.RATINGS_VIEW_ALL):
        return frozenset(
            Person.objects.filter(organisation=organisation).values_list("pk", flat=True)
        )
    if not membership.has_perm(Perm.RATINGS_VALIDATE_REPORTS):
        own = _own_person_id(organisation, membership)
        return frozenset() if own is None else frozenset({own})
    # One query for the whole organisation's reporting line and the caller's own record, walked in
    # Python: a recursive CTE would do it in SQL, but the pairs are small and this works on SQLite
    # alike. In the order of ``_own_person_id`` (the model's), so both find the same record.
    rows = list(
        Person.objects.filter(organisation=organisation).values_list("pk", "manager_id", "user_id")
    )
    own = next((pk for pk, _, user_id in rows if user_id == membership.user_id), None)
    if own is None:
        return frozenset()
    return frozenset({own} | _below(((pk, manager_id) for pk, manager_id, _ in rows), own))


def people_validatable_by(*, organisation: Organisation, membership: Membership) -> set[int]:
    """Ids of the people whose ratings the caller may validate: those they may see, except
    themselves (nobody validates their own self-assessment). Empty without the permission."""
    if not membership.has_perm(Perm.RATINGS_VALIDATE_REPORTS):
        return set()
    visible = people_visible_to(organisation=organisation, membership=membership)
    return visible - {_own_person_id(organisation, membership)}


def person_get_visible(
    *, organisation: Organisation, membership: Membership, person_id: int
) -> Person:
    """A person whose ratings the caller may read; anyone else reads as missing (404)."""
    if person_id not in people_visible_to(organisation=organisation, membership=membership):
        raise Http404("No such person.")
    person = Person.objects.filter(organisation=organisation, pk=person_id).first()
    if person is None:
        raise Http404("No such person.")
    return person


def person_get_validatable(
    *, organisation: Organisation, membership: Membership, person_id: int
) -> Person:
    """A person the caller may validate; a manager outside their reporting line gets the same 404
    as for a person who does not exist."""
    if person_id not in people_validatable_by(organisation=organisation, membership=membership):
        raise Http404("No such person.")
    person = Person.objects.filter(organisation=organisation, pk=person_id).first()
    if person is None:
        raise Http404("No such person.")
    return person


# --- Effective levels ----------------------------------------------------------------------------
# Loaded by ``skills.selectors.levels``, the one loader of the pages, the gap engine and the demo;
# ``effective_levels`` and ``review_period`` are re-exported here for the rating pages' callers.


def person_effective_ratings(
    *, organisation: Organisation, person: Person
) -> list[tuple[Skill, Effective]]:
    """Every skill the person has a rating in, with its effective level, by skill name."""
    effective = effective_levels(organisation=organisation, person_ids=[person.pk])
    skills = Skill.objects.filter(
        organisation=organisation, pk__in={skill_id for _, skill_id in effective}
    ).order_by("name", "pk")
    return [(skill, effective[(person.pk, skill.pk)]) for skill in skills]


def rating_history(
    *, organisation: Organisation, person: Person, skill: Skill | None = None
) -> list[Rating]:
    """Every rating event of a person (in one skill), newest first. Nothing is ever removed."""
    events = Rating.objects.filter(organisation=organisation, person=person)
    if skill is not None:
        events = events.filter(skill=skill)
    return list(events.select_related("skill", "rated_by").order_by("-rated_at", "-pk"))


# --- Rows of the rating pages --------------------------------------------------------------------


@dataclass(frozen=True)
class LevelOption:
    """One choice of the level radio group: a level of the scale, or "Not applicable"."""

    key: str  # the form value: "0".."5" or "na"
    value: int | None
    name: str
    descriptor: str


@dataclass(frozen=True)
class LatestSelf:
    """The person's latest self-assessment, which the self-rating form starts from (the effective
    level may be their manager's)."""

    level: int | None
    not_applicable: bool
    interest: bool
    note: str
    evidence_url: str
    rated_at: datetime

    @property
    def key(self) -> str:
        return NOT_APPLICABLE if self.not_applicable else str(self.level)


@dataclass(frozen=True)
class SkillRow:
    skill: Skill
    effective: Effective
    options: list[LevelOption]
    latest_self: LatestSelf | None
    manager_note: str
    rated: bool  # any event at all: a rated skill stays on the profile
    # What a layer above adds to the row on My skills (``skills.hooks.my_skills_extras``).
    extra: Any = None

    @property
    def selected_key(self) -> str:
        return self.latest_self.key if self.latest_self else ""

    @property
    def selected_option(self) -> LevelOption | None:
        return next((o for o in self.options if o.key == self.selected_key), None)

    @property
    def effective_key(self) -> str:
        if self.effective.not_applicable:
            return NOT_APPLICABLE
        return str(self.effective.level) if self.effective.rated_at else ""

    @property
    def effective_option(self) -> LevelOption | None:
        return next((o for o in self.options if o.key == self.effective_key), None)

    @property
    def validation_note(self) -> str:
        """The note the validation form starts from: that of the validation in effect, so that
        confirming it again keeps its reason instead of needing a new one."""
        return self.manager_note if self.effective.validated else ""

    @property
    def difference_label(self) -> str:
        """Manager minus self with its sign ("+1", "−2", "0"), empty without both levels."""
        difference = self.effective.difference
        if difference is None:
            return ""
        return f"+{difference}" if difference > 0 else f"−{-difference}" if difference else "0"

    @property
    def difference_explained(self) -> str:
        difference = self.effective.difference
        if difference is None:
            return ""
        if difference == 0:
            return "manager agrees with the self-assessment"
        levels = "level" if abs(difference) == 1 else "levels"
        side = "above" if difference > 0 else "below"
        return f"manager {abs(difference)} {levels} {side} the self-assessment"


@dataclass
class CategoryGroup:
    name: str
    rows: list[SkillRow] = field(default_factory=list)


class _ScaleLevel(NamedTuple):
    """A level of the organisation's scale, as the rows read it (JSON, in their statement)."""

    value: int
    name: str
    description: str


def _options(levels: Sequence[_ScaleLevel], own: Mapping[int, str]) -> list[LevelOption]:
    """The level choices of one skill: each level of the scale with the skill's own descriptor,
    or the scale's generic description where it has none (``framework.level_descriptors``'
    rule)."""
    options = [
        LevelOption(str(lv.value), lv.value, lv.name, own.get(lv.value) or lv.description)
        for lv in levels
    ]
    options.append(LevelOption(NOT_APPLICABLE, None, "Not applicable", NOT_APPLICABLE_TEXT))
    return options


class _PersonEvent(NamedTuple):
    """One rating event of a person, as the pages need it: the skill, the loader's
    ``EVENT_FIELDS`` in their order, then the notes."""

    skill_id: int
    level: int | None
    not_applicable: bool
    source: str
    rated_at: datetime
    interest: bool
    pk: int
    note: str
    evidence_url: str

    @property
    def order(self) -> tuple[datetime, int]:
        return (self.rated_at, self.pk)

    def as_rating_event(self) -> RatingEvent:
        return rating_event(
            self.level, self.not_applicable, self.source, self.rated_at, self.interest, self.pk
        )


def _with_row_data(
    skills: QuerySet[Skill], organisation: Organisation, person: Person
) -> QuerySet[Skill]:
    """``skills`` with what their rows need, in the same statement as JSON: the person's rating
    events in each skill, each skill's own level descriptors, and the organisation's scale (not
    correlated: the database reads it once for the statement). One statement for a page's rows,
    where the events, the scale and the descriptors took one each (issue #14). Read by
    ``_rows``."""
    events = Rating.objects.filter(organisation=organisation, person=person, skill=OuterRef("pk"))
    descriptors = SkillLevelDescriptor.objects.filter(
        organisation=organisation, skill=OuterRef("pk")
    )
    return skills.annotate(
        row_events=json_rows(
            events, **{name: name for name in (*EVENT_FIELDS, "note", "evidence_url")}
        ),
        row_descriptors=json_rows(descriptors, value="value", description="description"),
        row_scale=json_rows(
            ProficiencyLevel.objects.filter(organisation=organisation),
            value="value",
            name="name",
            description="description",
        ),
    )


def _events_read(skill: Skill) -> list[_PersonEvent]:
    """The person's events in ``skill``, as ``_with_row_data`` read them."""
    return [
        _PersonEvent(
            skill_id=skill.pk,
            level=None if e["level"] is None else int(e["level"]),
            not_applicable=bool(e["not_applicable"]),
            source=e["source"],
            rated_at=json_datetime(e["rated_at"]),
            interest=bool(e["interest"]),
            pk=int(e["pk"]),
            note=e["note"],
            evidence_url=e["evidence_url"],
        )
        for e in json_list(skill.row_events)  # type: ignore[attr-defined]  # _with_row_data
    ]


def _rows(
    organisation: Organisation, skills: Sequence[Skill], now: datetime | None
) -> list[SkillRow]:
    """Rows for ``skills``, read with ``_with_row_data``: no query."""
    levels: list[_ScaleLevel] = []
    if skills:
        scale = json_list(skills[0].row_scale)  # type: ignore[attr-defined]  # the same on every row
        levels = sorted(
            (_ScaleLevel(int(lv["value"]), lv["name"], lv["description"]) for lv in scale),
            key=lambda lv: lv.value,
        )
    period, now = review_period(organisation), now or timezone.now()
    rows = []
    for skill in skills:
        mine = _events_read(skill)
        own = {
            int(d["value"]): d["description"]
            for d in json_list(skill.row_descriptors)  # type: ignore[attr-defined]  # _with_row_data
        }
        effective = (
            effective_level([e.as_rating_event() for e in mine], review_period=period, now=now)
            if mine
            else UNRATED
        )
        # A review is neither: the form starts from the person's own latest assessment.
        selfs = [e for e in mine if is_self_assessment(e.source)]
        managers = [e for e in mine if is_manager_validation(e.source)]
        last_self = max(selfs, key=lambda e: e.order, default=None)
        last_manager = max(managers, key=lambda e: e.order, default=None)
        rows.append(
            SkillRow(
                skill=skill,
                effective=effective,
                options=_options(levels, own),
                latest_self=LatestSelf(
                    level=last_self.level,
                    not_applicable=last_self.not_applicable,
                    interest=last_self.interest,
                    note=last_self.note,
                    evidence_url=last_self.evidence_url,
                    rated_at=last_self.rated_at,
                )
                if last_self
                else None,
                manager_note=last_manager.note if last_manager else "",
                rated=bool(mine),
            )
        )
    return rows


def _grouped(rows: Iterable[SkillRow]) -> list[CategoryGroup]:
    groups: dict[str, CategoryGroup] = {}
    for row in rows:
        name = row.skill.category.name if row.skill.category else "Other skills"
        groups.setdefault(name, CategoryGroup(name)).rows.append(row)
    # Named categories alphabetically, the uncategorised last.
    return sorted(groups.values(), key=lambda g: (g.name == "Other skills", g.name.casefold()))


def self_rating_rows(
    *, organisation: Organisation, person: Person, now: datetime | None = None
) -> list[CategoryGroup]:
    """A person's skills (on their profile or rated, not archived) grouped by category, each with
    its effective level, latest self-assessment and level descriptors. One statement, whatever
    the number of skills (``_with_row_data``)."""
    # The rated and the profile's skills as subqueries: one statement for both.
    rated = Rating.objects.filter(organisation=organisation, person=person).values("skill_id")
    profile = ProfileSkill.objects.filter(organisation=organisation, person=person).values(
        "skill_id"
    )
    skills = (
        skill_list(organisation=organisation)
        .filter(Q(pk__in=rated) | Q(pk__in=profile))
        .select_related("category")
        .order_by("name", "pk")
    )
    return _grouped(_rows(organisation, list(_with_row_data(skills, organisation, person)), now))


def self_rating_row(
    *, organisation: Organisation, person: Person, skill: Skill, now: datetime | None = None
) -> SkillRow:
    """One row of the self-rating or validation page, for re-rendering it after a save. The skill
    may be archived (the row then shows why the save was refused). One statement."""
    skills = Skill.objects.filter(organisation=organisation, pk=skill.pk).select_related("category")
    return _rows(organisation, list(_with_row_data(skills, organisation, person)), now)[0]


# The filters of My skills: the form value and its label.
SHOW_ALL, SHOW_UNRATED, SHOW_REQUIRED = "", "unrated", "required"
# Where the stale-ratings digest (#16, ``reviews.digests``) sends the person.
SHOW_STALE = "stale"
SHOW_CHOICES = {
    SHOW_ALL: "All skills",
    SHOW_UNRATED: "Unrated",
    SHOW_STALE: "Stale",
    SHOW_REQUIRED: "Required by my role",
}


def self_rating_rows_shown(
    groups: Iterable[CategoryGroup], *, per_skill: Mapping[int, Any], show: str
) -> list[CategoryGroup]:
    """My skills' groups with each row's ``extra`` from ``per_skill`` (whose keys are the skills
    the person's roles require), keeping the rows ``show`` asks for; groups left empty go."""
    shown = []
    for group in groups:
        rows = [
            replace(row, extra=per_skill.get(row.skill.pk))
            for row in group.rows
            if show != SHOW_UNRATED or row.effective.rated_at is None
            if show != SHOW_REQUIRED or row.skill.pk in per_skill
            if show != SHOW_STALE or row.effective.stale
        ]
        if rows:
            shown.append(CategoryGroup(group.name, rows))
    return shown


def profile_skill_ids(*, organisation: Organisation, person: Person) -> set[int]:
    return set(
        ProfileSkill.objects.filter(organisation=organisation, person=person).values_list(
            "skill_id", flat=True
        )
    )


def skill_search(*, organisation: Organisation, q: str, limit: int = 50) -> list[Skill]:
    """Non-archived framework skills matching ``q``, for "Add to my profile"."""
    return list(skill_list(organisation=organisation, q=q).select_related("category")[:limit])


# --- Manager validation --------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidationSummary:
    person: Person
    self_rated: int
    validated: int
    differ: int
    largest_difference: int | None
    # Self-assessments whose effective level is not a manager's validation: what is left to
    # validate (the home page's "N ratings to validate").
    awaiting: int = 0


def validation_summaries(
    *, organisation: Organisation, membership: Membership, now: datetime | None = None
) -> list[ValidationSummary]:
    """Per person the caller may validate (active people only): how many skills are self-rated,
    validated and differ (self ≠ manager), and the largest difference. A fixed number of queries."""
    ids = people_validatable_by(organisation=organisation, membership=membership)
    people = list(
        Person.objects.filter(organisation=organisation, pk__in=ids, is_active=True).order_by(
            "name", "pk"
        )
    )
    archived = set(
        Skill.objects.filter(organisation=organisation, is_archived=True).values_list(
            "pk", flat=True
        )
    )
    effective = effective_levels(
        organisation=organisation, person_ids=[p.pk for p in people], now=now
    )
    per_person: dict[int, list[Effective]] = defaultdict(list)
    for (person_id, skill_id), eff in effective.items():
        if skill_id not in archived:
            per_person[person_id].append(eff)
    summaries = []
    for person in people:
        mine = per_person.get(person.pk, [])
        differences = [abs(e.difference) for e in mine if e.difference]
        summaries.append(
            ValidationSummary(
                person=person,
                self_rated=sum(1 for e in mine if e.self_level is not None),
                validated=sum(1 for e in mine if e.validated),
                differ=len(differences),
                largest_difference=max(differences, default=None),
                awaiting=sum(1 for e in mine if e.self_level is not None and not e.validated),
            )
        )
    return summaries


def validation_rows(
    *, organisation: Organisation, person: Person, now: datetime | None = None
) -> list[SkillRow]:
    """The person's skills for their manager, by category then name: the self-rating rows."""
    return [
        row
        for group in self_rating_rows(organisation=organisation, person=person, now=now)
        for row in group.rows
    ]


# --- People search -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    skill: Skill
    effective: Effective


@dataclass(frozen=True)
class SearchResult:
    person: Person
    total: int
    matches: list[Match]


def people_search(
    *,
    organisation: Organisation,
    membership: Membership,
    criteria: Sequence[tuple[Skill, int]],
    limit: int = 200,
    now: datetime | None = None,
) -> tuple[list[SearchResult], int]:
    """Active people visible to the caller whose effective level is at least the minimum in every
    criterion (AND), sorted by the sum of those levels (descending), then name. "Not applicable"
    never matches. Returns at most ``limit`` results and the number of matches; a fixed number of
    queries whatever the number of people. Levels are read only for the people who can match
    (``skills.selectors.search``)."""
    if not criteria:
        return [], 0
    possible = search_candidates(organisation=organisation, criteria=criteria)
    # HR and admins may read everyone's ratings (``people_visible_to``), so the organisation is the
    # filter; the list of its every id cost more to plan than the search (BENCHMARKS.md, P6).
    if not membership.has_perm(Perm.RATINGS_VIEW_ALL):
        visible = people_visible_to(organisation=organisation, membership=membership)
        if not visible:
            return [], 0
        possible = possible.filter(person_id__in=visible)
    effective = effective_levels(
        organisation=organisation,
        person_ids=possible,
        skill_ids=[skill.pk for skill, _ in criteria],
        now=now,
    )
    matched: dict[int, list[Match]] = {}
    candidates = {person_id for person_id, _ in effective}
    for person_id in candidates:
        matches = []
        for skill, minimum in criteria:
            eff = effective.get((person_id, skill.pk))
            if eff is None or eff.not_applicable or (eff.level or 0) < minimum:
                break
            matches.append(Match(skill, eff))
        else:
            matched[person_id] = matches
    people = Person.objects.filter(organisation=organisation, pk__in=matched, is_active=True)
    results = [
        SearchResult(p, sum(m.effective.level or 0 for m in matched[p.pk]), matched[p.pk])
        for p in people
    ]
    results.sort(key=lambda r: (-r.total, r.person.name.casefold(), r.person.pk))
    return results[:limit], len(results)


def search_skill_choices(*, organisation: Organisation) -> QuerySet[Skill]:
    """The skills one may search by: the organisation's non-archived framework."""
    return skill_list(organisation=organisation)


# --- The skills section of a person's page -------------------------------------------------------


@dataclass(frozen=True)
class PersonSkillsSection:
    visible: bool
    groups: list[CategoryGroup]


def person_skills_section(
    *, organisation: Organisation, membership: Membership, person: Person
) -> PersonSkillsSection:
    """What the viewer ``membership`` sees of ``person``'s skills on the person page: nothing
    unless the person is visible to them (themselves, their managers, HR and admins), and then
    only the rated skills, since an unrated skill on a profile says nothing about the person yet."""
    if not person_is_visible_to(organisation=organisation, membership=membership, person=person):
        return PersonSkillsSection(visible=False, groups=[])
    groups = self_rating_rows(organisation=organisation, person=person)
    rated = [g for g in groups if any(row.rated for row in g.rows)]
    return PersonSkillsSection(visible=True, groups=rated)
