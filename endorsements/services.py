"""Writes of endorsements: give, withdraw, hide and show again. Keyword-only, atomic, audited;
callers provide the organisation context. A refusal is an ``EndorsementError`` (a
``ServiceError``) naming the field at fault where there is one.

Decisions:

- The endorser is always the acting user's own ``Person``: nobody endorses on someone's behalf.
- A repeated endorsement (same endorser, person and skill) is refused with a clear "already
  endorsed", not taken as an update of the note: a double-submitted form must not notify twice,
  and changing one's words is a withdraw and a new endorsement, which the audit trail then shows.
- The rate limit counts the endorser's endorsements created in the last hour, in the database
  (so it holds across web processes and needs no cache), with the endorser's row locked so that
  two simultaneous requests cannot both pass. A withdrawn endorsement no longer counts; a
  withdraw-and-endorse loop gains nothing, because the notification's dedupe key sends the
  endorsed person one notice per endorser and skill, ever.
- Endorsements never change a level: nothing here calls ``skillsmap.core.changes``, and the
  gap engine never reads them.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership, Organisation, User
from endorsements.models import NOTE_MAX_LENGTH, Endorsement
from notifications.kinds import Kind
from notifications.services import notify
from skills.models import Skill
from skillsmap.core.errors import ServiceError
from teams.models import Person

RATE_WINDOW = timedelta(hours=1)


class EndorsementError(ServiceError):
    """An endorsement the domain's rules refuse; the message is for the person who tried."""


def endorsements_per_hour() -> int:
    return int(settings.ENDORSEMENTS_PER_HOUR)


def _record(endorsement: Endorsement) -> dict[str, str]:
    # Names as they are now, so the audit sentence still reads after a rename or a deletion.
    return {
        "endorser": endorsement.endorser.name,
        "person": endorsement.person.name,
        "skill": endorsement.skill.name,
    }


def _endorser(organisation: Organisation, by: User) -> Person:
    """The acting user's person record, locked: the rate-limit count below must see every
    endorsement of a simultaneous request by the same endorser (they queue here)."""
    if not Membership.objects.filter(organisation=organisation, user=by, is_active=True).exists():
        raise EndorsementError("You are not a member of this organisation.")
    endorser = Person.objects.select_for_update().filter(organisation=organisation, user=by).first()
    if endorser is None:
        raise EndorsementError("You need a profile in this organisation to endorse colleagues.")
    return endorser


def _check_rate(organisation: Organisation, endorser: Person) -> None:
    limit = endorsements_per_hour()
    since = timezone.now() - RATE_WINDOW
    recent = Endorsement.objects.filter(
        organisation=organisation, endorser=endorser, created_at__gte=since
    ).count()
    if recent >= limit:
        raise EndorsementError(
            f"You have given {limit} endorsements in the last hour, the most allowed. "
            "Try again later."
        )


def _notify(endorsement: Endorsement) -> None:
    person = endorsement.person
    if person.user is None:
        return  # imported by HR, no account yet: nobody to tell
    organisation = endorsement.organisation
    url = reverse(
        "teams:person_detail", kwargs={"org_slug": organisation.slug, "person_id": person.pk}
    )
    notify(
        organisation=organisation,
        recipient=person.user,
        kind=Kind.ENDORSEMENT,
        title=f"{endorsement.endorser.name} endorsed your {endorsement.skill.name} skill",
        body=endorsement.note,
        url=f"{url}#endorsements",
        # Once per endorser and skill: withdrawing and endorsing again does not notify again.
        dedupe_key=f"endorsement:{endorsement.endorser_id}:{endorsement.skill_id}",
    )


@transaction.atomic
def endorsement_create(
    *, organisation: Organisation, person: Person, skill: Skill, note: str = "", by: User
) -> Endorsement:
    """``by`` endorses ``person``'s ``skill``. Refused: another organisation's person or skill
    (the same message as a missing one), an archived skill, an inactive person, oneself, a note
    over the limit, a repeat, and more than the hourly limit. Notifies the endorsed person."""
    if person.organisation_id != organisation.pk:
        raise EndorsementError({"person": "Select a valid person."})
    if skill.organisation_id != organisation.pk:
        raise EndorsementError({"skill": "Select a valid skill."})
    if skill.is_archived:
        raise EndorsementError({"skill": f"{skill.name} is archived; it cannot be endorsed."})
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise EndorsementError({"note": f"Keep the note under {NOTE_MAX_LENGTH} characters."})
    if person.user_id is not None and person.user_id == by.pk:
        raise EndorsementError("You cannot endorse yourself.")
    if not person.is_active:
        raise EndorsementError({"person": f"{person.name} is no longer active."})
    endorser = _endorser(organisation, by)
    if endorser.pk == person.pk:
        raise EndorsementError("You cannot endorse yourself.")
    if Endorsement.objects.filter(
        organisation=organisation, endorser=endorser, person=person, skill=skill
    ).exists():
        raise EndorsementError({"skill": f"You already endorsed {person.name} for {skill.name}."})
    _check_rate(organisation, endorser)
    try:
        # A savepoint: a simultaneous duplicate (the unique constraint) must not break the
        # caller's transaction, only this write.
        with transaction.atomic():
            endorsement = Endorsement.objects.create(
                organisation=organisation, endorser=endorser, person=person, skill=skill, note=note
            )
    except IntegrityError:
        raise EndorsementError(
            {"skill": f"You already endorsed {person.name} for {skill.name}."}
        ) from None
    audit_record(
        organisation=organisation,
        actor=by,
        verb="endorsement.created",
        target=endorsement,
        after={**_record(endorsement), "note": bool(note)},
    )
    _notify(endorsement)
    return endorsement


@transaction.atomic
def endorsement_withdraw(*, endorsement: Endorsement, by: User) -> None:
    """The endorser takes their endorsement back; it is deleted (nobody else may)."""
    if endorsement.endorser.user_id != by.pk:
        raise EndorsementError("Only the colleague who gave an endorsement can withdraw it.")
    organisation = endorsement.organisation
    audit_record(
        organisation=organisation,
        actor=by,
        verb="endorsement.withdrawn",
        target=endorsement,
        before=_record(endorsement),
    )
    endorsement.delete()


def _set_hidden(*, endorsement: Endorsement, hidden: bool, by: User) -> Endorsement:
    if endorsement.person.user_id != by.pk:
        raise EndorsementError("Only the person endorsed can hide or show an endorsement.")
    if endorsement.hidden == hidden:
        return endorsement  # already so: nothing to write or audit
    endorsement.hidden = hidden
    endorsement.save(update_fields=["hidden"])
    audit_record(
        organisation=endorsement.organisation,
        actor=by,
        verb="endorsement.hidden" if hidden else "endorsement.unhidden",
        target=endorsement,
        before={"hidden": not hidden},
        after={**_record(endorsement), "hidden": hidden},
    )
    return endorsement


@transaction.atomic
def endorsement_hide(*, endorsement: Endorsement, by: User) -> Endorsement:
    """The endorsed person hides an endorsement: from then on only they see it, and it counts
    nowhere. The endorser is not told."""
    return _set_hidden(endorsement=endorsement, hidden=True, by=by)


@transaction.atomic
def endorsement_unhide(*, endorsement: Endorsement, by: User) -> Endorsement:
    """The endorsed person shows a hidden endorsement again."""
    return _set_hidden(endorsement=endorsement, hidden=False, by=by)


@transaction.atomic
def endorsements_move(*, organisation: Organisation, source: Skill, into: Skill) -> int:
    """A merged skill's endorsements follow it (``skills.hooks.on_skill_merged``). Where an
    endorser had endorsed the person for both skills, the one of ``into`` stays and the other
    goes (one endorsement per endorser, person and skill). Returns the rows moved."""
    existing = set(
        Endorsement.objects.filter(organisation=organisation, skill=into).values_list(
            "endorser_id", "person_id"
        )
    )
    moving = Endorsement.objects.filter(organisation=organisation, skill=source)
    duplicates = [e.pk for e in moving if (e.endorser_id, e.person_id) in existing]
    Endorsement.objects.filter(organisation=organisation, pk__in=duplicates).delete()
    return moving.exclude(pk__in=duplicates).update(skill=into)
