"""Reads of endorsements. Each takes the organisation; an id of another organisation is a 404
exactly like a missing one.

Who sees what (decided here, not in templates):

- the endorsed person sees every endorsement of their skills, who gave it and its note, hidden
  ones included (marked), so that they can show them again;
- the people who may read the person's ratings (their managers up the reporting line, HR and
  admins: ``skills.selectors.ratings.people_visible_to``) see who endorsed what, with the notes,
  of the endorsements the person has not hidden. A hidden endorsement is hidden from the manager
  too: hiding is the person's say over what others read about them, and a manager is the reader
  it matters most for (an awkward note, a joke); it never counted for anything anyway;
- every other colleague sees how many visible endorsements each skill has, and their own.

Counts everywhere (person page, matrix, people search) leave hidden endorsements and archived
skills out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import Count, QuerySet
from django.http import Http404

from accounts.models import Membership, Organisation
from accounts.permissions import Perm
from endorsements.models import Endorsement
from skills.models import Skill
from skills.selectors.ratings import people_visible_to
from teams.models import Person


class Viewer(StrEnum):
    PERSON = "person"  # the endorsed person themselves
    READER = "reader"  # may read the person's ratings: their managers, HR, admins
    COLLEAGUE = "colleague"  # anyone else in the organisation


def viewer_of(
    *,
    organisation: Organisation,
    membership: Membership,
    person: Person,
    reporting_line: bool = True,
) -> Viewer:
    """What ``membership`` is to ``person``'s endorsements. At most one query (a manager's
    reporting line); none for the person, HR, admins and members, nor with
    ``reporting_line=False``, which takes a manager for a colleague (for when nothing they could
    read as a manager is there)."""
    if person.user_id is not None and person.user_id == membership.user_id:
        return Viewer.PERSON
    if membership.has_perm(Perm.RATINGS_VIEW_ALL):
        return Viewer.READER
    if not reporting_line:
        return Viewer.COLLEAGUE
    if membership.has_perm(Perm.RATINGS_VALIDATE_REPORTS) and person.pk in people_visible_to(
        organisation=organisation, membership=membership
    ):
        return Viewer.READER
    return Viewer.COLLEAGUE


def _of_person(organisation: Organisation, person: Person) -> QuerySet[Endorsement]:
    return Endorsement.objects.filter(
        organisation=organisation, person=person, skill__is_archived=False
    ).select_related("endorser", "person", "skill")


def _shown_to(viewer: Viewer, endorsement: Endorsement, user_id: int) -> bool:
    if viewer == Viewer.PERSON:
        return True
    if endorsement.endorser.user_id == user_id:
        return True  # one's own, whatever the person did with it
    return viewer == Viewer.READER and not endorsement.hidden


# --- A person's endorsements (their page, the API) ------------------------------------------------


@dataclass
class SkillEndorsements:
    skill: Skill
    count: int = 0  # visible endorsements: hidden ones do not count
    shown: list[Endorsement] = field(default_factory=list)  # those the viewer may read
    mine: Endorsement | None = None  # the viewer's own endorsement of this skill


@dataclass(frozen=True)
class EndorsementsSection:
    viewer: Viewer
    rows: list[SkillEndorsements]

    @property
    def is_person(self) -> bool:
        return self.viewer == Viewer.PERSON

    @property
    def is_reader(self) -> bool:
        return self.viewer == Viewer.READER

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)

    @property
    def hidden(self) -> int:
        return sum(1 for row in self.rows for e in row.shown if e.hidden)


def person_endorsements_section(
    *, organisation: Organisation, membership: Membership, person: Person
) -> EndorsementsSection:
    """The endorsements section of ``person``'s page as ``membership`` may see it: per skill
    (most endorsed first) the visible count, the endorsements the viewer may read and the
    viewer's own. One query, and a second (a manager's reporting line) only when there are
    colleagues' visible endorsements a manager could read, whatever their number."""
    endorsements = list(_of_person(organisation, person).order_by("created_at", "pk"))
    # The person page is statement-count pinned: an endorsement-less page (most) pays one query.
    others = any(not e.hidden and e.endorser.user_id != membership.user_id for e in endorsements)
    viewer = viewer_of(
        organisation=organisation, membership=membership, person=person, reporting_line=others
    )
    rows: dict[int, SkillEndorsements] = {}
    for endorsement in endorsements:
        row = rows.setdefault(endorsement.skill_id, SkillEndorsements(endorsement.skill))
        if not endorsement.hidden:
            row.count += 1
        if _shown_to(viewer, endorsement, membership.user_id):
            row.shown.append(endorsement)
        if endorsement.endorser.user_id == membership.user_id:
            row.mine = endorsement
    # A skill whose only endorsements are hidden is nothing to a colleague or a manager.
    kept = [r for r in rows.values() if r.count or r.shown]
    kept.sort(key=lambda r: (-r.count, r.skill.name.casefold(), r.skill.pk))
    return EndorsementsSection(viewer=viewer, rows=kept)


def endorsement_list_visible(
    *, organisation: Organisation, membership: Membership, person: Person
) -> list[Endorsement]:
    """The endorsements of ``person`` that ``membership`` may read, newest first."""
    viewer = viewer_of(organisation=organisation, membership=membership, person=person)
    return [
        e
        for e in _of_person(organisation, person).order_by("-created_at", "-pk")
        if _shown_to(viewer, e, membership.user_id)
    ]


def _get(organisation: Organisation, person: Person, skill: Skill, **by: object) -> Endorsement:
    endorsement = (
        Endorsement.objects.filter(organisation=organisation, person=person, skill=skill, **by)
        .select_related("organisation", "endorser", "person__user", "skill")
        .first()
    )
    if endorsement is None:
        raise Http404("No such endorsement.")
    return endorsement


def endorsement_get_visible(
    *,
    organisation: Organisation,
    membership: Membership,
    person: Person,
    skill: Skill,
    endorser_id: int,
) -> Endorsement:
    """The endorsement of ``person``'s ``skill`` by the person ``endorser_id``, if the caller may
    read it; anything else (missing, another organisation's, hidden from the caller) is 404.
    An endorsement is named by what makes it unique (endorser, person, skill), so URLs carry
    only the organisation's people and skills."""
    endorsement = _get(organisation, person, skill, endorser_id=endorser_id)
    viewer = viewer_of(organisation=organisation, membership=membership, person=person)
    if not _shown_to(viewer, endorsement, membership.user_id):
        raise Http404("No such endorsement.")
    return endorsement


def endorsement_get_own(
    *, organisation: Organisation, membership: Membership, person: Person, skill: Skill
) -> Endorsement:
    """The caller's own endorsement of ``person``'s ``skill``, or 404."""
    return _get(organisation, person, skill, endorser__user_id=membership.user_id)


# --- Counts (the matrix, people search) ----------------------------------------------------------


def endorsement_counts(
    *,
    organisation: Organisation,
    person_ids: Iterable[int],
    skill_ids: Iterable[int],
) -> dict[tuple[int, int], int]:
    """``(person id, skill id) → visible endorsements`` for these people and skills, in one
    query; pairs without any are absent. Hidden endorsements do not count."""
    person_ids, skill_ids = set(person_ids), set(skill_ids)
    if not person_ids or not skill_ids:
        return {}
    rows = (
        Endorsement.objects.filter(
            organisation=organisation,
            person_id__in=person_ids,
            skill_id__in=skill_ids,
            hidden=False,
        )
        .order_by()
        .values_list("person_id", "skill_id")
        .annotate(n=Count("pk"))
    )
    return {(person_id, skill_id): n for person_id, skill_id, n in rows}


def endorsement_counts_by_person(
    counts: dict[tuple[int, int], int],
) -> dict[int, dict[int, int]]:
    """``endorsement_counts`` regrouped as ``person id → {skill id → count}`` (no query)."""
    grouped: dict[int, dict[int, int]] = defaultdict(dict)
    for (person_id, skill_id), n in counts.items():
        grouped[person_id][skill_id] = n
    return grouped
