"""Item 15 of #13: the audit log page reads as sentences, filters by who, what and when, pages,
and exports the filtered list as CSV."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import AuditEvent
from skillsmap.core.tenancy import organisation_context

pytestmark = pytest.mark.django_db


def _change_role(client, world, role_name, to):
    membership = world.memberships[role_name]
    client.post(f"/o/{world.organisation.slug}/members/{membership.pk}/role/", {"role": to})


def test_a_role_change_reads_as_a_sentence_not_a_code(org_a, login):
    client = login(org_a.admin)
    _change_role(client, org_a, "member", "manager")
    page = client.get("/o/alpha/audit/").content.decode()
    assert f"{org_a.admin} changed {org_a.member}&#x27;s role from Member to Manager" in page
    table = page[page.index("<table") :]
    assert "membership.role_changed" not in table and "{&#x27;role&#x27;" not in table


def test_the_log_filters_by_who_what_and_when(org_a, login):
    client = login(org_a.admin)
    _change_role(client, org_a, "member", "manager")
    with organisation_context(org_a.organisation):
        audit_record(
            organisation=org_a.organisation,
            actor=org_a.hr,
            verb="skill.archived",
            target=org_a.organisation,
        )
        old = AuditEvent.objects.get(verb="membership.role_changed")
        old.at = timezone.now() - timedelta(days=40)
        old.save(update_fields=["at"])
    role_sentence = "role from Member to Manager"

    by_hr = client.get("/o/alpha/audit/", {"actor": org_a.hr.pk}).content.decode()
    assert "archived the skill" in by_hr and role_sentence not in by_hr

    by_kind = client.get("/o/alpha/audit/", {"verb": "membership.role_changed"}).content.decode()
    assert role_sentence in by_kind and "archived the skill" not in by_kind

    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    recent = client.get("/o/alpha/audit/", {"since": since}).content.decode()
    assert "archived the skill" in recent and role_sentence not in recent

    until = (timezone.localdate() - timedelta(days=30)).isoformat()
    older = client.get("/o/alpha/audit/", {"until": until}).content.decode()
    assert role_sentence in older and "archived the skill" not in older


def test_the_what_filter_offers_the_kinds_recorded_here_by_name(org_a, login):
    client = login(org_a.admin)
    _change_role(client, org_a, "member", "manager")
    page = client.get("/o/alpha/audit/").content.decode()
    assert '<option value="membership.role_changed">Role changed</option>' in page
    assert 'value="invitation.revoked"' not in page


def test_the_log_is_paginated(org_a, login):
    with organisation_context(org_a.organisation):
        for _ in range(55):
            audit_record(
                organisation=org_a.organisation,
                actor=org_a.admin,
                verb="skill.archived",
                target=org_a.organisation,
            )
    client = login(org_a.hr)
    first = client.get("/o/alpha/audit/", {"verb": "skill.archived"})
    assert first.content.decode().count("archived the skill") == 50
    assert "verb=skill.archived&amp;page=2" in first.content.decode()
    second = client.get("/o/alpha/audit/", {"verb": "skill.archived", "page": 2})
    assert second.content.decode().count("archived the skill") == 5


def test_the_csv_export_has_a_header_and_the_filtered_rows_with_formulas_neutralised(org_a, login):
    org_a.member.name = '=HYPERLINK("http://evil")'
    org_a.member.save(update_fields=["name"])
    client = login(org_a.admin)
    _change_role(client, org_a, "member", "manager")
    _change_role(client, org_a, "hr", "manager")
    response = client.get(
        "/o/alpha/audit/export.csv",
        {"verb": "membership.role_changed", "actor": org_a.admin.pk},
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["When (UTC)", "Who", "Email", "What", "Event code", "Target", "Sentence"]
    assert len(rows) == 3
    assert {r[3] for r in rows[1:]} == {"Role changed"}
    targets = [r[5] for r in rows[1:]]
    assert any(t.startswith("'=HYPERLINK") for t in targets)
    assert all(not cell.startswith("=") for row in rows for cell in row)


@pytest.mark.parametrize(("role", "status"), [("member", 403), ("manager", 403), ("hr", 200)])
def test_the_csv_export_is_for_hr_and_admin(role, status, org_a, login):
    assert login(org_a.user(role)).get("/o/alpha/audit/export.csv").status_code == status


def test_an_outsider_gets_404_on_the_export(org_a, outsider, login):
    assert login(outsider).get("/o/alpha/audit/export.csv").status_code == 404


def test_the_export_holds_only_its_own_organisations_events(org_a, org_b, login):
    _change_role(login(org_b.admin), org_b, "member", "hr")
    content = login(org_a.admin).get("/o/alpha/audit/export.csv").content.decode()
    assert str(org_b.member) not in content


def test_a_bad_date_is_shown_on_the_form_and_the_log_still_renders(org_a, login):
    response = login(org_a.admin).get("/o/alpha/audit/", {"since": "2026-02-30"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()


def test_the_who_filter_names_people_with_their_email(org_a, login):
    client = login(org_a.admin)
    _change_role(client, org_a, "member", "manager")
    page = client.get("/o/alpha/audit/").content.decode()
    assert f'<option value="{org_a.admin.pk}">{org_a.admin.name} ({org_a.admin.email})' in page


def _events(world, n):
    with organisation_context(world.organisation):
        for _ in range(n):
            audit_record(
                organisation=world.organisation,
                actor=world.admin,
                verb="membership.role_changed",
                target=world.memberships["member"],
                before={"role": "member"},
                after={"role": "manager"},
            )


def test_the_log_page_does_not_query_per_event(org_a, login, django_assert_num_queries):
    client = login(org_a.admin)
    _events(org_a, 3)
    with CaptureQueriesContext(connection) as few:
        client.get("/o/alpha/audit/")
    _events(org_a, 30)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get("/o/alpha/audit/")
