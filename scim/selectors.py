"""Reads of SCIM provisioning. Each takes the organisation and filters on it in SQL: the tenant
is a condition of the query (and, on PostgreSQL, of row-level security), never a check on rows
already fetched."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Membership, Organisation
from scim.errors import not_found
from scim.models import ScimGroup, ScimSettings, ScimToken, ScimUser
from teams.models import Person, Team, TeamMembership


def scim_token_list(*, organisation: Organisation) -> QuerySet[ScimToken]:
    return (
        ScimToken.objects.filter(organisation=organisation)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def scim_token_get(*, organisation: Organisation, token_id: int) -> ScimToken:
    token = (
        ScimToken.objects.filter(organisation=organisation, pk=token_id)
        .select_related("created_by")
        .first()
    )
    if token is None:
        raise Http404("No such token.")
    return token


def scim_token_find(*, organisation: Organisation, token_hash: str) -> ScimToken | None:
    """The organisation's live token with this hash. Looked up inside the organisation of the
    URL, so a token of another organisation simply is not found."""
    return (
        ScimToken.objects.filter(
            organisation=organisation, token_hash=token_hash, revoked_at__isnull=True
        )
        .select_related("created_by")
        .first()
    )


def scim_settings_get(*, organisation: Organisation) -> ScimSettings:
    found = ScimSettings.objects.filter(organisation=organisation).first()
    return found or ScimSettings(organisation=organisation)


# --- Users ---------------------------------------------------------------------------------------


def _users(organisation: Organisation) -> QuerySet[ScimUser]:
    return ScimUser.objects.filter(organisation=organisation, deleted_at__isnull=True)


def scim_user_queryset(
    *, organisation: Organisation, attribute: str | None = None, value: str | None = None
) -> QuerySet[ScimUser]:
    """The organisation's SCIM users, filtered by ``userName``, ``externalId`` or ``displayName``
    (``eq``; userName case-insensitively as RFC 7643 makes it caseExact false)."""
    users = _users(organisation).select_related("person", "person__user")
    if attribute == "userName":
        users = users.filter(user_name__iexact=value)
    elif attribute == "externalId":
        users = users.filter(external_id=value)
    elif attribute == "displayName":
        users = users.filter(Q(attributes__displayName=value) | Q(person__name__iexact=value))
    return users.order_by("id")


def scim_user_get(*, organisation: Organisation, scim_id: str) -> ScimUser:
    if not scim_id.isdigit():
        raise not_found("User", scim_id)
    user = _users(organisation).filter(pk=int(scim_id)).select_related("person").first()
    if user is None:
        raise not_found("User", scim_id)
    return user


def scim_user_by_user_name(*, organisation: Organisation, user_name: str) -> ScimUser | None:
    return _users(organisation).filter(user_name__iexact=user_name).first()


def scim_user_by_person(*, organisation: Organisation, person: Person) -> ScimUser | None:
    return _users(organisation).filter(person=person).first()


def scim_users_by_ids(*, organisation: Organisation, scim_ids: list[str]) -> dict[str, ScimUser]:
    ids = [int(i) for i in scim_ids if i.isdigit()]
    users = _users(organisation).filter(pk__in=ids).select_related("person")
    return {str(u.pk): u for u in users}


def membership_of(*, organisation: Organisation, person: Person) -> Membership | None:
    if person.user_id is None:
        return None
    return Membership.objects.filter(organisation=organisation, user_id=person.user_id).first()


def active_memberships(*, organisation: Organisation, user_ids: list[int]) -> set[int]:
    return set(
        Membership.objects.filter(
            organisation=organisation, user_id__in=user_ids, is_active=True
        ).values_list("user_id", flat=True)
    )


# --- Groups --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRow:
    group: ScimGroup
    members: list[ScimUser]


def scim_group_queryset(
    *, organisation: Organisation, attribute: str | None = None, value: str | None = None
) -> QuerySet[ScimGroup]:
    groups = ScimGroup.objects.filter(organisation=organisation).select_related("team")
    if attribute == "displayName":
        groups = groups.filter(team__name__iexact=value)
    elif attribute == "externalId":
        groups = groups.filter(external_id=value)
    return groups.order_by("id")


def scim_group_get(*, organisation: Organisation, scim_id: str) -> ScimGroup:
    if not scim_id.isdigit():
        raise not_found("Group", scim_id)
    group = (
        ScimGroup.objects.filter(organisation=organisation, pk=int(scim_id))
        .select_related("team")
        .first()
    )
    if group is None:
        raise not_found("Group", scim_id)
    return group


def scim_group_members(
    *, organisation: Organisation, teams: list[Team]
) -> dict[int, list[ScimUser]]:
    """For each team, its members that the directory provisioned (people added by hand are the
    product's, not the directory's, and are neither listed nor touched)."""
    person_team = list(
        TeamMembership.objects.filter(organisation=organisation, team__in=teams).values_list(
            "person_id", "team_id"
        )
    )
    users = {
        u.person_id: u
        for u in _users(organisation).filter(person_id__in={p for p, _ in person_team})
    }
    members: dict[int, list[ScimUser]] = {team.pk: [] for team in teams}
    for person_id, team_id in person_team:
        if person_id in users:
            members[team_id].append(users[person_id])
    for team_members in members.values():
        team_members.sort(key=lambda u: u.pk)
    return members


def team_by_name(*, organisation: Organisation, name: str) -> Team | None:
    return Team.objects.filter(organisation=organisation, name__iexact=name).first()


def scim_group_by_team(*, organisation: Organisation, team: Team) -> ScimGroup | None:
    return ScimGroup.objects.filter(organisation=organisation, team=team).first()


def person_by_email(*, organisation: Organisation, email: str) -> Person | None:
    return Person.objects.filter(organisation=organisation, email__iexact=email).first()


def person_in_team(*, person: Person, team: Team) -> bool:
    return TeamMembership.objects.filter(
        organisation_id=person.organisation_id, team=team, person=person
    ).exists()


def team_managers(*, organisation: Organisation, team: Team) -> list[Person]:
    return list(Person.objects.filter(organisation=organisation, led_teams__team=team))
