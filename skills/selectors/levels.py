"""Loading rating events and effective levels: the one loader the rating pages, the gap engine
(``reports``) and the demo seed all read through.

The rule is ``skills.levels.effective_level`` and lives only there; this module feeds it. Two
shapes:

- ``effective_levels``: set-based. The database keeps only the latest self assessment, the
  latest manager validation and the latest review of each (person, skill) pair, by
  ``(rated_at, id)``, which is all the rule reads; the partition between the three kinds is
  ``skills.levels.MANAGER_SOURCES`` and ``REVIEW_SOURCES``, the same facts ``effective_level``
  uses. One query, for a few people or a whole organisation.
- ``rating_events``: every event, for callers that replay history (the demo's trend points).

``EVENT_FIELDS`` and ``rating_event`` are the columns and the constructor every query that feeds
the rule uses, so they all read the same ones (the rating pages add notes to them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, F, IntegerField, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import Organisation
from skills.levels import (
    MANAGER_SOURCES,
    REVIEW_SOURCES,
    Effective,
    RatingEvent,
    Source,
    effective_level,
)
from skills.models import Rating
from skillsmap.core.rows import fetch_rows

# The columns ``rating_event`` takes, in order.
EVENT_FIELDS = ("level", "not_applicable", "source", "rated_at", "interest", "pk")

# A dict lookup, not ``Source(value)``: the engine builds millions of events (BENCHMARKS.md, P1).
_SOURCES = {source.value: source for source in Source}


def review_period(organisation: Organisation) -> timedelta:
    """The organisation's review period: the one place its days become the rule's timedelta."""
    return timedelta(days=organisation.review_period_days)


def rating_event(
    level: int | None,
    not_applicable: bool,
    source: str,
    rated_at: datetime,
    interest: bool,
    pk: int,
) -> RatingEvent:
    """A row of ``EVENT_FIELDS`` as the rule's ``RatingEvent`` (the id breaks timestamp ties)."""
    return RatingEvent(level, not_applicable, _SOURCES[source], rated_at, interest, pk)


def _ratings(
    organisation: Organisation,
    person_ids: Iterable[int] | QuerySet[Any] | None,
    skill_ids: Iterable[int] | None,
) -> QuerySet[Rating] | None:
    """The organisation's rating events of these people and skills (``None``: all of them), or
    ``None`` when an empty list of ids leaves nothing to read. ``person_ids`` may be a query of
    ids, which stays a subquery of the same statement."""
    events = Rating.objects.filter(organisation=organisation)
    if isinstance(person_ids, QuerySet):
        events, person_ids = events.filter(person_id__in=person_ids), None
    for lookup, ids in (("person_id__in", person_ids), ("skill_id__in", skill_ids)):
        if ids is not None:
            ids = set(ids)
            if not ids:
                return None
            events = events.filter(**{lookup: ids})
    return events


def rating_events(
    *,
    organisation: Organisation,
    person_ids: Iterable[int] | None = None,
    skill_ids: Iterable[int] | None = None,
) -> dict[tuple[int, int], list[RatingEvent]]:
    """(person id, skill id) → every rating event of the pair, in one query. ``None`` ids mean all
    of the organisation's."""
    events = _ratings(organisation, person_ids, skill_ids)
    grouped: dict[tuple[int, int], list[RatingEvent]] = defaultdict(list)
    if events is None:
        return grouped
    for person_id, skill_id, *fields in events.order_by().values_list(
        "person_id", "skill_id", *EVENT_FIELDS
    ):
        grouped[(person_id, skill_id)].append(rating_event(*fields))
    return grouped


def effective_levels(
    *,
    organisation: Organisation,
    person_ids: Iterable[int] | QuerySet[Any] | None = None,
    skill_ids: Iterable[int] | None = None,
    now: datetime | None = None,
) -> dict[tuple[int, int], Effective]:
    """(person id, skill id) → effective level, for every pair with at least one rating. Unrated
    pairs are absent; callers use ``skills.levels.UNRATED`` for them. ``None`` ids mean all of the
    organisation's (the gap engine's full recompute); ``person_ids`` may also be a query of ids
    (people search's candidates), read as a subquery rather than a list.

    One query: a window keeps the latest event of each kind per pair (``MANAGER_SOURCES``,
    ``REVIEW_SOURCES`` and the rest), so Python sees at most three events per pair instead of the
    whole history, and the rule itself is still applied by ``effective_level``, and only there."""
    events = _ratings(organisation, person_ids, skill_ids)
    if events is None:
        return {}
    kind = Case(
        When(source__in=sorted(s.value for s in MANAGER_SOURCES), then=Value(1)),
        When(source__in=sorted(s.value for s in REVIEW_SOURCES), then=Value(2)),
        default=Value(0),
        output_field=IntegerField(),
    )
    latest = events.annotate(
        latest=Window(
            RowNumber(),
            partition_by=[F("person_id"), F("skill_id"), kind],
            order_by=[F("rated_at").desc(), F("pk").desc()],
        )
    ).filter(latest=1)
    rows = fetch_rows(latest.order_by().values_list("person_id", "skill_id", *EVENT_FIELDS))
    grouped: dict[tuple[int, int], list[RatingEvent]] = defaultdict(list)
    for person_id, skill_id, level, na, source, rated_at, interest, pk in rows:
        grouped[(person_id, skill_id)].append(
            rating_event(level, na, source, rated_at, interest, pk)
        )
    period, now = review_period(organisation), now or timezone.now()
    return {
        key: effective_level(group, review_period=period, now=now) for key, group in grouped.items()
    }
