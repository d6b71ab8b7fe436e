"""The endorsements section of a person's page and its forms: who sees what, endorsing with and
without htmx, withdrawing, hiding, and the refusals (yourself, another organisation, bad input,
the rate limit)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent
from skillsmap.core.tenancy import organisation_context
from tests.endorsements.conftest import add_colleague, endorsements_of
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _person_url(world, person) -> str:
    return reverse(
        "teams:person_detail", kwargs={"org_slug": world.organisation.slug, "person_id": person.pk}
    )


def _endorse_url(world, person) -> str:
    return reverse(
        "endorsements:endorse", kwargs={"org_slug": world.organisation.slug, "person_id": person.pk}
    )


def _act(client, name, endorsement, slug="alpha", **headers):
    """POST withdraw, hide or unhide of ``endorsement``: its person and skill in the URL, its
    endorser in the form (withdraw ignores it: it is always the caller's own)."""
    url = reverse(
        f"endorsements:{name}",
        kwargs={
            "org_slug": slug,
            "person_id": endorsement.person_id,
            "skill_id": endorsement.skill_id,
        },
    )
    return client.post(url, {"endorser": endorsement.endorser_id}, **headers)


def _section(html: str) -> str:
    return html.split('id="endorsements"')[1].split("</section>")[0]


def _audit_count(world) -> int:
    with organisation_context(world.organisation):
        return AuditEvent.objects.count()


def test_a_colleague_endorses_from_the_endorse_page_without_javascript(
    org_a, colleague, python, login, django_capture_on_commit_callbacks
):
    member = org_a.people["member"]
    client = login(colleague)
    page = client.get(_endorse_url(org_a, member), {"skill": python.pk})
    assert page.status_code == 200
    assert f'<option value="{python.pk}" selected>Python</option>' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _endorse_url(org_a, member), {"skill": python.pk, "note": "Great reviews."}
        )
    assert response.status_code == 302
    assert response["Location"] == f"{_person_url(org_a, member)}#endorsements"
    [endorsement] = endorsements_of(org_a)
    assert (endorsement.endorser.name, endorsement.skill, endorsement.note) == (
        "Cleo Colleague",
        python,
        "Great reviews.",
    )
    followed = client.get(response["Location"])
    html = followed.content.decode()
    assert f"You endorsed {member.name} for Python." in html
    section = _section(html)
    assert "1 endorsement" in section and "Withdraw" in section


def test_with_htmx_the_section_is_swapped_in_place(org_a, colleague, python, login):
    member = org_a.people["member"]
    response = login(colleague).post(
        _endorse_url(org_a, member), {"skill": python.pk, "note": ""}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card endorsements" id="endorsements"')
    assert f"You endorsed {member.name} for Python." in html
    assert "<html" not in html


def test_the_person_sees_who_endorsed_with_notes_and_can_hide(
    org_a, colleague, python, endorse, login
):
    member = org_a.people["member"]
    endorse(org_a, colleague, member, python, "Taught me pytest.")
    html = _section(login(org_a.member).get(_person_url(org_a, member)).content.decode())
    assert "Cleo Colleague" in html and "Taught me pytest." in html
    assert "Hide" in html
    # Nobody is offered to endorse themselves.
    assert "Endorse Member" not in html and "endorse-inline" not in html


def test_the_manager_sees_who_endorsed_and_a_colleague_only_the_count(
    org_a, colleague, python, endorse, login
):
    member = org_a.people["member"]
    endorse(org_a, colleague, member, python, "Taught me pytest.")
    manager_view = _section(login(org_a.manager).get(_person_url(org_a, member)).content.decode())
    assert "Cleo Colleague" in manager_view and "Taught me pytest." in manager_view
    hr_view = _section(login(org_a.hr).get(_person_url(org_a, member)).content.decode())
    assert "Cleo Colleague" in hr_view
    other = add_colleague(org_a, "Otto Other")
    other_view = _section(login(other).get(_person_url(org_a, member)).content.decode())
    assert "1 endorsement" in other_view
    assert "Cleo Colleague" not in other_view and "Taught me pytest." not in other_view
    # They may add theirs, per skill or for any skill.
    assert "endorse-inline" in other_view and "for a skill" in other_view


def test_a_hidden_endorsement_is_shown_to_the_person_only_and_counts_nowhere(
    org_a, colleague, python, endorse, login
):
    member = org_a.people["member"]
    endorsement = endorse(org_a, colleague, member, python, "Awkward joke.")
    endorse(org_a, org_a.hr, member, python, "Solid.")
    client = login(org_a.member)
    response = _act(client, "hide", endorsement)
    assert response.status_code == 302
    own = _section(client.get(_person_url(org_a, member)).content.decode())
    assert "Awkward joke." in own and "hidden: only you see it" in own
    assert "1 endorsement<" in own and "Show again" in own
    manager_view = _section(login(org_a.manager).get(_person_url(org_a, member)).content.decode())
    assert "Awkward joke." not in manager_view and "Solid." in manager_view
    assert "1 endorsement<" in manager_view
    # Shown again, it counts again.
    client.force_login(org_a.member)
    _act(client, "unhide", endorsement, **HTMX)
    manager_view = _section(login(org_a.manager).get(_person_url(org_a, member)).content.decode())
    assert "Awkward joke." in manager_view and "2 endorsements" in manager_view


def test_withdrawing_with_htmx_removes_the_endorsement(org_a, colleague, python, endorse, login):
    endorsement = endorse(org_a, colleague, org_a.people["member"], python)
    response = _act(login(colleague), "withdraw", endorsement, **HTMX)
    assert response.status_code == 200
    assert "You withdrew your endorsement" in response.content.decode()
    assert endorsements_of(org_a) == []


def test_someone_elses_endorsement_cannot_be_withdrawn_or_hidden(
    org_a, colleague, python, endorse, login
):
    endorsement = endorse(org_a, colleague, org_a.people["member"], python)
    other = add_colleague(org_a, "Otto Other")
    before = _audit_count(org_a)
    # The manager sees it but did not give it: they have none of their own to withdraw.
    assert _act(login(org_a.manager), "withdraw", endorsement, **HTMX).status_code == 404
    response = _act(login(org_a.manager), "hide", endorsement, **HTMX)
    assert response.status_code == 400
    assert "Only the person endorsed can hide or show an endorsement." in response.content.decode()
    # A colleague who cannot even read it gets the 404 of a missing one.
    assert _act(login(other), "hide", endorsement).status_code == 404
    # A form without an endorser, or with a stranger's id, names no endorsement.
    client = login(org_a.member)
    url = reverse(
        "endorsements:hide",
        kwargs={"org_slug": "alpha", "person_id": endorsement.person_id, "skill_id": python.pk},
    )
    assert client.post(url).status_code == 404
    assert client.post(url, {"endorser": "abc"}).status_code == 404
    assert client.post(url, {"endorser": org_a.people["hr"].pk}).status_code == 404
    assert len(endorsements_of(org_a)) == 1 and not endorsements_of(org_a)[0].hidden
    assert _audit_count(org_a) == before


def test_endorsing_yourself_is_refused_on_the_page(org_a, python, login):
    member = org_a.people["member"]
    client = login(org_a.member)
    assert (
        "You cannot endorse yourself." in client.get(_endorse_url(org_a, member)).content.decode()
    )
    response = client.post(_endorse_url(org_a, member), {"skill": python.pk})
    assert response.status_code == 400
    assert "You cannot endorse yourself." in response.content.decode()
    response = client.post(_endorse_url(org_a, member), {"skill": python.pk}, **HTMX)
    assert response.status_code == 400
    assert "You cannot endorse yourself." in response.content.decode()
    assert endorsements_of(org_a) == []


def test_another_organisations_person_and_endorsements_are_404_and_nothing_is_written(
    org_a, org_b, colleague, python, endorse, login
):
    theirs = endorse(
        org_b, org_b.manager, org_b.people["member"], SkillFactory(organisation=org_b.organisation)
    )
    before = _audit_count(org_b)
    client = login(colleague)
    foreign_person = reverse(
        "endorsements:endorse",
        kwargs={"org_slug": "alpha", "person_id": org_b.people["member"].pk},
    )
    assert client.get(foreign_person).status_code == 404
    assert client.post(foreign_person, {"skill": python.pk}).status_code == 404
    for name in ("withdraw", "hide", "unhide"):
        assert _act(client, name, theirs).status_code == 404
    # Nor does their person with our skill, or ours with their skill, reach anything.
    mixed = endorse(org_a, colleague, org_a.people["member"], python)
    for name in ("withdraw", "hide", "unhide"):
        for person_id, skill_id in (
            (theirs.person_id, python.pk),
            (mixed.person_id, theirs.skill_id),
        ):
            url = reverse(
                f"endorsements:{name}",
                kwargs={"org_slug": "alpha", "person_id": person_id, "skill_id": skill_id},
            )
            assert client.post(url, {"endorser": mixed.endorser_id}).status_code == 404
    assert endorsements_of(org_a) == [mixed]
    assert len(endorsements_of(org_b)) == 1 and not endorsements_of(org_b)[0].hidden
    assert _audit_count(org_b) == before


def test_an_outsider_gets_404_on_every_endorsement_page(
    org_a, colleague, python, endorse, outsider, login
):
    endorsement = endorse(org_a, colleague, org_a.people["member"], python)
    client = login(outsider)
    assert client.get(_endorse_url(org_a, org_a.people["member"])).status_code == 404
    for name in ("withdraw", "hide", "unhide"):
        assert _act(client, name, endorsement).status_code == 404
    assert len(endorsements_of(org_a)) == 1


def test_bad_input_is_a_clear_error_and_nothing_is_written(org_a, org_b, colleague, python, login):
    member = org_a.people["member"]
    client = login(colleague)
    archived = SkillFactory(organisation=org_a.organisation, name="COBOL", is_archived=True)
    foreign = SkillFactory(organisation=org_b.organisation, name="Their Go")
    cases = [
        ({"skill": ""}, "Choose the skill you endorse."),
        ({"skill": foreign.pk}, "Select a valid skill."),
        ({"skill": archived.pk}, "Select a valid skill."),
        ({"skill": "999999"}, "Select a valid skill."),
        ({"skill": python.pk, "note": "x" * 501}, "at most 500 characters"),
    ]
    for data, message in cases:
        response = client.post(_endorse_url(org_a, member), data)
        assert response.status_code == 400, data
        assert message in response.content.decode(), data
        assert "Their Go" not in response.content.decode()
    assert endorsements_of(org_a) == [] and endorsements_of(org_b) == []


def test_the_rate_limit_is_a_clear_message_on_the_page(org_a, colleague, login, settings):
    settings.ENDORSEMENTS_PER_HOUR = 1
    member = org_a.people["member"]
    first, second = (SkillFactory(organisation=org_a.organisation) for _ in range(2))
    client = login(colleague)
    assert client.post(_endorse_url(org_a, member), {"skill": first.pk}).status_code == 302
    response = client.post(_endorse_url(org_a, member), {"skill": second.pk}, **HTMX)
    assert response.status_code == 400
    assert "You have given 1 endorsements in the last hour" in response.content.decode()
    assert len(endorsements_of(org_a)) == 1


def test_the_page_escapes_notes_and_names(org_a, colleague, endorse, login):
    xss = '"><img src=x onerror=alert(1)>'
    skill = SkillFactory(organisation=org_a.organisation, name=xss)
    endorse(org_a, colleague, org_a.people["member"], skill, xss)
    html = login(org_a.member).get(_person_url(org_a, org_a.people["member"])).content.decode()
    assert xss not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_section_runs_the_same_statements_for_one_endorsement_or_many(
    org_a, colleague, endorse, login
):
    member = org_a.people["member"]
    skills = [SkillFactory(organisation=org_a.organisation) for _ in range(6)]
    endorse(org_a, colleague, member, skills[0], "First.")
    client = login(org_a.manager)
    url = _person_url(org_a, member)
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    one = count()
    for n in range(2, 5):
        endorser = add_colleague(org_a, f"Endorser{n} Person")
        for skill in skills:
            endorse(org_a, endorser, member, skill, f"Note {n}.")
    html = client.get(url).content.decode()
    assert "4 endorsements" in html and "Note 4." in html
    assert count() == one
