"""The organisation's SSO settings page: admins only, the secret stored encrypted and never shown
again, what to paste into the identity provider, and an audit event for every change."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.test.html import Element, parse_html
from django.utils import timezone

from accounts.audit import audit_sentence
from accounts.models import AuditEvent, User
from skillsmap.core.errors import ServiceError
from skillsmap.core.tenancy import organisation_context
from sso.crypto import secret_decrypt, secret_encrypt
from sso.forms import IdentityProviderForm
from sso.models import IdentityProvider
from tests.conftest import World

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

OIDC = {
    "protocol": "oidc",
    "oidc_issuer": "https://login.alpha.example/",
    "oidc_client_id": "skillsmap",
    "oidc_client_secret": "very-secret-value-42",
    "attribute_email": "email",
    "attribute_name": "name",
    "attribute_title": "title",
}


def _url(world: World) -> str:
    return f"/o/{world.organisation.slug}/settings/sso/"


def _provider(world: World) -> IdentityProvider | None:
    with organisation_context(world.organisation):
        return IdentityProvider.objects.filter(organisation=world.organisation).first()


def _events(world: World) -> list[AuditEvent]:
    with organisation_context(world.organisation):
        return list(AuditEvent.objects.filter(verb__startswith="sso.").order_by("id"))


def test_only_admins_reach_the_page_and_an_outsider_gets_404(org_a: World, outsider: User, login):
    for role in ("member", "manager", "hr"):
        assert login(org_a.user(role)).get(_url(org_a)).status_code == 403
    assert login(outsider).get(_url(org_a)).status_code == 404
    assert login(outsider).post(_url(org_a), OIDC).status_code == 404
    page = login(org_a.admin).get(_url(org_a))
    assert page.status_code == 200
    html = page.content.decode()
    assert "http://testserver/accounts/oidc/org-alpha/login/callback/" in html
    assert "http://testserver/accounts/saml/alpha/metadata/" in html
    assert "http://testserver/accounts/saml/alpha/acs/" in html


def _walk(element: Element) -> Iterator[Element]:
    for child in element.children:
        if isinstance(child, Element):
            yield child
            yield from _walk(child)


def _fieldsets(html: str) -> dict[str, set[str]]:
    """Each fieldset of the settings form by its legend, with the names of the inputs in it."""
    groups = {}
    for fieldset in (e for e in _walk(parse_html(html)) if e.name == "fieldset"):
        [legend] = [e for e in fieldset.children if isinstance(e, Element) and e.name == "legend"]
        names = {
            dict(e.attributes)["name"]
            for e in _walk(fieldset)
            if e.name in {"input", "textarea", "select"}
        }
        groups["".join(str(c) for c in legend.children).strip()] = names
    return groups


def test_every_field_but_the_protocol_is_in_exactly_one_group():
    # A field added to the form but to no group would silently be missing from the page.
    grouped = [name for _, _, names in IdentityProviderForm.GROUPS for name in names]
    assert len(grouped) == len(set(grouped))
    assert set(IdentityProviderForm().fields) - set(grouped) == {"protocol"}


def test_the_form_groups_each_protocols_fields_under_its_own_legend(org_a: World, login):
    html = login(org_a.admin).get(_url(org_a)).content.decode()
    groups = _fieldsets(html)
    assert list(groups) == ["Protocol", "OpenID Connect", "SAML 2.0", "Attributes", "Policy"]
    assert groups == {
        "Protocol": {"protocol"},
        "OpenID Connect": {"oidc_issuer", "oidc_client_id", "oidc_client_secret"},
        "SAML 2.0": {"saml_metadata_xml", "saml_metadata_file", "saml_metadata_url"},
        "Attributes": {"attribute_email", "attribute_name", "attribute_title", "attribute_team"},
        "Policy": {"is_enabled", "sso_required", "trust_idp_mfa"},
    }
    # Both protocols' fields are in the page: the script that hides one is an enhancement only.
    assert "js/sso-settings.js" in html and "<script>" not in html


def test_the_grouped_form_saves_without_javascript(org_a: World, login):
    """What a browser without JavaScript submits: every field the page renders, filled in."""
    client = login(org_a.admin)
    rendered = set().union(*_fieldsets(client.get(_url(org_a)).content.decode()).values())
    assert rendered == set(IdentityProviderForm().fields)
    post = {**OIDC, "attribute_team": "", "saml_metadata_xml": "", "saml_metadata_url": ""}
    response = client.post(_url(org_a), {**post, "is_enabled": "on", "trust_idp_mfa": "on"})
    assert response.status_code == 302
    provider = _provider(org_a)
    assert provider.is_enabled and provider.trust_idp_mfa and not provider.sso_required


def test_a_configured_provider_shows_its_state_above_the_form(org_a: World, login):
    client = login(org_a.admin)
    assert "Current state" not in client.get(_url(org_a)).content.decode()
    client.post(_url(org_a), OIDC)
    html = client.get(_url(org_a)).content.decode()
    state = html[html.index("Current state") : html.index("idp-values-title")]
    assert "OpenID Connect" in state and "not enabled" in state
    assert "Set (stored encrypted" in state and "very-secret-value-42" not in html
    with organisation_context(org_a.organisation):
        IdentityProvider.objects.filter(organisation=org_a.organisation).update(
            protocol="saml",
            saml_metadata_url="https://idp.alpha.example/metadata",
            saml_metadata_fetched_at=timezone.now(),
            saml_metadata_error="The metadata URL answered 503.",
        )
    html = client.get(_url(org_a)).content.decode()
    state = html[html.index("Current state") : html.index("idp-values-title")]
    assert "SAML 2.0" in state and "https://idp.alpha.example/metadata" in state
    assert "fetched " in state and "The metadata URL answered 503." in state
    assert "Client secret" not in state


def test_the_menu_links_the_page_for_admins_only(org_a: World, login):
    assert f'href="{_url(org_a)}"' in login(org_a.admin).get("/o/alpha/").content.decode()
    assert f'href="{_url(org_a)}"' not in Client().get("/").content.decode()
    hr = Client()
    hr.force_login(org_a.hr)
    assert f'href="{_url(org_a)}"' not in hr.get("/o/alpha/").content.decode()


def test_saving_oidc_stores_the_secret_encrypted_and_never_shows_or_audits_it(org_a: World, login):
    client = login(org_a.admin)
    response = client.post(_url(org_a), OIDC)
    assert response.status_code == 302
    provider = _provider(org_a)
    assert provider is not None and not provider.is_enabled
    assert provider.oidc_issuer == "https://login.alpha.example"
    assert "very-secret-value-42" not in provider.oidc_client_secret_encrypted
    assert secret_decrypt(provider.oidc_client_secret_encrypted) == "very-secret-value-42"
    page = client.get(_url(org_a)).content.decode()
    assert "very-secret-value-42" not in page and "A secret is set" in page
    [event] = _events(org_a)
    assert event.verb == "sso.configured"
    assert "very-secret" not in str(event.before) + str(event.after)
    assert event.after["client_secret_set"] is True
    assert audit_sentence(event) == f"{org_a.admin} set up single sign-on through OpenID Connect"


def test_an_empty_secret_keeps_the_stored_one_and_a_new_one_replaces_it(org_a: World, login):
    client = login(org_a.admin)
    client.post(_url(org_a), OIDC)
    stored = _provider(org_a).oidc_client_secret_encrypted
    client.post(_url(org_a), {**OIDC, "oidc_client_secret": "", "is_enabled": "on"})
    assert _provider(org_a).oidc_client_secret_encrypted == stored
    client.post(_url(org_a), {**OIDC, "oidc_client_secret": "rotated", "is_enabled": "on"})
    assert secret_decrypt(_provider(org_a).oidc_client_secret_encrypted) == "rotated"
    verbs = [e.verb for e in _events(org_a)]
    assert verbs == ["sso.configured", "sso.enabled", "sso.updated"]
    replaced = _events(org_a)[-1]
    assert replaced.after == {"client_secret": "replaced"}
    assert "rotated" not in str(replaced.after)


def test_enable_disable_and_remove_are_each_audited_with_a_sentence(org_a: World, login):
    client = login(org_a.admin)
    client.post(_url(org_a), {**OIDC, "is_enabled": "on"})
    client.post(_url(org_a), {**OIDC, "oidc_client_secret": "", "sso_required": "on"})
    client.post(f"{_url(org_a)}remove/")
    assert _provider(org_a) is None
    admin = str(org_a.admin)
    sentences = [(e.verb, audit_sentence(e).replace(admin, "Admin")) for e in _events(org_a)]
    assert sentences == [
        ("sso.configured", "Admin set up single sign-on through OpenID Connect"),
        ("sso.enabled", "Admin enabled single sign-on"),
        (
            "sso.updated",
            "Admin changed the single sign-on settings: sso required from False to True",
        ),
        ("sso.disabled", "Admin disabled single sign-on"),
        ("sso.removed", "Admin removed single sign-on (OpenID Connect)"),
    ]


def test_an_incomplete_configuration_is_refused_and_writes_nothing(org_a: World, login):
    response = login(org_a.admin).post(
        _url(org_a), {**OIDC, "oidc_client_id": "", "oidc_client_secret": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter the client id" in html and "Enter the client secret" in html
    assert _provider(org_a) is None and _events(org_a) == []


def test_saml_metadata_that_is_not_metadata_is_refused(org_a: World, login):
    response = login(org_a.admin).post(
        _url(org_a), {"protocol": "saml", "attribute_email": "email", "saml_metadata_xml": "<x/>"}
    )
    assert response.status_code == 400
    assert _provider(org_a) is None


def test_a_saml_metadata_url_is_stored_and_its_fetch_enqueued_after_commit(
    org_a: World, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = login(org_a.admin).post(
            _url(org_a),
            {
                "protocol": "saml",
                "attribute_email": "email",
                "saml_metadata_url": "https://idp.alpha.example/metadata",
            },
        )
    assert response.status_code == 302
    provider = _provider(org_a)
    assert provider.saml_metadata_url == "https://idp.alpha.example/metadata"
    assert provider.saml_metadata_fetched_at is None
    assert len(callbacks) == 1  # the fetch, sent once the save is committed
    # Not enabled until the metadata is there: nothing is fetched during a sign-in.
    refused = login(org_a.admin).post(
        _url(org_a),
        {
            "protocol": "saml",
            "attribute_email": "email",
            "saml_metadata_url": "https://idp.alpha.example/metadata",
            "is_enabled": "on",
        },
    )
    assert refused.status_code == 400 and b"not been fetched" in refused.content


def test_another_organisations_provider_is_neither_shown_nor_changed(
    org_a: World, org_b: World, login
):
    login(org_b.admin).post(_url(org_b), {**OIDC, "oidc_client_id": "beta-client"})
    page = login(org_a.admin).get(_url(org_a)).content.decode()
    assert "beta-client" not in page
    login(org_a.admin).post(_url(org_a), OIDC)
    assert _provider(org_b).oidc_client_id == "beta-client"


def test_a_secret_encrypted_under_another_key_reads_as_a_clear_error(db: None):
    token = secret_encrypt("s")
    with override_settings(SSO_SECRET_KEY="another key"), pytest.raises(ServiceError):
        secret_decrypt(token)


def test_production_refuses_to_start_without_the_sso_secret_key():
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SSO_SECRET_KEY"}},
        "DJANGO_SETTINGS_MODULE": "skillsmap.settings.production",
        "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        "ALLOWED_HOSTS": "skills.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SSO_SECRET_KEY must be set" in result.stderr


@pytest.mark.postgres
def test_each_organisation_sees_only_its_own_provider_row_in_sql(
    pg: None, org_a: World, org_b: World, login
):
    """Row-level security on the provider table: raw SQL inside A sees A's row only, and outside
    any organisation it sees none (the sign-in's lookups go through organisation_context)."""
    from django.db import connection, transaction

    login(org_a.admin).post(_url(org_a), OIDC)
    login(org_b.admin).post(_url(org_b), {**OIDC, "oidc_client_id": "beta-client"})
    sql = "SELECT oidc_client_id FROM sso_identityprovider"
    with organisation_context(org_a.organisation), connection.cursor() as cursor:
        cursor.execute(sql)
        assert [row[0] for row in cursor.fetchall()] == ["skillsmap"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
        assert cursor.fetchall() == []


def test_uploaded_saml_metadata_is_checked_and_stored(org_a: World, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.sso.idp.support import idp_metadata, key_pair_generate

    xml = idp_metadata(
        entity_id="https://idp.alpha.example/metadata",
        sso_url="https://idp.alpha.example/sso",
        cert_b64=key_pair_generate().cert_b64,
    )
    upload = SimpleUploadedFile("idp.xml", xml.encode(), content_type="text/xml")
    response = login(org_a.admin).post(
        _url(org_a),
        {"protocol": "saml", "attribute_email": "email", "saml_metadata_file": upload},
    )
    assert response.status_code == 302
    provider = _provider(org_a)
    assert provider.protocol == "saml" and "idp.alpha.example/sso" in provider.saml_metadata_xml
    [event] = _events(org_a)
    assert event.after["saml_metadata_set"] is True


@override_settings(SSO_REQUIRE_HTTPS=True)
def test_a_plain_http_issuer_is_refused_where_https_is_required(org_a: World, login):
    response = login(org_a.admin).post(_url(org_a), {**OIDC, "oidc_issuer": "http://idp.example/"})
    assert response.status_code == 400  # the form again, with the error on the field
    assert "The issuer URL must start with https://." in response.content.decode()
    assert _provider(org_a) is None
