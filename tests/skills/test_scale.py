"""The organisation's proficiency scale: fixed values 0–5, editable names and descriptions."""

import pytest

from accounts.models import AuditEvent
from skills.models import ProficiencyLevel
from skills.services.framework import FrameworkError
from skills.services.scale import DEFAULT_SCALE, scale_update
from skillsmap.core.tenancy import organisation_context

pytestmark = pytest.mark.django_db

URL = "/o/alpha/skills/scale/"


def _levels(world):
    with organisation_context(world.organisation):
        return list(
            ProficiencyLevel.objects.order_by("value").values_list("value", "name", "description")
        )


def _form(**overrides):
    data = {}
    for value, name, description in DEFAULT_SCALE:
        data[f"name_{value}"] = name
        data[f"description_{value}"] = description
    return data | overrides


@pytest.mark.parametrize("role", ["member", "manager"])
def test_everyone_reads_the_scale_and_what_not_applicable_means(org_a, login, role):
    html = login(org_a.user(role)).get(URL).content.decode()
    for value, name, _ in DEFAULT_SCALE:
        assert f'<th scope="row">{value}</th><td>{name}</td>' in html
    assert "“Not applicable” is not 0." in html
    assert "The values 0–5 are fixed in this version" in html


def test_hr_renames_a_level_and_only_the_change_is_audited(org_a, login):
    response = login(org_a.hr).post(
        URL, _form(name_3="Practitioner", description_3="  Works unaided.  ")
    )
    assert response.status_code == 302
    levels = _levels(org_a)
    assert levels[3] == (3, "Practitioner", "Works unaided.")
    assert [row[1] for row in levels] == [
        "None",
        "Novice",
        "Advanced beginner",
        "Practitioner",
        "Proficient",
        "Expert",
    ]
    with organisation_context(org_a.organisation):
        event = AuditEvent.objects.get(verb="scale.updated")
    assert set(event.after) == {"3"}
    assert event.before["3"]["name"] == "Competent" and event.actor == org_a.hr


def test_saving_the_scale_unchanged_writes_no_audit_row(org_a, login):
    assert login(org_a.hr).post(URL, _form()).status_code == 302
    with organisation_context(org_a.organisation):
        assert not AuditEvent.objects.filter(verb="scale.updated").exists()


def test_the_edit_form_shows_the_current_names(org_a, login):
    html = login(org_a.admin).get(URL).content.decode()
    assert 'name="name_3"' in html and 'value="Competent"' in html
    assert 'name="value_3"' not in html  # values are not editable


def test_a_level_needs_a_name(org_a, login):
    response = login(org_a.hr).post(URL, _form(name_2="   "))
    assert response.status_code == 400
    assert _levels(org_a)[2][1] == "Advanced beginner"


def test_two_levels_cannot_share_a_name(org_a, login):
    response = login(org_a.hr).post(URL, _form(name_4="expert"))
    assert response.status_code == 400
    assert "Two levels cannot have the same name." in response.content.decode()
    assert _levels(org_a)[4][1] == "Proficient"


def test_a_level_off_the_scale_cannot_be_added(org_a, login):
    login(org_a.hr).post(URL, _form(name_6="Legend", description_6="Beyond expert"))
    assert [row[0] for row in _levels(org_a)] == [0, 1, 2, 3, 4, 5]
    with (
        organisation_context(org_a.organisation),
        pytest.raises(FrameworkError, match="cannot change"),
    ):
        scale_update(organisation=org_a.organisation, levels={6: ("Legend", "")}, by=org_a.hr)


@pytest.mark.parametrize("role", ["member", "manager"])
def test_members_and_managers_cannot_change_the_scale(org_a, login, role):
    response = login(org_a.user(role)).post(URL, _form(name_3="Practitioner"))
    assert response.status_code == 403
    assert _levels(org_a)[3][1] == "Competent"


def test_one_organisations_scale_is_its_own(org_a, org_b, login):
    login(org_a.hr).post(URL, _form(name_3="Practitioner"))
    assert _levels(org_b)[3][1] == "Competent"
