"""Writes of ratings: rating events (self, manager, import, review) and the skills on a person's
profile.

A ``Rating`` is an event: it is created, never updated or deleted, so the history of a person's
level is the table itself. The effective level is derived from the events by
``skills.levels.effective_level``. Every function runs inside the organisation's context (views
and the import job provide it), is atomic and writes an ``AuditEvent``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership, Organisation, User
from accounts.permissions import Perm
from notifications.kinds import Kind
from notifications.services import notify
from skills.levels import SELF_SOURCES
from skills.models import ProficiencyLevel, ProfileSkill, Rating, RatingSource, Skill
from skills.selectors.ratings import effective_levels, people_validatable_by
from skillsmap.core.changes import ratings_changed
from skillsmap.core.errors import ServiceError
from skillsmap.core.models import Job
from teams.models import Person

NOTE_MAX_LENGTH = 2000
# Clocks of browsers and servers disagree by a little; a rating "from the future" beyond this is
# a mistake (or an import with a wrong date) and would outrank every later rating.
FUTURE_TOLERANCE = timedelta(minutes=5)


class RatingError(ServiceError):
    """A rating the domain's rules refuse; the message is shown to the person who tried."""


def _ratings_changed(
    *, organisation: Organisation, person_ids: Iterable[int], skill_ids: Iterable[int]
) -> None:
    """The one place every rating write reports to.

    Ratings feed the materialised gap scores and team coverage (reports, through skillsmap.core.changes): a change of a
    few people's ratings rebuilds just their rows and those skills' coverage in their teams, in
    this transaction; a bigger one (an import) bumps the inputs version and leaves it to the
    debounced full recompute. The periodic dispatcher remains the safety net either way.
    """
    ratings_changed(organisation=organisation, person_ids=person_ids, skill_ids=skill_ids)


def _membership(organisation: Organisation, user: User) -> Membership | None:
    return Membership.objects.filter(organisation=organisation, user=user, is_active=True).first()


def _check_belongs(organisation: Organisation, person: Person, skill: Skill) -> None:
    # The same message as for a missing object: another organisation's row reveals nothing.
    if person.organisation_id != organisation.pk:
        raise RatingError("Select a valid person.")
    if skill.organisation_id != organisation.pk:
        raise RatingError("Select a valid skill.")
    if skill.is_archived:
        raise RatingError("This skill is archived; ratings are closed")


def _check_source(
    organisation: Organisation, person: Person, source: RatingSource, by: User
) -> None:
    if source == RatingSource.SELF:
        if person.user_id != by.pk:
            raise RatingError("You can rate only yourself.")
        return
    membership = _membership(organisation, by)
    if membership is None:
        raise RatingError("You are not a member of this organisation.")
    if source == RatingSource.MANAGER:
        allowed = people_validatable_by(organisation=organisation, membership=membership)
        if person.pk not in allowed:
            raise RatingError("You can validate only the ratings of people who report to you.")
    elif source == RatingSource.IMPORT:
        if not membership.has_perm(Perm.RATINGS_IMPORT):
            raise RatingError("Your role does not allow importing ratings.")
    else:
        raise RatingError("Unknown rating source.")


def _check_level(organisation: Organisation, level: int | None, not_applicable: bool) -> None:
    if not_applicable:
        return
    values = set(
        ProficiencyLevel.objects.filter(organisation=organisation).values_list("value", flat=True)
    )
    if level is None or level not in values:
        low, high = min(values, default=0), max(values, default=0)
        raise RatingError(f"Choose a level on the scale ({low}–{high}) or Not applicable.")


def _level_repr(level: int | None, not_applicable: bool) -> int | str | None:
    return "n/a" if not_applicable else level


@transaction.atomic
def rating_set(
    *,
    organisation: Organisation,
    person: Person,
    skill: Skill,
    level: int | None,
    not_applicable: bool = False,
    interest: bool = False,
    note: str = "",
    evidence_url: str = "",
    source: RatingSource,
    by: User,
    rated_at: datetime | None = None,
) -> Rating:
    """Record one rating event after checking that the skill is open, the level is on the scale
    and ``by`` may rate this person with this source (self: only oneself; manager: only people
    below one in the reporting line, or anyone with RATINGS_VIEW_ALL, never oneself). Adds the
    skill to the person's profile if it was not on it."""
    _check_belongs(organisation, person, skill)
    _check_level(organisation, level, not_applicable)
    _check_source(organisation, person, RatingSource(source), by)
    now = timezone.now()
    rated_at = rated_at or now
    if rated_at > now + FUTURE_TOLERANCE:
        raise RatingError("A rating cannot be dated in the future.")
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise RatingError(f"Keep the note under {NOTE_MAX_LENGTH} characters.")
    evidence_url = evidence_url.strip()
    if evidence_url:
        try:
            URLValidator(schemes=["http", "https"])(evidence_url)
        except ValidationError:
            raise RatingError("Enter a valid http(s) link as evidence.") from None

    previous = effective_levels(
        organisation=organisation, person_ids=[person.pk], skill_ids=[skill.pk]
    ).get((person.pk, skill.pk))
    rating = Rating.objects.create(
        organisation=organisation,
        person=person,
        skill=skill,
        level=None if not_applicable else level,
        not_applicable=not_applicable,
        interest=interest,
        note=note,
        evidence_url=evidence_url,
        source=source,
        rated_by=by,
        rated_at=rated_at,
    )
    ProfileSkill.objects.get_or_create(organisation=organisation, person=person, skill=skill)
    audit_record(
        organisation=organisation,
        actor=by,
        verb="rating.created",
        target=rating,
        before={
            "level": _level_repr(previous.level, previous.not_applicable),
            "validated": previous.validated,
        }
        if previous
        else {"level": None},
        after={
            "level": _level_repr(rating.level, rating.not_applicable),
            "source": rating.source,
            "interest": rating.interest,
        },
    )
    _ratings_changed(organisation=organisation, person_ids=[person.pk], skill_ids=[skill.pk])
    return rating


@transaction.atomic
def rating_validate(
    *,
    organisation: Organisation,
    person: Person,
    skill: Skill,
    level: int | None,
    not_applicable: bool = False,
    note: str = "",
    by: User,
) -> Rating:
    """A manager's validation: confirming the latest self-assessment as it is, or adjusting it,
    in which case the note saying why is required (the engineer reads it on their history)."""
    latest_self = (
        Rating.objects.filter(
            organisation=organisation,
            person=person,
            skill=skill,
            source__in=sorted(s.value for s in SELF_SOURCES),
        )
        .order_by("-rated_at", "-pk")
        .values_list("level", "not_applicable")
        .first()
    )
    confirms = latest_self is not None and latest_self == (
        None if not_applicable else level,
        not_applicable,
    )
    if not confirms and not note.strip():
        raise RatingError("Add a note saying why your level differs from the self-assessment.")
    rating = rating_set(
        organisation=organisation,
        person=person,
        skill=skill,
        level=level,
        not_applicable=not_applicable,
        note=note,
        source=RatingSource.MANAGER,
        by=by,
    )
    _notify_validated(organisation=organisation, rating=rating, skill=skill, confirms=confirms)
    return rating


def _notify_validated(
    *, organisation: Organisation, rating: Rating, skill: Skill, confirms: bool
) -> None:
    """Tell the rated person (if they sign in) what their manager decided, inside the
    validation's transaction: a rolled-back validation notifies no one. One notification per
    validation: a manager validates one skill at a time (the validation page saves each row on
    its own), so there is no batch to summarise."""
    recipient = rating.person.user
    if recipient is None:
        return
    by = rating.rated_by
    who = by.get_full_name() if by is not None else "Your manager"
    if rating.not_applicable or rating.level is None:
        level_text = "not applicable"
    else:
        level = ProficiencyLevel.objects.filter(
            organisation=organisation, value=rating.level
        ).first()
        level_text = f"level {rating.level}" + (f" ({level.name})" if level else "")
    if confirms:
        title = f"{who} validated your rating of {skill.name}"
        body = f"Your self-assessment of {skill.name}, {level_text}, is now validated."
    else:
        title = f"{who} adjusted your rating of {skill.name}"
        body = f"Your validated level in {skill.name} is now {level_text}."
    if rating.note:
        body += f"\n\nTheir note: {rating.note}"
    notify(
        organisation=organisation,
        recipient=recipient,
        kind=Kind.RATING_VALIDATED,
        title=title,
        body=body,
        url=reverse("skills:self_rating", kwargs={"org_slug": organisation.slug})
        + f"#skill-{skill.pk}",
    )


# --- "Mark as reviewed" (#16) ---------------------------------------------------------------------


@transaction.atomic
def ratings_mark_reviewed(*, organisation: Organisation, person: Person, by: User) -> list[Rating]:
    """The person confirms every current rating of theirs as still true, in one action: one
    ``review`` event per rated skill still open, recording its effective level (or "not
    applicable") as it stands. A review never chooses a level (``skills.levels``, step 5), so
    every effective level stays exactly what it was, a manager's validation included; it dates
    the rating, so staleness starts again and the history shows the review. Audited once."""
    if person.organisation_id != organisation.pk:
        raise RatingError("Select a valid person.")
    if person.user_id != by.pk or _membership(organisation, by) is None:
        raise RatingError("You can mark only your own ratings as reviewed.")
    current = effective_levels(organisation=organisation, person_ids=[person.pk])
    open_skills = set(
        Skill.objects.filter(
            organisation=organisation,
            pk__in={skill_id for _, skill_id in current},
            is_archived=False,
        ).values_list("pk", flat=True)
    )
    now = timezone.now()
    reviews = [
        Rating(
            organisation=organisation,
            person=person,
            skill_id=skill_id,
            level=None if effective.not_applicable else effective.level,
            not_applicable=effective.not_applicable,
            # Copied so the history reads the same on this row; the rule reads interest from
            # self assessments only.
            interest=effective.interest,
            source=RatingSource.REVIEW,
            rated_by=by,
            rated_at=now,
        )
        for (_, skill_id), effective in sorted(current.items())
        if skill_id in open_skills
    ]
    if not reviews:
        raise RatingError("You have no ratings to confirm yet: rate your skills first.")
    reviews = Rating.objects.bulk_create(reviews)
    audit_record(
        organisation=organisation,
        actor=by,
        verb="ratings.reviewed",
        target=person,
        after={"confirmed": len(reviews)},
    )
    _ratings_changed(
        organisation=organisation, person_ids=[person.pk], skill_ids=[r.skill_id for r in reviews]
    )
    return reviews


def _check_profile_owner(organisation: Organisation, person: Person, by: User) -> None:
    if person.organisation_id != organisation.pk:
        raise RatingError("Select a valid person.")
    if person.user_id == by.pk:
        return
    membership = _membership(organisation, by)
    if membership is None or person.pk not in people_validatable_by(
        organisation=organisation, membership=membership
    ):
        raise RatingError("You can change only your own profile.")


@transaction.atomic
def profile_skill_add(
    *, organisation: Organisation, person: Person, skill: Skill, by: User
) -> ProfileSkill:
    """Put a framework skill on a person's profile so that they can rate it. Adding it twice is
    harmless."""
    _check_profile_owner(organisation, person, by)
    _check_belongs(organisation, person, skill)
    profile_skill, created = ProfileSkill.objects.get_or_create(
        organisation=organisation, person=person, skill=skill
    )
    if created:
        audit_record(
            organisation=organisation,
            actor=by,
            verb="profile_skill.added",
            target=profile_skill,
            after={"person": person.pk, "skill": skill.name},
        )
    return profile_skill


@transaction.atomic
def profile_skill_remove(
    *, organisation: Organisation, person: Person, skill: Skill, by: User
) -> None:
    """Take an unrated skill off a person's profile. A rated skill stays: its history is never
    deleted, and removing it would hide that history from the page."""
    _check_profile_owner(organisation, person, by)
    if skill.organisation_id != organisation.pk:
        raise RatingError("Select a valid skill.")
    if Rating.objects.filter(organisation=organisation, person=person, skill=skill).exists():
        raise RatingError(f"{skill.name} is rated, so it stays on your profile with its history.")
    profile_skill = ProfileSkill.objects.filter(
        organisation=organisation, person=person, skill=skill
    ).first()
    if profile_skill is None:
        return
    audit_record(
        organisation=organisation,
        actor=by,
        verb="profile_skill.removed",
        target=profile_skill,
        before={"person": person.pk, "skill": skill.name},
    )
    profile_skill.delete()


@transaction.atomic
def profile_skills_add_many(
    *, organisation: Organisation, person: Person, skills: Iterable[Skill], by: User, verb: str
) -> list[Skill]:
    """Put these skills on the person's profile, those not there yet, in one audited step
    (``verb`` says why, e.g. "profile_skill.added_for_roles"). Returns the skills added."""
    _check_profile_owner(organisation, person, by)
    present = set(
        ProfileSkill.objects.filter(organisation=organisation, person=person).values_list(
            "skill_id", flat=True
        )
    )
    added = [s for s in skills if s.pk not in present]
    ProfileSkill.objects.bulk_create(
        [ProfileSkill(organisation=organisation, person=person, skill=s) for s in added]
    )
    if added:
        audit_record(
            organisation=organisation,
            actor=by,
            verb=verb,
            target=person,
            after={"skills": [s.name for s in added]},
        )
    return added


# --- Imported ratings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedRating:
    """One checked row of a ratings import (``skills.imports`` checks the file and every row)."""

    person: Person
    skill: Skill
    level: int | None
    not_applicable: bool
    interest: bool
    note: str
    rated_at: datetime


@dataclass(frozen=True)
class ImportResult:
    created: int
    unchanged: int
    people: int
    skills: int


@transaction.atomic
def ratings_record_imported(
    *, organisation: Organisation, rows: Sequence[ImportedRating], job: Job
) -> ImportResult:
    """Write an import's checked rows as ``import`` rating events by the job's creator, in bulk.

    Idempotent: a row whose identical event (person, skill, level or n/a, source import, date)
    exists is counted as unchanged and writes nothing. New events put their skill on the person's
    profile; one audit row names the job, and the change is reported once."""
    person_ids = {r.person.pk for r in rows}
    skill_ids = {r.skill.pk for r in rows}
    existing = set(
        Rating.objects.filter(
            organisation=organisation,
            source=RatingSource.IMPORT,
            person_id__in=person_ids,
            skill_id__in=skill_ids,
            rated_at__in={r.rated_at for r in rows},
        ).values_list("person_id", "skill_id", "level", "not_applicable", "rated_at")
    )
    new = [
        r
        for r in rows
        if (r.person.pk, r.skill.pk, r.level, r.not_applicable, r.rated_at) not in existing
    ]
    Rating.objects.bulk_create(
        [
            Rating(
                organisation=organisation,
                person=r.person,
                skill=r.skill,
                level=r.level,
                not_applicable=r.not_applicable,
                interest=r.interest,
                note=r.note,
                source=RatingSource.IMPORT,
                rated_by_id=job.created_by_id,
                rated_at=r.rated_at,
            )
            for r in new
        ],
        batch_size=500,
    )
    on_profile = set(
        ProfileSkill.objects.filter(
            organisation=organisation, person_id__in=person_ids, skill_id__in=skill_ids
        ).values_list("person_id", "skill_id")
    )
    missing = {(r.person.pk, r.skill.pk) for r in new} - on_profile
    ProfileSkill.objects.bulk_create(
        [
            ProfileSkill(organisation=organisation, person_id=p, skill_id=s)
            for p, s in sorted(missing)
        ],
        batch_size=500,
    )
    result = ImportResult(
        created=len(new),
        unchanged=len(rows) - len(new),
        people=len({r.person.pk for r in new}),
        skills=len({r.skill.pk for r in new}),
    )
    audit_record(
        organisation=organisation,
        actor=job.created_by,
        verb="ratings.imported",
        target=job,
        after={"filename": job.filename, "created": result.created, "unchanged": result.unchanged},
    )
    if new:
        _ratings_changed(
            organisation=organisation,
            person_ids={r.person.pk for r in new},
            skill_ids={r.skill.pk for r in new},
        )
    return result
