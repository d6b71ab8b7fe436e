"""The API tokens page (/settings/tokens/) as its user meets it: it keeps the navigation of the
organisation they came from, shows a new token in a monospace field with a copy button, and asks
before revoking."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import ApiToken, Membership
from accounts.services import api_token_create
from skillsmap.core.tenancy import organisation_context
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

URL = "/settings/tokens/"


def _nav_org(html: str) -> str | None:
    """The organisation whose navigation the page shows (the name link that opens it)."""
    nav = re.search(r'<nav aria-label="Organisation".*?</nav>', html, re.S)
    assert nav
    name = re.search(r'class="org-name"[^>]*>([^<]+)</a>', nav.group())
    return name.group(1) if name else None


def _people_link(slug: str) -> str:
    return f'href="{reverse("teams:person_list", kwargs={"org_slug": slug})}"'


def test_the_page_keeps_the_organisation_navigation(org_a, login):
    html = login(org_a.member).get(URL).content.decode()
    assert _nav_org(html) == "Alpha Ltd"
    assert _people_link("alpha") in html


def test_the_navigation_is_of_the_organisation_named_or_come_from(org_a, org_b, login):
    MembershipFactory(organisation=org_b.organisation, user=org_a.member)
    client = login(org_a.member)
    beta = org_b.organisation
    assert _nav_org(client.get(URL, {"org": beta.slug}).content.decode()) == beta.name
    came_from = client.get(URL, HTTP_REFERER=f"http://testserver/o/{beta.slug}/people/")
    assert _nav_org(came_from.content.decode()) == beta.name
    # The page's own forms keep it, so creating a token does not switch organisations.
    html = came_from.content.decode()
    assert f'action="{URL}?org={beta.slug}"' in html
    created = client.post(f"{URL}?org={beta.slug}", {"name": "sync"})
    assert _nav_org(created.content.decode()) == beta.name


def test_an_organisation_the_user_is_not_in_is_never_shown(org_a, org_b, login):
    client = login(org_a.member)
    for response in (
        client.get(URL, {"org": org_b.organisation.slug}),
        client.get(URL, HTTP_REFERER=f"http://testserver/o/{org_b.organisation.slug}/"),
    ):
        html = response.content.decode()
        assert response.status_code == 200
        assert _nav_org(html) == "Alpha Ltd"
        assert org_b.organisation.name not in html


def test_a_user_in_no_active_organisation_sees_the_page_without_its_navigation(org_a, login):
    html = login(org_a.member).get(URL).content.decode()
    assert _nav_org(html) is not None
    with organisation_context(org_a.organisation):  # the membership row is the organisation's
        Membership.objects.filter(pk=org_a.memberships["member"].pk).update(is_active=False)
    response = login(org_a.member).get(URL)
    assert response.status_code == 200
    assert _nav_org(response.content.decode()) is None


def test_the_new_token_is_in_a_readonly_monospace_field_with_a_copy_button(org_a, login):
    html = login(org_a.member).post(URL, {"name": "sync"}).content.decode()
    field = re.search(r'<input id="new-token"[^>]*>', html)
    assert field
    assert "readonly" in field.group() and "mono" in field.group()
    assert re.search(r'<button type="button" data-copy-token="new-token"[^>]*>Copy</button>', html)
    assert re.search(r'<script src="[^"]*/js/tokens\.js" defer></script>', html)


def test_revoking_asks_for_confirmation_naming_the_token(org_a, login):
    api_token_create(user=org_a.member, name="HR sync")
    html = login(org_a.member).get(URL).content.decode()
    form = re.search(r'<form method="post" action="/settings/tokens/\d+/revoke/[^>]*>', html, re.S)
    assert form
    assert 'data-confirm="Revoke the token “HR sync”?' in form.group()
    assert 'data-confirm-button="Revoke"' in form.group()


def test_revoking_returns_to_the_page_of_the_same_organisation(org_a, org_b, login):
    MembershipFactory(organisation=org_b.organisation, user=org_a.member)
    token, _ = api_token_create(user=org_a.member, name="sync")
    response = login(org_a.member).post(f"{URL}{token.pk}/revoke/?org={org_b.organisation.slug}")
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?org={org_b.organisation.slug}"
    token.refresh_from_db()
    assert not token.is_active
    assert ApiToken.objects.filter(user=org_a.member, revoked_at__isnull=False).count() == 1
