"""Sign-in throttling: repeated failures on the allauth sign-in and on the Django admin login are
refused with a 429, a Retry-After header and a message saying what happened and when to return."""

from __future__ import annotations

import time

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def rate_limits(settings):
    """allauth's default limits, which the test settings switch off, and an empty counter."""
    settings.ACCOUNT_RATE_LIMITS = {}
    cache.clear()
    yield
    cache.clear()


def _sign_in(client: Client, email: str, password: str):
    return client.post(LOGIN, {"login": email, "password": password})


def test_repeated_failed_sign_ins_are_refused_with_429_and_retry_after(client, rate_limits):
    user = UserFactory(email="ada@example.com")
    for _ in range(5):  # allauth's default: 5 failures per address per 5 minutes
        response = _sign_in(client, user.email, "wrong password")
        assert response.status_code == 200
        assert b"The email address and/or password you specified are not correct" in (
            response.content
        )

    # Refused before the password is even checked, so the right one does not get through either.
    refused = _sign_in(client, user.email, TEST_PASSWORD)
    assert refused.status_code == 429
    assert b"Too many failed login attempts. Try again later." in refused.content
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= 300
    assert "_auth_user_id" not in client.session


def test_after_retry_after_seconds_the_right_password_works_again(client, rate_limits, monkeypatch):
    user = UserFactory(email="ada@example.com")
    for _ in range(5):
        _sign_in(client, user.email, "wrong password")
    retry_after = int(_sign_in(client, user.email, TEST_PASSWORD)["Retry-After"])

    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + retry_after - 5)
    assert _sign_in(client, user.email, TEST_PASSWORD).status_code == 429
    monkeypatch.setattr(time, "time", lambda: now + retry_after + 1)
    response = _sign_in(client, user.email, TEST_PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_one_address_being_throttled_does_not_lock_out_another(client, rate_limits):
    target, other = UserFactory(email="ada@example.com"), UserFactory(email="bob@example.com")
    for _ in range(6):
        _sign_in(client, target.email, "wrong password")
    assert _sign_in(client, other.email, TEST_PASSWORD).status_code == 302


def test_any_other_allauth_refusal_also_says_when_to_come_back(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login": "1/m/ip"}
    cache.clear()
    user = UserFactory()
    _sign_in(client, user.email, "wrong password")
    refused = _sign_in(client, user.email, TEST_PASSWORD)
    cache.clear()
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert b"too many requests in a short time" in refused.content


# --- the Django admin login (django-axes) --------------------------------------------------------


@pytest.fixture
def staff():
    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


def _admin_login(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_admin_login_locks_after_five_failures_with_a_clear_429(client, settings, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _admin_login(client, staff.email, "wrong password")
        assert response.status_code == 200
        assert b"Please enter the correct email address and password" in response.content
    locked = _admin_login(client, staff.email, "wrong password")
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    assert b"Too many failed sign-ins to the admin site" in locked.content
    assert b"locked for 15 minutes" in locked.content

    # The right password is refused too while the lock lasts, from this address and (the
    # username is locked as well) from another one.
    assert _admin_login(client, staff.email, TEST_PASSWORD).status_code == 429
    assert _admin_login(client, staff.email, TEST_PASSWORD, ip="10.9.9.9").status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_good_admin_login_before_the_limit_succeeds_and_clears_the_count(client, staff):
    for _ in range(3):
        _admin_login(client, staff.email, "wrong password")
    response = _admin_login(client, staff.email, TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert not AccessAttempt.objects.exists()


def test_failed_allauth_sign_ins_do_not_count_towards_the_admin_lock(client, settings, staff):
    # allauth's own limits are off here (test settings), so only axes could refuse.
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        assert _sign_in(client, staff.email, "wrong password").status_code == 200
    assert not AccessAttempt.objects.exists()
    assert _admin_login(client, staff.email, TEST_PASSWORD).status_code == 302


def test_allauth_sign_in_still_works_while_the_admin_login_is_locked(client, settings, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _admin_login(client, staff.email, "wrong password")
    assert _admin_login(client, staff.email, TEST_PASSWORD).status_code == 429
    response = _sign_in(client, staff.email, TEST_PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_authenticate_without_a_request_still_works(staff):
    # Shells, scripts and the test client's login() call authenticate() without a request,
    # which django-axes' own backend refuses with an exception.
    assert Client().login(email=staff.email, password=TEST_PASSWORD)
