"""Reads of the accounts domain. Each takes the organisation it reads from."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import ApiToken, AuditEvent, Invitation, Membership, Organisation, User
from skillsmap.core.tenancy import user_memberships_context


def organisation_get_by_slug(*, slug: str) -> Organisation:
    """The organisation a URL names; an unknown slug is a 404 like every other missing object."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise Http404("No such organisation.")
    return organisation


def organisations_by_slug(*, slug: str) -> QuerySet[Organisation]:
    """The organisation a URL names, as a query (at most one row: the slug is unique), for
    ``organisation_context_from`` to read and enter in one statement."""
    return Organisation.objects.filter(slug=slug)


def membership_get_active(*, organisation: Organisation, user: User) -> Membership:
    """The caller's active membership, or 404: a non-member must not learn the organisation exists."""
    membership = (
        Membership.objects.filter(organisation=organisation, user=user, is_active=True)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise Http404("No such organisation.")
    # The organisation the caller resolved, not a second copy of it joined into this statement.
    membership.organisation = organisation
    return membership


def membership_get(*, organisation: Organisation, membership_id: int) -> Membership:
    membership = (
        Membership.objects.filter(organisation=organisation, pk=membership_id)
        .select_related("user", "organisation")
        .first()
    )
    if membership is None:
        raise Http404("No such member.")
    return membership


def membership_list(*, organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user", "organisation")
        .order_by("-is_active", "user__name", "user__email")
    )


def invitation_get(*, organisation: Organisation, invitation_id: int) -> Invitation:
    invitation = (
        Invitation.objects.filter(organisation=organisation, pk=invitation_id)
        .select_related("organisation")
        .first()
    )
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def invitation_list_open(*, organisation: Organisation) -> list[Invitation]:
    invitations = (
        Invitation.objects.filter(
            organisation=organisation, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .select_related("invited_by")
        .order_by("-created_at")
    )
    return list(invitations)


def audit_event_list(
    *,
    organisation: Organisation,
    actor_id: int | None = None,
    verb: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The organisation's audit trail, newest first, filtered by who, what and when (both dates
    inclusive, as days in the organisation's time zone)."""
    events = AuditEvent.objects.filter(organisation=organisation).select_related("actor")
    if actor_id:
        events = events.filter(actor_id=actor_id)
    if verb:
        events = events.filter(verb=verb)
    zone = timezone.get_current_timezone()
    if since:
        events = events.filter(at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until:
        next_day = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
        events = events.filter(at__lt=next_day)
    return events.order_by("-at", "-id")


def audit_actor_list(*, organisation: Organisation) -> list[User]:
    """Everyone who appears as the actor of an event here, for the "who" filter."""
    actor_ids = (
        AuditEvent.objects.filter(organisation=organisation, actor__isnull=False)
        .values_list("actor_id", flat=True)
        .distinct()
    )
    return list(User.objects.filter(pk__in=list(actor_ids)).order_by("name", "email"))


def audit_verb_list(*, organisation: Organisation) -> list[str]:
    """The event kinds recorded here, for the "what" filter."""
    return list(
        AuditEvent.objects.filter(organisation=organisation)
        .order_by()
        .values_list("verb", flat=True)
        .distinct()
    )


def membership_list_for_user(*, user: User) -> list[Membership]:
    """The user's active memberships across organisations (the switcher, the API's ``/orgs/``)."""
    with user_memberships_context(user.pk):
        return list(
            Membership.objects.filter(user=user, is_active=True)
            .select_related("organisation")
            .order_by("organisation__name")
        )


def organisation_list_for_user(*, user: User) -> list[Organisation]:
    """The organisations where the user has an active membership, for the switcher."""
    return [m.organisation for m in membership_list_for_user(user=user)]


def audit_event_query(
    *,
    organisation: Organisation,
    verb: str | None = None,
    target_type: str | None = None,
    since: datetime | None = None,
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(organisation=organisation).select_related("actor")
    if verb:
        events = events.filter(verb=verb)
    if target_type:
        events = events.filter(target_type=target_type)
    if since:
        events = events.filter(at__gte=since)
    return events


def api_token_list_for_user(*, user: User) -> list[ApiToken]:
    return list(
        ApiToken.objects.filter(user=user)
        .select_related("only_organisation")
        .order_by("-created_at")
    )


def api_token_get_for_user(*, user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens, or 404 (someone else's token reads as missing)."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise Http404("No such token.")
    return token
