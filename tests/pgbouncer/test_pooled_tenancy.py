"""Through PgBouncer in transaction-pooling mode, a server connection serves one client's
transaction and then another's. The organisation a request acts in is a transaction-local
setting (``SET LOCAL``), so it must never outlive the request into the next client's."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from skillsmap.core.tenancy import ORGANISATION_SETTING
from tests.conftest import World

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _people_page(world: World) -> str:
    client = Client()
    client.force_login(world.hr)
    url = reverse("teams:person_list", kwargs={"org_slug": world.organisation.slug})
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _between_requests() -> tuple[int, str | None, int]:
    """What a client sees on its server connection outside any request: the backend, the tenant
    setting and how many people rows row-level security lets through."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_backend_pid(), current_setting(%s, true), "
            "(SELECT count(*) FROM teams_person)",
            [ORGANISATION_SETTING],
        )
        pid, setting, people = cursor.fetchone()
    return int(pid), setting, int(people)


def test_two_organisations_interleaved_on_one_server_connection_never_see_each_other(
    org_a, org_b, pgbouncer, pooled_client
) -> None:
    bouncer = pgbouncer(1)  # one server connection: both clients' transactions run on it in turn
    clients = {"a": pooled_client(bouncer), "b": pooled_client(bouncer)}
    worlds = {"a": (org_a, org_b), "b": (org_b, org_a)}
    backends = set()
    for _ in range(3):
        for name, client in clients.items():
            own, other = worlds[name]
            page = client.run(_people_page, own)
            own_names = {person.name for person in own.people.values()}
            assert all(name in page for name in own_names)
            assert not any(
                person.name in page
                for person in other.people.values()
                if person.name not in own_names
            )

            pid, setting, people = client.run(_between_requests)
            backends.add(pid)
            assert setting in ("", None), "the organisation outlived the request's transaction"
            assert people == 0
    assert len(backends) == 1, "the clients did not share one server connection"
    servers = bouncer.admin("SHOW SERVERS")
    assert len(servers) == 1
