"""Reminders outside campaigns (#16, part 2): periodic digests that keep the skills data alive.

- **Stale ratings**: a person whose effective ratings have gone stale (``skills.levels``: older
  than the organisation's review period, counting from the latest "Mark as reviewed") gets a
  ``STALE_DIGEST`` notification saying how many and which skills, linking to My skills filtered
  to the stale ones.
- **Waiting validations**: whoever validates ratings and has some waiting (the Validate page's
  queue, ``skills.home.ratings_to_validate``: a manager their reporting line; HR and admins, who
  validate anyone, the organisation's) gets a ``VALIDATION_DIGEST`` notification with the count,
  linking to the Validate page.

Each goes at most once per period per person: the period (``REMINDER_DIGEST_PERIOD_DAYS``, a week
by default) is in ``notify``'s dedupe key, so the task may run daily, twice, or late, and nobody
gets a second copy. Only active members of the organisation are considered, one organisation at a
time inside its ``organisation_context`` (``reviews.tasks_digest``); the email follows each user's
preferences, which ``notify`` applies.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from accounts.permissions import Perm
from notifications.kinds import Kind
from notifications.services import notify
from skills.home import ratings_to_validate
from skills.models import Skill
from skills.selectors.levels import effective_levels
from skills.selectors.ratings import SHOW_STALE
from teams.models import Person

# A digest names this many skills; the rest are counted ("and 4 more").
SKILLS_NAMED = 8


def period_days() -> int:
    return max(1, int(getattr(settings, "REMINDER_DIGEST_PERIOD_DAYS", 7)))


def period_key(now: datetime) -> str:
    """The digest period ``now`` falls in, as the dedupe key's suffix. A week is the ISO week
    ("2026-W23", from Monday, in the project's time zone); another length counts periods of that
    many days from the first Monday of the calendar (date ordinal 1)."""
    today = timezone.localdate(now)
    days = period_days()
    if days == 7:
        year, week, _ = today.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{days}d-{(today.toordinal() - 1) // days}"


@dataclass(frozen=True)
class StaleEntry:
    person: Person
    user: User
    skills: list[str]  # names, alphabetically


@dataclass(frozen=True)
class ValidationEntry:
    membership: Membership  # with ``user`` loaded
    ratings: int
    people: int


@dataclass(frozen=True)
class DigestsSent:
    stale: int
    validation: int


def _active_memberships(organisation: Organisation) -> list[Membership]:
    return list(
        Membership.objects.filter(
            organisation=organisation, is_active=True, user__is_active=True
        ).select_related("user")
    )


def stale_digest_entries(
    *, organisation: Organisation, now: datetime | None = None
) -> list[StaleEntry]:
    """Active members (active person, active membership) with stale effective ratings in skills
    still in use, with those skills' names. The same pairs as the home page's figure
    (``skills.home.stale_ratings``); four queries whatever the size of the organisation."""
    users = {m.user_id for m in _active_memberships(organisation)}
    people = {
        p.pk: p
        for p in Person.objects.filter(
            organisation=organisation, is_active=True, user_id__in=users
        ).select_related("user")
    }
    stale: dict[int, list[int]] = defaultdict(list)
    for (person_id, skill_id), effective in effective_levels(
        organisation=organisation, person_ids=list(people), now=now
    ).items():
        if effective.stale:
            stale[person_id].append(skill_id)
    names = dict(
        Skill.objects.filter(
            organisation=organisation,
            is_archived=False,
            pk__in={skill_id for ids in stale.values() for skill_id in ids},
        ).values_list("pk", "name")
    )
    entries = []
    for person_id, skill_ids in sorted(stale.items()):
        skills = sorted((names[s] for s in skill_ids if s in names), key=str.casefold)
        person = people[person_id]
        if skills and person.user is not None:
            entries.append(StaleEntry(person=person, user=person.user, skills=skills))
    return entries


def validation_digest_entries(
    *, organisation: Organisation, now: datetime | None = None
) -> list[ValidationEntry]:
    """Active members who may validate and have ratings waiting in their Validate page's queue,
    with its size. A few queries per validator (the queue's own selector)."""
    entries = []
    for membership in _active_memberships(organisation):
        if not membership.has_perm(Perm.RATINGS_VALIDATE_REPORTS):
            continue
        queue = ratings_to_validate(organisation=organisation, membership=membership, now=now)
        if queue.ratings:
            entries.append(ValidationEntry(membership, queue.ratings, queue.people))
    return entries


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def _named(skills: list[str]) -> str:
    shown = ", ".join(skills[:SKILLS_NAMED])
    rest = len(skills) - SKILLS_NAMED
    return f"{shown} and {rest} more" if rest > 0 else shown


def stale_digest_send(*, organisation: Organisation, now: datetime | None = None) -> int:
    """Send this period's stale-ratings digests; returns how many were created (a person who had
    theirs this period is not counted again)."""
    now = now or timezone.now()
    url = reverse("skills:self_rating", kwargs={"org_slug": organisation.slug})
    key = f"stale:{organisation.pk}:{period_key(now)}"
    sent = 0
    for entry in stale_digest_entries(organisation=organisation, now=now):
        count = len(entry.skills)
        notification = notify(
            organisation=organisation,
            recipient=entry.user,
            kind=Kind.STALE_DIGEST,
            title=f"{_plural(count, 'rating')} of yours {'has' if count == 1 else 'have'} "
            f"gone stale",
            body=(
                f"Your ratings in {_named(entry.skills)} are older than "
                f"{organisation.name}'s review period of {organisation.review_period_days} days. "
                "If they still describe you, confirm them on My skills with “Mark as reviewed”; "
                "otherwise rate them again."
            ),
            url=f"{url}?show={SHOW_STALE}",
            dedupe_key=key,
        )
        sent += notification is not None
    return sent


def validation_digest_send(*, organisation: Organisation, now: datetime | None = None) -> int:
    """Send this period's digests of ratings waiting for validation; returns how many."""
    now = now or timezone.now()
    url = reverse("skills:validation", kwargs={"org_slug": organisation.slug})
    key = f"validation:{organisation.pk}:{period_key(now)}"
    sent = 0
    for entry in validation_digest_entries(organisation=organisation, now=now):
        notification = notify(
            organisation=organisation,
            recipient=entry.membership.user,
            kind=Kind.VALIDATION_DIGEST,
            title=f"{_plural(entry.ratings, 'rating')} waiting for your validation",
            body=(
                f"{_people(entry.people)} you validate in {organisation.name} rated "
                f"themselves: {_plural(entry.ratings, 'self-assessment')} not validated yet. "
                "Confirm or adjust them on the Validate page."
            ),
            url=url,
            dedupe_key=key,
        )
        sent += notification is not None
    return sent


def digests_send(*, organisation: Organisation, now: datetime | None = None) -> DigestsSent:
    """Both digests of one organisation; the caller holds its ``organisation_context``."""
    now = now or timezone.now()
    return DigestsSent(
        stale=stale_digest_send(organisation=organisation, now=now),
        validation=validation_digest_send(organisation=organisation, now=now),
    )
