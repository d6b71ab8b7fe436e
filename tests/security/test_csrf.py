"""CSRF: a session POST without the token is refused with 403 and changes nothing; the same POST
with the token (from the form, or in htmx's X-CSRFToken header) goes through. Django's test client
skips the check unless ``enforce_csrf_checks`` is set, which every test here does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation
from skills.models import Rating
from skillsmap.core.models import Job
from skillsmap.core.tenancy import organisation_context
from tests.conftest import World
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    role: str
    page: str  # a page with the form, which sets the CSRF cookie
    url: str
    data: Callable[[], dict]
    headers: dict[str, str]
    count: Callable[[], int]  # what the POST writes


def _cases(world: World) -> dict[str, Case]:
    organisation = world.organisation
    slug = organisation.slug
    skill = SkillFactory(organisation=organisation, name="Python")

    def ratings() -> int:
        with organisation_context(organisation):
            return Rating.objects.count()

    def jobs() -> int:
        with organisation_context(organisation):
            return Job.objects.count()

    def upload() -> dict:
        return {"file": SimpleUploadedFile("p.csv", b"name,email\nAda,ada@alpha.example\n")}

    self_rating = reverse("skills:self_rating", kwargs={"org_slug": slug})
    save = reverse("skills:self_rating_save", kwargs={"org_slug": slug, "skill_id": skill.pk})
    return {
        "self-rating save": Case("member", self_rating, save, lambda: {"level": "3"}, {}, ratings),
        "self-rating save over htmx": Case(
            "member", self_rating, save, lambda: {"level": "4"}, {"HX-Request": "true"}, ratings
        ),
        "people import": Case(
            "hr",
            reverse("teams:people_import", kwargs={"org_slug": slug}),
            reverse("teams:people_import", kwargs={"org_slug": slug}),
            upload,
            {},
            jobs,
        ),
        "organisation create": Case(
            "member",
            reverse("organisation_create"),
            reverse("organisation_create"),
            lambda: {"name": "Gamma plc"},
            {},
            lambda: Organisation.objects.count(),
        ),
    }


CASES = ["self-rating save", "self-rating save over htmx", "people import", "organisation create"]


def _client(world: World, role: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user(role))
    return client


@pytest.mark.parametrize("name", CASES)
def test_a_session_post_without_the_csrf_token_is_403_and_writes_nothing(org_a, name):
    case = _cases(org_a)[name]
    client = _client(org_a, case.role)
    assert client.get(case.page).status_code == 200
    before = case.count()
    response = client.post(case.url, case.data(), headers=case.headers)
    assert response.status_code == 403
    assert b"CSRF verification failed" in response.content
    assert case.count() == before


@pytest.mark.parametrize("name", CASES)
def test_the_same_post_with_the_csrf_token_goes_through(
    org_a, name, django_capture_on_commit_callbacks
):
    case = _cases(org_a)[name]
    client = _client(org_a, case.role)
    assert client.get(case.page).status_code == 200
    token = client.cookies["csrftoken"].value
    before = case.count()
    # In the body, as the page's forms send it (htmx posts the form's fields, token included).
    data = {**case.data(), "csrfmiddlewaretoken": token}
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(case.url, data, headers=case.headers)
    assert response.status_code in (200, 302), response.content[:500]
    assert case.count() == before + 1


def test_a_token_from_another_session_is_refused(org_a):
    case = _cases(org_a)["self-rating save"]
    stranger = _client(org_a, "manager")
    stranger.get(case.page)
    stolen = stranger.cookies["csrftoken"].value
    client = _client(org_a, case.role)
    client.get(case.page)
    before = case.count()
    response = client.post(case.url, {**case.data(), "csrfmiddlewaretoken": stolen})
    assert response.status_code == 403
    assert case.count() == before
