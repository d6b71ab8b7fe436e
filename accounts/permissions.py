"""Roles and what each may do: the single table that pages and API both consult."""

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    MANAGER = "manager", "Manager"
    HR = "hr", "HR"
    ADMIN = "admin", "Admin"


class Perm(StrEnum):
    ORGANISATION_VIEW = "organisation.view"
    MEMBERSHIP_VIEW = "membership.view"
    MEMBERSHIP_MANAGE = "membership.manage"  # invite, change roles, deactivate
    AUDIT_VIEW = "audit.view"


_EVERYONE = frozenset({Perm.ORGANISATION_VIEW, Perm.MEMBERSHIP_VIEW})

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.MEMBER: _EVERYONE,
    Role.MANAGER: _EVERYONE,
    Role.HR: _EVERYONE | {Perm.AUDIT_VIEW},
    Role.ADMIN: _EVERYONE | {Perm.AUDIT_VIEW, Perm.MEMBERSHIP_MANAGE},
}
