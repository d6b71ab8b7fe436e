"""A SCIM client per organisation: a token made through the service, and the Django test client
sending ``application/scim+json`` with it, as Entra ID and Okta do."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from scim.services import scim_token_create
from skillsmap.core.tenancy import organisation_context
from tests.conftest import World

SCIM_JSON = "application/scim+json"


@dataclass
class Scim:
    world: World
    secret: str
    client: Client

    @property
    def base(self) -> str:
        return f"/scim/v2/{self.world.organisation.slug}"

    def request(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.secret}", **extra}
        url = path if path.startswith("/scim/") else f"{self.base}/{path.lstrip('/')}"
        if method.upper() == "GET":
            return self.client.get(url, **headers)
        data = json.dumps(body) if body is not None else ""
        return getattr(self.client, method.lower())(
            url, data=data, content_type=SCIM_JSON, **headers
        )

    def get(self, path: str, **extra: Any) -> Any:
        return self.request("GET", path, **extra)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def create_user(self, email: str, **attrs: Any) -> dict[str, Any]:
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": email}
        response = self.post("Users", {**body, **attrs})
        assert response.status_code == 201, response.content
        return response.json()


def make_scim(world: World, name: str = "Entra ID") -> Scim:
    with organisation_context(world.organisation):
        _token, secret = scim_token_create(
            organisation=world.organisation, name=name, by=world.admin
        )
    return Scim(world, secret, Client())


@pytest.fixture
def scim_a(org_a: World) -> Scim:
    return make_scim(org_a)


@pytest.fixture
def scim_b(org_b: World) -> Scim:
    return make_scim(org_b)


PAYLOADS = Path(__file__).parent / "payloads"


def payload(vendor: str, name: str, **ids: object) -> Any:
    """A request body as ``vendor`` sends it (tests/scim/payloads/), with ``{user_id}``-style
    placeholders filled in."""
    raw = json.loads((PAYLOADS / f"{vendor}.json").read_text())[name]
    text = json.dumps(raw)
    for key, value in ids.items():
        text = text.replace("{" + key + "}", str(value))
    return json.loads(text)
