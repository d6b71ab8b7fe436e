"""Item 13 of #13, server side: allauth's pages are the product's pages, and a failed full-page
submit renders one error summary above the fields, linking each error to its field (the browser
half, focus and axe, is tests/e2e/test_signin_pages.py)."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"],
)
def test_entrance_pages_use_the_products_layout_and_card(client, path):
    page = client.get(path).content.decode()
    assert 'class="brand"' in page and "css/app.css" in page
    assert '<main id="main" class="auth-page auth-entrance">' in page
    assert "js/accounts.js" in page


@pytest.mark.parametrize(
    "path", ["/accounts/email/", "/accounts/password/change/", "/accounts/2fa/"]
)
def test_account_management_pages_use_the_products_layout(client, path):
    client.force_login(UserFactory())
    page = client.get(path).content.decode()
    assert 'class="brand"' in page and '<main id="main" class="auth-page auth-manage">' in page


def test_a_failed_sign_in_summarises_the_error_above_the_fields(client):
    user = UserFactory(email="ana@example.com")
    page = client.post(
        "/accounts/login/", {"login": user.email, "password": "not-the-password"}
    ).content.decode()
    summary = page.index("data-error-summary")
    assert 'role="alert" tabindex="-1" data-error-summary' in page
    assert summary < page.index('name="login"') < page.index('name="password"')
    assert "not correct" in page[summary : page.index('name="login"')]


def test_a_failed_sign_up_links_each_error_to_its_field(client):
    page = client.post(
        "/accounts/signup/",
        {"email": "bo@example.com", "password1": "violet-harbour-42", "password2": "other-42x"},
    ).content.decode()
    assert '<a href="#id_password2">Password (again): You must type the same password' in page
    assert 'id="id_password2"' in page and 'aria-invalid="true"' in page


def test_the_products_own_forms_get_the_same_summary(org_a, login):
    page = (
        login(org_a.admin)
        .post("/o/alpha/members/invite/", {"email": "not-an-address", "role": "member"})
        .content.decode()
    )
    assert page.count("data-error-summary") == 1
    assert '<a href="#id_email">Email address: Enter a valid email address.</a>' in page


def test_a_valid_page_has_no_summary(org_a, login):
    page = login(org_a.admin).get("/o/alpha/members/").content.decode()
    assert "data-error-summary" not in page
