"""Giving, withdrawing, hiding and showing endorsements: the domain's rules, the audit trail and
the notification of the endorsed person."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_sentence
from accounts.models import AuditEvent
from endorsements.models import Endorsement
from endorsements.services import (
    EndorsementError,
    endorsement_create,
    endorsement_hide,
    endorsement_unhide,
    endorsement_withdraw,
)
from notifications.kinds import Kind
from notifications.models import Notification
from skills.services.framework import skill_merge
from skillsmap.core.tenancy import organisation_context
from tests.endorsements.conftest import add_colleague, endorsements_of
from tests.factories import PersonFactory
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db


def _create(world, by, person, skill, note=""):
    with organisation_context(world.organisation):
        return endorsement_create(
            organisation=world.organisation, person=person, skill=skill, note=note, by=by
        )


def _audits(world, prefix="endorsement."):
    with organisation_context(world.organisation):
        return list(AuditEvent.objects.filter(verb__startswith=prefix).order_by("pk"))


def _notifications(world, user):
    with organisation_context(world.organisation):
        return list(Notification.objects.filter(recipient=user).order_by("pk"))


def test_a_colleague_endorses_a_skill_with_a_note_audited_and_the_person_notified(
    org_a, colleague, python, endorse
):
    member = org_a.people["member"]
    endorsement = endorse(org_a, colleague, member, python, "  Rewrote our ETL in a week.  ")
    assert endorsement.endorser == org_a.people["Cleo Colleague"]
    assert endorsement.note == "Rewrote our ETL in a week."
    assert not endorsement.hidden
    [event] = _audits(org_a)
    assert event.verb == "endorsement.created" and event.actor == colleague
    assert audit_sentence(event) == f"Cleo Colleague endorsed {member.name} for Python"
    [notification] = _notifications(org_a, org_a.member)
    assert notification.kind == Kind.ENDORSEMENT
    assert notification.title == "Cleo Colleague endorsed your Python skill"
    assert notification.body == "Rewrote our ETL in a week."
    assert notification.url == f"/o/alpha/people/{member.pk}/#endorsements"
    [email] = mail.outbox
    assert email.to == ["member@alpha.example"] and email.subject == notification.title
    # The endorser, who acted, is told nothing.
    assert _notifications(org_a, colleague) == []


def test_one_endorsement_per_endorser_person_and_skill(org_a, colleague, python, endorse):
    member = org_a.people["member"]
    endorse(org_a, colleague, member, python)
    with pytest.raises(EndorsementError) as refused:
        _create(org_a, colleague, member, python, "again")
    assert refused.value.message_dict == {
        "skill": [f"You already endorsed {member.name} for Python."]
    }
    assert len(endorsements_of(org_a)) == 1
    assert len(_notifications(org_a, org_a.member)) == 1
    # Others may endorse the same skill, and the same colleague another skill.
    endorse(org_a, org_a.manager, member, python)
    endorse(org_a, colleague, member, SkillFactory(organisation=org_a.organisation))
    assert len(endorsements_of(org_a)) == 3


def test_the_database_refuses_a_second_endorsement_of_the_same_skill(org_a, colleague, python):
    endorsement = _create(org_a, colleague, org_a.people["member"], python)
    with (
        organisation_context(org_a.organisation),
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):
        Endorsement.objects.create(
            organisation=org_a.organisation,
            endorser=endorsement.endorser,
            person=endorsement.person,
            skill=python,
        )


def test_nobody_endorses_themselves(org_a, python):
    with pytest.raises(EndorsementError, match="You cannot endorse yourself"):
        _create(org_a, org_a.member, org_a.people["member"], python)
    assert endorsements_of(org_a) == []
    assert _audits(org_a) == []
    assert _notifications(org_a, org_a.member) == []


def test_the_database_refuses_a_self_endorsement(org_a, python):
    member = org_a.people["member"]
    with (
        organisation_context(org_a.organisation),
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):
        Endorsement.objects.create(
            organisation=org_a.organisation, endorser=member, person=member, skill=python
        )


def test_another_organisations_person_or_skill_is_refused_and_nothing_is_written(
    org_a, org_b, colleague, python
):
    theirs = SkillFactory(organisation=org_b.organisation, name="Their Go")
    with pytest.raises(EndorsementError) as person_refused:
        _create(org_a, colleague, org_b.people["member"], python)
    assert person_refused.value.message_dict == {"person": ["Select a valid person."]}
    with pytest.raises(EndorsementError) as skill_refused:
        _create(org_a, colleague, org_a.people["member"], theirs)
    assert skill_refused.value.message_dict == {"skill": ["Select a valid skill."]}
    assert endorsements_of(org_a) == [] and endorsements_of(org_b) == []
    assert _audits(org_a) == [] and _audits(org_b) == []
    assert _notifications(org_b, org_b.member) == []


def test_a_user_of_another_organisation_cannot_endorse_here(org_a, org_b, python):
    with pytest.raises(EndorsementError, match="not a member of this organisation"):
        _create(org_a, org_b.member, org_a.people["member"], python)
    assert endorsements_of(org_a) == []


def test_an_archived_skill_an_inactive_person_and_a_long_note_are_refused(org_a, colleague, python):
    organisation = org_a.organisation
    archived = SkillFactory(organisation=organisation, name="COBOL", is_archived=True)
    gone = PersonFactory(organisation=organisation, name="Gone Person", is_active=False)
    with pytest.raises(EndorsementError) as refused:
        _create(org_a, colleague, org_a.people["member"], archived)
    assert refused.value.message_dict == {"skill": ["COBOL is archived; it cannot be endorsed."]}
    with pytest.raises(EndorsementError) as refused:
        _create(org_a, colleague, gone, python)
    assert refused.value.message_dict == {"person": ["Gone Person is no longer active."]}
    with pytest.raises(EndorsementError) as refused:
        _create(org_a, colleague, org_a.people["member"], python, "x" * 501)
    assert refused.value.message_dict == {"note": ["Keep the note under 500 characters."]}
    assert endorsements_of(org_a) == []


def test_a_person_without_an_account_can_be_endorsed_and_nobody_is_notified(
    org_a, colleague, python
):
    imported = PersonFactory(organisation=org_a.organisation, name="Imported Ivy")
    endorsement = _create(org_a, colleague, imported, python)
    assert endorsement.person == imported
    with organisation_context(org_a.organisation):
        assert Notification.objects.count() == 0


def test_the_rate_limit_refuses_the_endorsement_over_the_hourly_limit(org_a, colleague, settings):
    settings.ENDORSEMENTS_PER_HOUR = 3
    organisation = org_a.organisation
    skills = [SkillFactory(organisation=organisation) for _ in range(4)]
    member = org_a.people["member"]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for skill in skills[:3]:
            _create(org_a, colleague, member, skill)
        with pytest.raises(EndorsementError) as refused:
            _create(org_a, colleague, member, skills[3])
        assert str(refused.value) == (
            "You have given 3 endorsements in the last hour, the most allowed. Try again later."
        )
        assert len(endorsements_of(org_a)) == 3
        # The limit is per endorser: the manager is not held back by Cleo's endorsements.
        _create(org_a, org_a.manager, member, skills[3])
    # An hour later the window has moved on.
    with time_machine.travel(start + timedelta(hours=1, seconds=1), tick=False):
        _create(org_a, colleague, member, skills[3])
    assert len(endorsements_of(org_a)) == 5


def test_the_endorser_withdraws_their_endorsement_and_nobody_else_can(
    org_a, colleague, python, endorse
):
    endorsement = endorse(org_a, colleague, org_a.people["member"], python)
    for user in (org_a.member, org_a.manager, org_a.admin):
        with (
            organisation_context(org_a.organisation),
            pytest.raises(EndorsementError, match="Only the colleague who gave"),
        ):
            endorsement_withdraw(endorsement=endorsement, by=user)
    assert len(endorsements_of(org_a)) == 1
    with organisation_context(org_a.organisation):
        endorsement_withdraw(endorsement=endorsement, by=colleague)
    assert endorsements_of(org_a) == []
    withdrawn = _audits(org_a)[-1]
    assert withdrawn.verb == "endorsement.withdrawn"
    assert (
        audit_sentence(withdrawn)
        == f"Cleo Colleague withdrew their endorsement of {org_a.people['member'].name} for Python"
    )


def test_endorsing_again_after_a_withdrawal_does_not_notify_twice(
    org_a, colleague, python, endorse
):
    member = org_a.people["member"]
    first = endorse(org_a, colleague, member, python)
    with organisation_context(org_a.organisation):
        endorsement_withdraw(endorsement=first, by=colleague)
    endorse(org_a, colleague, member, python, "On second thought, yes.")
    assert len(endorsements_of(org_a)) == 1
    assert len(_notifications(org_a, org_a.member)) == 1
    assert len(mail.outbox) == 1


def test_only_the_endorsed_person_hides_and_shows_an_endorsement(org_a, colleague, python):
    endorsement = _create(org_a, colleague, org_a.people["member"], python)
    for user in (colleague, org_a.manager, org_a.hr):
        with (
            organisation_context(org_a.organisation),
            pytest.raises(EndorsementError, match="Only the person endorsed"),
        ):
            endorsement_hide(endorsement=endorsement, by=user)
    with organisation_context(org_a.organisation):
        endorsement_hide(endorsement=endorsement, by=org_a.member)
        endorsement.refresh_from_db()
        assert endorsement.hidden
        endorsement_hide(endorsement=endorsement, by=org_a.member)  # already hidden: no-op
        endorsement_unhide(endorsement=endorsement, by=org_a.member)
        endorsement.refresh_from_db()
        assert not endorsement.hidden
    verbs = [e.verb for e in _audits(org_a)]
    assert verbs == ["endorsement.created", "endorsement.hidden", "endorsement.unhidden"]
    hidden, shown = _audits(org_a)[1:]
    member_name = org_a.people["member"].name
    assert (
        audit_sentence(hidden) == f"{member_name} hid Cleo Colleague's endorsement of their Python"
    )
    assert (
        audit_sentence(shown)
        == f"{member_name} showed Cleo Colleague's endorsement of their Python again"
    )


def test_a_merged_skills_endorsements_follow_it_without_duplicates(org_a, colleague, endorse):
    organisation = org_a.organisation
    react = SkillFactory(organisation=organisation, name="React")
    reactjs = SkillFactory(organisation=organisation, name="ReactJS")
    member, manager = org_a.people["member"], org_a.people["manager"]
    dave = add_colleague(org_a, "Dave Dev")
    endorse(org_a, colleague, member, reactjs)  # Cleo endorsed both: one stays
    endorse(org_a, colleague, member, react)
    endorse(org_a, dave, member, reactjs)  # moves
    endorse(org_a, colleague, manager, reactjs)  # moves
    with organisation_context(organisation):
        skill_merge(source=reactjs, into=react, by=org_a.admin)
    rows = endorsements_of(org_a)
    assert {e.skill_id for e in rows} == {react.pk}
    assert sorted((e.endorser.name, e.person.name) for e in rows) == sorted(
        [
            ("Cleo Colleague", member.name),
            ("Dave Dev", member.name),
            ("Cleo Colleague", manager.name),
        ]
    )
