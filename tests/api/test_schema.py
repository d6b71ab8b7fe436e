"""The API keeps the promises of its own OpenAPI schema, and the schema itself is valid.

schemathesis generates requests for every operation from the schema and sends them in-process
through the WSGI application, authenticated as a member (and as an admin) of organisation A while
organisation B is seeded next door. Every example is sent three ways: as generated, with the ids
of A's real rows (so that the happy paths run) and with the ids of B's rows (which must read as
missing). Each response must conform to the schema, never be a 5xx, and never contain B's data.

The number of examples per operation comes from ``SCHEMATHESIS_MAX_EXAMPLES`` (CI: the default
below). A longer local run::

    SCHEMATHESIS_MAX_EXAMPLES=200 SCHEMATHESIS_COVERAGE=1 make test PYTEST_ARGS="tests/api/test_schema.py"
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient

from tests.api.conftest import Furnished

# 4 per operation and role, each sent three ways: about 1,400 requests, within CI's 20 minutes now
# that #15 added the identity endpoints (6 took a minute more).
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "4"))

# Path and body fields that carry ids, and which of the seeded rows each one names.
ID_FIELDS = {
    "person_id": "person_id",
    "skill_id": "skill_id",
    "team_id": "team_id",
    "role_id": "role_id",
    "job_id": "job_id",
    "certification_id": "certification_id",
    "campaign_id": "campaign_id",
    "notification_id": "notification_id",
    "domain_id": "domain_id",
    "scim_token_id": "scim_token_id",
    "person": "person_id",
    "manager": "person_id",
    "skill": "skill_id",
    "team": "team_id",
    "parent": "team_id",
    "role": "role_id",
}
ID_LIST_FIELDS = {"teams": "team_id", "managers": "person_id"}


def _schema() -> dict[str, Any]:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    # Through JSON, as a client reads it (decimal bounds such as a weight's minimum become numbers).
    return json.loads(json.dumps(generated, cls=_NumbersEncoder))


class _NumbersEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        return float(o) if isinstance(o, Decimal) else super().default(o)


schema = schemathesis.openapi.from_dict(_schema())
schema.app = get_wsgi_application()
# The coverage phase adds every boundary value of every parameter as explicit examples (about a
# hundred per operation): thorough, and minutes long. CI fuzzes; a local run can add it.
schema.config.phases.coverage.enabled = os.environ.get("SCHEMATHESIS_COVERAGE") == "1"


def test_the_schema_is_valid_openapi_without_warnings(tmp_path):
    # The same command a developer runs; warnings (an undescribed field, say) fail it too.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert (tmp_path / "s.yml").read_text().startswith("openapi: 3")


def test_every_endpoint_is_described_with_a_request_and_a_response():
    operations = [
        (path, method, operation)
        for path, methods in _schema()["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) >= 35
    for path, method, operation in operations:
        assert operation.get("operationId"), (method, path)
        success = [code for code in operation["responses"] if code.startswith("2")]
        assert success, f"{method} {path} documents no success response"
        for code in ("401", "404"):
            assert code in operation["responses"], f"{method} {path} lacks {code}"
        if method in ("post", "put", "patch"):
            assert "requestBody" in operation, f"{method} {path} has no described body"


def _with_ids(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in ID_FIELDS and isinstance(item, int):
                out[key] = ids[ID_FIELDS[key]]
            elif key in ID_LIST_FIELDS and isinstance(item, list):
                out[key] = [ids[ID_LIST_FIELDS[key]]] if item else item
            else:
                out[key] = _with_ids(item, ids)
        return out
    return value


def _leaks(response: Any, other: Furnished) -> list[str]:
    body = response.content.decode("utf-8", "replace")
    markers = [
        "BRAVO",
        other.world.organisation.name,
        *(p.email for p in other.world.people.values()),
    ]
    return [m for m in markers if m in body]


@pytest.fixture
def seeded(alpha: Furnished, beta: Furnished, token_for, settings) -> Iterator[dict[str, Any]]:
    tokens = {role: token_for(alpha.world.user(role)) for role in ("member", "admin")}
    # schemathesis sends invalid tokens on purpose, many times; the refusal after 20 of them is
    # tested in test_tokens.py, and would only hide the other answers here.
    settings.API_TOKEN_FAILURES_ALLOWED = 10**9
    # Requests go through the bare WSGI app, not Django's test client, so Django would close the
    # test's database connection (open transaction and all) after each one; the test client
    # disconnects these handlers for the same reason.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield {"alpha": alpha, "beta": beta, "tokens": tokens}
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _takes_nothing(case: Any) -> bool:
    operation = case.operation.definition.raw
    body = operation.get("requestBody", {})
    body_schema = body.get("content", {}).get("application/json", {}).get("schema", {})
    parameters = [p for p in operation.get("parameters", []) if p.get("name") != "org_slug"]
    return (
        not parameters
        and not body.get("required", False)
        and not body_schema.get("properties")
        and body_schema.get("additionalProperties") is False
    )


@pytest.mark.parametrize("role", ["member", "admin"])
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema_and_leaks_nothing(case, role, seeded):
    alpha, beta = seeded["alpha"], seeded["beta"]
    headers = {"Authorization": f"Bearer {seeded['tokens'][role]}"}
    original_path = dict(case.path_parameters or {})
    original_body = case.body
    variants = [
        ("generated", None),
        ("alpha ids", alpha.ids),
        ("beta ids", beta.ids),
    ]
    for label, ids in variants:
        case.path_parameters = dict(original_path)
        if "org_slug" in case.path_parameters:
            case.path_parameters["org_slug"] = alpha.slug
        case.body = original_body
        if ids is not None:
            case.path_parameters = {
                k: (ids[ID_FIELDS[k]] if k in ID_FIELDS else v)
                for k, v in case.path_parameters.items()
            }
            case.body = _with_ids(original_body, ids)
        response = case.call(headers=headers)
        where = (label, case.method, case.formatted_path, case.path_parameters, case.body)
        assert response.status_code < 500, (where, response.text[:2000])
        # Substituting ids can turn a deliberately invalid example into a valid one (or back), so
        # the "was invalid data rejected" check applies to the example as generated only.
        excluded = EXCLUDED_CHECKS if ids is None else [*EXCLUDED_CHECKS, NEGATIVE_DATA_REJECTION]
        if _takes_nothing(case):
            # An action with no parameters and an optional empty body ("mark all as read"): the
            # only "invalid" example left to generate is a request without the body, which is
            # valid, so there is no invalid data to reject. A field sent is refused (test_access).
            excluded = [*excluded, NEGATIVE_DATA_REJECTION]
        case.validate_response(response, headers=headers, excluded_checks=excluded)
        assert not _leaks(response, beta), (where, _leaks(response, beta))
        if label == "beta ids" and any(k in ID_FIELDS for k in original_path):
            # B's row named in the path of an organisation-A URL: missing, like any unknown id.
            assert response.status_code in (400, 401, 403, 404, 405, 429), (where, response.text)


# A request that is valid by the schema may still be refused by the domain (a rating of someone
# else, a duplicate name, an id that does not exist): 400 with a message is the right answer there,
# not the 2xx these checks expect. Everything else schemathesis checks stays on.
EXCLUDED_CHECKS = [schemathesis.checks.positive_data_acceptance]
NEGATIVE_DATA_REJECTION = schemathesis.checks.negative_data_rejection


def test_unauthenticated_calls_get_401_on_every_endpoint(alpha: Furnished):
    client = APIClient()
    for path, methods in _schema()["paths"].items():
        url = path.replace("{org_slug}", alpha.slug)
        for key, ref in ID_FIELDS.items():
            url = url.replace("{" + key + "}", str(alpha.ids[ref]))
        for method in methods:
            response = getattr(client, method)(url, {}, format="json")
            assert response.status_code == 401, (method, url, response.status_code)
            assert response["WWW-Authenticate"].startswith("Bearer")
            assert response.json()["code"] == "not_authenticated"
