"""Writes of review campaigns: launching one, closing it (by hand or after its grace period), and
the reminders of its cadence.

Every function is atomic and checks everything before writing anything: a refusal names its
field and leaves no campaign, participant, notification or audit row behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership, Organisation, User
from accounts.permissions import Perm
from notifications.kinds import Kind
from notifications.services import notify
from reviews import selectors
from reviews.models import (
    Campaign,
    CampaignParticipant,
    CampaignSkill,
    CampaignStatus,
    default_grace_days,
)
from roles.models import RoleProfile
from skills.models import Skill
from skillsmap.core.errors import ServiceError
from skillsmap.core.tenancy import organisation_context
from teams.models import Person, Team

logger = logging.getLogger(__name__)

NAME_MAX = 200
MESSAGE_MAX = 5000
MAX_GRACE_DAYS = 365


class CampaignError(ServiceError):
    """A campaign the rules refuse; the message is for the person who tried."""


def _membership(organisation: Organisation, user: User) -> Membership | None:
    return Membership.objects.filter(organisation=organisation, user=user, is_active=True).first()


def _foreign(
    objects: Iterable[Team | RoleProfile | Person | Skill], organisation: Organisation
) -> bool:
    return any(o.organisation_id != organisation.pk for o in objects)


def _audience(
    organisation: Organisation,
    membership: Membership,
    everyone: bool,
    teams: Sequence[Team],
    roles: Sequence[RoleProfile],
    people: Sequence[Person],
    errors: dict[str, list[str]],
) -> tuple[set[int], int]:
    """The people asked, resolved from the whole organisation (``everyone``, HR and admins), teams
    (with their sub-teams), role profiles and people, and how many of those named could not be
    asked (no active account to answer with). A manager naming the whole organisation, or a team
    or person outside their own, is refused; their role profiles are resolved within their own
    people."""
    scope = selectors.launch_scope(organisation=organisation, membership=membership)
    if everyone and not scope.whole_organisation:
        errors.setdefault("everyone", []).append(
            "Only HR and admins can ask the whole organisation; choose your teams instead."
        )
    if everyone and scope.whole_organisation:
        # Everyone includes whoever the teams, roles and people name: no list of ids to build.
        askable = selectors.askable_people(organisation=organisation, person_ids=None)
        return askable, selectors.active_people_count(organisation=organisation) - len(askable)
    if not scope.whole_organisation:
        if any(t.pk not in scope.team_ids for t in teams):
            errors.setdefault("teams", []).append("You can ask only the teams you manage.")
        if any(p.pk not in scope.person_ids for p in people):
            errors.setdefault("people", []).append(
                "You can ask only the people in your teams and reporting line."
            )
    asked = selectors.people_of_teams(organisation=organisation, team_ids=[t.pk for t in teams])
    if roles:
        holders = selectors.people_with_roles(
            organisation=organisation, role_ids=[r.pk for r in roles]
        )
        asked |= holders if scope.whole_organisation else holders & scope.person_ids
    asked |= {p.pk for p in people}
    if not scope.whole_organisation:
        # A team's sub-teams are within the manager's teams, so this only narrows a bug's reach.
        asked &= scope.person_ids
    askable = selectors.askable_people(organisation=organisation, person_ids=asked)
    return askable, len(asked - askable)


@transaction.atomic
def campaign_launch(
    *,
    organisation: Organisation,
    by: User,
    name: str,
    due_on: date | None,
    message: str = "",
    everyone: bool = False,
    teams: Sequence[Team] = (),
    roles: Sequence[RoleProfile] = (),
    people: Sequence[Person] = (),
    skills: Sequence[Skill] = (),
    grace_days: int | None = None,
    now: datetime | None = None,
) -> Campaign:
    """Launch a campaign: HR and admins for anyone, a manager for their own teams. The audience
    (``everyone`` in the organisation, for HR and admins; teams, role profiles, people, any
    combination) is resolved to people now and stored; each is asked ``skills`` if given,
    otherwise their own (``selectors.default_skill_ids``). Every participant gets an invitation
    (in-app and, unless they opted out, by email). Refused with nothing written: a due date in
    the past, nobody to ask, a manager naming others' people or the whole organisation, another
    organisation's objects (which read like missing ones)."""
    now = now or timezone.now()
    membership = _membership(organisation, by)
    if membership is None or not (
        membership.has_perm(Perm.CAMPAIGNS_LAUNCH_ALL)
        or membership.has_perm(Perm.CAMPAIGNS_LAUNCH_TEAMS)
    ):
        raise CampaignError("Your role does not allow launching a campaign.")
    errors: dict[str, list[str]] = {}
    for field_name, objects in (
        ("teams", teams),
        ("roles", roles),
        ("people", people),
        ("skills", skills),
    ):
        if _foreign(objects, organisation):
            errors.setdefault(field_name, []).append("Select a valid choice.")
    if errors:
        raise CampaignError(errors)
    name = " ".join((name or "").split())
    message = (message or "").strip()
    if not name:
        errors.setdefault("name", []).append("Give the campaign a name.")
    elif len(name) > NAME_MAX:
        errors.setdefault("name", []).append(f"Keep the name under {NAME_MAX} characters.")
    if len(message) > MESSAGE_MAX:
        errors.setdefault("message", []).append(f"Keep the message under {MESSAGE_MAX} characters.")
    today = timezone.localdate(now)
    if due_on is None:
        errors.setdefault("due_on", []).append("Enter the due date.")
    elif due_on < today:
        errors.setdefault("due_on", []).append("The due date cannot be in the past.")
    grace = default_grace_days() if grace_days is None else grace_days
    if not 0 <= grace <= MAX_GRACE_DAYS:
        errors.setdefault("grace_days", []).append(
            f"The grace period is 0 to {MAX_GRACE_DAYS} days."
        )
    live = [s for s in skills if not s.is_archived and s.merged_into_id is None]
    if len(live) != len(skills):
        errors.setdefault("skills", []).append("Archived skills cannot be asked; choose live ones.")
    named = everyone or bool(teams or roles or people)
    if not named:
        errors.setdefault("__all__", []).append(
            "Choose whom to ask: everyone, teams, role profiles or people."
            if membership.has_perm(Perm.CAMPAIGNS_LAUNCH_ALL)
            else "Choose whom to ask: teams, role profiles or people."
        )
    person_ids, without_account = _audience(
        organisation, membership, everyone, teams, roles, people, errors
    )
    asked = (
        {p: {s.pk for s in live} for p in person_ids}
        if live
        else selectors.default_skill_ids(organisation=organisation, person_ids=person_ids)
    )
    asked = {p: s for p, s in asked.items() if s and p in person_ids}
    if named and not asked and not {"everyone", "people", "teams"} & set(errors):
        errors.setdefault("__all__", []).append(
            "This campaign would ask nobody: no active member of the organisation has skills to "
            "rate."
            if everyone
            else "This campaign would ask nobody: no active member among the chosen teams, roles "
            "and people has skills to rate."
        )
    if errors:
        raise CampaignError(errors)
    assert due_on is not None

    gaps_before = selectors.current_role_gaps(organisation=organisation, person_ids=asked)
    campaign = Campaign.objects.create(
        organisation=organisation,
        name=name,
        message=message,
        due_on=due_on,
        grace_days=grace,
        audience={
            "everyone": everyone,
            "teams": [{"id": t.pk, "name": t.name} for t in teams],
            "roles": [{"id": r.pk, "name": r.name} for r in roles],
            "people": [{"id": p.pk, "name": p.name} for p in people],
            "skills": [{"id": s.pk, "name": s.name} for s in live],
            # Named (through a team, a role or by name) but without an account to answer with:
            # the campaign page says so, rather than leave the launcher to wonder who is missing.
            "without_account": without_account,
        },
        created_by=by,
        launched_at=now,
        gap_before=selectors.average_gap(gaps_before.values()),
    )
    participants = CampaignParticipant.objects.bulk_create(
        [
            CampaignParticipant(
                organisation=organisation,
                campaign=campaign,
                person_id=person_id,
                gap_before=gaps_before.get(person_id),
            )
            for person_id in sorted(asked)
        ]
    )
    CampaignSkill.objects.bulk_create(
        [
            CampaignSkill(organisation=organisation, participant=participant, skill_id=skill_id)
            for participant in participants
            for skill_id in sorted(asked[participant.person_id])
        ]
    )
    audit_record(
        organisation=organisation,
        actor=by,
        verb="campaign.launched",
        target=campaign,
        after={
            "name": name,
            "due_on": due_on.isoformat(),
            "everyone": everyone,
            "participants": len(participants),
            "skills_asked": sum(len(s) for s in asked.values()),
        },
    )
    # The asks go out from a worker, a batch at a time, once the campaign is committed: asking
    # a 55,000-person organisation in the request would hold it for minutes.
    organisation_id, campaign_id = organisation.pk, campaign.pk
    transaction.on_commit(
        lambda: _invitations_enqueue(organisation_id=organisation_id, campaign_id=campaign_id)
    )
    return campaign


# Participants asked per task: each batch commits on its own and a retry resends nothing (the
# ask's dedupe key), so a worker killed mid-campaign loses at most a batch's progress.
INVITE_BATCH = 500


def _invitations_enqueue(*, organisation_id: int, campaign_id: int, after: int = 0) -> None:
    """Hand the next batch of asks to a worker. Runs after commit, so it never raises: with the
    broker down the asks go out here and now, slowly but none lost."""
    from reviews.tasks import campaign_invitations_send  # tasks import this module

    try:
        # No publish retries: the caller may be a web request waiting for its response.
        campaign_invitations_send.apply_async(
            kwargs={"organisation_id": organisation_id, "campaign_id": campaign_id, "after": after},
            retry=False,
        )
    except Exception:
        logger.warning("could not queue the asks of campaign %s", campaign_id, exc_info=True)
        with organisation_context(organisation_id):
            organisation = Organisation.objects.get(pk=organisation_id)
            campaign = Campaign.objects.get(organisation=organisation, pk=campaign_id)
            last: int | None = after
            while last is not None:
                last = campaign_invitations_send_batch(
                    organisation=organisation, campaign=campaign, after=last
                )


@transaction.atomic
def campaign_invitations_send_batch(
    *, organisation: Organisation, campaign: Campaign, after: int, size: int | None = None
) -> int | None:
    """Ask the next ``size`` participants (by person id, after ``after``) to rate their skills;
    returns the last person id asked, or None when none is left. Safe to run twice: a repeated
    ask creates and sends nothing."""
    size = size or INVITE_BATCH
    participants = list(
        CampaignParticipant.objects.filter(
            organisation=organisation, campaign=campaign, person_id__gt=after
        )
        .annotate(asked=Count("skills"))
        .order_by("person_id")[:size]
    )
    if not participants:
        return None
    users = _users(organisation, [p.person_id for p in participants])
    due = campaign.due_on.strftime("%-d %B %Y")
    for participant in participants:
        user = users.get(participant.person_id)
        if user is None:
            continue
        count = participant.asked
        body = (
            f"{organisation.name} asks you to rate {count} skill{'s' if count != 1 else ''} "
            f"by {due}, on My skills. A skill counts once you rate it, or confirm it with "
            "“Mark as reviewed”."
        )
        if campaign.message:
            body = f"{campaign.message}\n\n{body}"
        notify(
            organisation=organisation,
            recipient=user,
            kind=Kind.CAMPAIGN_ASK,
            title=f"Review campaign: {campaign.name}",
            body=body,
            url=_my_skills_url(organisation),
            dedupe_key=f"campaign:{campaign.pk}:ask",
        )
    return participants[-1].person_id if len(participants) == size else None


def _my_skills_url(organisation: Organisation) -> str:
    return reverse("skills:self_rating", kwargs={"org_slug": organisation.slug})


def _users(organisation: Organisation, person_ids: Iterable[int]) -> dict[int, User]:
    people = Person.objects.filter(
        organisation=organisation, pk__in=set(person_ids)
    ).select_related("user")
    return {p.pk: p.user for p in people if p.user is not None}


def _stamp_completions(organisation: Organisation, campaign: Campaign) -> int:
    """Record ``completed_at`` of those who completed since the last stamp; returns how many
    have completed in all."""
    progress = selectors.campaign_progress(organisation=organisation, campaign=campaign)
    done = {r.person.pk: r.completed_at for r in progress.people if r.complete}
    stamped = list(
        CampaignParticipant.objects.filter(
            organisation=organisation, campaign=campaign, completed_at__isnull=True,
            person_id__in=list(done),
        )
    )  # fmt: skip
    for participant in stamped:
        participant.completed_at = done[participant.person_id]
    # One statement per batch, not one per participant: a campaign asks thousands at scale.
    CampaignParticipant.objects.bulk_update(stamped, ["completed_at"], batch_size=1000)
    return len(done)


@transaction.atomic
def campaign_close(*, campaign: Campaign, by: User | None, now: datetime | None = None) -> Campaign:
    """Close a campaign: by hand (its launcher, HR or an admin) or, with ``by=None``, by the
    daily task after the grace period. Records the summary: who completed, how many rating
    events changed a level, and the participants' average current-role gap now against the one
    at launch. Closing a closed campaign is refused."""
    organisation = campaign.organisation
    if by is not None:
        membership = _membership(organisation, by)
        if membership is None or not selectors.may_close(membership=membership, campaign=campaign):
            raise CampaignError("Only its launcher, HR or an admin can close this campaign.")
    campaign = Campaign.objects.select_for_update().get(organisation=organisation, pk=campaign.pk)
    if not campaign.is_open:
        raise CampaignError("This campaign is closed already.")
    now = now or timezone.now()
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = now
    campaign.closed_by = by
    # The gap after, of the people whose gap was known before, so both averages are of the same
    # people.
    before = dict(
        CampaignParticipant.objects.filter(
            organisation=organisation, campaign=campaign, gap_before__isnull=False
        ).values_list("person_id", "gap_before")
    )
    after = selectors.current_role_gaps(organisation=organisation, person_ids=before)
    campaign.gap_after = selectors.average_gap(after.values())
    campaign.ratings_changed = selectors.ratings_changed_count(
        organisation=organisation, campaign=campaign, until=now
    )
    campaign.completed_count = _stamp_completions(organisation, campaign)
    campaign.save(
        update_fields=[
            "status",
            "closed_at",
            "closed_by",
            "gap_after",
            "ratings_changed",
            "completed_count",
        ]
    )
    audit_record(
        organisation=organisation,
        actor=by,
        verb="campaign.closed",
        target=campaign,
        after={
            "name": campaign.name,
            "automatically": by is None,
            "completed": campaign.completed_count,
            "participants": CampaignParticipant.objects.filter(
                organisation=organisation, campaign=campaign
            ).count(),
            "ratings_changed": campaign.ratings_changed,
            "gap_before": str(campaign.gap_before) if campaign.gap_before is not None else None,
            "gap_after": str(campaign.gap_after) if campaign.gap_after is not None else None,
        },
    )
    return campaign


# --- The cadence ---------------------------------------------------------------------------------


def _days_before() -> tuple[int, ...]:
    return tuple(sorted({int(d) for d in settings.CAMPAIGN_REMINDER_DAYS_BEFORE}, reverse=True))


def _overdue_every() -> int:
    return max(1, int(settings.CAMPAIGN_OVERDUE_REMINDER_DAYS))


def reminder_step(campaign: Campaign, today: date) -> date | None:
    """The date of the latest cadence step on or before ``today``, or None before the first:
    ``CAMPAIGN_REMINDER_DAYS_BEFORE`` days before the due date (7 and 1), then the first day
    overdue and every ``CAMPAIGN_OVERDUE_REMINDER_DAYS`` (7) after it. Steps on or before the
    launch day are skipped: the invitation has just said it all."""
    launched = timezone.localdate(campaign.launched_at)
    steps = [campaign.due_on - timedelta(days=d) for d in _days_before()]
    if today > campaign.due_on:
        overdue = (today - campaign.due_on).days - 1
        steps.append(campaign.due_on + timedelta(days=1 + overdue - overdue % _overdue_every()))
    due = [s for s in steps if launched < s <= today]
    return max(due) if due else None


def _reminder_body(
    organisation: Organisation, campaign: Campaign, todo_left: int, today: date
) -> str:
    due = campaign.due_on.strftime("%-d %B %Y")
    left = f"{todo_left} skill{'s' if todo_left != 1 else ''}"
    if today > campaign.due_on:
        when = f"It was due on {due}."
    elif today == campaign.due_on:
        when = "It is due today."
    else:
        days = (campaign.due_on - today).days
        when = f"It is due on {due}, in {days} day{'s' if days != 1 else ''}."
    return f"{left} of yours still to rate in {organisation.name}'s campaign. {when}"


@dataclass(frozen=True)
class CampaignsRun:
    reminders: int
    closed: int


def campaign_reminders_send(*, organisation: Organisation, now: datetime | None = None) -> int:
    """Send the reminders due now: for each open campaign whose current cadence step has not
    gone yet, to each participant not complete. Each step goes once per participant (the
    participant's ``last_reminder_on``, and ``notify``'s dedupe key besides), and a run that is
    late sends only the latest step, never a burst. Returns how many reminders were created."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    for campaign in Campaign.objects.filter(organisation=organisation, status=CampaignStatus.OPEN):
        step = reminder_step(campaign, today)
        if step is None:
            continue
        with transaction.atomic():
            due = list(
                CampaignParticipant.objects.select_for_update()
                .filter(organisation=organisation, campaign=campaign)
                .exclude(last_reminder_on__gte=step)
            )
            if not due:
                continue
            progress = selectors.campaign_progress(
                organisation=organisation,
                campaign=campaign,
                person_ids=[p.person_id for p in due],
                now=now,
            )
            left = {r.person.pk: r.asked - r.rated for r in progress.people}
            users = _users(organisation, left)
            for participant in due:
                participant.last_reminder_on = step
                participant.last_reminder_at = now
                participant.save(update_fields=["last_reminder_on", "last_reminder_at"])
                user = users.get(participant.person_id)
                if not left.get(participant.person_id) or user is None:
                    continue  # complete (or no account): nothing to remind of
                notification = notify(
                    organisation=organisation,
                    recipient=user,
                    kind=Kind.CAMPAIGN_REMINDER,
                    title=f"Reminder: {campaign.name}",
                    body=_reminder_body(organisation, campaign, left[participant.person_id], today),
                    url=_my_skills_url(organisation),
                    dedupe_key=f"campaign:{campaign.pk}:reminder:{step.isoformat()}",
                )
                sent += notification is not None
    return sent


def campaigns_close_due(*, organisation: Organisation, now: datetime | None = None) -> int:
    """Close the open campaigns whose grace period has run out (from the due date + grace days
    on). Returns how many."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    closed = 0
    for campaign in Campaign.objects.filter(
        organisation=organisation, status=CampaignStatus.OPEN
    ).select_related("organisation"):
        if today >= campaign.closes_on:
            campaign_close(campaign=campaign, by=None, now=now)
            closed += 1
    return closed


def campaigns_daily(*, organisation: Organisation, now: datetime | None = None) -> CampaignsRun:
    """The daily task's work for one organisation: close what is due first (a closed campaign
    reminds nobody), then send the reminders of the rest."""
    now = now or timezone.now()
    closed = campaigns_close_due(organisation=organisation, now=now)
    return CampaignsRun(
        reminders=campaign_reminders_send(organisation=organisation, now=now), closed=closed
    )
