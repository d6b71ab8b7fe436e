"""Writes of the organisation's skill framework: adopting library skills, the organisation's own
skills, duplicate detection, merging, archiving and per-skill level descriptors.

One rule runs through all of them: inside an organisation, a normalised name (see
``skills.library.normalise_skill_name``) stands for at most one skill, whether it is that skill's
name or one of its aliases. The database enforces it for names; ``skill_find_duplicate`` enforces
it for aliases, and also refuses a name the library knows as a synonym of an existing skill.

Every function is atomic and leaves an ``AuditEvent``; the callers (views, the demo seed, role
profile services) run inside ``organisation_context``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from accounts.audit import audit_record
from accounts.models import Organisation, User
from skills import hooks
from skills.anchors import general_descriptor
from skills.library import normalise_skill_name
from skills.models import (
    LibraryLevelAnchor,
    LibrarySkill,
    LibrarySource,
    ProfileSkill,
    Rating,
    Skill,
    SkillCategory,
    SkillKind,
    SkillLevelDescriptor,
)
from skills.selectors.framework import library_synonym_groups, scale_levels
from skillsmap.core.changes import inputs_changed
from skillsmap.core.errors import ServiceError

# O*NET's level scale (LV) runs 0–7; its anchors are mapped onto the organisation's scale.
ONET_LEVEL_MAX = 7
NAME_MAX = Skill._meta.get_field("name").max_length or 200
CATEGORY_NAME_MAX = SkillCategory._meta.get_field("name").max_length or 120


class FrameworkError(ServiceError):
    """A framework change the domain refuses; the message is for the user."""


class DuplicateSkillError(FrameworkError):
    """The name (``field == "name"``) or an alias (``"aliases"``) already stands for ``existing``
    in this organisation. Pages turn it into a form error that links to ``existing``."""

    def __init__(self, existing: Skill, field: str = "name") -> None:
        self.existing, self.field = existing, field
        super().__init__(f"Already in your framework as {existing.name}.")


# --- Duplicate detection ------------------------------------------------------------------------


def _key(text: str) -> str:
    return normalise_skill_name(text)


@dataclass
class _FrameworkIndex:
    """Every skill of one organisation by the normalised names it answers to; one query.

    Names count for every skill, archived and merged ones included (the database keeps them unique).
    Aliases count for every skill except merged ones, whose name and aliases moved to the skill
    they were merged into.
    """

    skills: dict[int, Skill] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    by_library: dict[int, int] = field(default_factory=dict)

    @classmethod
    def load(cls, organisation: Organisation) -> _FrameworkIndex:
        index = cls()
        for skill in Skill.objects.filter(organisation=organisation).order_by("pk"):
            index.add(skill)
        return index

    def add(self, skill: Skill) -> None:
        self.skills[skill.pk] = skill
        self.names[skill.normalised_name] = skill.pk
        if skill.library_skill_id is not None:
            self.by_library.setdefault(skill.library_skill_id, skill.pk)
        if skill.merged_into_id is None:
            for alias in skill.aliases or []:
                key = _key(alias)
                if key:
                    self.aliases.setdefault(key, skill.pk)

    def final(self, skill_id: int) -> Skill:
        """The skill a merged skill lives on in (following merges of merges), else itself."""
        skill, seen = self.skills[skill_id], {skill_id}
        while skill.merged_into_id is not None and skill.merged_into_id not in seen:
            if skill.merged_into_id not in self.skills:
                break
            seen.add(skill.merged_into_id)
            skill = self.skills[skill.merged_into_id]
        return skill

    def conflict(
        self, keys: Iterable[str], *, exclude_id: int | None, name_key: str | None
    ) -> Skill | None:
        """The first skill other than ``exclude_id`` that already answers to one of ``keys``.

        A key that is the name of a merged skill points at the skill it was merged into; if that is
        the excluded skill itself, the key is free as an alias but not as a name, because the
        merged skill still holds it in the database.
        """
        ordered = [name_key] if name_key else []
        ordered += sorted(set(keys) - {name_key, ""})
        for key in ordered:
            holder_id = self.names.get(key)
            if holder_id is not None and holder_id != exclude_id:
                final = self.final(holder_id)
                if final.pk != exclude_id:
                    return final
                if key == name_key:
                    return self.skills[holder_id]
            alias_id = self.aliases.get(key)
            if alias_id is not None and alias_id != exclude_id:
                return self.skills[alias_id]
        return None


def _find_duplicate(
    index: _FrameworkIndex, name: str, aliases: Iterable[str], exclude: Skill | None
) -> tuple[Skill, str] | None:
    """The skill a name or its aliases would duplicate, and which of the two ("name" or
    "aliases") does."""
    name_key = _key(name)
    alias_keys = {_key(a) for a in aliases} - {"", name_key}
    exclude_id = exclude.pk if exclude is not None else None
    fields = (("name", {name_key}, name_key), ("aliases", alias_keys, None))
    for field_name, keys, physical in fields:
        found = index.conflict(keys, exclude_id=exclude_id, name_key=physical)
        if found is not None:
            return found, field_name
    # "ReactJS" typed while the framework has "React": the library knows them as one skill.
    groups = library_synonym_groups(keys={name_key, *alias_keys})
    for field_name, keys, _ in fields:
        synonyms = set().union(*(g for g in groups if g & keys)) - keys - {name_key, *alias_keys}
        found = index.conflict(synonyms, exclude_id=exclude_id, name_key=None)
        if found is not None:
            return found, field_name
    return None


def skill_find_duplicate(
    *,
    organisation: Organisation,
    name: str,
    aliases: Iterable[str] = (),
    exclude: Skill | None = None,
) -> Skill | None:
    """The skill of this organisation that ``name`` or one of ``aliases`` would duplicate, or None.

    Two spellings are the same skill when they normalise alike ("React.js" = "reactjs" =
    " REACTJS "). A typed name or alias duplicates a skill when it matches that skill's name or one of its
    aliases, or when the library lists it as a synonym of one of them (a library skill whose name
    or aliases include both). Archived skills count: their names are still taken and they can be
    unarchived. A merged skill is reported as the skill it was merged into. ``exclude`` is the
    skill being edited. Two queries.
    """
    found = _find_duplicate(_FrameworkIndex.load(organisation), name, aliases, exclude)
    return found[0] if found else None


def _refuse_duplicate(
    organisation: Organisation, name: str, aliases: Sequence[str], exclude: Skill | None
) -> None:
    found = _find_duplicate(_FrameworkIndex.load(organisation), name, aliases, exclude)
    if found is not None:
        raise DuplicateSkillError(*found)


# --- Cleaning input -----------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not _key(name):
        raise FrameworkError("A skill name needs at least one letter or digit.")
    if len(name) > NAME_MAX:
        raise FrameworkError(f"A skill name has at most {NAME_MAX} characters.")
    return name


def _clean_aliases(name: str, aliases: Iterable[str]) -> list[str]:
    """Aliases trimmed, in the order given, without repeats or spellings of the name itself."""
    seen = {_key(name)}
    cleaned = []
    for alias in aliases:
        alias = " ".join(alias.split())
        key = _key(alias)
        if key and key not in seen:
            seen.add(key)
            cleaned.append(alias[:NAME_MAX])
    return cleaned


def _clean_kind(kind: str) -> str:
    if kind not in SkillKind.values:
        raise FrameworkError("Choose technical or human.")
    return kind


def _category_named(
    organisation: Organisation, name: str, cache: dict[str, SkillCategory] | None = None
) -> SkillCategory:
    """The organisation's category of that name, ignoring case, created if it has none."""
    name = " ".join(name.split())[:CATEGORY_NAME_MAX]
    if cache is not None and name.casefold() in cache:
        return cache[name.casefold()]
    category = SkillCategory.objects.filter(organisation=organisation, name__iexact=name).first()
    if category is None:
        category = SkillCategory.objects.create(organisation=organisation, name=name)
    if cache is not None:
        cache[name.casefold()] = category
    return category


def _resolve_category(
    organisation: Organisation, category: SkillCategory | None, category_name: str
) -> SkillCategory | None:
    if category_name.strip():
        return _category_named(organisation, category_name)
    if category is not None and category.organisation_id != organisation.pk:
        raise FrameworkError("Select a valid category.")
    return category


def _snapshot(skill: Skill) -> dict[str, Any]:
    return {
        "name": skill.name,
        "description": skill.description,
        "kind": skill.kind,
        "category": skill.category.name if skill.category else None,
        "aliases": list(skill.aliases),
    }


# --- Own skills ---------------------------------------------------------------------------------


@transaction.atomic
def skill_create(
    *,
    organisation: Organisation,
    name: str,
    kind: str,
    by: User | None,
    description: str = "",
    category: SkillCategory | None = None,
    category_name: str = "",
    aliases: Sequence[str] = (),
) -> Skill:
    """Add a skill of the organisation's own. ``category_name``, when given, picks the category of
    that name or creates it; otherwise ``category`` (or none). Raises ``DuplicateSkillError`` when
    the name or an alias is already in the framework (see ``skill_find_duplicate``)."""
    name = _clean_name(name)
    aliases = _clean_aliases(name, aliases)
    _refuse_duplicate(organisation, name, aliases, None)
    skill = Skill(
        organisation=organisation,
        name=name,
        normalised_name=_key(name),
        description=description.strip(),
        kind=_clean_kind(kind),
        category=_resolve_category(organisation, category, category_name),
        aliases=aliases,
    )
    try:
        # A concurrent request may have taken the name since the check; the constraint decides.
        with transaction.atomic():
            skill.save()
    except IntegrityError:
        raise FrameworkError(f"“{name}” was added to the framework a moment ago.") from None
    audit_record(
        organisation=organisation,
        actor=by,
        verb="skill.created",
        target=skill,
        after=_snapshot(skill),
    )
    return skill


@transaction.atomic
def skill_update(
    *,
    skill: Skill,
    name: str,
    kind: str,
    by: User | None,
    description: str = "",
    category: SkillCategory | None = None,
    category_name: str = "",
    aliases: Sequence[str] = (),
) -> Skill:
    """Rename or edit a skill; the same duplicate rule as ``skill_create``, against the other
    skills. Ratings, descriptors and requirements stay attached (they point at the skill's id)."""
    organisation = skill.organisation
    name = _clean_name(name)
    aliases = _clean_aliases(name, aliases)
    _refuse_duplicate(organisation, name, aliases, skill)
    before = _snapshot(skill)
    skill.name, skill.normalised_name = name, _key(name)
    skill.description = description.strip()
    skill.kind = _clean_kind(kind)
    skill.category = _resolve_category(organisation, category, category_name)
    skill.aliases = aliases
    after = _snapshot(skill)
    if after == before:
        return skill
    try:
        with transaction.atomic():
            skill.save(
                update_fields=[
                    "name",
                    "normalised_name",
                    "description",
                    "kind",
                    "category",
                    "aliases",
                ]
            )
    except IntegrityError:
        raise FrameworkError(f"“{name}” was added to the framework a moment ago.") from None
    changed = [k for k in after if after[k] != before[k]]
    audit_record(
        organisation=organisation,
        actor=by,
        verb="skill.updated",
        target=skill,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return skill


# --- Adopting library skills --------------------------------------------------------------------


@dataclass
class AdoptResult:
    """What ``skill_adopt`` did. ``skills`` maps every requested library skill's id to the
    organisation's skill that now stands for it, adopted just now or already there."""

    adopted: list[Skill] = field(default_factory=list)
    # (library skill, the framework skill it already is): adopted before, or the same name.
    existing: list[tuple[LibrarySkill, Skill]] = field(default_factory=list)
    skills: dict[int, Skill] = field(default_factory=dict)


def anchor_value(level: int | float, *, top: int) -> int:
    """An O*NET level (LV 0–7) on a 0–``top`` scale: round(LV / 7 × top), at least 1 (our own
    mapping, the one role profiles use too)."""
    return max(1, round(level / ONET_LEVEL_MAX * top))


def _descriptors_from_anchors(
    anchors: Iterable[LibraryLevelAnchor], values: set[int], *, element_id: str
) -> dict[int, str]:
    """Anchors in ascending LV order; where two land on the same level the first one stays. An
    anchor that names one occupation's task reads in the product's general words instead
    (``skills.anchors``)."""
    if not values:
        return {}
    top = max(values)
    mapped: dict[int, str] = {}
    for anchor in anchors:
        value = anchor_value(anchor.level, top=top)
        if value in values and value not in mapped and anchor.description.strip():
            mapped[value] = general_descriptor(element_id, anchor.description)
    return mapped


@transaction.atomic
def skill_adopt(
    *, organisation: Organisation, library_skills: Iterable[LibrarySkill], by: User | None
) -> AdoptResult:
    """Copy library skills into the organisation's framework.

    Each becomes a ``Skill`` with the library skill's name, description, kind and aliases, linked
    to it, in a category named after its library category (created if the organisation has none of
    that name); O*NET level anchors become the skill's level descriptors on the organisation's
    scale (``anchor_value``), in general words where an anchor names one occupation's task. A library skill that was adopted before, or whose name or an alias is
    already a skill of the framework, is left alone and reported in ``existing``: adopting twice
    changes nothing. Queries: a handful, plus four per adopted skill.
    """
    requested = list(dict.fromkeys(skill.pk for skill in library_skills))
    library = LibrarySkill.objects.select_related("category").in_bulk(requested)
    anchors: dict[int, list[LibraryLevelAnchor]] = {}
    for anchor in LibraryLevelAnchor.objects.filter(skill_id__in=requested).order_by(
        "skill_id", "level"
    ):
        anchors.setdefault(anchor.skill_id, []).append(anchor)
    values = {level.value for level in scale_levels(organisation=organisation)}
    index = _FrameworkIndex.load(organisation)
    categories: dict[str, SkillCategory] = {}
    result = AdoptResult()

    for library_id in requested:
        entry = library.get(library_id)
        if entry is None:
            continue
        existing_id = index.by_library.get(library_id)
        name = _clean_name(entry.name[:NAME_MAX])
        existing = (
            index.final(existing_id)
            if existing_id is not None
            else index.conflict(
                {_key(name), *(_key(a) for a in entry.aliases or [])},
                exclude_id=None,
                name_key=_key(name),
            )
        )
        if existing is not None:
            result.existing.append((entry, existing))
            result.skills[library_id] = existing
            continue
        category = (
            _category_named(organisation, entry.category.name, categories)
            if entry.category
            else None
        )
        skill = Skill(
            organisation=organisation,
            name=name,
            normalised_name=_key(name),
            description=entry.description,
            kind=entry.kind,
            category=category,
            library_skill=entry,
            aliases=_clean_aliases(name, entry.aliases or []),
        )
        try:
            # A concurrent adoption of the same skill may have taken the name since the index
            # was read: then it is already there, like any other existing skill.
            with transaction.atomic():
                skill.save()
        except IntegrityError:
            taken = Skill.objects.get(
                organisation=organisation, normalised_name=skill.normalised_name
            )
            result.existing.append((entry, taken))
            result.skills[library_id] = taken
            continue
        descriptors = _descriptors_from_anchors(
            anchors.get(library_id, []), values, element_id=entry.external_id
        )
        SkillLevelDescriptor.objects.bulk_create(
            SkillLevelDescriptor(organisation=organisation, skill=skill, value=v, description=d)
            for v, d in sorted(descriptors.items())
        )
        audit_record(
            organisation=organisation,
            actor=by,
            verb="skill.adopted",
            target=skill,
            after={
                "name": skill.name,
                "library_skill": entry.pk,
                "source": entry.source,
                "external_id": entry.external_id,
                "category": category.name if category else None,
                "descriptors": sorted(descriptors),
            },
        )
        index.add(skill)
        result.adopted.append(skill)
        result.skills[library_id] = skill
    return result


# --- Merging and archiving ----------------------------------------------------------------------


@dataclass(frozen=True)
class MergeCounts:
    ratings: int
    profile_skills: int
    descriptors: int
    # Rows of other apps that followed the merge (skills.hooks), e.g. {"requirements": 2}.
    followers: dict[str, int]


def rows_move(model: Any, organisation: Organisation, source: Skill, into: Skill, key: str) -> int:
    """Point ``model`` rows of ``source`` at ``into``. Where ``into`` already has a row with the
    same ``key`` (person, level, role), its own row wins and the source's is dropped."""
    rows = model.objects.filter(organisation=organisation)
    taken = rows.filter(skill=into).values_list(key, flat=True)
    rows.filter(skill=source, **{f"{key}__in": list(taken)}).delete()
    return rows.filter(skill=source).update(skill=into)


@transaction.atomic
def skill_merge(*, source: Skill, into: Skill, by: User | None) -> MergeCounts:
    """Fold ``source`` into ``into`` without losing anything.

    Every rating of ``source`` moves to ``into`` unchanged (same level, source, author and time,
    so each person's history stays in order); profile entries, level descriptors and role
    requirements move too, except where ``into`` already has one for the same person, level or
    role, which it keeps. ``source``'s name and aliases become aliases of ``into``; ``source`` is
    archived with ``merged_into`` set, so old links and audit rows still resolve.
    """
    organisation = source.organisation
    if into.organisation_id != organisation.pk or into.is_archived:
        raise FrameworkError("Select a valid skill.")
    if into.pk == source.pk:
        raise FrameworkError("A skill cannot be merged into itself.")
    # Lock both rows: two merges of the same skill at once would otherwise both move its ratings.
    locked = Skill.objects.select_for_update().filter(
        organisation=organisation, pk__in=[source.pk, into.pk]
    )
    current = {skill.pk: skill for skill in locked}
    source, into = current[source.pk], current[into.pk]
    if source.merged_into_id is not None:
        raise FrameworkError(f"{source.name} has already been merged into another skill.")
    if into.is_archived:
        raise FrameworkError("Select a valid skill.")

    # Ratings are otherwise never updated: a merge is the one change that keeps their history.
    counts = MergeCounts(
        ratings=Rating.objects.filter(organisation=organisation, skill=source).update(skill=into),
        profile_skills=rows_move(ProfileSkill, organisation, source, into, "person_id"),
        descriptors=rows_move(SkillLevelDescriptor, organisation, source, into, "value"),
        followers=hooks.skill_merged(organisation=organisation, source=source, into=into),
    )
    aliases_before = list(into.aliases)
    into.aliases = _clean_aliases(into.name, [*into.aliases, source.name, *source.aliases])
    into.save(update_fields=["aliases"])
    source.is_archived, source.merged_into = True, into
    source.save(update_fields=["is_archived", "merged_into"])
    audit_record(
        organisation=organisation,
        actor=by,
        verb="skill.merged",
        target=source,
        before={"name": source.name, "into_aliases": aliases_before},
        after={
            "into": into.pk,
            "into_name": into.name,
            "into_aliases": into.aliases,
            "ratings": counts.ratings,
            "profile_skills": counts.profile_skills,
            "descriptors": counts.descriptors,
            **counts.followers,
        },
    )
    inputs_changed(organisation=organisation)
    return counts


@transaction.atomic
def skill_set_archived(*, skill: Skill, archived: bool, by: User | None) -> Skill:
    """Archive a skill (hidden from the framework list, closed to new ratings, left out of role
    gaps; its history stays) or bring it back. A merged skill stays archived."""
    if skill.is_archived == archived:
        return skill
    if not archived and skill.merged_into_id is not None:
        raise FrameworkError(
            f"{skill.name} was merged into {skill.merged_into}; it stays archived."
        )
    skill.is_archived = archived
    skill.save(update_fields=["is_archived"])
    audit_record(
        organisation=skill.organisation,
        actor=by,
        verb="skill.archived" if archived else "skill.unarchived",
        target=skill,
        before={"is_archived": not archived},
        after={"is_archived": archived},
    )
    # Requirements on archived skills leave the gap scores: they must be recomputed.
    inputs_changed(organisation=skill.organisation)
    return skill


# --- Level descriptors --------------------------------------------------------------------------


@transaction.atomic
def skill_descriptors_update(*, skill: Skill, descriptors: dict[int, str], by: User | None) -> int:
    """Set what each level means for ``skill``: ``{level value: text}``. An empty text removes the
    skill's own descriptor, so the scale's generic description applies again. Levels not given are
    left as they are. Returns the number of levels changed."""
    organisation = skill.organisation
    values = {level.value for level in scale_levels(organisation=organisation)}
    unknown = sorted(set(descriptors) - values)
    if unknown:
        raise FrameworkError(f"Level {unknown[0]} is not on the organisation's scale.")
    current = dict(
        SkillLevelDescriptor.objects.filter(organisation=organisation, skill=skill).values_list(
            "value", "description"
        )
    )
    before: dict[str, str | None] = {}
    after: dict[str, str | None] = {}
    for value, text in sorted(descriptors.items()):
        text = text.strip()
        if text == current.get(value, ""):
            continue
        before[str(value)], after[str(value)] = current.get(value), text or None
        if text:
            SkillLevelDescriptor.objects.update_or_create(
                organisation=organisation, skill=skill, value=value, defaults={"description": text}
            )
        else:
            SkillLevelDescriptor.objects.filter(
                organisation=organisation, skill=skill, value=value
            ).delete()
    if after:
        audit_record(
            organisation=organisation,
            actor=by,
            verb="skill.descriptors_updated",
            target=skill,
            before=before,
            after=after,
        )
    return len(after)


@transaction.atomic
def skill_descriptors_generalise(*, organisation: Organisation, by: User | None) -> int:
    """Reword the level descriptors an adoption copied from an O*NET anchor that names one
    occupation's task (``skills.anchors``) and that nobody has edited since: for organisations
    that adopted before the rewording existed. A descriptor whose text is no longer O*NET's was
    written by the organisation and is left alone. One ``skill.descriptors_updated`` audit row per
    skill changed; returns the number of descriptors changed."""
    descriptors = SkillLevelDescriptor.objects.filter(
        organisation=organisation, skill__library_skill__source=LibrarySource.ONET
    ).select_related("skill__library_skill")
    changed: dict[Skill, list[tuple[SkillLevelDescriptor, str]]] = {}
    for descriptor in descriptors.order_by("skill_id", "value"):
        library = descriptor.skill.library_skill
        assert library is not None  # the filter above
        text = general_descriptor(library.external_id, descriptor.description)
        if text != descriptor.description:
            changed.setdefault(descriptor.skill, []).append((descriptor, descriptor.description))
            descriptor.description = text
    rows = [descriptor for pairs in changed.values() for descriptor, _ in pairs]
    SkillLevelDescriptor.objects.bulk_update(rows, ["description"])
    for skill, pairs in changed.items():
        audit_record(
            organisation=organisation,
            actor=by,
            verb="skill.descriptors_updated",
            target=skill,
            before={str(d.value): old for d, old in pairs},
            after={str(d.value): d.description for d, _ in pairs},
        )
    return len(rows)
