"""API tokens may expire: the page offers 30, 90 or 365 days or never, the token stores when, and
an expired token is refused with the same 401 as a token that does not exist."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import API_TOKEN_MAX_PER_USER, api_token_create

pytestmark = pytest.mark.django_db


def _bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _expire(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.parametrize(("choice", "days"), [("30", 30), ("90", 90), ("365", 365)])
def test_a_token_made_on_the_page_expires_after_the_days_chosen(org_a, login, choice, days):
    response = login(org_a.member).post(
        "/settings/tokens/", {"name": "HR sync", "expires_in": choice}
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=org_a.member)
    assert token.expires_at - token.created_at == timedelta(days=days)
    assert "It expires on" in response.content.decode()


def test_a_token_made_with_never_does_not_expire(org_a, login):
    response = login(org_a.member).post("/settings/tokens/", {"name": "CI", "expires_in": ""})
    assert response.status_code == 200
    assert ApiToken.objects.get(user=org_a.member).expires_at is None
    assert "It does not expire" in response.content.decode()


def test_the_page_offers_the_expiry_with_90_days_chosen_by_default(org_a, login):
    html = login(org_a.member).get("/settings/tokens/").content.decode()
    select = re.search(r'<select name="expires_in".*?</select>', html, re.S)
    assert select, "the expiry is offered"
    options = dict(re.findall(r'<option value="(\d*)"( selected)?', select.group()))
    assert options == {"30": "", "90": " selected", "365": "", "": ""}


def test_a_token_works_until_it_expires_then_gets_the_same_401_as_an_unknown_one(org_a):
    token, secret = api_token_create(user=org_a.member, name="sync", lifetime=timedelta(days=30))
    api = _bearer(secret)
    assert api.get("/api/v1/me/").status_code == 200

    _expire(token)
    expired = api.get("/api/v1/me/")
    unknown = _bearer(secret[:-4] + "abcd").get("/api/v1/me/")
    assert expired.status_code == unknown.status_code == 401
    assert expired.json() == unknown.json()
    assert expired["WWW-Authenticate"] == unknown["WWW-Authenticate"]


def test_the_list_shows_when_each_token_expires(org_a, login):
    api_token_create(user=org_a.member, name="lasting")
    soon, _ = api_token_create(user=org_a.member, name="soon", lifetime=timedelta(days=30))
    gone, _ = api_token_create(user=org_a.member, name="gone", lifetime=timedelta(days=30))
    _expire(gone)
    html = login(org_a.member).get("/settings/tokens/").content.decode()
    rows = {
        name: row
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)
        for name in ("lasting", "soon", "gone")
        if f"<td>{name}</td>" in row
    }
    assert "<td>Never</td>" in rows["lasting"]
    assert soon.expires_at.strftime("%-d %b %Y") in rows["soon"] and "Revoke" in rows["soon"]
    assert "Expired" in rows["gone"] and "Revoke" not in rows["gone"]


def test_expired_tokens_do_not_count_towards_the_limit(org_a):
    for n in range(API_TOKEN_MAX_PER_USER):
        token, _ = api_token_create(user=org_a.member, name=f"t{n}", lifetime=timedelta(days=1))
        _expire(token)
    _token, secret = api_token_create(user=org_a.member, name="fresh")
    assert _bearer(secret).get("/api/v1/me/").status_code == 200
