"""The newcomer's path through django-allauth: sign up, verify the email, sign in with a second
factor, and recover a password."""

import re

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail

from accounts.models import User
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _link(body: str) -> str:
    return re.search(r"http://testserver(/\S+)", body).group(1)


def test_sign_up_verify_email_then_create_an_organisation(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "Grace@Example.com",
            "name": "Grace Hopper",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email__iexact="grace@example.com")
    assert user.name == "Grace Hopper"
    # Unverified: organisation pages are not reachable yet.
    assert client.get("/orgs/").status_code == 302

    confirm = _link(mail.outbox[-1].body)
    assert client.post(confirm).status_code == 302
    response = client.post("/orgs/new/", {"name": "Hopper & Co"})
    assert response.status_code == 302 and response["Location"] == "/o/hopper-co/"


def test_login_is_by_email_and_wrong_passwords_are_refused(client):
    UserFactory(email="ada@example.com")
    bad = client.post("/accounts/login/", {"login": "ada@example.com", "password": "nope"})
    assert bad.status_code == 200
    assert b"not correct" in bad.content
    good = client.post("/accounts/login/", {"login": "ada@example.com", "password": TEST_PASSWORD})
    assert good.status_code == 302


def test_a_user_with_totp_needs_the_code_to_sign_in(client):
    user = UserFactory(email="totp@example.com")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    response = client.post("/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/orgs/").status_code == 302  # not signed in yet
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    assert client.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    assert client.get("/orgs/").status_code == 200


def test_activating_totp_asks_for_the_password_again_then_shows_the_secret(client):
    client.force_login(UserFactory())
    assert client.get("/accounts/2fa/").status_code == 200
    first = client.get("/accounts/2fa/totp/activate/")
    assert first["Location"].startswith("/accounts/reauthenticate/")
    client.post(first["Location"], {"password": TEST_PASSWORD})
    activate = client.get("/accounts/2fa/totp/activate/")
    assert activate.status_code == 200
    assert b"otpauth://" in activate.content or b"secret" in activate.content.lower()


def test_password_reset_by_email(client):
    user = UserFactory(email="forgetful@example.com")
    client.post("/accounts/password/reset/", {"email": "forgetful@example.com"})
    link = _link(mail.outbox[-1].body)
    form_url = client.get(link)["Location"]
    client.post(
        form_url, {"password1": "a brand new passphrase", "password2": "a brand new passphrase"}
    )
    user.refresh_from_db()
    assert user.check_password("a brand new passphrase")


def test_a_signed_in_user_adds_an_email_address(client):
    user = UserFactory(email="first@example.com")
    client.force_login(user)
    client.post("/accounts/email/", {"action_add": "", "email": "second@example.com"})
    assert mail.outbox and "second@example.com" in mail.outbox[-1].to
