"""Writes of SCIM provisioning: tokens, the setting, and users and groups as the directory sends
them. Keyword-only and atomic; callers provide the organisation context. Every write leaves an
audit event whose actor is the token's creator.

Cross-tenant rule: an account (``User``) is global, so the directory of one organisation never
changes it — not its name, not its email, not its password. SCIM writes the organisation's own
rows: its ``Person``, its ``Membership``, its teams.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts import hooks
from accounts.audit import audit_record
from accounts.models import Membership, Organisation, User, hash_token
from accounts.permissions import Role
from accounts.services import membership_set_active
from scim import selectors
from scim.documents import ENTERPRISE, GROUP, USER, apply_patch, read_document
from scim.errors import ScimError
from scim.models import ScimGroup, ScimSettings, ScimToken, ScimUser
from skillsmap.core.errors import ServiceError
from teams.models import Person, Team
from teams.services import (
    person_link_user,
    person_update,
    team_create,
    team_member_add,
    team_member_remove,
    team_update,
)

SCIM_TOKEN_PREFIX = "scim"  # noqa: S105  (a label, not a secret)
SCIM_TOKEN_MAX = 20
# last_used_at is written at most this often: a sync of 5,000 users is not 5,000 extra UPDATEs.
LAST_USED_RESOLUTION = timedelta(minutes=1)


# --- Tokens and the setting ----------------------------------------------------------------------


@transaction.atomic
def scim_token_create(*, organisation: Organisation, name: str, by: User) -> tuple[ScimToken, str]:
    """A new token and its secret, which is never stored and never shown again. The secret reads
    ``scim_<prefix>_<random>``; the prefix lets an admin tell tokens apart on the page."""
    name = name.strip()
    if not name:
        raise ServiceError({"name": "Give the token a name, e.g. the directory that uses it."})
    active = selectors.scim_token_list(organisation=organisation).filter(revoked_at__isnull=True)
    if active.count() >= SCIM_TOKEN_MAX:
        raise ServiceError({"name": f"There are {SCIM_TOKEN_MAX} active tokens; revoke one first."})
    prefix = secrets.token_hex(4)
    secret = f"{SCIM_TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ScimToken.objects.create(
        organisation=organisation,
        name=name[:100],
        prefix=prefix,
        token_hash=hash_token(secret),
        created_by=by,
    )
    audit_record(
        organisation=organisation,
        actor=by,
        verb="scim_token.created",
        target=token,
        after={"name": token.name, "prefix": prefix},
    )
    return token, secret


@transaction.atomic
def scim_token_revoke(*, token: ScimToken, by: User) -> ScimToken:
    """Revoke at once: the directory's next request is refused (nothing caches the token)."""
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        organisation=token.organisation,
        actor=by,
        verb="scim_token.revoked",
        target=token,
        before={"status": "active"},
        after={"name": token.name, "status": "revoked"},
    )
    return token


def scim_token_authenticate(*, organisation: Organisation, secret: str) -> ScimToken | None:
    """The live token of ``organisation`` with this secret, or None."""
    if not secret.startswith(f"{SCIM_TOKEN_PREFIX}_"):
        return None
    token = selectors.scim_token_find(organisation=organisation, token_hash=hash_token(secret))
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        token.save(update_fields=["last_used_at"])
    return token


@transaction.atomic
def scim_settings_update(
    *, organisation: Organisation, department_to_team: bool, by: User
) -> ScimSettings:
    current = selectors.scim_settings_get(organisation=organisation)
    if current.pk is not None and current.department_to_team == department_to_team:
        return current
    before = {"department_to_team": current.department_to_team}
    current.department_to_team = department_to_team
    current.save()
    audit_record(
        organisation=organisation,
        actor=by,
        verb="scim.settings_updated",
        target=current,
        before=before,
        after={"department_to_team": department_to_team},
    )
    return current


# --- Users ---------------------------------------------------------------------------------------


def _user_email(doc: dict[str, Any]) -> str:
    user_name = str(doc.get("userName") or "").strip().lower()
    if not user_name:
        raise ScimError("userName is required.", scim_type="invalidValue")
    try:
        validate_email(user_name)
    except ValidationError:
        raise ScimError(
            "userName must be an email address: it is the address the person signs in with.",
            scim_type="invalidValue",
        ) from None
    return user_name


def _person_name(doc: dict[str, Any], fallback: str) -> str:
    name = doc.get("name", {})
    joined = " ".join(p for p in (name.get("givenName"), name.get("familyName")) if p)
    for candidate in (doc.get("displayName"), name.get("formatted"), joined):
        if candidate and candidate.strip():
            return str(candidate).strip()[:150]
    return fallback


def _manager(
    *, organisation: Organisation, doc: dict[str, Any], scim_user: ScimUser
) -> Person | None:
    """The person the enterprise extension names as manager, by their SCIM id here. The stored
    value is normalised to that id (a ``$ref`` alone names it too)."""
    manager = doc.get(ENTERPRISE, {}).get("manager")
    if not manager:
        return None
    value = manager.get("value") or str(manager.get("$ref", "")).rstrip("/").rsplit("/", 1)[-1]
    target = selectors.scim_users_by_ids(organisation=organisation, scim_ids=[value]).get(value)
    if target is None:
        raise ScimError(
            f"The manager {value} is not a user of this organisation.", scim_type="invalidValue"
        )
    if target.pk == scim_user.pk:
        raise ScimError("A person cannot be their own manager.", scim_type="invalidValue")
    doc[ENTERPRISE]["manager"] = {"value": str(target.pk)}
    return target.person


def _department_team(*, organisation: Organisation, name: str, by: User) -> Team:
    name = name.strip()
    if len(name) > 120:
        raise ScimError("A department name is at most 120 characters.", scim_type="invalidValue")
    team = selectors.team_by_name(organisation=organisation, name=name)
    return team or team_create(organisation=organisation, name=name, by=by)


def _sync_departments(
    *, organisation: Organisation, person: Person, before: str, after: str, by: User
) -> None:
    if before.strip().lower() == after.strip().lower():
        return
    if before.strip():
        old = selectors.team_by_name(organisation=organisation, name=before.strip())
        if old is not None and selectors.person_in_team(person=person, team=old):
            team_member_remove(team=old, person=person, by=by)
    if after.strip():
        team = _department_team(organisation=organisation, name=after, by=by)
        team_member_add(team=team, person=person, by=by)


def _apply_user(
    *,
    organisation: Organisation,
    scim_user: ScimUser,
    doc: dict[str, Any],
    previous: dict[str, Any],
    by: User,
) -> None:
    """Write the document onto the organisation's person and membership."""
    person = scim_user.person
    manager = _manager(organisation=organisation, doc=doc, scim_user=scim_user)
    title = str(doc.get("title", "")).strip()
    if len(title) > 150:
        raise ScimError("title is at most 150 characters.", scim_type="invalidValue")
    # An unassigned ``active`` (RFC 7643 §2.5) is not a deprovisioning: only ``false`` is.
    active = doc.get("active", True) is not False
    person_update(
        person=person,
        by=by,
        name=_person_name(doc, fallback=person.name or scim_user.user_name),
        email=person.email,
        job_title=title,
        manager=manager,
        location=person.location,
        start_date=person.start_date,
        is_active=active,
    )
    if selectors.scim_settings_get(organisation=organisation).department_to_team:
        _sync_departments(
            organisation=organisation,
            person=person,
            before=str(previous.get(ENTERPRISE, {}).get("department", "")),
            after=str(doc.get(ENTERPRISE, {}).get("department", "")),
            by=by,
        )
    membership = selectors.membership_of(organisation=organisation, person=person)
    if membership is not None and membership.is_active != active:
        _membership_set_active(membership=membership, active=active, scim_user=scim_user, by=by)
    scim_user.attributes = doc
    scim_user.external_id = str(doc.get("externalId", ""))[:255]
    scim_user.updated_at = timezone.now()
    scim_user.save(update_fields=["attributes", "external_id", "updated_at"])


def _membership_set_active(
    *, membership: Membership, active: bool, scim_user: ScimUser, by: User
) -> None:
    try:
        membership_set_active(membership=membership, is_active=active, by=by)
    except ServiceError as error:
        # The last admin, or the token's own creator: the directory gets the product's reason.
        raise ScimError(str(error), scim_type="mutability") from None
    audit_record(
        organisation=membership.organisation,
        actor=by,
        verb="scim.user_reactivated" if active else "scim.user_deactivated",
        target=scim_user,
        before={"active": not active},
        after={"active": active, "email": scim_user.user_name},
    )


def _changed(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = sorted((set(before) | set(after)) - {"active"})
    changed = [k for k in keys if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after.get(k) for k in changed}


@transaction.atomic
def scim_user_create(*, organisation: Organisation, token: ScimToken, body: Any) -> ScimUser:
    """Provision a user: the account with that email (created, with no password, if there is
    none), a ``member`` membership here (reactivated if it was deactivated) and the person, linked
    by email as when someone accepts an invitation."""
    by = token.created_by
    doc = read_document(body, USER)
    email = _user_email(doc)
    doc["userName"] = email
    if selectors.scim_user_by_user_name(organisation=organisation, user_name=email):
        raise ScimError(f"A user {email} exists already.", status=409, scim_type="uniqueness")
    # Accounts are global (the sign-in email is unique across organisations); looking one up by
    # email is deliberate, and nothing of it is changed here.
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None)  # no usable password
    _membership, created = Membership.objects.get_or_create(
        organisation=organisation, user=user, defaults={"role": Role.MEMBER}
    )
    if created:
        # scim.user_created below records the membership; "membership.created" would read as
        # the token's creator joining.
        hooks.member_joined(organisation=organisation, user=user)
    person = person_link_user(organisation=organisation, user=user)
    if selectors.scim_user_by_person(organisation=organisation, person=person):
        raise ScimError(f"A user {email} exists already.", status=409, scim_type="uniqueness")
    scim_user = ScimUser.objects.create(organisation=organisation, person=person, user_name=email)
    _apply_user(organisation=organisation, scim_user=scim_user, doc=doc, previous={}, by=by)
    audit_record(
        organisation=organisation,
        actor=by,
        verb="scim.user_created",
        target=scim_user,
        after={"email": email, "external_id": scim_user.external_id},
    )
    return scim_user


def _update(*, scim_user: ScimUser, doc: dict[str, Any], by: User) -> ScimUser:
    organisation = scim_user.organisation
    email = _user_email(doc)
    if email != scim_user.user_name.lower():
        # The sign-in address belongs to a global account, which one organisation's directory
        # must not rename (it would rename it in every other organisation too).
        raise ScimError(
            "userName cannot change: it is the person's sign-in address.", scim_type="mutability"
        )
    doc["userName"] = scim_user.user_name
    previous = scim_user.attributes
    _apply_user(organisation=organisation, scim_user=scim_user, doc=doc, previous=previous, by=by)
    before, after = _changed(previous, scim_user.attributes)
    if after:
        audit_record(
            organisation=organisation,
            actor=by,
            verb="scim.user_updated",
            target=scim_user,
            before=before,
            after=after,
        )
    return scim_user


@transaction.atomic
def scim_user_replace(*, scim_user: ScimUser, token: ScimToken, body: Any) -> ScimUser:
    return _update(scim_user=scim_user, doc=read_document(body, USER), by=token.created_by)


@transaction.atomic
def scim_user_patch(*, scim_user: ScimUser, token: ScimToken, body: Any) -> ScimUser:
    doc = apply_patch(scim_user.attributes, body, USER)
    return _update(scim_user=scim_user, doc=doc, by=token.created_by)


@transaction.atomic
def scim_user_delete(*, scim_user: ScimUser, token: ScimToken) -> None:
    """Deprovision: the membership is deactivated (the person keeps every rating) and the SCIM
    resource is gone. Provisioning the address again reactivates the same membership."""
    by = token.created_by
    membership = selectors.membership_of(
        organisation=scim_user.organisation, person=scim_user.person
    )
    if membership is not None and membership.is_active:
        _membership_set_active(membership=membership, active=False, scim_user=scim_user, by=by)
    scim_user.deleted_at = timezone.now()
    scim_user.save(update_fields=["deleted_at"])


# --- Groups --------------------------------------------------------------------------------------


def scim_group_document(*, group: ScimGroup, members: list[ScimUser]) -> dict[str, Any]:
    doc: dict[str, Any] = {"displayName": group.team.name}
    if group.external_id:
        doc["externalId"] = group.external_id
    if members:
        doc["members"] = [{"value": str(m.pk)} for m in members]
    return doc


def _group_name(doc: dict[str, Any]) -> str:
    name = str(doc.get("displayName", "")).strip()
    if not name:
        raise ScimError("displayName is required.", scim_type="invalidValue")
    if len(name) > 120:
        raise ScimError("displayName is at most 120 characters.", scim_type="invalidValue")
    return name


def _apply_group(
    *, group: ScimGroup, doc: dict[str, Any], current: list[ScimUser], by: User
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Write the document onto the team; returns what changed, for the audit event."""
    organisation = group.organisation
    team = group.team
    name = _group_name(doc)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if name != team.name:
        other = selectors.team_by_name(organisation=organisation, name=name)
        if other is not None and other.pk != team.pk:
            raise ScimError(f"A team {name} exists already.", status=409, scim_type="uniqueness")
        before["name"], after["name"] = team.name, name
        team_update(
            team=team,
            name=name,
            parent=team.parent,
            managers=selectors.team_managers(organisation=organisation, team=team),
            by=by,
        )
    wanted_ids = [str(m.get("value", "")) for m in doc.get("members", [])]
    found = selectors.scim_users_by_ids(organisation=organisation, scim_ids=wanted_ids)
    missing = [i for i in wanted_ids if i not in found]
    if missing:
        raise ScimError(
            f"Member {missing[0]} is not a user of this organisation.", scim_type="invalidValue"
        )
    current_ids = {str(u.pk) for u in current}
    for scim_id in sorted(set(found) - current_ids):
        team_member_add(team=team, person=found[scim_id].person, by=by)
    for user in current:
        if str(user.pk) not in found:
            team_member_remove(team=team, person=user.person, by=by)
    if set(found) != current_ids:
        before["members"] = sorted(u.user_name for u in current)
        after["members"] = sorted(u.user_name for u in found.values())
    external_id = str(doc.get("externalId", ""))[:255]
    if external_id != group.external_id:
        before["external_id"], after["external_id"] = group.external_id, external_id
    group.external_id = external_id
    group.updated_at = timezone.now()
    group.save(update_fields=["external_id", "updated_at"])
    return before, after


@transaction.atomic
def scim_group_create(*, organisation: Organisation, token: ScimToken, body: Any) -> ScimGroup:
    """A group is a team: the team of that name if there is one (not yet linked to a group), else
    a new team."""
    by = token.created_by
    doc = read_document(body, GROUP)
    name = _group_name(doc)
    team = selectors.team_by_name(organisation=organisation, name=name)
    if team is not None and selectors.scim_group_by_team(organisation=organisation, team=team):
        raise ScimError(f"A group {name} exists already.", status=409, scim_type="uniqueness")
    if team is None:
        team = team_create(organisation=organisation, name=name, by=by)
    doc["displayName"] = team.name
    group = ScimGroup.objects.create(organisation=organisation, team=team)
    _before, after = _apply_group(group=group, doc=doc, current=[], by=by)
    audit_record(
        organisation=organisation,
        actor=by,
        verb="scim.group_created",
        target=group,
        after={"name": team.name, "members": after.get("members", [])},
    )
    return group


def _group_update(
    *, group: ScimGroup, doc: dict[str, Any], current: list[ScimUser], by: User
) -> ScimGroup:
    before, after = _apply_group(group=group, doc=doc, current=current, by=by)
    if after:
        audit_record(
            organisation=group.organisation,
            actor=by,
            verb="scim.group_updated",
            target=group,
            before=before,
            after={"name": group.team.name, **after},
        )
    return group


@transaction.atomic
def scim_group_replace(
    *, group: ScimGroup, current: list[ScimUser], token: ScimToken, body: Any
) -> ScimGroup:
    doc = read_document(body, GROUP)
    return _group_update(group=group, doc=doc, current=current, by=token.created_by)


@transaction.atomic
def scim_group_patch(
    *, group: ScimGroup, current: list[ScimUser], token: ScimToken, body: Any
) -> ScimGroup:
    doc = apply_patch(scim_group_document(group=group, members=current), body, GROUP)
    return _group_update(group=group, doc=doc, current=current, by=token.created_by)


@transaction.atomic
def scim_group_delete(*, group: ScimGroup, token: ScimToken) -> None:
    """Unlink the group; the team stays, with its members, managers, requirements and history.
    A directory deleting a group must not delete what the organisation built on the team; an
    admin deletes the team in the product if it should go."""
    audit_record(
        organisation=group.organisation,
        actor=token.created_by,
        verb="scim.group_deleted",
        target=group,
        after={"name": group.team.name},
    )
    group.delete()
