"""The landing page at / says what the product does, shows an example matrix and leads to sign-up;
signed-in users go on to their organisation. The product has a favicon."""

import pytest
from django.contrib.staticfiles import finders

from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_a_visitor_meets_what_the_product_does_and_the_ways_in(client):
    response = client.get("/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "engineers rate themselves, managers" in content
    assert 'href="/accounts/signup/"' in content and 'href="/accounts/login/"' in content


def test_the_landing_page_previews_a_matrix_that_is_clearly_an_example(client):
    content = client.get("/").content.decode()
    assert '<table class="matrix">' in content
    assert "An example with invented people, not your data." in content
    assert "Ada (example)" in content and "bus factor 1" in content


def test_a_member_of_one_organisation_goes_straight_to_it(org_a, login):
    response = login(org_a.member).get("/")
    assert response.status_code == 302 and response.url == "/o/alpha/"


def test_a_member_of_several_organisations_chooses_one(org_a, login):
    MembershipFactory(organisation=OrganisationFactory(slug="gamma"), user=org_a.member)
    response = login(org_a.member).get("/")
    assert response.status_code == 302 and response.url == "/orgs/"


def test_every_page_names_the_svg_favicon(client):
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in (
        client.get("/accounts/login/").content.decode()
    )
    path = finders.find("favicon.svg")
    assert path is not None
    with open(path) as svg:
        assert svg.read().lstrip().startswith("<svg")


def test_favicon_ico_leads_to_the_svg_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response.url == "/static/favicon.svg"
