"""Writes of the accounts domain: organisations, memberships and invitations.

Every function here runs inside ``organisation_context`` of the organisation it changes (the views
provide it; scripts and tasks open one), writes an ``AuditEvent`` and is atomic.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.text import slugify

from accounts import hooks
from accounts.audit import audit_record
from accounts.models import ApiToken, Invitation, Membership, Organisation, User, hash_token
from accounts.permissions import Role
from skillsmap.core.errors import ServiceError
from skillsmap.core.tenancy import organisation_context

RESERVED_SLUGS = frozenset({"new", "admin", "api", "static", "accounts", "invitations"})


class InvitationError(ServiceError):
    pass


class InvitationPendingError(InvitationError):
    """The address already has a pending invitation; the page offers to resend that one."""

    def __init__(self, message: str, *, invitation: Invitation):
        super().__init__(message)
        self.invitation = invitation


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "organisation"
    if base in RESERVED_SLUGS:
        base = f"{base}-org"
    slug, n = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def organisation_create(*, name: str, creator: User) -> Organisation:
    """Create an organisation; its creator becomes its first admin."""
    organisation = Organisation.objects.create(name=name.strip(), slug=_unique_slug(name))
    with organisation_context(organisation):
        membership = Membership.objects.create(
            organisation=organisation, user=creator, role=Role.ADMIN
        )
        audit_record(
            organisation=organisation,
            actor=creator,
            verb="organisation.created",
            target=organisation,
            after={"name": organisation.name, "slug": organisation.slug},
        )
        audit_record(
            organisation=organisation,
            actor=creator,
            verb="membership.created",
            target=membership,
            after={"user": creator.email, "role": membership.role},
        )
        hooks.organisation_created(organisation=organisation, user=creator)
    return organisation


def _active_admin_count(organisation: Organisation) -> int:
    return Membership.objects.filter(
        organisation=organisation, role=Role.ADMIN, is_active=True
    ).count()


@transaction.atomic
def membership_change_role(*, membership: Membership, role: Role, by: User) -> Membership:
    if membership.role == role:
        return membership
    if (
        membership.role == Role.ADMIN
        and membership.is_active
        and _active_admin_count(membership.organisation) <= 1
    ):
        raise ServiceError("An organisation needs at least one active admin.")
    before = {"role": membership.role}
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        organisation=membership.organisation,
        actor=by,
        verb="membership.role_changed",
        target=membership,
        before=before,
        after={"role": role},
    )
    return membership


@transaction.atomic
def membership_set_active(*, membership: Membership, is_active: bool, by: User) -> Membership:
    """Deactivate or reactivate a member. A deactivated member gets 404 on their next request."""
    if membership.is_active == is_active:
        return membership
    # Deactivating oneself locks one out mid-click; another admin must do it.
    if not is_active and membership.user_id == by.pk:
        raise ServiceError("You cannot deactivate yourself; ask another admin.")
    if (
        not is_active
        and membership.role == Role.ADMIN
        and _active_admin_count(membership.organisation) <= 1
    ):
        raise ServiceError("An organisation needs at least one active admin.")
    membership.is_active = is_active
    membership.save(update_fields=["is_active"])
    audit_record(
        organisation=membership.organisation,
        actor=by,
        verb="membership.reactivated" if is_active else "membership.deactivated",
        target=membership,
        before={"is_active": not is_active},
        after={"is_active": is_active},
    )
    return membership


def invitation_url(*, invitation: Invitation, token: str) -> str:
    return reverse(
        "invitation_accept", kwargs={"org_slug": invitation.organisation.slug, "token": token}
    )


def _invitation_send(*, invitation: Invitation, token: str, base_url: str) -> str:
    """Mail the invitation's link and return it. The link carries the raw token, which exists
    only here and in the email (the database keeps its hash)."""
    organisation = invitation.organisation
    link = base_url.rstrip("/") + invitation_url(invitation=invitation, token=token)
    body = render_to_string(
        "accounts/email/invitation.txt",
        {
            "organisation": organisation,
            "invited_by": invitation.invited_by,
            "link": link,
            "invitation": invitation,
        },
    )
    # Sent only once the invitation is committed: no email for a rolled-back request.
    transaction.on_commit(
        lambda: send_mail(
            f"[skillsmap] You are invited to join {organisation.name}",
            body,
            None,
            [invitation.email],
        )
    )
    return link


@transaction.atomic
def invitation_create(
    *, organisation: Organisation, email: str, role: Role, invited_by: User, base_url: str
) -> tuple[Invitation, str]:
    """Invite someone by email. Returns the invitation and its link, which holds the raw token
    (the database keeps its hash), for the admin to copy once.

    An address with a pending invitation is refused rather than silently re-invited: a second
    invitation would leave two live links with perhaps different roles, and quietly resending
    would invalidate a link the invitee may already hold. The admin resends deliberately."""
    email = email.strip().lower()
    if Membership.objects.filter(
        organisation=organisation, user__email__iexact=email, is_active=True
    ).exists():
        raise InvitationError(f"{email} is already a member of {organisation.name}.")
    pending = (
        Invitation.objects.filter(
            organisation=organisation,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )
    if pending is not None:
        sent = dateformat.format(pending.created_at, "j M Y")
        raise InvitationPendingError(
            f"{email} already has a pending invitation, sent {sent}. "
            "Resend it, or revoke it first to invite with another role.",
            invitation=pending,
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS),
    )
    audit_record(
        organisation=organisation,
        actor=invited_by,
        verb="invitation.created",
        target=invitation,
        after={"email": email, "role": role},
    )
    return invitation, _invitation_send(invitation=invitation, token=token, base_url=base_url)


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: User, base_url: str) -> tuple[Invitation, str]:
    """Mail a pending or expired invitation again, with a new link, valid for a full period.

    Only the token's hash is stored, so the old link cannot be shown again: a new token is
    minted and the old link stops working. That is also what an admin wants when the first mail
    went astray. Returns the invitation and its new link."""
    if invitation.status not in (Invitation.Status.PENDING, Invitation.Status.EXPIRED):
        raise InvitationError("Only a pending or expired invitation can be resent.")
    before = {"expires_at": invitation.expires_at.isoformat()}
    token = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token(token)
    invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)
    invitation.save(update_fields=["token_hash", "expires_at"])
    audit_record(
        organisation=invitation.organisation,
        actor=by,
        verb="invitation.resent",
        target=invitation,
        before=before,
        after={"email": invitation.email, "expires_at": invitation.expires_at.isoformat()},
    )
    return invitation, _invitation_send(invitation=invitation, token=token, base_url=base_url)


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    if invitation.status != Invitation.Status.PENDING:
        raise InvitationError("Only a pending invitation can be revoked.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        organisation=invitation.organisation,
        actor=by,
        verb="invitation.revoked",
        target=invitation,
        before={"status": "pending"},
        after={"status": "revoked"},
    )
    return invitation


INVALID_INVITATION = (
    "This invitation link is not valid. Ask an admin of the organisation for a new one."
)


def invitation_for_token(*, organisation: Organisation, token: str) -> Invitation:
    """The invitation behind a token, or ``InvitationError`` with a message fit for the invitee."""
    invitation = Invitation.objects.filter(
        organisation=organisation, token_hash=hash_token(token)
    ).first()
    if invitation is None:
        raise InvitationError(INVALID_INVITATION)
    status = invitation.status
    if status == Invitation.Status.ACCEPTED:
        raise InvitationError("This invitation has already been used.")
    if status == Invitation.Status.REVOKED:
        raise InvitationError("This invitation has been withdrawn by an admin.")
    if status == Invitation.Status.EXPIRED:
        raise InvitationError("This invitation has expired. Ask an admin for a new one.")
    return invitation


@transaction.atomic
def invitation_accept(*, organisation: Organisation, token: str, user: User) -> Membership:
    """Accept an invitation: single use, only before it expires or is revoked, only by the address
    it was sent to. Reactivates a deactivated membership rather than creating a second one."""
    invitation = invitation_for_token(organisation=organisation, token=token)
    # Lock the row so that two clicks on the same link cannot both succeed.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise InvitationError("This invitation has already been used.")
    if invitation.email.lower() != user.email.lower():
        raise InvitationError(
            "This invitation was sent to another email address. Sign in as that address to accept it."
        )
    membership, created = Membership.objects.get_or_create(
        organisation=organisation, user=user, defaults={"role": invitation.role}
    )
    if not created:
        before = {"role": membership.role, "is_active": membership.is_active}
        membership.role, membership.is_active = invitation.role, True
        membership.save(update_fields=["role", "is_active"])
    else:
        before = None
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    hooks.member_joined(organisation=organisation, user=user)
    audit_record(
        organisation=organisation,
        actor=user,
        verb="membership.created" if created else "membership.rejoined",
        target=membership,
        before=before,
        after={"user": user.email, "role": membership.role, "invitation": invitation.pk},
    )
    return membership


# --- Personal API tokens -------------------------------------------------------------------------

API_TOKEN_PREFIX = "smk"  # noqa: S105  (a label, not a secret)
API_TOKEN_MAX_PER_USER = 25


def api_token_create(
    *,
    user: User,
    name: str,
    organisation: Organisation | None = None,
    read_only: bool = False,
    lifetime: timedelta | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored and never shown again.

    The secret reads ``smk_<prefix>_<random>``: the prefix finds the row, the whole string is
    compared by hash. An ``organisation`` confines the token; the caller checks the user belongs.
    A ``lifetime`` makes it expire that long from now; without one it lasts until revoked."""
    name = name.strip()
    if not name:
        raise ServiceError("Give the token a name, so you know later what uses it.")
    if lifetime is not None and lifetime <= timedelta(0):
        raise ServiceError("A token's lifetime must be in the future.")
    now = timezone.now()
    # Expired tokens no longer count: they cannot be used, so they should not block a new one.
    if (
        ApiToken.objects.filter(user=user, revoked_at__isnull=True)
        .exclude(expires_at__lte=now)
        .count()
        >= API_TOKEN_MAX_PER_USER
    ):
        raise ServiceError(
            f"You have {API_TOKEN_MAX_PER_USER} active tokens; revoke one you no longer use first."
        )
    prefix = secrets.token_hex(4)
    secret = f"{API_TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=prefix,
        token_hash=hash_token(secret),
        only_organisation=organisation,
        read_only=read_only,
        created_at=now,
        expires_at=now + lifetime if lifetime is not None else None,
    )
    return token, secret


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke at once: the next request with this token is refused (nothing caches it)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
