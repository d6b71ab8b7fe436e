import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent, Invitation, Membership
from skillsmap.core.tenancy import organisation_context
from tests.factories import InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _invite(client, email="newcomer@example.com", role="manager"):
    return client.post("/o/alpha/members/invite/", {"email": email, "role": role})


def _link_from_mail() -> str:
    (message,) = mail.outbox
    return re.search(r"http://testserver(/invitations/\S+/)", message.body).group(1)


def _membership_of(world, user):
    with organisation_context(world.organisation):
        return Membership.objects.filter(user=user).first()


def test_admin_invites_by_email_and_the_invitee_joins_with_the_role(
    org_a, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(login(org_a.admin))
    assert response.status_code == 302
    link = _link_from_mail()
    assert mail.outbox[0].to == ["newcomer@example.com"]

    invitee = UserFactory(email="newcomer@example.com")
    client = Client()
    client.force_login(invitee)
    assert b"Join Alpha Ltd" in client.get(link).content
    response = client.post(link)
    assert response.status_code == 302 and response["Location"] == "/o/alpha/"
    assert _membership_of(org_a, invitee).role == "manager"
    assert client.get("/o/alpha/").status_code == 200
    with organisation_context(org_a.organisation):
        assert AuditEvent.objects.filter(verb="membership.created", actor=invitee).exists()


def test_the_token_is_stored_hashed(org_a, login, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(login(org_a.admin))
    token = _link_from_mail().rstrip("/").rsplit("/", 1)[1]
    with organisation_context(org_a.organisation):
        invitation = Invitation.objects.get()
    assert token not in invitation.token_hash


def test_a_used_invitation_cannot_be_used_again(org_a):
    InvitationFactory(organisation=org_a.organisation, email="a@example.com", token="once")
    first, second = UserFactory(email="a@example.com"), UserFactory(email="A@example.org")
    client = Client()
    client.force_login(first)
    client.post("/invitations/alpha/once/")
    client.force_login(second)
    response = client.post("/invitations/alpha/once/")
    assert response.status_code == 404
    assert b"already been used" in response.content
    assert _membership_of(org_a, second) is None


def test_an_expired_invitation_says_so_and_creates_nothing(org_a):
    InvitationFactory(
        organisation=org_a.organisation,
        email="late@example.com",
        token="late",
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    user = UserFactory(email="late@example.com")
    client = Client()
    client.force_login(user)
    response = client.post("/invitations/alpha/late/")
    assert b"expired" in response.content
    assert _membership_of(org_a, user) is None


def test_a_revoked_invitation_says_so_and_creates_nothing(org_a, login):
    invitation = InvitationFactory(
        organisation=org_a.organisation, email="x@example.com", token="gone"
    )
    login(org_a.admin).post(f"/o/alpha/invitations/{invitation.pk}/revoke/")
    user = UserFactory(email="x@example.com")
    client = Client()
    client.force_login(user)
    response = client.post("/invitations/alpha/gone/")
    assert b"withdrawn" in response.content
    assert _membership_of(org_a, user) is None


def test_only_the_invited_address_can_accept(org_a):
    InvitationFactory(organisation=org_a.organisation, email="right@example.com", token="t")
    wrong = UserFactory(email="wrong@example.com")
    client = Client()
    client.force_login(wrong)
    response = client.post("/invitations/alpha/t/")
    assert response.status_code == 400
    assert b"another email address" in response.content
    assert _membership_of(org_a, wrong) is None


def test_the_role_comes_from_the_invitation_not_the_request(org_a):
    InvitationFactory(
        organisation=org_a.organisation, email="m@example.com", token="t", role="member"
    )
    user = UserFactory(email="m@example.com")
    client = Client()
    client.force_login(user)
    client.post("/invitations/alpha/t/", {"role": "admin", "organisation": "99", "is_staff": "on"})
    assert _membership_of(org_a, user).role == "member"
    user.refresh_from_db()
    assert not user.is_staff


def test_inviting_an_existing_member_is_refused_with_a_message(org_a, login):
    response = _invite(login(org_a.admin), email=org_a.member.email)
    assert response.status_code == 400
    assert b"already a member" in response.content
    with organisation_context(org_a.organisation):
        assert not Invitation.objects.exists()


def test_an_invalid_email_gets_the_form_back_and_nothing_is_sent(
    org_a, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(login(org_a.admin), email="not-an-email")
    assert response.status_code == 400
    assert b"Enter a valid email address" in response.content
    assert mail.outbox == []


@pytest.mark.parametrize("role", ["member", "manager", "hr"])
def test_only_admins_invite(role, org_a, login):
    assert _invite(login(org_a.user(role))).status_code == 403


def test_accepting_requires_signing_in(org_a, client):
    InvitationFactory(organisation=org_a.organisation, token="t")
    response = client.get("/invitations/alpha/t/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/invitations/alpha/t/")


def test_a_deactivated_member_rejoins_through_a_new_invitation(org_a, login):
    target = org_a.memberships["member"]
    login(org_a.admin).post(f"/o/alpha/members/{target.pk}/active/", {"is_active": "false"})
    InvitationFactory(
        organisation=org_a.organisation, email=org_a.member.email, token="back", role="hr"
    )
    client = Client()
    client.force_login(org_a.member)
    client.post("/invitations/alpha/back/")
    membership = _membership_of(org_a, org_a.member)
    assert (membership.is_active, membership.role) == (True, "hr")
    with organisation_context(org_a.organisation):
        assert Membership.objects.filter(user=org_a.member).count() == 1
