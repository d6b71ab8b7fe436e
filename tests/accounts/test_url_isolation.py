"""The first wall, for every organisation URL the project has: enumerated from the URL resolver, so
a view added tomorrow is covered without anyone remembering to write its outsider test.

An object id kwarg must be registered in OBJECT_IDS; a new kind of id fails loudly until it is.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Invitation, Membership
from roles.models import RoleProfile
from skillsmap.core.rls import tenant_models
from skillsmap.core.tenancy import organisation_context
from tests.conftest import World
from tests.factories import (
    DomainFactory,
    InvitationFactory,
    JobFactory,
    ScimTokenFactory,
    TeamFactory,
)
from tests.skills.factories import RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class OrgRoute:
    name: str  # namespaced URL name
    route: str
    kwargs: tuple[str, ...]  # besides org_slug


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[OrgRoute]:
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}{p.namespace}:"
            yield from _walk(p.url_patterns, route, ns)
        elif isinstance(p, URLPattern) and "<slug:org_slug>" in route and p.name:
            kwargs = tuple(k for k in p.pattern.regex.groupindex if k != "org_slug") + tuple(
                k for k in _prefix_kwargs(prefix) if k != "org_slug"
            )
            yield OrgRoute(f"{namespace}{p.name}", route, tuple(dict.fromkeys(kwargs)))


def _prefix_kwargs(prefix: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", prefix)


def org_routes() -> list[OrgRoute]:
    # Tenant pages and API live under these prefixes; the invitation link has its own tests below,
    # and the one-click unsubscribe link (signed, answered without signing in, a foreign token a
    # 400 naming nothing) has its own in tests/notifications.
    return [
        r
        for r in _walk(get_resolver().url_patterns)
        if r.route.startswith(("o/", "api/")) and r.name != "notifications:unsubscribe"
    ]


def _invitation(world: World) -> int:
    return InvitationFactory(organisation=world.organisation).pk


def _team(world: World) -> int:
    return TeamFactory(organisation=world.organisation).pk


_names = itertools.count()


def _role(world: World) -> int:
    with organisation_context(world.organisation):
        return RoleProfile.objects.create(
            organisation=world.organisation, name=f"Role {next(_names)}"
        ).pk


def _job(world: World) -> int:
    return JobFactory(organisation=world.organisation).pk


# How to find an object of a given organisation for each id kwarg in a URL. A new kind of id in a
# URL fails every test here until it is registered.
def _notification(world: World) -> int:
    from notifications.models import Notification

    with organisation_context(world.organisation):
        return Notification.objects.create(
            organisation=world.organisation, recipient=world.member, kind="endorsement", title="x"
        ).pk


def _certification(world: World) -> int:
    from datetime import date

    from certifications.models import Certification

    with organisation_context(world.organisation):
        return Certification.objects.create(
            organisation=world.organisation,
            person=world.people["member"],
            name="CKA",
            issuer="CNCF",
            issued_on=date(2026, 1, 1),
        ).pk


def _endorsement(world: World) -> int:
    from endorsements.models import Endorsement

    with organisation_context(world.organisation):
        return Endorsement.objects.create(
            organisation=world.organisation,
            endorser=world.people["manager"],
            person=world.people["member"],
            skill=SkillFactory(organisation=world.organisation),
        ).pk


def _unsubscribe_token(world: World) -> str:  # type: ignore[return-value]
    from notifications.kinds import Kind
    from notifications.tokens import unsubscribe_token

    return unsubscribe_token(
        organisation_id=world.organisation.pk, user_id=world.member.pk, kind=Kind.ENDORSEMENT
    )


def _campaign(world: World) -> int:
    from datetime import date

    from reviews.models import Campaign

    with organisation_context(world.organisation):
        return Campaign.objects.create(
            organisation=world.organisation, name="Spring review", due_on=date(2099, 6, 30)
        ).pk


def _scim_token(world: World) -> int:
    return ScimTokenFactory(organisation=world.organisation, created_by=world.admin).pk


OBJECT_IDS: dict[str, Callable[[World], object]] = {
    "membership_id": lambda w: w.memberships["member"].pk,
    "invitation_id": _invitation,
    "person_id": lambda w: w.people["member"].pk,
    "team_id": _team,
    "job_id": _job,
    "skill_id": lambda w: SkillFactory(organisation=w.organisation).pk,
    "role_id": _role,
    "rating_id": lambda w: RatingFactory(organisation=w.organisation, person=w.people["member"]).pk,
    "notification_id": _notification,
    "certification_id": _certification,
    "campaign_id": _campaign,
    "endorsement_id": _endorsement,
    "domain_id": lambda w: DomainFactory(organisation=w.organisation).pk,
    # SCIM tokens: the page's revoke (token_id) and the API's (scim_token_id).
    "token_id": _scim_token,
    "scim_token_id": _scim_token,
    "token": _unsubscribe_token,
}


def _kwargs(route: OrgRoute, slug: str, world: World) -> dict[str, object]:
    kwargs: dict[str, object] = {"org_slug": slug}
    for name in route.kwargs:
        if name not in OBJECT_IDS:
            pytest.fail(f"{route.name} takes {name!r}: register it in OBJECT_IDS")
        kwargs[name] = OBJECT_IDS[name](world)
    return kwargs


def _snapshot(world: World) -> dict[str, list[tuple]]:
    with organisation_context(world.organisation):
        return {
            m._meta.label: sorted(m.objects.values_list(), key=lambda row: row[0])
            for m in tenant_models()
        }


def test_the_enumeration_finds_the_organisation_pages():
    names = {r.name for r in org_routes()}
    assert {
        "accounts:member_list",
        "accounts:membership_role",
        "accounts:audit_event_list",
    } <= names


@pytest.mark.parametrize("route", org_routes(), ids=lambda r: r.name)
def test_outsider_gets_404_on_every_organisation_url(route, org_a, outsider, login):
    client = login(outsider)
    url = reverse(route.name, kwargs=_kwargs(route, org_a.organisation.slug, org_a))
    before = _snapshot(org_a)
    assert client.get(url).status_code == 404
    assert client.post(url, {"role": "admin", "is_active": "false"}).status_code == 404
    assert _snapshot(org_a) == before


@pytest.mark.parametrize("route", org_routes(), ids=lambda r: r.name)
def test_unknown_organisation_is_404_like_any_other(route, org_a, login):
    client = login(org_a.admin)
    url = reverse(route.name, kwargs=_kwargs(route, "no-such-org", org_a))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("route", [r for r in org_routes() if r.kwargs], ids=lambda r: r.name)
def test_another_organisations_object_is_404_and_left_unchanged(route, org_a, org_b, login):
    client = login(org_a.admin)  # the most powerful role in A, reaching for B's rows
    url = reverse(route.name, kwargs=_kwargs(route, org_a.organisation.slug, org_b))
    before = _snapshot(org_b)
    get, post = client.get(url), client.post(url, {"role": "member", "is_active": "false"})
    assert get.status_code in (404, 405)
    # An API endpoint without POST answers 405, and one that takes only JSON 415, before looking
    # at ids: the same for any id, so it tells nothing (the comparison with a missing id below
    # proves it).
    assert post.status_code in ((404, 405, 415) if route.name.startswith("api:") else (404,))
    assert _snapshot(org_b) == before
    # The same answer as for an id that does not exist at all.
    missing = reverse(
        route.name,
        kwargs={
            k: (999_999 if k != "org_slug" else v)
            for k, v in _kwargs(route, org_a.organisation.slug, org_b).items()
        },
    )
    assert _without_csrf(client.post(missing, {"role": "member"})) == _without_csrf(post)


def _without_csrf(response) -> bytes:
    # The masked CSRF token differs on every response; everything else must be identical.
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)


def test_deactivated_member_gets_404_on_the_next_request(org_a, login):
    client = login(org_a.member)
    url = reverse("accounts:organisation_home", kwargs={"org_slug": org_a.organisation.slug})
    assert client.get(url).status_code == 200
    with organisation_context(org_a.organisation):
        Membership.objects.filter(pk=org_a.memberships["member"].pk).update(is_active=False)
    assert client.get(url).status_code == 404


def test_a_404_page_does_not_name_the_organisation(org_a, outsider, login):
    response = login(outsider).get(f"/o/{org_a.organisation.slug}/members/")
    assert response.status_code == 404
    assert b"Alpha" not in response.content


def test_anonymous_visitors_are_sent_to_sign_in(client, org_a):
    response = client.get(f"/o/{org_a.organisation.slug}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_invitation_link_of_another_organisation_reads_as_invalid(org_a, org_b, login):
    invitation = InvitationFactory(
        organisation=org_b.organisation, email="new@example.com", token="b-token"
    )
    assert isinstance(invitation, Invitation)
    client = login(org_a.member)
    wrong_org = client.get(f"/invitations/{org_a.organisation.slug}/b-token/")
    unknown = client.get(f"/invitations/{org_a.organisation.slug}/no-such-token/")
    assert wrong_org.status_code == unknown.status_code == 404
    assert _without_csrf(wrong_org) == _without_csrf(unknown)
