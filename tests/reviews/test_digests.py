"""Reminders outside campaigns (#16, part 2), on a frozen clock (time-machine): the digest of
stale ratings and the digest of ratings waiting for validation go to exactly the right people,
once per period, only to active members, never across organisations, and by email only to those
who did not opt out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings as conf
from django.core import mail
from django.urls import reverse

from accounts.models import Membership, Organisation
from notifications.kinds import Kind
from notifications.models import Notification
from reviews import tasks_digest
from reviews.digests import digests_send, period_key
from skills.models import RatingSource
from skills.services.ratings import rating_validate, ratings_mark_reviewed
from skillsmap.core.tenancy import organisation_context
from teams.models import Person
from teams.services import person_link_user
from tests.conftest import World
from tests.factories import MembershipFactory, UserFactory
from tests.skills.factories import RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 7, 10, tzinfo=UTC)  # ISO week 2026-W10
PERIOD_DAYS = 30  # the organisations' review period in these tests


def _period(world: World, days: int = PERIOD_DAYS) -> None:
    Organisation.objects.filter(pk=world.organisation.pk).update(review_period_days=days)
    world.organisation.refresh_from_db()


def _rate(world, role, skill, level, *, days_ago, source=RatingSource.SELF, by=None):
    with organisation_context(world.organisation):
        return RatingFactory(
            organisation=world.organisation,
            person=world.people[role],
            skill=skill,
            level=level,
            source=source,
            rated_by=by or world.user(role),
            rated_at=datetime.now(UTC) - timedelta(days=days_ago),
        )


def _cast(world: World) -> dict[str, object]:
    """The member: Python stale (40 days), SQL fresh (10 days), both self-assessed and waiting
    for validation. HR: Go fresh and validated by the admin. The manager and admin rate nothing."""
    _period(world)
    organisation = world.organisation
    skills = {
        name: SkillFactory(organisation=organisation, name=name) for name in ("Python", "SQL", "Go")
    }
    _rate(world, "member", skills["Python"], 3, days_ago=40)
    _rate(world, "member", skills["SQL"], 2, days_ago=10)
    _rate(world, "hr", skills["Go"], 4, days_ago=5)
    _rate(world, "hr", skills["Go"], 4, days_ago=4, source=RatingSource.MANAGER, by=world.admin)
    return skills


def _run(world: World):
    with organisation_context(world.organisation):
        return digests_send(organisation=world.organisation)


def _received(world: World, kind: Kind | None = None) -> list[tuple[str, str]]:
    """(recipient email, kind) of every notification of the organisation, oldest first."""
    with organisation_context(world.organisation):
        rows = Notification.objects.filter(organisation=world.organisation)
        if kind is not None:
            rows = rows.filter(kind=kind)
        return list(rows.order_by("pk").values_list("recipient__email", "kind"))


def _latest(world: World, kind: Kind, email: str) -> Notification:
    with organisation_context(world.organisation):
        return Notification.objects.filter(
            organisation=world.organisation, kind=kind, recipient__email=email
        ).latest("pk")


STALE, VALIDATION = Kind.STALE_DIGEST.value, Kind.VALIDATION_DIGEST.value


def test_walking_weeks_each_digest_goes_once_per_week_to_exactly_the_right_people(org_a):
    member, manager = "member@alpha.example", "manager@alpha.example"
    hr, admin = "hr@alpha.example", "admin@alpha.example"
    with time_machine.travel(MONDAY, tick=False) as clock:
        skills = _cast(org_a)
        # Week 10, Monday: the member's Python is stale; everyone who validates has the member's
        # two self-assessments waiting (HR's Go is validated); HR's ratings are fresh.
        sent = _run(org_a)
        assert (sent.stale, sent.validation) == (1, 3)
        assert _received(org_a, Kind.STALE_DIGEST) == [(member, STALE)]
        assert sorted(_received(org_a, Kind.VALIDATION_DIGEST)) == sorted(
            [(manager, VALIDATION), (hr, VALIDATION), (admin, VALIDATION)]
        )
        # The same week, daily runs (and a repeated one) send nothing more.
        for day in (0, 1, 3, 6):
            clock.move_to(MONDAY + timedelta(days=day, hours=1))
            sent = _run(org_a)
            assert (sent.stale, sent.validation) == (0, 0)
        assert len(_received(org_a)) == 4

        # Week 11: all again, once.
        clock.move_to(MONDAY + timedelta(weeks=1))
        assert _run(org_a).stale == 1
        assert _run(org_a).stale == 0
        assert _received(org_a, Kind.STALE_DIGEST) == [(member, STALE)] * 2
        assert len(_received(org_a, Kind.VALIDATION_DIGEST)) == 6

        # The member marks their ratings as reviewed, the manager validates them: week 12
        # brings nobody anything.
        with organisation_context(org_a.organisation):
            ratings_mark_reviewed(
                organisation=org_a.organisation, person=org_a.people["member"], by=org_a.member
            )
            for name, level in (("Python", 3), ("SQL", 2)):
                rating_validate(
                    organisation=org_a.organisation, person=org_a.people["member"],
                    skill=skills[name], level=level, by=org_a.manager,
                )  # fmt: skip
        clock.move_to(MONDAY + timedelta(weeks=2))
        sent = _run(org_a)
        assert (sent.stale, sent.validation) == (0, 0)
        digests = _received(org_a, Kind.STALE_DIGEST) + _received(org_a, Kind.VALIDATION_DIGEST)
        assert len(digests) == 8


def test_a_person_whose_ratings_are_fresh_gets_nothing_until_one_goes_stale(org_a):
    with time_machine.travel(MONDAY, tick=False) as clock:
        _period(org_a)
        kotlin = SkillFactory(organisation=org_a.organisation, name="Kotlin")
        _rate(org_a, "hr", kotlin, 3, days_ago=20)  # stale 10 days from now, on a Thursday
        assert _run(org_a).stale == 0
        clock.move_to(MONDAY + timedelta(weeks=1))
        assert _run(org_a).stale == 0  # 27 days old
        clock.move_to(MONDAY + timedelta(weeks=1, days=4))  # Friday: 31 days old
        assert _run(org_a).stale == 1
        notification = _latest(org_a, Kind.STALE_DIGEST, "hr@alpha.example")
        assert notification.title == "1 rating of yours has gone stale"
        assert "Kotlin" in notification.body
        clock.move_to(MONDAY + timedelta(weeks=2))
        assert _run(org_a).stale == 1  # still stale: the next week's digest


def test_after_mark_as_reviewed_the_next_period_brings_nothing(org_a):
    with time_machine.travel(MONDAY, tick=False) as clock:
        _cast(org_a)
        assert _run(org_a).stale == 1
        with organisation_context(org_a.organisation):
            ratings_mark_reviewed(
                organisation=org_a.organisation, person=org_a.people["member"], by=org_a.member
            )
        for weeks in (1, 2, 3):  # until the review itself is older than the review period
            clock.move_to(MONDAY + timedelta(weeks=weeks))
            assert _run(org_a).stale == 0
        # A review period after the review, the member's ratings are stale again (and HR's,
        # rated 5 days before the start).
        clock.move_to(MONDAY + timedelta(days=PERIOD_DAYS + 1))
        assert _run(org_a).stale == 2
    member, hr = ("member@alpha.example", STALE), ("hr@alpha.example", STALE)
    assert _received(org_a, Kind.STALE_DIGEST) == [member, member, hr]


def test_the_stale_digest_names_the_skills_and_links_to_my_skills_filtered_to_stale(org_a, login):
    with time_machine.travel(MONDAY, tick=False):
        _cast(org_a)
        rust = SkillFactory(organisation=org_a.organisation, name="Rust")
        _rate(org_a, "member", rust, 1, days_ago=35)
        _run(org_a)
        notification = _latest(org_a, Kind.STALE_DIGEST, "member@alpha.example")
        assert notification.title == "2 ratings of yours have gone stale"
        assert "Python, Rust" in notification.body and "SQL" not in notification.body
        assert "Mark as reviewed" in notification.body
        my_skills = reverse("skills:self_rating", kwargs={"org_slug": org_a.organisation.slug})
        assert notification.url == f"{my_skills}?show=stale"
        page = login(org_a.member).get(notification.url).content.decode()
    assert "<legend>Python" in page and "<legend>Rust" in page
    assert "<legend>SQL" not in page  # fresh
    assert "<legend>Go" not in page  # HR's


def test_the_validation_digest_counts_what_waits_and_links_to_the_validate_page(org_a):
    with time_machine.travel(MONDAY, tick=False):
        _cast(org_a)
        _run(org_a)
        notification = _latest(org_a, Kind.VALIDATION_DIGEST, "manager@alpha.example")
    assert notification.title == "2 ratings waiting for your validation"
    assert "1 person you validate" in notification.body
    assert notification.url == reverse(
        "skills:validation", kwargs={"org_slug": org_a.organisation.slug}
    )


def test_an_archived_skill_is_not_reminded(org_a):
    with time_machine.travel(MONDAY, tick=False):
        _cast(org_a)
        flash = SkillFactory(organisation=org_a.organisation, name="Flash", is_archived=True)
        _rate(org_a, "hr", flash, 2, days_ago=100)
        _run(org_a)
    assert _received(org_a, Kind.STALE_DIGEST) == [("member@alpha.example", STALE)]


def test_only_active_members_get_digests(org_a):
    with time_machine.travel(MONDAY, tick=False):
        _cast(org_a)
        _rate(org_a, "hr", SkillFactory(organisation=org_a.organisation, name="Perl"), 2,
              days_ago=90)  # fmt: skip
        with organisation_context(org_a.organisation):
            # The member has left the organisation (membership deactivated); HR's person record
            # was deactivated (left the company) while their account still holds a membership.
            Membership.objects.filter(pk=org_a.memberships["member"].pk).update(is_active=False)
            Person.objects.filter(pk=org_a.people["hr"].pk).update(is_active=False)
        sent = _run(org_a)
    assert sent.stale == 0
    assert _received(org_a, Kind.STALE_DIGEST) == []


def test_opting_out_of_the_email_keeps_the_bell_and_stops_the_email(
    org_a, login, django_capture_on_commit_callbacks
):
    """Each user turns one kind off on their notification preferences page."""
    preferences = reverse("notifications:preferences", kwargs={"org_slug": org_a.organisation.slug})
    with time_machine.travel(MONDAY, tick=False):
        _cast(org_a)
        for user, kind in ((org_a.member, Kind.STALE_DIGEST), (org_a.hr, Kind.VALIDATION_DIGEST)):
            kept = [k.value for k in Kind if k != kind]
            assert login(user).post(preferences, {"email_kinds": kept}).status_code == 302
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            _run(org_a)
    # Everyone still has their notification in the app.
    assert len(_received(org_a)) == 4
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["admin@alpha.example", "manager@alpha.example"]
    subjects = {message.subject for message in mail.outbox}
    assert subjects == {"2 ratings waiting for your validation"}


def test_the_stale_digest_goes_out_by_email_to_whoever_did_not_opt_out(
    org_a, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY, tick=False):
        _cast(org_a)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            _run(org_a)
    [stale] = [m for m in mail.outbox if m.to == ["member@alpha.example"]]
    assert stale.subject == "1 rating of yours has gone stale"
    assert "Python" in stale.body


def test_never_across_organisations(org_a, org_b):
    """Each organisation's digests name its own ratings and go to its own members; someone who
    belongs to both gets one per organisation, each naming that organisation's skills only."""
    both = UserFactory(email="both@example.com")
    with time_machine.travel(MONDAY, tick=False):
        for world in (org_a, org_b):
            _cast(world)
            world.memberships["both"] = MembershipFactory(
                organisation=world.organisation, user=both
            )
            with organisation_context(world.organisation):
                world.people["both"] = person_link_user(organisation=world.organisation, user=both)
            java = SkillFactory(
                organisation=world.organisation, name=f"Java {world.organisation.slug}"
            )
            _rate(world, "both", java, 2, days_ago=50)
        _run(org_a)
        assert _received(org_b) == []
        _run(org_b)
    for world, other in ((org_a, org_b), (org_b, org_a)):
        slug, other_slug = world.organisation.slug, other.organisation.slug
        with organisation_context(world.organisation):
            rows = list(Notification.objects.filter(organisation=world.organisation))
            members = set(
                Membership.objects.filter(organisation=world.organisation).values_list(
                    "user_id", flat=True
                )
            )
        assert len(rows) == 4 + 1  # the cast's four, and the stale digest of "both"
        assert {n.recipient_id for n in rows} <= members
        assert all(n.url.startswith(f"/o/{slug}/") for n in rows)
        [theirs] = [n for n in rows if n.recipient_id == both.pk]
        assert f"Java {slug}" in theirs.body and f"Java {other_slug}" not in theirs.body


def test_the_period_is_a_setting(org_a, settings):
    settings.REMINDER_DIGEST_PERIOD_DAYS = 1
    with time_machine.travel(MONDAY, tick=False) as clock:
        _cast(org_a)
        assert _run(org_a).stale == 1
        assert _run(org_a).stale == 0
        clock.move_to(MONDAY + timedelta(days=1))
        assert _run(org_a).stale == 1


def test_period_keys_are_iso_weeks_by_default():
    assert period_key(MONDAY) == "2026-W10"
    assert period_key(MONDAY + timedelta(days=6)) == "2026-W10"
    assert period_key(MONDAY + timedelta(days=7)) == "2026-W11"
    assert period_key(datetime(2027, 1, 1, 12, tzinfo=UTC)) == "2026-W53"


def test_beat_runs_the_dispatcher_daily_and_it_covers_every_organisation(org_a, org_b):
    tasks = {entry["task"] for entry in conf.CELERY_BEAT_SCHEDULE.values()}
    assert tasks_digest.dispatch_digests.name in tasks
    with time_machine.travel(MONDAY, tick=False):
        _cast(org_a)
        _cast(org_b)
        # Celery runs eagerly in tests: each organisation's task runs in its own context.
        assert tasks_digest.dispatch_digests() == 2
        assert tasks_digest.send_digests(organisation_id=org_a.organisation.pk) == {
            "stale": 0,
            "validation": 0,
        }
    for world in (org_a, org_b):
        assert len(_received(world)) == 4
