"""Item 14 of #13 for members: deactivate and revoke ask first, and nobody deactivates themselves."""

import re

import pytest

from accounts.models import Membership
from skillsmap.core.tenancy import organisation_context
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def _forms(page: str, action: str) -> list[str]:
    return [f for f in re.findall(r"<form\b[^>]*>", page) if action in f]


def test_deactivate_asks_for_confirmation_naming_the_member(org_a, login):
    page = login(org_a.admin).get("/o/alpha/members/").content.decode()
    member = org_a.memberships["member"]
    (form,) = _forms(page, f"/members/{member.pk}/active/")
    assert f'data-confirm="Deactivate {org_a.member}?' in form
    assert 'data-confirm-button="Deactivate"' in form


def test_revoking_an_invitation_asks_for_confirmation_naming_the_address(org_a, login):
    with organisation_context(org_a.organisation):
        invitation = InvitationFactory(organisation=org_a.organisation, email="ana@example.com")
    page = login(org_a.admin).get("/o/alpha/members/").content.decode()
    (form,) = _forms(page, f"/invitations/{invitation.pk}/revoke/")
    assert 'data-confirm="Revoke the invitation for ana@example.com?' in form


def test_no_deactivate_control_on_ones_own_row(org_a, login):
    page = login(org_a.admin).get("/o/alpha/members/").content.decode()
    own = org_a.memberships["admin"]
    assert _forms(page, f"/members/{own.pk}/active/") == []
    assert _forms(page, f"/members/{org_a.memberships['hr'].pk}/active/")


def test_the_service_refuses_deactivating_oneself_even_with_another_admin(org_a, login):
    own = org_a.memberships["admin"]
    with organisation_context(org_a.organisation):
        Membership.objects.filter(pk=org_a.memberships["hr"].pk).update(role="admin")
    response = login(org_a.admin).post(
        f"/o/alpha/members/{own.pk}/active/", {"is_active": "false"}, follow=True
    )
    assert "You cannot deactivate yourself" in response.content.decode()
    with organisation_context(org_a.organisation):
        assert Membership.objects.get(pk=own.pk).is_active
