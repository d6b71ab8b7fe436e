"""scim2-tester, the python-scim project's conformance checker, against our endpoints.

It runs every check it has (discovery, CRUD, PATCH add/replace/remove of each attribute we
publish, attribute projection) through scim2-client's WSGI engine: real HTTP requests through
Django's own WSGI handler and middleware, in this process, so the test database is the one the
checks write to. Checks for what ServiceProviderConfig declares unsupported (bulk, sort, ETags,
password changes, the root ``/.search``) are skipped by the tester itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import scim2_tester.filling
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server

from tests.scim.conftest import Scim


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    # Django's test client does the same: closing "old" connections at the end of a request
    # would close the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def email_user_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tester fills ``userName`` with a random string; ours must be an email address (it is
    the sign-in address), so the generator makes it a random address instead."""
    original = scim2_tester.filling.generate_random_value

    def generate(context: Any, path: Any, *args: Any, **kwargs: Any) -> Any:
        value = original(context, path, *args, **kwargs)
        if value is not None and str(path).lower().endswith("username"):
            return f"{uuid.uuid4().hex}@example.com"
        return value

    monkeypatch.setattr(scim2_tester.filling, "generate_random_value", generate)


def test_scim2_tester_passes_every_check(
    scim_a: Scim, wsgi_app: WSGIHandler, email_user_names: None
) -> None:
    client = WSGISCIMClient(
        wsgi_app,
        base_url=f"http://testserver{scim_a.base}",
        headers={"Authorization": f"Bearer {scim_a.secret}"},
    )
    results = check_server(client, raise_exceptions=False)
    ran = [r for r in results if r.status != Status.SKIPPED]
    failed = [
        f"{r.resource_type or ''} {r.title}: {r.reason}"
        for r in results
        if r.status not in (Status.SUCCESS, Status.SKIPPED)
    ]
    assert failed == [], "\n".join(failed)
    # The run covers discovery, both resource types and the PATCH checks, not just a handful.
    assert len(ran) > 40
    assert {r.resource_type for r in ran} >= {"User", "Group"}
