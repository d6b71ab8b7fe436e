"""The effective-level rule (skills/levels.py), example by example and as properties."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from skills.levels import RatingEvent, Source, effective_level

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


def test_no_rating_means_zero():
    result = effective_level([], review_period=PERIOD, now=NOW)
    assert (result.level, result.validated, result.stale) == (0, False, False)


def test_latest_self_rating_counts_when_nobody_validated():
    result = effective_level([ev(2, "self", 90), ev(3, "self", 10)], review_period=PERIOD, now=NOW)
    assert (result.level, result.validated) == (3, False)


def test_manager_validation_wins_over_an_older_or_slightly_newer_self_rating():
    events = [ev(4, "self", 30), ev(3, "manager", 100)]  # self is 70 days newer: within the period
    result = effective_level(events, review_period=PERIOD, now=NOW)
    assert (result.level, result.validated, result.difference) == (3, True, -1)


def test_a_manager_validation_far_behind_a_new_self_rating_is_superseded():
    events = [ev(2, "manager", 300), ev(4, "self", 5)]
    result = effective_level(events, review_period=PERIOD, now=NOW)
    assert (result.level, result.validated) == (4, False)


def test_not_applicable_is_not_zero_but_counts_as_zero_for_gaps():
    result = effective_level([ev(0, "self", 1, na=True)], review_period=PERIOD, now=NOW)
    assert result.not_applicable and result.level is None
    assert result.level_for_gap == 0


def test_ratings_older_than_the_review_period_are_stale():
    assert effective_level([ev(3, "self", 200)], review_period=PERIOD, now=NOW).stale
    assert not effective_level([ev(3, "self", 100)], review_period=PERIOD, now=NOW).stale


def test_imported_ratings_count_as_self_assessments():
    result = effective_level(
        [ev(1, "import", 10), ev(3, "manager", 20)], review_period=PERIOD, now=NOW
    )
    assert (result.level, result.validated) == (3, True)


events = st.lists(
    st.builds(
        ev,
        st.integers(0, 5),
        st.sampled_from(["self", "manager", "import"]),
        st.integers(0, 800),
        na=st.booleans(),
    ),
    max_size=12,
)


@given(events)
def test_the_effective_level_is_one_of_the_persons_own_ratings(evts):
    result = effective_level(evts, review_period=PERIOD, now=NOW)
    if not evts:
        assert result.level == 0
    else:
        assert (result.level, result.not_applicable) in {(e.level, e.not_applicable) for e in evts}


@given(events)
def test_the_order_of_events_does_not_matter(evts):
    evts = [RatingEvent(**{**e.__dict__, "seq": i}) for i, e in enumerate(evts)]
    forward = effective_level(evts, review_period=PERIOD, now=NOW)
    backward = effective_level(list(reversed(evts)), review_period=PERIOD, now=NOW)
    assert forward.level_for_gap == backward.level_for_gap
