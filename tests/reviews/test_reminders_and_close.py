"""The reminder cadence on a frozen clock (7 days and 1 day before the due date, then weekly while
overdue; once per step; never to who completed), closing by hand and after the grace period with
the summary's figures, and the invitation and a reminder as the real SMTP server received them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from notifications.kinds import Kind
from notifications.models import Notification
from reviews import tasks
from reviews.models import Campaign, CampaignParticipant, CampaignStatus
from reviews.services import CampaignError, campaign_close, campaigns_daily
from skills.models import RatingSource
from skills.services.ratings import rating_set
from skillsmap.core.tenancy import organisation_context

pytestmark = pytest.mark.django_db


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 7, 20, tzinfo=UTC)


def _run(world, clock, when):
    clock.move_to(when)
    with organisation_context(world.organisation):
        return campaigns_daily(organisation=world.organisation)


def _reminders(world, who="member"):
    with organisation_context(world.organisation):
        return list(
            Notification.objects.filter(
                kind=Kind.CAMPAIGN_REMINDER, recipient=world.user(who)
            ).order_by("pk")
        )


def _rate(world, who, skill, level):
    with organisation_context(world.organisation):
        rating_set(
            organisation=world.organisation,
            person=world.people[who],
            skill=skill,
            level=level,
            source=RatingSource.SELF,
            by=world.user(who),
        )


def test_reminders_follow_the_cadence_once_each_and_skip_who_completed(cast_a, launch, clock):
    world = cast_a.world
    launch(world, teams=[cast_a.team], grace_days=30)
    # The manager completes early: they are never reminded.
    for skill in (cast_a.python, cast_a.sql):
        _rate(world, "manager", skill, 4)
    sent = []
    for month, day in [(6, 22), (6, 23), (6, 23), (6, 24), (6, 28), (6, 29), (6, 30), (7, 1),
                       (7, 2), (7, 7), (7, 8), (7, 9), (7, 15)]:  # fmt: skip
        sent.append(((month, day), _run(world, clock, _at(month, day)).reminders))
    assert [when for when, count in sent if count] == [(6, 23), (6, 29), (7, 1), (7, 8), (7, 15)]
    assert all(count <= 1 for _, count in sent)  # the member only
    assert len(_reminders(world)) == 5
    assert _reminders(world, "manager") == []
    assert "in 7 days" in _reminders(world)[0].body
    assert "It was due on 30 June 2026" in _reminders(world)[2].body


def test_a_late_run_sends_only_the_latest_step(cast_a, launch, clock):
    world = cast_a.world
    launch(world, teams=[cast_a.team])
    assert _run(world, clock, _at(6, 29)).reminders == 2  # the 23rd was missed: one, not two
    assert _run(world, clock, _at(6, 29)).reminders == 0
    assert len(_reminders(world)) == 1


def test_the_beat_task_runs_every_organisation(cast_a, cast_b, launch, clock):
    launch(cast_a.world, teams=[cast_a.team])
    launch(cast_b.world, teams=[cast_b.team])
    clock.move_to(_at(6, 23))
    assert tasks.campaign_reminders_send() == 2  # Celery is eager in the tests
    assert len(_reminders(cast_a.world)) == len(_reminders(cast_b.world)) == 1


def test_closing_by_hand_records_the_summary(cast_a, launch, clock, login):
    world = cast_a.world
    campaign = launch(world, teams=[cast_a.team])
    # Nobody rated at launch: both at a 100 % gap in their role.
    assert campaign.gap_before == Decimal("100.00")
    clock.shift(timedelta(days=1))
    _rate(world, "member", cast_a.python, 4)  # a change: unrated → 4
    _rate(world, "member", cast_a.python, 4)  # no change
    _rate(world, "member", cast_a.sql, 2)  # a change
    _rate(world, "manager", cast_a.docker, 3)  # not asked of the manager: not counted
    client = login(world.member)
    url = reverse(
        "reviews:campaign_close",
        kwargs={"org_slug": world.organisation.slug, "campaign_id": campaign.pk},
    )
    assert client.post(url).status_code == 403  # a member's role closes nothing
    client = login(world.hr)
    assert client.post(url).status_code == 302
    with organisation_context(world.organisation):
        campaign = Campaign.objects.get(pk=campaign.pk)
        assert campaign.status == CampaignStatus.CLOSED
        assert campaign.ratings_changed == 2
        # The member meets the role now (0 %), the manager still 100 %.
        assert campaign.gap_after == Decimal("50.00")
        assert campaign.completed_count == 0  # the member's Docker is still unrated
        event = AuditEvent.objects.get(verb="campaign.closed")
        assert event.actor == world.hr
        with pytest.raises(CampaignError):
            campaign_close(campaign=campaign, by=world.hr)
    # The campaign page says it: closed, the ratings changed and the gap before and after, and
    # no button to close it again.
    detail = reverse(
        "reviews:campaign_detail",
        kwargs={"org_slug": world.organisation.slug, "campaign_id": campaign.pk},
    )
    page = client.get(detail).content.decode()
    assert '<span class="badge">Closed</span>' in page
    assert "<dt>Ratings changed</dt><dd>2</dd>" in page
    assert "<dt>Average role gap at launch</dt><dd>100.00%</dd>" in page
    assert "<dt>Average role gap at close</dt><dd>50.00%</dd>" in page
    assert "Close the campaign now" not in page


def test_a_manager_may_not_close_a_campaign_hr_launched(cast_a, launch, login):
    world = cast_a.world
    campaign = launch(world, teams=[cast_a.team])
    url = reverse(
        "reviews:campaign_close",
        kwargs={"org_slug": world.organisation.slug, "campaign_id": campaign.pk},
    )
    assert login(world.manager).post(url).status_code == 403


def test_a_campaign_closes_by_itself_after_its_grace_period(cast_a, launch, clock):
    world = cast_a.world
    campaign = launch(world, teams=[cast_a.team], grace_days=7)
    for skill in (cast_a.python, cast_a.sql):
        _rate(world, "manager", skill, 4)
    assert _run(world, clock, _at(7, 6)).closed == 0
    run = _run(world, clock, _at(7, 7))
    assert (run.closed, run.reminders) == (1, 0)
    with organisation_context(world.organisation):
        campaign = Campaign.objects.get(pk=campaign.pk)
        assert campaign.status == CampaignStatus.CLOSED and campaign.closed_by is None
        assert campaign.completed_count == 1
        stamped = CampaignParticipant.objects.get(person=world.people["manager"])
        assert stamped.completed_at is not None
        assert AuditEvent.objects.get(verb="campaign.closed").actor is None
    assert _run(world, clock, _at(7, 8)) == type(run)(reminders=0, closed=0)


def test_the_invitation_and_a_reminder_arrive_by_email(
    cast_a, launch, clock, smtp_server, django_capture_on_commit_callbacks
):
    world = cast_a.world
    launch(world, teams=[cast_a.team], name="Spring review", message="Please rate by June.")
    messages = smtp_server.wait_for(2)
    invitation = next(m for m in messages if m["To"] == world.member.email)
    assert invitation["Subject"] == "Review campaign: Spring review"
    text = invitation.get_body(("plain",)).get_content()
    assert "Please rate by June." in text
    assert "rate 3 skills by 30 June 2026" in text
    assert f"/o/{world.organisation.slug}/me/skills/" in text
    assert "List-Unsubscribe" in invitation
    smtp_server.clear()
    clock.move_to(_at(6, 23))
    with (
        django_capture_on_commit_callbacks(execute=True),
        organisation_context(world.organisation),
    ):
        campaigns_daily(organisation=world.organisation)
    reminders = smtp_server.wait_for(2)
    reminder = next(m for m in reminders if m["To"] == world.member.email)
    assert reminder["Subject"] == "Reminder: Spring review"
    body = reminder.get_body(("plain",)).get_content()
    assert "3 skills of yours still to rate" in body
    assert "Rate your skills now" in reminder.get_body(("html",)).get_content()
