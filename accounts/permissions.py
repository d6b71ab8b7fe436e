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
    # The organisation's skill framework and proficiency scale.
    FRAMEWORK_VIEW = "framework.view"
    FRAMEWORK_MANAGE = "framework.manage"  # adopt, add, rename, merge, archive; edit the scale
    # People: everyone sees the directory; HR and admins edit and import.
    PEOPLE_VIEW = "people.view"
    PEOPLE_MANAGE = "people.manage"
    # Ratings. Everyone rates themselves; whose ratings one may read or validate beyond one's own
    # depends on the reporting line (managers) or is organisation-wide (RATINGS_VIEW_ALL).
    RATINGS_RATE_SELF = "ratings.rate_self"
    RATINGS_VALIDATE_REPORTS = "ratings.validate_reports"
    RATINGS_VIEW_ALL = "ratings.view_all"
    RATINGS_IMPORT = "ratings.import"
    # Review campaigns: managers ask their own teams; HR and admins the whole organisation.
    CAMPAIGNS_LAUNCH_TEAMS = "campaigns.launch_teams"
    CAMPAIGNS_LAUNCH_ALL = "campaigns.launch_all"
    # Endorsing a colleague's skill; everyone may, within a rate limit.
    ENDORSEMENTS_GIVE = "endorsements.give"
    # Enterprise identity: verified email domains, the organisation's SAML or OIDC provider, SCIM
    # provisioning tokens. Admins only: each of these decides who can get into the organisation.
    IDENTITY_MANAGE = "identity.manage"


_EVERYONE = frozenset(
    {
        Perm.ORGANISATION_VIEW,
        Perm.MEMBERSHIP_VIEW,
        Perm.FRAMEWORK_VIEW,
        Perm.PEOPLE_VIEW,
        Perm.RATINGS_RATE_SELF,
        Perm.ENDORSEMENTS_GIVE,
    }
)
_MANAGER = _EVERYONE | {Perm.RATINGS_VALIDATE_REPORTS, Perm.CAMPAIGNS_LAUNCH_TEAMS}
_HR = _MANAGER | {
    Perm.AUDIT_VIEW,
    Perm.FRAMEWORK_MANAGE,
    Perm.PEOPLE_MANAGE,
    Perm.RATINGS_VIEW_ALL,
    Perm.RATINGS_IMPORT,
    Perm.CAMPAIGNS_LAUNCH_ALL,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.MEMBER: _EVERYONE,
    Role.MANAGER: _MANAGER,
    Role.HR: _HR,
    Role.ADMIN: _HR | {Perm.MEMBERSHIP_MANAGE, Perm.IDENTITY_MANAGE},
}
