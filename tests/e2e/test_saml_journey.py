"""SAML sign-in in a browser (#15): from the product's email-first sign-in page, through the
tests' real SAML identity provider (pysaml2 as its own process, signing through xmlsec1), back
through allauth's ACS, into the organisation as a member created just in time.

The organisation, its verified domain and its stored IdP metadata are set up in the server's
database directly (``manage.py shell``): the settings pages and DNS verification have their own
tests; the journey is the sign-in."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.helpers import new_page, settled, snap
from tests.e2e.stack import Stack
from tests.sso.idp.support import (
    EMAIL_OID,
    NAME_OID,
    TITLE_OID,
    RunningIdp,
    key_pair_generate,
    xmlsec1_available,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

SLUG = "saml-journey"
DOMAIN = "saml-journey.example"

SETUP = """
from django.utils import timezone
from accounts.models import Organisation
from domains.models import Domain
from skillsmap.core.tenancy import organisation_context
from sso.models import IdentityProvider, Protocol

organisation = Organisation.objects.create(name="SAML Journey Ltd", slug={slug!r})
with organisation_context(organisation):
    Domain.objects.create(organisation=organisation, name={domain!r}, verified_at=timezone.now())
    IdentityProvider.objects.create(
        organisation=organisation,
        protocol=Protocol.SAML,
        is_enabled=True,
        saml_metadata_xml=open({metadata!r}).read(),
        attribute_email={email!r},
        attribute_name={name!r},
        attribute_title={title!r},
    )
"""


@pytest.fixture(scope="module")
def idp(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIdp]:
    if not xmlsec1_available():
        reason = "the SAML identity provider needs xmlsec1 (apt-get install xmlsec1)"
        if os.environ.get("REQUIRE_BROWSER") == "1" or os.environ.get("REQUIRE_SAML_IDP") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    directory = tmp_path_factory.mktemp("saml-journey")
    running = RunningIdp(key_pair_generate(), directory)
    try:
        metadata = Path(directory / "idp-metadata.xml")
        metadata.write_text(running.metadata())
        code = SETUP.format(
            slug=SLUG,
            domain=DOMAIN,
            metadata=str(metadata),
            email=EMAIL_OID,
            name=NAME_OID,
            title=TITLE_OID,
        )
        stack._manage("shell", "-c", code)
        import urllib.request

        url = f"{stack.base_url}/accounts/saml/{SLUG}/metadata/"
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  our own server
            running.register_sp(response.read().decode())
        yield running
    finally:
        running.close()


def test_sign_in_through_the_organisations_saml_idp_creates_the_member(
    browser: Browser, stack: Stack, idp: RunningIdp
) -> None:
    page = new_page(browser, stack)
    # A refused navigation (a CSP form-action, say) shows only in the console: keep it for the report.
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    email = f"new.hire@{DOMAIN}"
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name=re.compile("continue|next|sign in", re.I)).first.click()

    # The identity provider's own sign-in page, on its own origin.
    try:
        page.wait_for_url(re.compile(re.escape(idp.base) + "/sso/redirect"))
    except Exception as exc:
        raise AssertionError(f"not sent to the IdP; browser console: {console}") from exc
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name").fill("Nia Hire")
    page.get_by_label("Title").fill("Data Engineer")
    page.get_by_role("button", name="Sign in to the IdP").click()

    # Its answer is POSTed to our ACS, which signs the new member in to their organisation.
    page.wait_for_url(re.compile(rf"/o/{SLUG}/"))
    settled(page)
    snap(page, "saml-journey-signed-in")
    assert "SAML Journey Ltd" in page.content()
