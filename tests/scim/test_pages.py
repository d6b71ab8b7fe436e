"""The organisation's SCIM page: admins create a token (shown once, with the base URL to paste),
list and revoke tokens, and choose whether departments become teams. Other roles get 403, as on
the members page; outsiders 404."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from scim.models import ScimSettings, ScimToken
from skillsmap.core.tenancy import organisation_context
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _url(world: World, name: str = "scim:settings", **kwargs: object) -> str:
    return reverse(name, kwargs={"org_slug": world.organisation.slug, **kwargs})


def test_an_admin_creates_a_token_shown_once_with_the_base_url_and_it_works(org_a: World, login):
    browser = login(org_a.admin)

    page = browser.post(_url(org_a), {"token-name": "Entra ID"})

    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    html = page.content.decode()
    secret = re.search(r'value="(scim_[0-9a-f]{8}_[^"]+)"', html)[1]
    assert "http://testserver/scim/v2/alpha/" in html
    with organisation_context(org_a.organisation):
        token = ScimToken.objects.get()
        assert token.token_hash != secret and secret not in str(token.__dict__)
        assert AuditEvent.objects.filter(verb="scim_token.created", actor=org_a.admin).exists()
    # Shown once: the list shows only the prefix.
    again = browser.get(_url(org_a)).content.decode()
    assert secret not in again and f"scim_{token.prefix}_…" in again
    assert (
        browser.get("/scim/v2/alpha/Users", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code
        == 200
    )


def test_an_empty_name_is_refused_on_the_page(org_a: World, login):
    page = login(org_a.admin).post(_url(org_a), {"token-name": " "})

    assert page.status_code == 400
    with organisation_context(org_a.organisation):
        assert not ScimToken.objects.exists()


def test_an_admin_revokes_a_token(org_a: World, login):
    browser = login(org_a.admin)
    html = browser.post(_url(org_a), {"token-name": "Okta"}).content.decode()
    secret = re.search(r'value="(scim_[^"]+)"', html)[1]
    with organisation_context(org_a.organisation):
        token = ScimToken.objects.get()

    response = browser.post(_url(org_a, "scim:token_revoke", token_id=token.pk))

    assert response.status_code == 302
    assert (
        browser.get("/scim/v2/alpha/Users", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code
        == 401
    )
    assert "Revoked" in browser.get(_url(org_a)).content.decode()


def test_the_department_setting_is_saved_and_audited(org_a: World, login):
    browser = login(org_a.admin)

    browser.post(_url(org_a, "scim:settings_update"), {"settings-department_to_team": "on"})

    with organisation_context(org_a.organisation):
        assert ScimSettings.objects.get().department_to_team is True
        assert AuditEvent.objects.filter(verb="scim.settings_updated").count() == 1


@pytest.mark.parametrize("role", ["member", "manager", "hr"])
def test_other_roles_get_403_and_see_no_menu_entry(org_a: World, login, role):
    browser = login(org_a.user(role))

    assert browser.get(_url(org_a)).status_code == 403
    assert browser.post(_url(org_a), {"token-name": "x"}).status_code == 403
    home = browser.get(reverse("accounts:organisation_home", kwargs={"org_slug": "alpha"}))
    assert "SCIM provisioning" not in home.content.decode()


def test_the_admin_sees_the_menu_entry(org_a: World, login):
    home = login(org_a.admin).get(
        reverse("accounts:organisation_home", kwargs={"org_slug": "alpha"})
    )

    assert _url(org_a) in home.content.decode()


def test_an_outsider_and_another_organisations_admin_get_404(
    org_a: World, org_b: World, outsider, login
):
    with organisation_context(org_a.organisation):
        from scim.services import scim_token_create

        token, _secret = scim_token_create(
            organisation=org_a.organisation, name="A", by=org_a.admin
        )
    for user in (outsider, org_b.admin):
        browser = login(user)
        assert browser.get(_url(org_a)).status_code == 404
        assert browser.post(_url(org_a, "scim:token_revoke", token_id=token.pk)).status_code == 404
    # B's admin cannot revoke A's token through B's page either: it reads as missing.
    browser = login(org_b.admin)
    assert browser.post(_url(org_b, "scim:token_revoke", token_id=token.pk)).status_code == 404
    with organisation_context(org_a.organisation):
        assert ScimToken.objects.get().revoked_at is None
