"""Item 6 of #13: a second invitation to the same address is refused with a way forward, and an
admin can resend an invitation (a new link, the old one dead) and copy its link once."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import AuditEvent, Invitation
from skillsmap.core.tenancy import organisation_context
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _invite(client, email="newcomer@example.com", role="member", slug="alpha"):
    return client.post(f"/o/{slug}/members/invite/", {"email": email, "role": role})


def _links_in_mail() -> list[str]:
    return [
        re.search(r"http://testserver(/invitations/\S+/)", message.body).group(1)
        for message in mail.outbox
    ]


def _invitations(world) -> list[Invitation]:
    with organisation_context(world.organisation):
        return list(Invitation.objects.all())


def test_inviting_an_address_with_a_pending_invitation_is_refused_and_offers_resend(
    org_a, login, django_capture_on_commit_callbacks
):
    client = login(org_a.admin)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client)
        response = _invite(client, email="NewComer@example.com", role="manager")
    assert response.status_code == 400
    page = response.content.decode()
    assert "newcomer@example.com already has a pending invitation" in page
    (pending,) = _invitations(org_a)
    # The refusal comes with the way forward: a resend of the pending invitation, one click away.
    assert f'action="/o/alpha/invitations/{pending.pk}/resend/" class="pending-resend"' in page
    assert pending.role == "member"
    assert len(mail.outbox) == 1


def test_an_expired_or_revoked_invitation_does_not_block_a_new_one(org_a, login):
    client = login(org_a.admin)
    _invite(client)
    (invitation,) = _invitations(org_a)
    client.post(f"/o/alpha/invitations/{invitation.pk}/revoke/")
    assert _invite(client).status_code == 302
    assert len(_invitations(org_a)) == 2


def test_inviting_an_active_member_says_they_are_already_a_member(org_a, login):
    response = _invite(login(org_a.admin), email=org_a.member.email)
    assert response.status_code == 400
    assert f"{org_a.member.email} is already a member of Alpha Ltd." in response.content.decode()


def test_resend_mails_a_new_link_and_the_old_link_stops_working(
    org_a, login, django_capture_on_commit_callbacks
):
    client = login(org_a.admin)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client)
    (invitation,) = _invitations(org_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/o/alpha/invitations/{invitation.pk}/resend/")
    assert response.status_code == 302
    old_link, new_link = _links_in_mail()
    assert old_link != new_link
    assert mail.outbox[1].to == ["newcomer@example.com"]

    invitee = Client()
    invitee.force_login(UserFactory(email="newcomer@example.com"))
    assert invitee.get(old_link).status_code == 404
    assert invitee.post(new_link).status_code == 302
    with organisation_context(org_a.organisation):
        resent = AuditEvent.objects.get(verb="invitation.resent")
    assert resent.actor == org_a.admin and resent.target_id == str(invitation.pk)


def test_the_new_link_is_shown_once_for_copying_and_kept_out_of_caches(org_a, login):
    client = login(org_a.admin)
    _invite(client)
    first = client.get("/o/alpha/members/")
    page = first.content.decode()
    shown = re.search(r'id="invitation-link"[^>]*value="([^"]+)"', page).group(1)
    assert shown.startswith("http://testserver/invitations/alpha/")
    assert 'data-copy-target="invitation-link"' in page
    assert first["Cache-Control"] == "no-store"
    assert 'id="invitation-link"' not in client.get("/o/alpha/members/").content.decode()


def test_resending_an_expired_invitation_makes_it_pending_again(org_a, login):
    client = login(org_a.admin)
    _invite(client)
    with organisation_context(org_a.organisation):
        Invitation.objects.update(expires_at="2000-01-01T00:00:00Z")
    client.post(f"/o/alpha/invitations/{_invitations(org_a)[0].pk}/resend/")
    assert _invitations(org_a)[0].status == Invitation.Status.PENDING


def test_a_revoked_invitation_cannot_be_resent(org_a, login):
    client = login(org_a.admin)
    _invite(client)
    (invitation,) = _invitations(org_a)
    client.post(f"/o/alpha/invitations/{invitation.pk}/revoke/")
    response = client.post(f"/o/alpha/invitations/{invitation.pk}/resend/", follow=True)
    assert "Only a pending or expired invitation can be resent." in response.content.decode()


def test_an_admin_of_another_organisation_cannot_resend_its_invitation(org_a, org_b, login):
    _invite(login(org_a.admin))
    (invitation,) = _invitations(org_a)
    client = login(org_b.admin)
    assert client.post(f"/o/beta/invitations/{invitation.pk}/resend/").status_code == 404
    assert client.post(f"/o/alpha/invitations/{invitation.pk}/resend/").status_code == 404
    with organisation_context(org_a.organisation):
        assert not AuditEvent.objects.filter(verb="invitation.resent").exists()


@pytest.mark.parametrize("role", ["hr", "manager", "member"])
def test_only_admins_resend(role, org_a, login):
    _invite(login(org_a.admin))
    (invitation,) = _invitations(org_a)
    response = login(org_a.user(role)).post(f"/o/alpha/invitations/{invitation.pk}/resend/")
    assert response.status_code == 403
