"""The effective level of a person in a skill, and staleness: one documented rule, as pure
functions over plain data, so pages, exports, the gap engine and SQL all agree.

The rule
--------
Given the rating events of one person in one skill and the organisation's review period:

1. Take the latest *self* assessment (source ``self`` or ``import``: ``SELF_SOURCES``) and the
   latest *manager* validation (source ``manager``: ``MANAGER_SOURCES``), each by
   ``(rated_at, seq)``.
2. If there is a manager validation and it is not older than the latest self assessment by more
   than the review period, the manager's level is effective ("validated").
3. Otherwise the latest self assessment is effective ("self-assessed"); a manager validation that
   far behind a newer self rating is considered superseded.
4. With no rating at all the level is 0 ("unrated").
5. A *review* (source ``review``: ``REVIEW_SOURCES``, written by "Mark as reviewed") confirms the
   effective rating as it stands. It is neither a self assessment nor a validation, so it never
   takes part in steps 1-4 and can never change a level. When the latest review is later than
   the rating chosen in step 2 or 3 and records the same level (or "not applicable"), the
   effective rating is dated by the review (``rated_at``, ``reviewed``); otherwise it is ignored
   (a rating written since, or dated back before it, is what the review did not see). A review
   alone, with no rating, is still unrated.

"Not applicable" is a level of its own (``None`` with ``not_applicable=True``): it is not 0 on
pages, but the gap engine counts it as 0 for a required skill.

A rating is *stale* when the effective rating (dated as in step 5) is older than the review
period, so "Mark as reviewed" resets staleness without touching a level. The set-based recompute
(``reports.sql``) restates steps 1-4 for the level; step 5 only dates, so it leaves out reviews.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Source(StrEnum):
    SELF = "self"
    MANAGER = "manager"
    IMPORT = "import"
    REVIEW = "review"


# Which sources are a manager's validation; every other source (``self``, ``import``) is a self
# assessment. ``effective_level`` and the set-based query that keeps the latest event of each kind
# (``skills.selectors.levels``) both read this, so Python and SQL cannot drift apart.
MANAGER_SOURCES: frozenset[Source] = frozenset({Source.MANAGER})
# Which sources only confirm the effective rating (step 5): neither kind above. Every loader that
# keeps the latest event of each kind reads this too (``skills.selectors.levels``, ``reports.sql``).
REVIEW_SOURCES: frozenset[Source] = frozenset({Source.REVIEW})
SELF_SOURCES: frozenset[Source] = frozenset(Source) - MANAGER_SOURCES - REVIEW_SOURCES


def is_manager_validation(source: str) -> bool:
    """Whether an event of this source is a manager validation rather than a self assessment."""
    return source in MANAGER_SOURCES


def is_review(source: str) -> bool:
    """Whether an event of this source is a review, which confirms and never assesses."""
    return source in REVIEW_SOURCES


def is_self_assessment(source: str) -> bool:
    return source in SELF_SOURCES


@dataclass(frozen=True)
class RatingEvent:
    level: int | None  # None with not_applicable
    not_applicable: bool
    source: Source
    rated_at: datetime
    interest: bool = False
    # Tie-break for events with the same timestamp (imports often share one date): the later write.
    seq: int = 0

    @property
    def order(self) -> tuple[datetime, int]:
        return (self.rated_at, self.seq)


@dataclass(frozen=True)
class Effective:
    level: int | None  # None only when not applicable
    not_applicable: bool
    validated: bool
    rated_at: datetime | None
    stale: bool
    interest: bool
    self_level: int | None  # the latest self assessment, for the self-versus-manager difference
    manager_level: int | None
    # Whether ``rated_at`` is the date of a review confirming the rating (step 5), not of the
    # assessment or validation itself.
    reviewed: bool = False

    @property
    def level_for_gap(self) -> int:
        """The number the gap engine uses: not applicable and unrated both count as 0."""
        return self.level or 0

    @property
    def difference(self) -> int | None:
        """Manager minus self, where both exist (negative: the manager sees less)."""
        if self.self_level is None or self.manager_level is None:
            return None
        return self.manager_level - self.self_level


UNRATED = Effective(
    level=0,
    not_applicable=False,
    validated=False,
    rated_at=None,
    stale=False,
    interest=False,
    self_level=None,
    manager_level=None,
)


def effective_level(
    events: Iterable[RatingEvent], *, review_period: timedelta, now: datetime
) -> Effective:
    """Apply the rule in this module's docstring to one person's events in one skill."""
    latest_self: RatingEvent | None = None
    latest_manager: RatingEvent | None = None
    latest_review: RatingEvent | None = None
    for event in events:
        if is_review(event.source):
            if latest_review is None or event.order > latest_review.order:
                latest_review = event
        elif is_manager_validation(event.source):
            if latest_manager is None or event.order > latest_manager.order:
                latest_manager = event
        elif latest_self is None or event.order > latest_self.order:
            latest_self = event
    if latest_self is None and latest_manager is None:
        return UNRATED

    use_manager = latest_manager is not None and (
        latest_self is None or latest_self.rated_at - latest_manager.rated_at <= review_period
    )
    chosen = latest_manager if use_manager else latest_self
    assert chosen is not None
    interest = latest_self.interest if latest_self is not None else chosen.interest
    reviewed = latest_review is not None and _confirms(latest_review, chosen)
    rated_at = latest_review.rated_at if latest_review is not None and reviewed else chosen.rated_at
    return Effective(
        level=None if chosen.not_applicable else chosen.level,
        not_applicable=chosen.not_applicable,
        validated=use_manager,
        rated_at=rated_at,
        stale=now - rated_at > review_period,
        interest=interest,
        self_level=None if latest_self is None or latest_self.not_applicable else latest_self.level,
        manager_level=None
        if latest_manager is None or latest_manager.not_applicable
        else latest_manager.level,
        reviewed=reviewed,
    )


def _confirms(review: RatingEvent, chosen: RatingEvent) -> bool:
    """Step 5: a review dates the chosen rating when it is later and saw the same level."""
    if review.order <= chosen.order or review.not_applicable != chosen.not_applicable:
        return False
    return chosen.not_applicable or review.level == chosen.level
