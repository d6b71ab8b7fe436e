""" "Mark as reviewed" (#16): a person confirms all their current ratings in one action. Every
effective level stays exactly what it was (a manager's validation that differs from the self
rating, "not applicable"), staleness starts again, the history shows the review, one audit event
says how many, and nobody confirms another person's ratings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from skills.models import Rating, RatingSource
from skills.selectors.levels import effective_levels
from skills.services import ratings as services
from skills.services.ratings import RatingError, ratings_mark_reviewed
from skillsmap.core.tenancy import organisation_context
from tests.skills.factories import RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db

# The default review period is 182 days: everything below is stale before the review.
OLD = timedelta(days=300)


def _rating(world, skill, level, *, source=RatingSource.SELF, ago=OLD, na=False, by=None):
    return RatingFactory(
        organisation=world.organisation,
        person=world.people["member"],
        skill=skill,
        level=None if na else level,
        not_applicable=na,
        source=source,
        rated_by=by or world.member,
        rated_at=timezone.now() - ago,
    )


def _history(world):
    """The member's ratings in three skills, all stale:

    - Python: self-assessed 3;
    - SQL: self-assessed 2, then validated at 4 by the manager ten days later. A naive new self
      event at 2 today would be more than the review period newer than the validation and would
      supersede it: the effective level would drop from 4 to 2;
    - COBOL: not applicable."""
    organisation = world.organisation
    python = SkillFactory(organisation=organisation, name="Python")
    sql = SkillFactory(organisation=organisation, name="SQL")
    cobol = SkillFactory(organisation=organisation, name="COBOL")
    with organisation_context(organisation):
        _rating(world, python, 3)
        _rating(world, sql, 2, ago=timedelta(days=200))
        _rating(world, sql, 4, source=RatingSource.MANAGER, ago=timedelta(days=190),
                by=world.manager)  # fmt: skip
        _rating(world, cobol, None, na=True)
    return python, sql, cobol


def _effective(world):
    with organisation_context(world.organisation):
        return effective_levels(
            organisation=world.organisation, person_ids=[world.people["member"].pk]
        )


def _levels(effective):
    """What a review must not change: everything but the date and staleness."""
    return {
        key: (e.level, e.not_applicable, e.validated, e.self_level, e.manager_level, e.interest)
        for key, e in effective.items()
    }


def _review(world, role="member", person_role="member"):
    with organisation_context(world.organisation):
        return ratings_mark_reviewed(
            organisation=world.organisation,
            person=world.people[person_role],
            by=world.user(role),
        )


def _count(world, model=Rating, **filters):
    with organisation_context(world.organisation):
        return model.objects.filter(organisation=world.organisation, **filters).count()


# --- The service ---------------------------------------------------------------------------------


def test_every_effective_level_stays_exactly_what_it_was_and_staleness_resets(org_a):
    python, sql, cobol = _history(org_a)
    before = _effective(org_a)
    assert all(e.stale for e in before.values())
    person = org_a.people["member"].pk
    assert before[(person, sql.pk)].level == 4 and before[(person, sql.pk)].validated

    reviews = _review(org_a)

    after = _effective(org_a)
    assert _levels(after) == _levels(before)
    assert not any(e.stale for e in after.values())
    assert all(e.reviewed for e in after.values())
    # The manager's validation at 4 is still in effect, self 2 still shown against it.
    sql_after = after[(person, sql.pk)]
    assert (sql_after.level, sql_after.validated, sql_after.difference) == (4, True, 2)
    assert after[(person, cobol.pk)].not_applicable and after[(person, cobol.pk)].level is None
    assert {(r.skill_id, r.level, r.not_applicable, r.source) for r in reviews} == {
        (python.pk, 3, False, RatingSource.REVIEW),
        (sql.pk, 4, False, RatingSource.REVIEW),
        (cobol.pk, None, True, RatingSource.REVIEW),
    }


def test_the_review_leaves_the_validation_queue_as_it_was(org_a):
    """A review is not a self assessment: the manager has nothing new to validate."""
    from skills.home import ratings_to_validate

    _history(org_a)
    skill = SkillFactory(organisation=org_a.organisation, name="Go")
    _rating(org_a, skill, 2, ago=timedelta(days=1))  # self-assessed, waiting for validation
    with organisation_context(org_a.organisation):
        queue = ratings_to_validate(
            organisation=org_a.organisation, membership=org_a.memberships["manager"]
        )
    _review(org_a)
    with organisation_context(org_a.organisation):
        assert (
            ratings_to_validate(
                organisation=org_a.organisation, membership=org_a.memberships["manager"]
            )
            == queue
        )
    assert queue.ratings == 2  # Python and Go; SQL is validated, COBOL has no level


def test_one_audit_event_says_how_many_were_confirmed(org_a):
    _history(org_a)
    before = _count(org_a, AuditEvent)
    _review(org_a)
    assert _count(org_a, AuditEvent) == before + 1
    with organisation_context(org_a.organisation):
        event = AuditEvent.objects.filter(organisation=org_a.organisation).latest("pk")
    assert event.verb == "ratings.reviewed" and event.actor == org_a.member
    assert event.after == {"confirmed": 3}
    assert event.target_id == str(org_a.people["member"].pk)


def test_the_review_goes_through_the_rating_change_hook_once(org_a, monkeypatch):
    python, sql, cobol = _history(org_a)
    calls = []
    monkeypatch.setattr(services, "ratings_changed", lambda **kwargs: calls.append(kwargs))
    _review(org_a)
    [call] = calls
    assert set(call["person_ids"]) == {org_a.people["member"].pk}
    assert set(call["skill_ids"]) == {python.pk, sql.pk, cobol.pk}


def test_an_archived_skill_is_not_confirmed(org_a):
    _history(org_a)
    # Rated before it was archived (the factory writes the event as it stood then).
    archived = SkillFactory(organisation=org_a.organisation, name="Flash", is_archived=True)
    _rating(org_a, archived, 4)
    reviews = _review(org_a)
    assert archived.pk not in {r.skill_id for r in reviews} and len(reviews) == 3
    assert _effective(org_a)[(org_a.people["member"].pk, archived.pk)].stale


def test_a_later_self_rating_or_validation_takes_over_as_before(org_a):
    python, sql, _ = _history(org_a)
    _review(org_a)
    with organisation_context(org_a.organisation):
        services.rating_set(
            organisation=org_a.organisation, person=org_a.people["member"], skill=python,
            level=5, source=RatingSource.SELF, by=org_a.member,
        )  # fmt: skip
        services.rating_validate(
            organisation=org_a.organisation, person=org_a.people["member"], skill=sql,
            level=3, note="Not yet at 4 on the new stack", by=org_a.manager,
        )  # fmt: skip
    after = _effective(org_a)
    person = org_a.people["member"].pk
    assert (after[(person, python.pk)].level, after[(person, python.pk)].reviewed) == (5, False)
    assert (after[(person, sql.pk)].level, after[(person, sql.pk)].validated) == (3, True)


def test_validating_after_a_review_compares_with_the_self_assessment_not_the_review(org_a):
    """The review of SQL recorded 4 (the manager's level); the self assessment is still 2, so a
    validation at 2 confirms it and needs no note."""
    _, sql, _ = _history(org_a)
    _review(org_a)
    with organisation_context(org_a.organisation):
        rating = services.rating_validate(
            organisation=org_a.organisation, person=org_a.people["member"], skill=sql,
            level=2, by=org_a.manager,
        )  # fmt: skip
    assert rating.source == RatingSource.MANAGER and rating.level == 2


def test_a_person_with_no_ratings_is_told_so_and_nothing_is_written(org_a):
    audits = _count(org_a, AuditEvent)
    with pytest.raises(RatingError, match="no ratings to confirm"):
        _review(org_a)
    assert _count(org_a) == 0
    assert _count(org_a, AuditEvent) == audits


def test_nobody_marks_another_persons_ratings_not_even_their_manager(org_a):
    _history(org_a)
    audits = _count(org_a, AuditEvent)
    with pytest.raises(RatingError, match="only your own"):
        _review(org_a, role="manager", person_role="member")
    assert _count(org_a, source=RatingSource.REVIEW) == 0
    assert _count(org_a, AuditEvent) == audits


def test_another_organisations_person_is_refused_and_nothing_is_written(org_a, org_b):
    _history(org_b)
    audits = _count(org_a, AuditEvent), _count(org_b, AuditEvent)
    with organisation_context(org_a.organisation), pytest.raises(RatingError, match="person"):
        ratings_mark_reviewed(
            organisation=org_a.organisation, person=org_b.people["member"], by=org_b.member
        )
    assert _count(org_b, source=RatingSource.REVIEW) == 0
    assert (_count(org_a, AuditEvent), _count(org_b, AuditEvent)) == audits


# --- The pages -----------------------------------------------------------------------------------


def _url(world, name="skills:self_rating_review"):
    return reverse(name, kwargs={"org_slug": world.organisation.slug})


def test_my_skills_offers_the_button_and_confirms_with_a_count(org_a, login):
    _history(org_a)
    client = login(org_a.member)
    page = client.get(_url(org_a, "skills:self_rating")).content.decode()
    assert "Mark as reviewed" in page
    assert "You have 3 ratings, 3 of them stale" in page
    response = client.post(_url(org_a), follow=True)
    assert response.redirect_chain[-1][0] == _url(org_a, "skills:self_rating")
    html = response.content.decode()
    assert "3 ratings confirmed." in html
    assert "of them stale" not in html
    assert html.count("Reviewed ") >= 3  # each row says when it was last confirmed
    assert _count(org_a, source=RatingSource.REVIEW) == 3


def test_my_skills_filtered_to_stale_shows_only_stale_ratings(org_a, login):
    _history(org_a)
    fresh = SkillFactory(organisation=org_a.organisation, name="Kotlin")
    _rating(org_a, fresh, 2, ago=timedelta(days=1))
    client = login(org_a.member)
    stale = client.get(_url(org_a, "skills:self_rating") + "?show=stale").content.decode()
    assert 'aria-current="page">Stale<' in stale
    assert "Python" in stale and "SQL" in stale and "Kotlin" not in stale
    client.post(_url(org_a))
    after = client.get(_url(org_a, "skills:self_rating") + "?show=stale").content.decode()
    assert "None of your ratings is stale." in after and "Python" not in after


def test_with_no_ratings_there_is_no_button_and_a_post_says_why(org_a, login):
    client = login(org_a.member)
    audits = _count(org_a, AuditEvent)
    assert "Mark as reviewed" not in client.get(_url(org_a, "skills:self_rating")).content.decode()
    response = client.post(_url(org_a), follow=True)
    assert "You have no ratings to confirm yet" in response.content.decode()
    assert _count(org_a) == 0 and _count(org_a, AuditEvent) == audits


def test_the_history_shows_the_review(org_a, login):
    _, sql, _ = _history(org_a)
    login(org_a.member).post(_url(org_a))
    url = reverse(
        "skills:rating_history",
        kwargs={
            "org_slug": org_a.organisation.slug,
            "person_id": org_a.people["member"].pk,
            "skill_id": sql.pk,
        },
    )
    html = login(org_a.manager).get(url).content.decode()
    assert "Reviewed <small>(confirmed as it stood)</small>" in html
    assert "validated by a manager, confirmed by a review on" in html
    assert "badge stale" not in html


def test_a_get_is_not_allowed(org_a, login):
    _history(org_a)
    assert login(org_a.member).get(_url(org_a)).status_code == 405
    assert _count(org_a, source=RatingSource.REVIEW) == 0


def test_outsiders_and_other_organisations_members_get_404_and_nothing_is_written(
    org_a, org_b, outsider, login
):
    _history(org_a)
    audits = _count(org_a, AuditEvent)
    for user in (outsider, org_b.member):
        assert login(user).post(_url(org_a)).status_code == 404
    assert _count(org_a, source=RatingSource.REVIEW) == 0
    assert _count(org_a, AuditEvent) == audits


# --- The API -------------------------------------------------------------------------------------


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _api_url(world) -> str:
    return f"/api/v1/orgs/{world.organisation.slug}/ratings/review/"


def test_the_api_confirms_ones_own_ratings(org_a):
    python, sql, cobol = _history(org_a)
    before = _levels(_effective(org_a))
    response = _api(org_a.member).post(_api_url(org_a), {}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["confirmed"] == 3
    assert {(r["skill"], r["level"], r["source"]) for r in body["ratings"]} == {
        (python.pk, 3, "review"),
        (sql.pk, 4, "review"),
        (cobol.pk, None, "review"),
    }
    assert _levels(_effective(org_a)) == before
    ratings = _api(org_a.member).get(
        f"/api/v1/orgs/{org_a.organisation.slug}/people/{org_a.people['member'].pk}/ratings/"
    )
    assert {(r["skill"], r["level"], r["stale"], r["reviewed"]) for r in ratings.json()} == {
        (python.pk, 3, False, True),
        (sql.pk, 4, False, True),
        (cobol.pk, None, False, True),
    }
    # No body at all is the same.
    again = _api(org_a.member).post(_api_url(org_a))
    assert again.status_code == 201 and again.json()["confirmed"] == 3


def test_the_api_refuses_someone_elses_ratings_and_an_empty_profile(org_a, org_b):
    _history(org_a)
    _history(org_b)
    audits = _count(org_a, AuditEvent)
    manager = _api(org_a.manager)
    # There is no way to name someone else: a person sent is refused, whoever it is.
    theirs = manager.post(_api_url(org_a), {"person": org_a.people["member"].pk}, format="json")
    foreign = manager.post(_api_url(org_a), {"person": org_b.people["member"].pk}, format="json")
    missing = manager.post(_api_url(org_a), {"person": 987_654}, format="json")
    assert theirs.status_code == foreign.status_code == missing.status_code == 400
    assert "person" in str(theirs.json())
    assert theirs.json() == foreign.json() == missing.json()
    empty = manager.post(_api_url(org_a), {}, format="json")  # the manager has no ratings
    assert empty.status_code == 400 and "no ratings to confirm" in str(empty.json())
    assert _count(org_a, source=RatingSource.REVIEW) == 0
    assert _count(org_b, source=RatingSource.REVIEW) == 0
    assert _count(org_a, AuditEvent) == audits


# --- The gap engine ------------------------------------------------------------------------------


def _gap_levels(world) -> dict[int, int]:
    """Skill → the level the member's gap score counts (from its missing list)."""
    from reports.models import GapScore

    with organisation_context(world.organisation):
        [score] = GapScore.objects.filter(person=world.people["member"])
        return {line["skill"]: line["level"] for line in score.missing}


def _required(world, *skills):
    from roles.models import RoleAssignment, RoleProfile, RoleRequirement

    organisation = world.organisation
    with organisation_context(organisation):
        role = RoleProfile.objects.create(organisation=organisation, name="Backend")
        for skill in skills:
            RoleRequirement.objects.create(
                organisation=organisation, role=role, skill=skill, target_level=5
            )
        RoleAssignment.objects.create(
            organisation=organisation, person=world.people["member"], role=role
        )


def test_the_gap_engine_counts_the_same_levels_after_the_review(org_a):
    from reports.recompute import recompute_python

    python, sql, cobol = _history(org_a)
    _required(org_a, python, sql, cobol)
    with organisation_context(org_a.organisation):
        recompute_python(org_a.organisation, now=timezone.now(), version=1)
    before = _gap_levels(org_a)
    _review(org_a)
    with organisation_context(org_a.organisation):
        recompute_python(org_a.organisation, now=timezone.now(), version=2)
    assert _gap_levels(org_a) == before == {python.pk: 3, sql.pk: 4, cobol.pk: 0}


@pytest.mark.postgres
def test_the_set_based_recompute_agrees_after_a_review(org_a, pg):
    """The SQL leaves reviews out; the Python rule reads them only for dates: same rows."""
    from reports.models import GapScore, TeamSkillCoverage
    from reports.recompute import recompute_python
    from reports.sql import recompute_sql
    from skills.selectors.levels import review_period
    from tests.reports.test_incremental import _results

    python, sql, cobol = _history(org_a)
    _required(org_a, python, sql, cobol)
    _review(org_a)
    organisation, now = org_a.organisation, timezone.now()
    with organisation_context(organisation):
        recompute_python(organisation, now=now, version=1)
        engine = _results(organisation)
        GapScore.objects.filter(organisation=organisation).delete()
        TeamSkillCoverage.objects.filter(organisation=organisation).delete()
        recompute_sql(
            organisation_id=organisation.pk,
            now=now,
            version=1,
            review_period=review_period(organisation),
        )
    assert _results(organisation) == engine
    assert _gap_levels(org_a) == {python.pk: 3, sql.pk: 4, cobol.pk: 0}
