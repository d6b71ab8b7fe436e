import pytest

from accounts.models import AuditEvent, Membership, Organisation
from skillsmap.core.tenancy import organisation_context
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_new_user_creates_an_organisation_and_becomes_its_admin(login):
    user = UserFactory()
    response = login(user).post("/orgs/new/", {"name": "Nimbus Analytics"})
    organisation = Organisation.objects.get(name="Nimbus Analytics")
    assert response.status_code == 302
    assert response["Location"] == f"/o/{organisation.slug}/"
    with organisation_context(organisation):
        membership = Membership.objects.get(user=user)
        verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert membership.role == "admin"
    assert {"organisation.created", "membership.created"} <= verbs


def test_organisation_slugs_are_unique_and_readable(login):
    user = UserFactory()
    client = login(user)
    client.post("/orgs/new/", {"name": "Acme Corp"})
    client.post("/orgs/new/", {"name": "Acme Corp"})
    assert sorted(Organisation.objects.values_list("slug", flat=True)) == [
        "acme-corp",
        "acme-corp-2",
    ]


def test_a_blank_name_gets_the_form_back_and_writes_nothing(login):
    response = login(UserFactory()).post("/orgs/new/", {"name": "   "})
    assert response.status_code == 200
    assert (
        b"Give the organisation a name" in response.content
        or b"This field is required" in response.content
    )
    assert Organisation.objects.count() == 0


def test_mass_assigned_fields_on_create_are_ignored(login):
    user = UserFactory()
    login(user).post(
        "/orgs/new/", {"name": "Sneaky", "role": "member", "is_staff": "on", "slug": "beta"}
    )
    user.refresh_from_db()
    organisation = Organisation.objects.get(name="Sneaky")
    assert organisation.slug == "sneaky"
    assert not user.is_staff
    with organisation_context(organisation):
        assert Membership.objects.get(user=user).role == "admin"


def test_the_switcher_lists_only_the_users_own_active_organisations(org_a, org_b, login):
    user = org_a.member
    with organisation_context(org_b.organisation):
        Membership.objects.create(organisation=org_b.organisation, user=user, is_active=False)
    response = login(user).get("/orgs/")
    assert b"Alpha Ltd" in response.content
    assert b"Beta GmbH" not in response.content


def test_a_user_in_two_organisations_switches_between_them(org_a, org_b, login):
    user = org_a.member
    with organisation_context(org_b.organisation):
        Membership.objects.create(organisation=org_b.organisation, user=user)
    client = login(user)
    assert client.get("/").status_code == 302  # home sends them to the list when there are several
    listing = client.get("/orgs/").content
    assert b"/o/alpha/" in listing and b"/o/beta/" in listing
    assert client.get("/o/alpha/").status_code == 200
    assert client.get("/o/beta/").status_code == 200


def test_home_takes_a_single_organisation_member_straight_there(org_a, login):
    response = login(org_a.member).get("/")
    assert response["Location"] == "/o/alpha/"


def test_unknown_slug_is_404_not_500(login):
    assert login(UserFactory()).get("/o/does-not-exist/").status_code == 404


def test_organisation_page_shows_the_callers_role(org_a, login):
    assert b"Manager" in login(org_a.manager).get("/o/alpha/").content


def test_members_page_query_count_does_not_grow_with_members(org_a, login):
    from tests.factories import MembershipFactory

    client = login(org_a.admin)
    client.get("/o/alpha/members/")  # warm caches (content types, sessions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/o/alpha/members/")
    for _ in range(15):
        MembershipFactory(organisation=org_a.organisation)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/o/alpha/members/")
    assert response.content.count(b"<tr") >= 19
    assert len(many) == len(few)


def test_the_account_menu_loads_the_switcher_when_opened_on_an_organisation_page(
    org_a, org_b, login
):
    user = org_a.member
    with organisation_context(org_b.organisation):
        Membership.objects.create(organisation=org_b.organisation, user=user, is_active=False)
    client = login(user)
    page = client.get("/o/alpha/people/").content.decode()
    # The page links the menu's fragment and the full list; the other organisations come later.
    assert 'hx-get="/orgs/menu/?current=alpha"' in page and 'href="/orgs/"' in page
    menu = client.get("/orgs/menu/?current=alpha").content.decode()
    assert 'href="/o/alpha/" aria-current="true"' in menu
    assert "Beta GmbH" not in menu  # a deactivated membership is not listed


def test_the_switcher_fragment_needs_a_signed_in_user(client):
    response = client.get("/orgs/menu/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_django_admin_cannot_change_an_organisations_slug(org_a, client):
    """The slug is in the URLs an identity provider holds (SAML ACS, OIDC redirect): fixed."""
    from tests.factories import UserFactory

    staff = UserFactory(email="staff@skillsmap.example", is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = f"/admin/accounts/organisation/{org_a.organisation.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="slug"' not in page and "alpha" in page
    client.post(url, {"name": "Alpha Renamed", "slug": "hijacked", "review_period_days": 182})
    org_a.organisation.refresh_from_db()
    assert org_a.organisation.slug == "alpha"
