"""Reads of the organisation's skill framework and proficiency scale, and of the global library.

Every tenant read takes the organisation and filters on it, so an id of another organisation is a
404 exactly like a missing one. The ``Library*`` models are global: any organisation may read them.

``skill_list``, ``skill_get``, ``scale_levels``, ``scale_bounds`` and ``level_descriptors`` are
the framework's public surface for the rest of the skills domain (ratings, imports) and for
``roles`` (target levels on the scale): they keep their signatures.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Max, Min, Q, QuerySet, Value, When
from django.http import Http404

from accounts.models import Organisation
from skills.library import normalise_skill_name
from skills.models import LibrarySkill, ProficiencyLevel, Skill, SkillCategory, SkillLevelDescriptor
from skills.services.scale import DEFAULT_SCALE

LIBRARY_PAGE_SIZE = 50


def _json_variants(text: str) -> set[str]:
    """``text`` as it may appear inside a JSON string: as is, and escaped (SQLite stores JSON with
    ``\\uXXXX`` escapes for non-ASCII characters; both databases escape quotes)."""
    return {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}


def _text_match(q: str) -> Q:
    """Name or alias contains ``q`` or ``q`` normalised, ignoring case; or the normalised name
    contains ``q`` normalised. So "nodejs" finds "Node.js" and "React.js" finds the alias
    "ReactJS".

    Aliases are a JSON list: ``icontains`` runs over its JSON text, which is good enough for a
    search box (a stored alias is not normalised, so "reactjs" does not find the alias "React.js";
    its skill's own name still does when it normalises alike).
    """
    normalised = normalise_skill_name(q)
    query = Q(name__icontains=q)
    for variant in _json_variants(q) | (_json_variants(normalised) if normalised else set()):
        query |= Q(aliases__icontains=variant)
    if normalised:
        query |= Q(normalised_name__contains=normalised)
    return query


# --- Skills -------------------------------------------------------------------------------------


def skill_list(
    *,
    organisation: Organisation,
    include_archived: bool = False,
    q: str = "",
    kind: str = "",
    category_id: int | None = None,
) -> QuerySet[Skill]:
    """The organisation's skills, ordered by name, with ``category`` selected.

    Archived skills (merged ones included) are left out unless ``include_archived``. ``q`` matches
    the name and the aliases, case-insensitively (see ``_text_match``); ``kind`` is a
    ``SkillKind`` value and ``category_id`` a category of this organisation (any other id simply
    matches nothing). Empty filters are ignored. The queryset is lazy: callers may filter, slice
    or annotate it further.
    """
    skills = Skill.objects.filter(organisation=organisation).select_related("category")
    if not include_archived:
        skills = skills.filter(is_archived=False)
    q = q.strip()
    if q:
        skills = skills.filter(_text_match(q))
    if kind:
        skills = skills.filter(kind=kind)
    if category_id is not None:
        skills = skills.filter(category_id=category_id)
    return skills.order_by("name", "pk")


def skill_get(*, organisation: Organisation, skill_id: int) -> Skill:
    """One skill of the organisation (archived ones too, so that history still resolves), with its
    category, library skill and merge target selected; ``Http404`` when it is missing or belongs to
    another organisation: the two are indistinguishable."""
    skill = (
        Skill.objects.filter(organisation=organisation, pk=skill_id)
        .select_related("category", "library_skill", "merged_into")
        .first()
    )
    if skill is None:
        raise Http404("No such skill.")
    return skill


@dataclass
class CategoryGroup:
    """One heading of the framework page; ``category`` is None for skills without one."""

    category: SkillCategory | None
    skills: list[Skill] = field(default_factory=list)


def _with_framework_columns(skills: QuerySet[Skill]) -> QuerySet[Skill]:
    """What a framework row shows beyond the skill: its library source and how many people rated
    it (``rater_count``), in the same query."""
    return skills.select_related("category", "library_skill").annotate(
        rater_count=Count("ratings__person", distinct=True)
    )


def framework_groups(
    *,
    organisation: Organisation,
    include_archived: bool = False,
    q: str = "",
    kind: str = "",
    category_id: int | None = None,
) -> list[CategoryGroup]:
    """The framework page: the filtered skills grouped by category (named categories in
    alphabetical order, "no category" last), each with ``rater_count``, the number of distinct
    people who rated it. One query, whatever the number of skills."""
    skills = _with_framework_columns(
        skill_list(
            organisation=organisation,
            include_archived=include_archived,
            q=q,
            kind=kind,
            category_id=category_id,
        )
    ).order_by(
        Case(
            When(category__isnull=True, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        "category__name",
        "category_id",
        "name",
        "pk",
    )
    groups: list[CategoryGroup] = []
    for skill in skills:
        if not groups or groups[-1].category != skill.category:
            groups.append(CategoryGroup(skill.category))
        groups[-1].skills.append(skill)
    return groups


def framework_row(*, organisation: Organisation, skill_id: int) -> Skill:
    """One skill as the framework page shows it (archived or not); ``Http404`` if not ours."""
    skill = _with_framework_columns(
        Skill.objects.filter(organisation=organisation, pk=skill_id)
    ).first()
    if skill is None:
        raise Http404("No such skill.")
    return skill


def category_list(*, organisation: Organisation) -> QuerySet[SkillCategory]:
    return SkillCategory.objects.filter(organisation=organisation).order_by("name")


def skills_active(*, organisation: Organisation) -> QuerySet[Skill]:
    """The organisation's live (not archived) skills, by name: what may be required or rated."""
    return Skill.objects.filter(organisation=organisation, is_archived=False).order_by("name")


def merge_targets(*, organisation: Organisation, exclude: Skill | None = None) -> QuerySet[Skill]:
    """Skills another skill may be merged into: the organisation's live skills (less ``exclude``,
    the skill being merged, when given)."""
    skills = skills_active(organisation=organisation)
    return skills.exclude(pk=exclude.pk) if exclude is not None else skills


# --- The scale and level descriptors ------------------------------------------------------------


def scale_levels(*, organisation: Organisation) -> list[ProficiencyLevel]:
    """The organisation's proficiency levels, lowest value first (the default scale is 0–5).
    "Not applicable" is not among them: it is a flag on a rating."""
    return list(ProficiencyLevel.objects.filter(organisation=organisation).order_by("value"))


# The default scale's lowest and highest values (``skills.services.scale.DEFAULT_SCALE``).
DEFAULT_SCALE_BOUNDS: tuple[int, int] = (
    min(value for value, _, _ in DEFAULT_SCALE),
    max(value for value, _, _ in DEFAULT_SCALE),
)


def scale_bounds(*, organisation: Organisation) -> tuple[int, int]:
    """The lowest and highest level value of the organisation's scale, for what must lie on it
    (role targets). An organisation without a scale yet has the default scale's bounds (0–5)."""
    bounds = ProficiencyLevel.objects.filter(organisation=organisation).aggregate(
        low=Min("value"), high=Max("value")
    )
    if bounds["low"] is None or bounds["high"] is None:
        return DEFAULT_SCALE_BOUNDS
    return bounds["low"], bounds["high"]


def level_descriptors(
    *,
    organisation: Organisation,
    skills: Iterable[Skill],
    levels: Sequence[ProficiencyLevel] | None = None,
) -> dict[int, dict[int, str]]:
    """What each level means for each skill: ``{skill id: {level value: text}}``.

    Every skill gets every level of the scale: its own descriptor where it has one, otherwise the
    scale's generic description. Two queries (the scale, the descriptors), whatever the number of
    skills; one when the caller passes the scale (``levels``, from ``scale_levels``).
    """
    skill_ids = [skill.pk for skill in skills]
    if levels is None:
        levels = scale_levels(organisation=organisation)
    generic = {level.value: level.description for level in levels}
    result = {skill_id: dict(generic) for skill_id in skill_ids}
    if not skill_ids:
        return result
    own = SkillLevelDescriptor.objects.filter(
        organisation=organisation, skill_id__in=skill_ids
    ).values_list("skill_id", "value", "description")
    for skill_id, value, description in own:
        if value in generic and description:
            result[skill_id][value] = description
    return result


@dataclass(frozen=True)
class LevelRow:
    """One level of the scale as it applies to one skill, for the skill page."""

    level: ProficiencyLevel
    text: str
    is_specific: bool  # the skill's own descriptor rather than the scale's generic description


def skill_level_rows(*, organisation: Organisation, skill: Skill) -> list[LevelRow]:
    """The skill page's level table: every level of the scale with the skill's own descriptor, or
    the generic description where it has none. Two queries."""
    own = dict(
        SkillLevelDescriptor.objects.filter(organisation=organisation, skill=skill).values_list(
            "value", "description"
        )
    )
    return [
        LevelRow(level, own.get(level.value) or level.description, bool(own.get(level.value)))
        for level in scale_levels(organisation=organisation)
    ]


# --- The global skill library -------------------------------------------------------------------


def library_search(
    *, q: str = "", kind: str = "", source: str = "", page: int | str | None = 1
) -> Page:
    """One page (``LIBRARY_PAGE_SIZE`` rows) of library skills matching ``q`` in the name,
    normalised name or aliases, with ``category`` selected; exact name matches come first, then
    by name. Two queries (count and page)."""
    skills = LibrarySkill.objects.select_related("category")
    q = q.strip()
    if q:
        skills = skills.filter(_text_match(q)).annotate(
            exact=Case(
                When(normalised_name=normalise_skill_name(q), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        skills = skills.order_by("exact", "name", "pk")
    else:
        skills = skills.order_by("name", "pk")
    if kind:
        skills = skills.filter(kind=kind)
    if source:
        skills = skills.filter(source=source)
    return Paginator(skills, LIBRARY_PAGE_SIZE).get_page(page)


def library_adopted(
    *, organisation: Organisation, library_skills: Iterable[LibrarySkill]
) -> set[int]:
    """Which of ``library_skills`` the organisation has adopted (their ids). One query."""
    ids = [skill.pk for skill in library_skills]
    if not ids:
        return set()
    return set(
        Skill.objects.filter(organisation=organisation, library_skill_id__in=ids).values_list(
            "library_skill_id", flat=True
        )
    )


def library_synonym_groups(*, keys: set[str]) -> list[frozenset[str]]:
    """The library's synonym groups that touch ``keys``: for every library skill whose name or an
    alias normalises to one of ``keys``, the normalised forms of its name and all its aliases.

    The database narrows the candidates (a normalised name in ``keys``, or an alias equal to one
    of the keys, ignoring case: ``"reactjs"`` matches the JSON element ``"ReactJS"``); the exact
    comparison is then made on normalised strings here. One query.
    """
    keys = {k for k in keys if k}
    if not keys:
        return []
    alias_match = reduce(
        or_,
        (
            Q(aliases__icontains=f'"{variant}"')
            for key in sorted(keys)
            for variant in sorted(_json_variants(key))
        ),
    )
    candidates = LibrarySkill.objects.filter(Q(normalised_name__in=keys) | alias_match).values_list(
        "normalised_name", "aliases"
    )
    groups = []
    for normalised_name, aliases in candidates:
        group = frozenset(
            {normalised_name, *(normalise_skill_name(a) for a in aliases or [])} - {""}
        )
        if group & keys:
            groups.append(group)
    return groups


def library_skill_list(*, ids: Sequence[int]) -> list[LibrarySkill]:
    """The library skills of ``ids``, in that order; unknown ids are left out. One query."""
    found = LibrarySkill.objects.in_bulk(list(ids))
    return [found[pk] for pk in ids if pk in found]


def library_skill_choices() -> QuerySet[LibrarySkill]:
    """Every skill of the shared library (O*NET, ESCO): what may be adopted. The library belongs to
    no organisation, so any organisation may pick from all of it."""
    return LibrarySkill.objects.all()
