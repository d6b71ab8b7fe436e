"""With DEBUG off, as in production and `make demo`, errors are the product's own pages: no URL
list, no traceback, the product's look and a way back."""

import pytest
from django.template import engines
from django.test import RequestFactory, override_settings
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=False)
def test_an_unknown_url_in_an_organisation_is_the_products_404_without_url_patterns(org_a, login):
    response = login(org_a.member).get("/o/alpha/no-such-page/")
    content = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in content
    assert 'href="/static/css/app.css"' in content and 'class="topbar"' in content
    assert 'href="/">Go to your start page</a>' in content
    # Django's debug 404 lists the URLconf's patterns; none of them may show.
    assert "URLconf" not in content and "members/invite/" not in content


@override_settings(DEBUG=False)
def test_a_page_the_role_does_not_allow_is_the_products_403(org_a, login):
    response = login(org_a.member).get("/o/alpha/audit/")
    content = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in content and 'class="topbar"' in content
    assert 'href="/">Go to your start page</a>' in content
    assert "Your role in this organisation does not allow this" in content


def test_the_500_page_renders_without_a_request_context_or_database(django_assert_num_queries):
    # Django's server_error renders 500.html with no context at all: no user, no tenant, no
    # context processors; the database may be the very thing that failed.
    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/o/alpha/"))
    content = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in content
    assert 'href="/static/css/app.css"' in content and 'class="topbar"' in content


def test_the_500_page_extends_nothing_that_needs_a_request():
    source = engines["django"].engine.find_template("500.html")[0].source
    assert "{% extends" not in source and "{% url" not in source
