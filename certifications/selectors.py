"""Reads of certifications. Each takes the organisation.

Whose certifications a member sees is whose ratings they see (``people_visible_to``, the one rule
in ``skills.selectors.ratings``): their own; a manager also those of everyone below them in the
reporting line; HR and admins everyone's. A certification of anyone else, of another
organisation or that does not exist is the same 404.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership, Organisation
from accounts.permissions import Perm
from certifications.models import (
    Certification,
    CertificationSkill,
    CertificationStatus,
    certification_status,
    warning_days,
)
from skills.models import Skill
from skills.selectors.ratings import people_visible_to
from skillsmap.core.models import Job
from teams.models import Person


def _with_skills(certifications: QuerySet[Certification]) -> QuerySet[Certification]:
    # Into a list attribute, so templates and serializers loop over it without a query per row.
    return certifications.prefetch_related(
        Prefetch(
            "skill_links",
            queryset=CertificationSkill.objects.select_related("skill").order_by("skill__name"),
            to_attr="skill_list",
        )
    )


def _visible(
    certifications: QuerySet[Certification], *, organisation: Organisation, membership: Membership
) -> QuerySet[Certification]:
    # HR and admins see everyone: no list of ids in the query (an organisation has thousands).
    if membership.has_perm(Perm.RATINGS_VIEW_ALL):
        return certifications
    return certifications.filter(
        person_id__in=people_visible_to(organisation=organisation, membership=membership)
    )


def person_may_see(*, organisation: Organisation, membership: Membership, person: Person) -> bool:
    """Whether the caller may read (and so manage) this person's certifications. Without a query
    for oneself and for HR; one for a manager (the reporting line)."""
    if person.organisation_id != organisation.pk or not membership.is_active:
        return False
    if person.user_id is not None and person.user_id == membership.user_id:
        return True
    if membership.has_perm(Perm.RATINGS_VIEW_ALL):
        return True
    if not membership.has_perm(Perm.RATINGS_VALIDATE_REPORTS):
        return False
    return person.pk in people_visible_to(organisation=organisation, membership=membership)


def person_get_for_certifications(
    *, organisation: Organisation, membership: Membership, person_id: int
) -> Person:
    """A person whose certifications the caller may read; anyone else reads as missing."""
    person = (
        Person.objects.filter(organisation=organisation, pk=person_id)
        .select_related("manager")
        .first()
    )
    if person is None or not person_may_see(
        organisation=organisation, membership=membership, person=person
    ):
        raise Http404("No such person.")
    return person


def certification_list(*, organisation: Organisation, person: Person) -> list[Certification]:
    """A person's certifications, soonest expiry first (those without one last), with skills."""
    certifications = Certification.objects.filter(organisation=organisation, person=person)
    return list(
        _with_skills(certifications).order_by(F("expires_on").asc(nulls_last=True), "name", "pk")
    )


def certification_get_for(
    *, organisation: Organisation, membership: Membership, certification_id: int
) -> Certification:
    """One certification the caller may read, with its person and skills, or 404."""
    certification = (
        _with_skills(Certification.objects.filter(organisation=organisation, pk=certification_id))
        .select_related("person")
        .first()
    )
    if certification is None or not person_may_see(
        organisation=organisation, membership=membership, person=certification.person
    ):
        raise Http404("No such certification.")
    return certification


def certifications_visible(
    *,
    organisation: Organisation,
    membership: Membership,
    person: Person | None = None,
    status: str = "",
    today: date | None = None,
) -> QuerySet[Certification]:
    """Every certification the caller may read (the API's list), optionally one person's and of
    one status, with persons and skills loaded in a fixed number of queries."""
    certifications = _visible(
        Certification.objects.filter(organisation=organisation),
        organisation=organisation,
        membership=membership,
    )
    if person is not None:
        certifications = certifications.filter(person=person)
    if status:
        certifications = certifications.filter(_status_filter(status, today))
    return _with_skills(certifications.select_related("person"))


def _status_filter(status: str, today: date | None) -> Q:
    today = today or timezone.localdate()
    horizon = today + timedelta(days=warning_days())
    if status == CertificationStatus.EXPIRED:
        return Q(expires_on__lt=today)
    if status == CertificationStatus.EXPIRING:
        return Q(expires_on__gte=today, expires_on__lte=horizon)
    return Q(expires_on__isnull=True) | Q(expires_on__gt=horizon)


@dataclass(frozen=True)
class ExpiryList:
    """The expiry list: certifications expiring within the warning period, and expired ones, of
    the people the caller may see (who they are is said by ``scope``)."""

    scope: str  # "own", "reports" or "organisation"
    expiring: list[Certification] = field(default_factory=list)
    expired: list[Certification] = field(default_factory=list)
    within_days: int = 90


def expiry_list(
    *, organisation: Organisation, membership: Membership, today: date | None = None
) -> ExpiryList:
    """Expiring and expired certifications of the active people the caller may see: a member
    their own, a manager theirs and their reports', HR and admins the organisation's. Soonest
    first; expired ones most recent first. Three queries at most, whatever the number."""
    today = today or timezone.localdate()
    days = warning_days()
    certifications = _visible(
        Certification.objects.filter(
            organisation=organisation,
            person__is_active=True,
            expires_on__lte=today + timedelta(days=days),
        ),
        organisation=organisation,
        membership=membership,
    )
    rows = list(_with_skills(certifications.select_related("person")).order_by("expires_on", "pk"))
    expired = [c for c in rows if c.expires_on is not None and c.expires_on < today]
    expired.reverse()
    if membership.has_perm(Perm.RATINGS_VIEW_ALL):
        scope = "organisation"
    elif membership.has_perm(Perm.RATINGS_VALIDATE_REPORTS):
        scope = "reports"
    else:
        scope = "own"
    return ExpiryList(
        scope=scope,
        expiring=[c for c in rows if c.expires_on is not None and c.expires_on >= today],
        expired=expired,
        within_days=days,
    )


@dataclass(frozen=True)
class PersonCertificationsSection:
    visible: bool
    certifications: list[Certification]


def person_certifications_section(
    *, organisation: Organisation, membership: Membership, person: Person
) -> PersonCertificationsSection:
    """The certifications section of a person's page: nothing unless the caller may see the
    person's certifications (as their skills), then every one, soonest expiry first."""
    if not person_may_see(organisation=organisation, membership=membership, person=person):
        return PersonCertificationsSection(visible=False, certifications=[])
    return PersonCertificationsSection(
        visible=True, certifications=certification_list(organisation=organisation, person=person)
    )


def certification_skill_choices(
    *, organisation: Organisation, keep: Iterable[int] = ()
) -> QuerySet[Skill]:
    """Skills a certification may name: the framework's live skills, plus any archived one it
    names already (``keep``), so that editing it does not silently drop that link."""
    keep = list(keep)
    condition = Q(is_archived=False) | Q(pk__in=keep) if keep else Q(is_archived=False)
    return Skill.objects.filter(condition, organisation=organisation).order_by("name", "pk")


def certification_states(
    *, organisation: Organisation, person: Person, names: Iterable[str], today: date | None = None
) -> dict[str, CertificationStatus | None]:
    """For each certification name (case-insensitive), the best status the person holds it in
    (valid or expiring over expired), None when they do not hold it. One query."""
    wanted = {name.strip().casefold() for name in names if name.strip()}
    if not wanted:
        return {}
    best: dict[str, CertificationStatus | None] = dict.fromkeys(wanted)
    rank = {CertificationStatus.VALID: 2, CertificationStatus.EXPIRING: 1}
    for name, expires_on in Certification.objects.filter(
        organisation=organisation, person=person
    ).values_list("name", "expires_on"):
        key = name.strip().casefold()
        if key not in best:
            continue
        status = certification_status(expires_on, today=today)
        current = best[key]
        if current is None or rank.get(status, 0) > rank.get(current, 0):
            best[key] = status
    return best


def certifications_import_list(*, organisation: Organisation, limit: int = 10) -> list[Job]:
    """The latest certification imports, so that HR can go back to a job's results."""
    return list(
        Job.objects.filter(organisation=organisation, kind=Job.Kind.CERTIFICATIONS_IMPORT)
        .defer("payload")
        .select_related("created_by")
        .order_by("-created_at", "-pk")[:limit]
    )
