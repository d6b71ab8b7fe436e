"""People search's candidates: who can possibly meet every criterion, as a subquery.

A person's effective level in a skill is the level of one of their rating events in it (the
latest self assessment or the latest manager validation, ``skills.levels``; never a review's,
and "not applicable" has no level). So whoever has an effective level of at least the minimum in
every criterion has, in each of those skills, some non-review event at or above it. The converse
does not hold (an older self rating of 5 may since have been validated at 2), so the candidates
are a superset of the matches, and the rule itself still decides, in ``effective_level``.

Why: the search used to read the effective levels of everyone the caller may see in the searched
skills. For HR in an organisation of 55,000 people that was a list of 55,000 ids in the statement
(half a second to plan) and 11,000 levels built in Python for 200 matches (BENCHMARKS.md, P6).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.models import Organisation
from skills.levels import REVIEW_SOURCES
from skills.models import Rating, Skill


def search_candidates(
    *, organisation: Organisation, criteria: Sequence[tuple[Skill, int]]
) -> QuerySet[Any]:
    """Ids (``person_id``) of the people of the organisation with, in every criterion's skill, a
    rating event that is not a review at or above its minimum. Not evaluated: a subquery for
    ``skills.selectors.levels.effective_levels``. ``criteria`` must not be empty."""
    reviews = sorted(source.value for source in REVIEW_SOURCES)
    at_least = reduce(or_, (_qualifies(skill, minimum, reviews) for skill, minimum in criteria))
    # A skill searched twice counts once: its events must then meet either minimum, which still
    # holds for everyone meeting both.
    skills = len({skill.pk for skill, _ in criteria})
    return (
        Rating.objects.filter(organisation=organisation)
        .filter(at_least)
        .order_by()
        .values("person_id")
        .annotate(skills=Count("skill_id", distinct=True))
        .filter(skills=skills)
        .values("person_id")
    )


def _qualifies(skill: Skill, minimum: int, reviews: list[str]) -> Q:
    """The events of ``skill`` that let a person be a candidate for ``minimum``."""
    if minimum <= 0:
        # Any level will do, and any rated pair has one (a review alone reads as unrated, 0): any
        # event. Neither the page nor the API asks for less than 1.
        return Q(skill_id=skill.pk)
    # ``level`` is NULL exactly when "not applicable", so those never qualify.
    return Q(skill_id=skill.pk, level__gte=minimum) & ~Q(source__in=reviews)
