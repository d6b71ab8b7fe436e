"""What other apps do when a skill is merged into another.

Rows of higher layers that point at a skill (role requirements) must follow a merge, and skills
cannot import them; each registers a follower explicitly, in its ``AppConfig.ready``. A follower
runs inside the merge's transaction and returns how many of its rows it moved, which the merge's
audit event records under the follower's name.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MergeFollower = Callable[..., int]  # (*, organisation, source, into) -> rows moved

_followers: dict[str, MergeFollower] = {}


def on_skill_merged(name: str, follower: MergeFollower) -> None:
    _followers[name] = follower


def skill_merged(*, organisation: Any, source: Any, into: Any) -> dict[str, int]:
    return {
        name: follower(organisation=organisation, source=source, into=into)
        for name, follower in _followers.items()
    }


# --- What My skills shows from the layers above ---------------------------------------------------
# The engineer's page is skills', but role targets, readiness and mentors are derived above it
# (roles, reports). ``reports`` registers one provider in its ``AppConfig.ready``; the page renders
# its templates, so skills never needs to know what they show.


@dataclass(frozen=True)
class MySkillsExtras:
    panel_template: str  # included above the skills, with ``panel`` in its context
    panel: Any  # None when the page asked for the rows' data only (``panel=False``)
    row_template: str  # included in each skill's row, with ``extra`` (per_skill's value or None)
    per_skill: Mapping[int, Any]  # skill id -> row data; its keys are the skills the roles require


# (*, organisation, person, levels, skills, panel) -> MySkillsExtras
MySkillsProvider = Callable[..., MySkillsExtras]

_my_skills_providers: list[MySkillsProvider] = []


def on_my_skills(provider: MySkillsProvider) -> None:
    _my_skills_providers[:] = [provider]


def my_skills_extras(
    *,
    organisation: Any,
    person: Any,
    levels: Mapping[int, Any],
    skills: Mapping[int, Any],
    panel: bool = True,
) -> MySkillsExtras | None:
    """The registered provider's extras, or None when no app above skills provides any.

    ``levels`` (skill id → the person's ``skills.levels.Effective``, for the rated skills) and
    ``skills`` (skill id → ``Skill``) are what the page's rows have read: a provider builds on
    them instead of reading the person's ratings again (issue #14 counts the page's statements).
    ``panel=False`` (an htmx row) asks for ``per_skill`` only."""
    if not _my_skills_providers:
        return None
    return _my_skills_providers[0](
        organisation=organisation, person=person, levels=levels, skills=skills, panel=panel
    )


# --- What people search shows and filters from the layers above (#16) ----------------------------
# People search is skills', but endorsement counts live above it (endorsements). The provider
# registered in ``EndorsementsConfig.ready`` adds one input to each criterion (its template is
# included in the criterion's fieldset), narrows the results and adds a column; skills renders its
# templates and never knows what they show.


@dataclass(frozen=True)
class PeopleSearchExtras:
    criterion_template: str  # included in each criterion's fieldset, with ``field`` (its entry)
    fields: Sequence[Any]  # one entry per criterion fieldset of the page, in order
    valid: bool  # False: an input of the provider was refused (shown on its field); answers 400
    keep: Collection[int] | None  # the people the provider's filters keep; None: everyone
    header_template: str  # included in the results' header row
    cell_template: str  # included in each result's row, with ``extra`` (per_person's value or None)
    per_person: Mapping[int, Any]


# (*, organisation, params, positions, slots, criteria, person_ids) -> PeopleSearchExtras:
# ``params`` is the query string; ``positions`` the index, among its ``skill`` values, of each
# criterion used (blank rows are skipped); ``slots`` the number of fieldsets; ``criteria`` the
# valid (skill, minimum) pairs; ``person_ids`` the people who meet them.
PeopleSearchProvider = Callable[..., PeopleSearchExtras]

_people_search_providers: list[PeopleSearchProvider] = []


def on_people_search(provider: PeopleSearchProvider) -> None:
    _people_search_providers[:] = [provider]


def people_search_extras(**kwargs: Any) -> PeopleSearchExtras | None:
    """The registered provider's extras, or None when no app above skills provides any."""
    if not _people_search_providers:
        return None
    return _people_search_providers[0](**kwargs)


# --- Notices on My skills from the layers above (#16) ---------------------------------------------
# My skills is skills', but a review campaign's to-do ("7 of 16 rated, due 3 June") lives above it
# (reviews). Each provider registered (``ReviewsConfig.ready``) returns its notice, or None when it
# has nothing to say; the page includes each notice's template with ``items``.


@dataclass(frozen=True)
class MySkillsNotice:
    template: str  # included above the skills, with ``items`` in its context
    items: Sequence[Any]


MySkillsNoticeProvider = Callable[..., MySkillsNotice | None]  # (*, organisation, person)

_my_skills_notice_providers: dict[str, MySkillsNoticeProvider] = {}


def on_my_skills_notice(name: str, provider: MySkillsNoticeProvider) -> None:
    """Register (or replace, by ``name``) a provider of a notice on My skills."""
    _my_skills_notice_providers[name] = provider


def my_skills_notices(*, organisation: Any, person: Any) -> list[MySkillsNotice]:
    notices = (
        provider(organisation=organisation, person=person)
        for provider in _my_skills_notice_providers.values()
    )
    return [notice for notice in notices if notice is not None]
