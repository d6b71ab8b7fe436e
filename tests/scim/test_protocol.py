"""The protocol around the resources: bearer tokens, discovery documents, error bodies, filters
and pagination."""

from __future__ import annotations

import pytest
from django.test import Client

from scim.models import ScimToken
from scim.services import scim_token_revoke
from skillsmap.core.tenancy import organisation_context
from tests.scim.conftest import Scim

pytestmark = pytest.mark.django_db

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def _assert_401(response) -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == "application/scim+json"
    assert response.json() == {
        "schemas": [ERROR],
        "status": "401",
        "detail": "A valid SCIM token of this organisation is required: Authorization: Bearer <token>.",
    }


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic dXNlcjpwYXNz", "Bearer scim_x_y"])
def test_without_a_valid_token_every_endpoint_is_a_401(scim_a: Scim, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    for path in ("Users", "Groups", "ServiceProviderConfig", "Schemas"):
        _assert_401(Client().get(f"{scim_a.base}/{path}", **extra))


def test_a_token_of_another_organisation_and_an_unknown_slug_read_the_same(
    scim_a: Scim, scim_b: Scim
):
    # B's token on A's URL, and A's token on a slug that does not exist: the same 401, so the
    # answer never tells whether an organisation exists.
    crossed = Client().get(f"{scim_a.base}/Users", HTTP_AUTHORIZATION=f"Bearer {scim_b.secret}")
    unknown = Client().get(
        "/scim/v2/no-such-org/Users", HTTP_AUTHORIZATION=f"Bearer {scim_a.secret}"
    )

    _assert_401(crossed)
    _assert_401(unknown)


def test_a_revoked_token_gets_401_from_its_next_request(scim_a: Scim):
    assert scim_a.get("Users").status_code == 200
    world = scim_a.world
    with organisation_context(world.organisation):
        token = ScimToken.objects.get()
        scim_token_revoke(token=token, by=world.admin)

    _assert_401(scim_a.get("Users"))


def test_no_session_and_no_csrf_token_needed_and_a_session_alone_is_not_enough(scim_a: Scim, login):
    browser = login(scim_a.world.admin)
    browser.handler.enforce_csrf_checks = True
    # The admin's session cookie authenticates nothing here.
    _assert_401(
        browser.post(f"{scim_a.base}/Users", data="{}", content_type="application/scim+json")
    )
    # A token does, without a CSRF token.
    response = browser.post(
        f"{scim_a.base}/Users",
        data='{"userName": "csrf@alpha.example"}',
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {scim_a.secret}",
    )
    assert response.status_code == 201


def test_service_provider_config_declares_what_is_and_is_not_supported(scim_a: Scim):
    response = scim_a.get("ServiceProviderConfig")

    assert response["Content-Type"] == "application/scim+json"
    config = response.json()
    assert config["patch"] == {"supported": True}
    assert config["filter"]["supported"] is True
    for feature in ("bulk", "sort", "etag", "changePassword"):
        assert config[feature]["supported"] is False
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_resource_types_and_schemas_describe_users_with_the_enterprise_extension_and_groups(
    scim_a: Scim,
):
    types = scim_a.get("ResourceTypes").json()
    assert {r["id"]: r["endpoint"] for r in types["Resources"]} == {
        "User": "/Users",
        "Group": "/Groups",
    }
    user_type = scim_a.get("ResourceTypes/User").json()
    assert user_type["schemaExtensions"] == [
        {"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": False}
    ]

    schemas = {s["id"]: s for s in scim_a.get("Schemas").json()["Resources"]}
    user = schemas["urn:ietf:params:scim:schemas:core:2.0:User"]
    attributes = {a["name"]: a for a in user["attributes"]}
    assert set(attributes) == {"userName", "name", "displayName", "title", "emails", "active"}
    assert attributes["userName"]["mutability"] == "immutable"
    enterprise = schemas["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]
    assert {a["name"] for a in enterprise["attributes"]} == {"department", "manager"}
    one = scim_a.get("Schemas/urn:ietf:params:scim:schemas:core:2.0:Group").json()
    assert {a["name"] for a in one["attributes"]} == {"displayName", "members"}
    assert scim_a.get("Schemas/urn:nope").status_code == 404
    assert scim_a.get("ResourceTypes/Nope").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        'userName eq "ann@alpha.example"',
        'USERNAME eq "ANN@alpha.example"',
        'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ann@alpha.example"',
        'externalId eq "ext-1"',
        'displayName eq "Ann Lee"',
        'displayname EQ "Ann Lee"',
    ],
)
def test_filters_as_clients_send_them(scim_a: Scim, query):
    ann = scim_a.create_user("ann@alpha.example", externalId="ext-1", displayName="Ann Lee")
    scim_a.create_user("bob@alpha.example", externalId="ext-2", displayName="Bob")

    body = scim_a.get(f"Users?filter={query}").json()

    assert [r["id"] for r in body["Resources"]] == [ann["id"]]


@pytest.mark.parametrize(
    "query",
    ['userName co "ann"', 'title eq "x"', 'userName eq "a" or userName eq "b"', "userName pr", "("],
)
def test_any_other_filter_is_a_400_invalid_filter(scim_a: Scim, query):
    response = scim_a.get(f"Users?filter={query}")

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"


def test_pagination_with_start_index_and_count(scim_a: Scim):
    ids = [scim_a.create_user(f"p{n}@alpha.example")["id"] for n in range(5)]

    page = scim_a.get("Users?startIndex=2&count=2").json()

    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [r["id"] for r in page["Resources"]] == ids[1:3]
    assert scim_a.get("Users?startIndex=5&count=10").json()["itemsPerPage"] == 1
    assert scim_a.get("Users?count=0").json() | {"Resources": None} == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 5,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": None,
    }
    assert scim_a.get("Users?count=many").status_code == 400


def test_an_unknown_endpoint_and_an_unsupported_method_answer_scim_errors(scim_a: Scim):
    missing = scim_a.get("Nope")
    assert missing.status_code == 404 and missing.json()["schemas"] == [ERROR]
    wrong = scim_a.delete("ServiceProviderConfig")
    assert wrong.status_code == 405 and wrong.json()["schemas"] == [ERROR]
    body = scim_a.request("POST", "Users", None)
    assert body.status_code == 400
    not_json = scim_a.client.post(
        f"{scim_a.base}/Users",
        data="{",
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {scim_a.secret}",
    )
    assert not_json.status_code == 400 and not_json.json()["scimType"] == "invalidSyntax"
