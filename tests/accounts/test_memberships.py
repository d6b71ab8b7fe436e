import pytest
from django.test import Client

from accounts.models import AuditEvent, Membership
from skillsmap.core.tenancy import organisation_context

pytestmark = pytest.mark.django_db


def _membership(world, role):
    with organisation_context(world.organisation):
        return Membership.objects.get(pk=world.memberships[role].pk)


def test_admin_changes_a_role_and_it_is_audited(org_a, login):
    target = org_a.memberships["member"]
    response = login(org_a.admin).post(f"/o/alpha/members/{target.pk}/role/", {"role": "manager"})
    assert response.status_code == 302
    assert _membership(org_a, "member").role == "manager"
    with organisation_context(org_a.organisation):
        event = AuditEvent.objects.get(verb="membership.role_changed")
    assert (event.actor, event.before, event.after) == (
        org_a.admin,
        {"role": "member"},
        {"role": "manager"},
    )


@pytest.mark.parametrize("role", ["member", "manager", "hr"])
def test_only_admins_change_roles(role, org_a, login):
    target = org_a.memberships["member"]
    response = login(org_a.user(role)).post(
        f"/o/alpha/members/{target.pk}/role/", {"role": "admin"}
    )
    assert response.status_code == 403
    assert _membership(org_a, "member").role == "member"


def test_an_unknown_role_changes_nothing(org_a, login):
    target = org_a.memberships["member"]
    login(org_a.admin).post(f"/o/alpha/members/{target.pk}/role/", {"role": "owner"})
    assert _membership(org_a, "member").role == "member"


def test_the_last_admin_cannot_be_demoted_or_deactivated(org_a, login):
    client = login(org_a.admin)
    own = org_a.memberships["admin"]
    response = client.post(f"/o/alpha/members/{own.pk}/role/", {"role": "member"}, follow=True)
    assert b"at least one active admin" in response.content
    client.post(f"/o/alpha/members/{own.pk}/active/", {"is_active": "false"})
    membership = _membership(org_a, "admin")
    assert (membership.role, membership.is_active) == ("admin", True)


def test_deactivated_member_loses_access_and_can_be_reactivated(org_a, login, client):
    target = org_a.memberships["member"]
    login(org_a.admin).post(f"/o/alpha/members/{target.pk}/active/", {"is_active": "false"})
    client.force_login(org_a.member)
    assert client.get("/o/alpha/").status_code == 404
    client.force_login(org_a.admin)
    client.post(f"/o/alpha/members/{target.pk}/active/", {"is_active": "true"})
    client.force_login(org_a.member)
    assert client.get("/o/alpha/").status_code == 200
    with organisation_context(org_a.organisation):
        verbs = list(AuditEvent.objects.order_by("at", "id").values_list("verb", flat=True))
    assert verbs[-2:] == ["membership.deactivated", "membership.reactivated"]


def test_members_see_the_member_list_but_not_the_admin_controls(org_a, login):
    response = login(org_a.member).get("/o/alpha/members/")
    assert response.status_code == 200
    assert b"admin@alpha.example" in response.content
    assert b"Invite a colleague" not in response.content
    assert b"Deactivate" not in response.content


def test_mass_assignment_cannot_make_anyone_staff(org_a, login):
    target = org_a.memberships["member"]
    login(org_a.admin).post(
        f"/o/alpha/members/{target.pk}/role/",
        {"role": "manager", "is_staff": "on", "is_superuser": "on", "organisation": "2"},
    )
    org_a.member.refresh_from_db()
    assert not org_a.member.is_staff and not org_a.member.is_superuser
    assert _membership(org_a, "member").organisation_id == org_a.organisation.pk


@pytest.mark.parametrize(
    "role,status", [("admin", 200), ("hr", 200), ("manager", 403), ("member", 403)]
)
def test_audit_log_is_for_admin_and_hr(role, status, org_a, login):
    assert login(org_a.user(role)).get("/o/alpha/audit/").status_code == status


def test_audit_log_shows_only_its_own_organisations_events(org_a, org_b, login):
    other = Client()  # beta's admin in their own browser
    other.force_login(org_b.admin)
    other.post(f"/o/beta/members/{org_b.memberships['member'].pk}/role/", {"role": "hr"})
    client = login(org_a.admin)
    client.post(f"/o/alpha/members/{org_a.memberships['member'].pk}/role/", {"role": "manager"})
    content = client.get("/o/alpha/audit/").content
    assert str(org_a.member).encode() in content
    assert str(org_b.member).encode() not in content
