"""The skills figures of the organisation home page (``skillsmap.home``): what to rate next, the
ratings waiting for validation and the stale ratings.

Each is read through the selectors the rating pages use, so the home page counts exactly what
those pages show; the rules themselves (effective level, staleness) stay in ``skills.levels``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from accounts.models import Membership, Organisation
from skills.models import Skill
from skills.selectors.levels import effective_levels
from skills.selectors.ratings import SkillRow, self_rating_rows, validation_summaries
from teams.models import Person


def rate_next(
    *,
    organisation: Organisation,
    person: Person,
    limit: int,
    first: Sequence[int] = (),
    now: datetime | None = None,
) -> list[SkillRow]:
    """The person's skills to rate next, from their My skills rows: those never rated before those
    whose rating has gone stale; within each, the skills in ``first`` (their role's missing skills,
    heaviest first) lead, then the rest by name."""
    rank = {skill_id: i for i, skill_id in enumerate(first)}
    rows = [
        row
        for group in self_rating_rows(organisation=organisation, person=person, now=now)
        for row in group.rows
        if not row.skill.is_archived and (not row.rated or row.effective.stale)
    ]
    rows.sort(
        key=lambda row: (row.rated, rank.get(row.skill.pk, len(rank)), row.skill.name.casefold())
    )
    return rows[:limit]


@dataclass(frozen=True)
class ValidationQueue:
    ratings: int  # self-assessments waiting for a validation
    people: int  # people with at least one of them


def ratings_to_validate(
    *, organisation: Organisation, membership: Membership, now: datetime | None = None
) -> ValidationQueue:
    """The Validate page's queue (``validation_summaries``) summed up."""
    summaries = validation_summaries(organisation=organisation, membership=membership, now=now)
    return ValidationQueue(
        ratings=sum(s.awaiting for s in summaries),
        people=sum(1 for s in summaries if s.awaiting),
    )


@dataclass(frozen=True)
class StaleRatings:
    ratings: int  # (person, skill) pairs whose effective rating is older than the review period
    people: int
    review_period_days: int


def stale_ratings(*, organisation: Organisation, now: datetime | None = None) -> StaleRatings:
    """The organisation's stale effective ratings (``Effective.stale``: the staleness rule of
    ``skills.levels``) of active people in skills still in use. Three queries."""
    active = set(
        Person.objects.filter(organisation=organisation, is_active=True).values_list(
            "pk", flat=True
        )
    )
    archived = set(
        Skill.objects.filter(organisation=organisation, is_archived=True).values_list(
            "pk", flat=True
        )
    )
    stale = [
        person_id
        for (person_id, skill_id), effective in effective_levels(
            organisation=organisation, now=now
        ).items()
        if effective.stale and person_id in active and skill_id not in archived
    ]
    return StaleRatings(
        ratings=len(stale),
        people=len(set(stale)),
        review_period_days=organisation.review_period_days,
    )
