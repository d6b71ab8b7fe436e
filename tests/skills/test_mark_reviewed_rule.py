"""Step 5 of the effective-level rule (skills/levels.py): a review confirms the effective rating
and dates it, and can never change a level, whatever events surround it."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from skills.levels import UNRATED, RatingEvent, Source, effective_level

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PERIOD = timedelta(days=182)


def ev(level, source, days_ago, *, na=False, interest=False, seq=0):
    return RatingEvent(
        seq=seq,
        level=None if na else level,
        not_applicable=na,
        source=Source(source),
        rated_at=NOW - timedelta(days=days_ago),
        interest=interest,
    )


def _what_a_review_keeps(result):
    return (
        result.level,
        result.not_applicable,
        result.validated,
        result.self_level,
        result.manager_level,
        result.interest,
    )


def test_a_review_of_a_validation_that_differs_keeps_the_managers_level_and_resets_staleness():
    events = [ev(2, "self", 200), ev(4, "manager", 190)]
    before = effective_level(events, review_period=PERIOD, now=NOW)
    after = effective_level([*events, ev(4, "review", 0)], review_period=PERIOD, now=NOW)
    assert before.stale and (before.level, before.validated) == (4, True)
    assert _what_a_review_keeps(after) == _what_a_review_keeps(before)
    assert not after.stale and after.reviewed and after.rated_at == NOW


def test_a_review_of_not_applicable_keeps_it_not_applicable():
    events = [ev(None, "self", 300, na=True), ev(None, "review", 1, na=True)]
    result = effective_level(events, review_period=PERIOD, now=NOW)
    assert result.not_applicable and result.level is None and not result.stale


def test_a_review_that_saw_another_level_or_came_first_dates_nothing():
    # An import dated back before the review changed the level: the review did not confirm it.
    stale_self = ev(1, "import", 250, seq=2)
    for review in (ev(3, "review", 5, seq=1), ev(1, "review", 260, seq=1)):
        result = effective_level([stale_self, review], review_period=PERIOD, now=NOW)
        assert (result.level, result.stale, result.reviewed) == (1, True, False)


def test_a_review_alone_is_still_unrated():
    assert effective_level([ev(3, "review", 1)], review_period=PERIOD, now=NOW) == UNRATED


def test_a_later_self_rating_takes_over_from_a_review_as_it_would_have():
    events = [ev(4, "manager", 300), ev(4, "review", 100), ev(2, "self", 10)]
    result = effective_level(events, review_period=PERIOD, now=NOW)
    # The self rating is 290 days newer than the validation: superseded, review or not.
    assert (result.level, result.validated, result.reviewed) == (2, False, False)


ratings = st.lists(
    st.builds(
        ev,
        st.integers(0, 5),
        st.sampled_from(["self", "manager", "import"]),
        st.integers(0, 800),
        na=st.booleans(),
        interest=st.booleans(),
    ),
    max_size=10,
)
reviews = st.lists(
    st.builds(ev, st.integers(0, 5), st.just("review"), st.integers(0, 800), na=st.booleans()),
    max_size=5,
)


@given(ratings, reviews)
def test_reviews_never_change_a_level_whatever_they_record_and_wherever_they_fall(rated, reviewed):
    events = [RatingEvent(**{**e.__dict__, "seq": i}) for i, e in enumerate([*rated, *reviewed])]
    without = effective_level(events[: len(rated)], review_period=PERIOD, now=NOW)
    with_reviews = effective_level(events, review_period=PERIOD, now=NOW)
    assert _what_a_review_keeps(with_reviews) == _what_a_review_keeps(without)
    # A review can only make a rating fresher, never staler.
    assert with_reviews.stale <= without.stale


@given(ratings)
def test_reviewing_what_is_in_effect_now_makes_every_rating_fresh(rated):
    before = effective_level(rated, review_period=PERIOD, now=NOW)
    if before.rated_at is None:
        return
    review = RatingEvent(
        level=before.level,
        not_applicable=before.not_applicable,
        source=Source.REVIEW,
        rated_at=NOW,
        seq=len(rated) + 1,
    )
    after = effective_level([*rated, review], review_period=PERIOD, now=NOW)
    assert _what_a_review_keeps(after) == _what_a_review_keeps(before)
    assert not after.stale and after.rated_at == NOW and after.reviewed
