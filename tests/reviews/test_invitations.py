"""A launched campaign's asks go out from a worker, a batch at a time, after the launch has
committed: the launch itself costs the same for two people or fifty-five thousand, everyone
asked hears once, and a batch run twice (a retry) sends nothing twice."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.kinds import Kind
from notifications.models import Notification
from reviews import services, tasks
from reviews.models import CampaignParticipant
from reviews.services import campaign_invitations_send_batch
from skillsmap.core.tenancy import organisation_context
from tests.factories import TeamMembershipFactory
from tests.reviews.test_launch import _asked

pytestmark = pytest.mark.django_db


def _asks(world) -> list[str]:
    with organisation_context(world.organisation):
        return sorted(
            n.recipient.email
            for n in Notification.objects.filter(kind=Kind.CAMPAIGN_ASK).select_related("recipient")
        )


def _colleagues(cast, count: int) -> None:
    """``count`` more people with accounts in the team, each with a profile skill."""
    from tests.endorsements.conftest import add_colleague

    world = cast.world
    for n in range(count):
        add_colleague(world, f"Colleague{n} Person")
        with organisation_context(world.organisation):
            person = world.people[f"Colleague{n} Person"]
            TeamMembershipFactory(organisation=world.organisation, team=cast.team, person=person)


def test_the_asks_go_out_in_batches_and_reach_everyone_asked_once(cast_a, launch, monkeypatch):
    monkeypatch.setattr(services, "INVITE_BATCH", 1)
    batches = []
    send = tasks.campaign_invitations_send.apply_async
    monkeypatch.setattr(
        tasks.campaign_invitations_send,
        "apply_async",
        lambda kwargs, **options: batches.append(kwargs["after"]) or send(kwargs=kwargs, **options),
    )
    world = cast_a.world
    campaign = launch(world, teams=[cast_a.team], skills=[cast_a.docker])
    assert len(_asked(world, campaign)) == 2
    assert _asks(world) == sorted([world.member.email, world.manager.email])
    # One task per batch of one, each after the last person the one before it asked.
    with organisation_context(world.organisation):
        people = sorted(
            CampaignParticipant.objects.filter(campaign=campaign).values_list(
                "person_id", flat=True
            )
        )
    assert batches == [0, *people]
    assert sorted(m.to[0] for m in mail.outbox) == _asks(world)


def test_a_batch_run_again_sends_nothing_twice(cast_a, launch):
    world = cast_a.world
    campaign = launch(world, teams=[cast_a.team], skills=[cast_a.docker])
    sent, asks = len(mail.outbox), _asks(world)
    with organisation_context(world.organisation):
        assert (
            campaign_invitations_send_batch(
                organisation=world.organisation, campaign=campaign, after=0
            )
            is None
        )
    assert _asks(world) == asks and len(mail.outbox) == sent


def test_with_the_broker_down_the_asks_still_go_out(cast_a, launch, monkeypatch):
    def down(**kwargs):
        raise OSError("broker unreachable")

    monkeypatch.setattr(tasks.campaign_invitations_send, "apply_async", down)
    world = cast_a.world
    launch(world, teams=[cast_a.team], skills=[cast_a.docker])
    assert _asks(world) == sorted([world.member.email, world.manager.email])


def test_launching_costs_the_same_statements_for_a_bigger_audience(
    cast_a, cast_b, launch, monkeypatch
):
    """The request does not ask anyone itself: its statements do not grow with the audience."""
    queued = []
    monkeypatch.setattr(
        tasks.campaign_invitations_send, "apply_async", lambda **kw: queued.append(kw)
    )
    _colleagues(cast_b, 6)

    def statements(cast) -> int:
        with CaptureQueriesContext(connection) as captured:
            launch(cast.world, teams=[cast.team], skills=[cast.docker])
        return len(captured.captured_queries)

    assert statements(cast_a) == statements(cast_b)
    assert len(queued) == 2 and _asks(cast_a.world) == [] and _asks(cast_b.world) == []
