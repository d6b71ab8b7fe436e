"""What an integration does with the API, end to end: rate, read levels and history, page through
people, build a role profile and see the gaps move, read a team's matrix, export and download."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from reports.models import GapScore
from skillsmap.core.tenancy import organisation_context
from tests.api.conftest import Furnished
from tests.factories import PersonFactory
from tests.skills.factories import LibrarySkillFactory

pytestmark = pytest.mark.django_db


def _base(furnished: Furnished) -> str:
    return f"/api/v1/orgs/{furnished.slug}"


def test_me_and_my_organisations(alpha: Furnished, api):
    client = api(alpha.world.manager)
    me = client.get("/api/v1/me/").json()
    assert me["email"] == alpha.world.manager.email
    assert me["token"]["read_only"] is False
    orgs = client.get("/api/v1/orgs/").json()
    assert [(o["slug"], o["role"]) for o in orgs] == [(alpha.slug, "manager")]
    assert "ratings.validate_reports" in orgs[0]["permissions"]
    assert client.get(f"{_base(alpha)}/").json()["role"] == "manager"


def test_a_rating_is_a_new_event_and_the_history_keeps_them_all(alpha: Furnished, api):
    client = api(alpha.world.member)
    person, skill = alpha.ids["person_id"], alpha.ids["skill_id"]
    created = client.post(
        f"{_base(alpha)}/ratings/",
        {"person": person, "skill": skill, "level": 4, "interest": True, "note": "Led the port"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["level"] == 4 and created.json()["source"] == "self"
    history = client.get(f"{_base(alpha)}/people/{person}/skills/{skill}/history/").json()
    assert [h["level"] for h in history] == [4, 2]  # newest first; the first rating is kept
    levels = {r["skill"]: r for r in client.get(f"{_base(alpha)}/people/{person}/ratings/").json()}
    assert levels[skill]["level"] == 4
    assert levels[skill]["interest"] is True
    assert levels[skill]["validated"] is False


def test_a_member_rates_only_themselves(alpha: Furnished, api):
    response = api(alpha.world.member).post(
        f"{_base(alpha)}/ratings/",
        {"person": alpha.world.people["manager"].pk, "skill": alpha.ids["skill_id"], "level": 1},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "You can rate only yourself.",
        "code": "invalid",
        "errors": {"non_field_errors": ["You can rate only yourself."]},
    }


def test_a_manager_validates_a_report_and_must_say_why_a_level_differs(alpha: Furnished, api):
    client = api(alpha.world.manager)
    body = {"person": alpha.ids["person_id"], "skill": alpha.ids["skill_id"], "source": "manager"}
    without_note = client.post(f"{_base(alpha)}/ratings/", {**body, "level": 3}, format="json")
    assert without_note.status_code == 400
    assert "note" in without_note.json()["detail"]
    validated = client.post(
        f"{_base(alpha)}/ratings/", {**body, "level": 3, "note": "Ships SQL daily"}, format="json"
    )
    assert validated.status_code == 201
    levels = client.get(f"{_base(alpha)}/people/{alpha.ids['person_id']}/ratings/").json()
    row = next(r for r in levels if r["skill"] == alpha.ids["skill_id"])
    assert (row["level"], row["validated"], row["self_level"]) == (3, True, 2)


def test_someone_elses_ratings_read_as_missing_to_a_member(alpha: Furnished, api):
    response = api(alpha.world.member).get(
        f"{_base(alpha)}/people/{alpha.world.people['hr'].pk}/ratings/"
    )
    assert response.status_code == 404


def test_people_are_paged_with_a_cursor_and_filtered(alpha: Furnished, api):
    with organisation_context(alpha.world.organisation):
        for n in range(5):
            PersonFactory(organisation=alpha.world.organisation, name=f"Zed {n}", location="Oslo")
    client = api(alpha.world.member)
    seen, url = [], f"{_base(alpha)}/people/?page_size=3"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 3
        seen += [p["name"] for p in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 9  # four of the cast plus five
    assert seen == sorted(seen)
    newest = client.get(f"{_base(alpha)}/people/?ordering=-created_at&page_size=1").json()
    assert newest["results"][0]["name"] == "Zed 4"
    oslo = client.get(f"{_base(alpha)}/people/?location=Oslo").json()["results"]
    assert {p["name"] for p in oslo} == {f"Zed {n}" for n in range(5)}
    team = client.get(f"{_base(alpha)}/people/?team={alpha.ids['team_id']}").json()["results"]
    assert {p["id"] for p in team} == {
        alpha.world.people["member"].pk,
        alpha.world.people["manager"].pk,
    }


def test_field_errors_come_back_per_field(alpha: Furnished, api):
    response = api(alpha.world.hr).post(
        f"{_base(alpha)}/people/", {"name": "", "email": "not-an-email"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"name", "email"}


def test_skills_are_created_renamed_and_duplicates_refused(alpha: Furnished, api):
    client = api(alpha.world.hr)
    created = client.post(
        f"{_base(alpha)}/skills/", {"name": "Kotlin", "category_name": "Languages"}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["category"]["name"] == "Languages"
    duplicate = client.post(f"{_base(alpha)}/skills/", {"name": "kotlin"}, format="json")
    assert duplicate.status_code == 400
    skill_id = created.json()["id"]
    renamed = client.patch(
        f"{_base(alpha)}/skills/{skill_id}/", {"name": "Kotlin/JVM"}, format="json"
    )
    assert renamed.json()["name"] == "Kotlin/JVM"
    assert renamed.json()["category"]["name"] == "Languages"  # untouched by the PATCH
    found = client.get(f"{_base(alpha)}/skills/?q=kotlin").json()["results"]
    assert [s["name"] for s in found] == ["Kotlin/JVM"]


def test_library_search_and_adopt(alpha: Furnished, api):
    library = LibrarySkillFactory(name="Terraform")
    client = api(alpha.world.hr)
    found = client.get(f"{_base(alpha)}/skills/library/?q=terraform").json()
    assert [s["name"] for s in found["results"]] == ["Terraform"]
    adopted = client.post(
        f"{_base(alpha)}/skills/library/adopt/", {"library_skills": [library.pk]}, format="json"
    )
    assert [s["name"] for s in adopted.json()["adopted"]] == ["Terraform"]
    again = client.post(
        f"{_base(alpha)}/skills/library/adopt/", {"library_skills": [library.pk]}, format="json"
    )
    assert again.json()["adopted"] == [] and len(again.json()["existing"]) == 1


def _gap(client: Any, furnished: Furnished, person_id: int) -> float:
    rows = client.get(f"{_base(furnished)}/gap-scores/?person={person_id}").json()["results"]
    return rows[0]["gap"]


def test_changing_a_requirement_moves_the_gap(
    alpha: Furnished, api, django_capture_on_commit_callbacks
):
    hr = api(alpha.world.hr)
    person = alpha.ids["person_id"]
    before = _gap(hr, alpha, person)
    url = f"{_base(alpha)}/roles/{alpha.ids['role_id']}/requirements/{alpha.ids['skill_id']}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = hr.put(url, {"target_level": 2, "importance": "essential"}, format="json")
    assert response.status_code == 200 and response.json()["target_level"] == 2
    assert _gap(hr, alpha, person) < before  # the member is at 2 now meets the Python target
    with django_capture_on_commit_callbacks(execute=True):
        assert hr.delete(url).status_code == 204
    role = hr.get(f"{_base(alpha)}/roles/{alpha.ids['role_id']}/").json()
    assert [r["skill"] for r in role["requirements"]] != [alpha.ids["skill_id"]]
    assert alpha.ids["skill_id"] not in [r["skill"] for r in role["requirements"]]


def test_gap_scores_are_limited_to_whom_the_caller_may_see(alpha: Furnished, beta: Furnished, api):
    member_rows = api(alpha.world.member).get(f"{_base(alpha)}/gap-scores/").json()["results"]
    assert {r["person"] for r in member_rows} == {alpha.ids["person_id"]}
    hr_rows = api(alpha.world.hr).get(f"{_base(alpha)}/gap-scores/").json()["results"]
    with organisation_context(alpha.world.organisation):
        expected = set(GapScore.objects.values_list("person_id", flat=True))
    assert {r["person"] for r in hr_rows} == expected
    assert beta.ids["person_id"] not in {r["person"] for r in hr_rows}


def test_the_team_matrix_shows_the_teams_people_and_their_levels(alpha: Furnished, api):
    matrix = (
        api(alpha.world.manager).get(f"{_base(alpha)}/teams/{alpha.ids['team_id']}/matrix/").json()
    )
    skills = [s["id"] for s in matrix["skills"]]
    assert alpha.ids["skill_id"] in skills
    member = next(r for r in matrix["rows"] if r["person"] == alpha.ids["person_id"])
    cell = member["cells"][skills.index(alpha.ids["skill_id"])]
    assert (cell["level"], cell["target"], cell["rated"]) == (2, 4, True)
    assert matrix["fresh"] is True
    coverage = (
        api(alpha.world.manager)
        .get(f"{_base(alpha)}/teams/{alpha.ids['team_id']}/coverage/")
        .json()
    )
    assert {c["skill"] for c in coverage} == set(skills)


def test_what_if_someone_leaves(alpha: Furnished, api):
    client = api(alpha.world.manager)
    url = f"{_base(alpha)}/teams/{alpha.ids['team_id']}/what-if/"
    assert client.get(f"{url}?person={alpha.ids['person_id']}").status_code == 200
    outside = client.get(f"{url}?person={alpha.world.people['hr'].pk}")
    assert outside.status_code == 404


def test_team_members_are_added_and_removed(
    alpha: Furnished, api, django_capture_on_commit_callbacks
):
    client = api(alpha.world.hr)
    url = f"{_base(alpha)}/teams/{alpha.ids['team_id']}/members/"
    hr_person = alpha.world.people["hr"].pk
    assert client.post(url, {"person": hr_person}, format="json").status_code == 201
    assert hr_person in {p["id"] for p in client.get(url).json()}
    assert client.delete(f"{url}{hr_person}/").status_code == 204
    assert hr_person not in {p["id"] for p in client.get(url).json()}
    assert client.delete(f"{url}{hr_person}/").status_code == 400  # not in the team any more


def test_an_export_is_started_followed_and_downloaded(
    alpha: Furnished, api, django_capture_on_commit_callbacks
):
    client = api(alpha.world.manager)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            f"{_base(alpha)}/exports/",
            {"format": "csv", "teams": [alpha.ids["team_id"]]},
            format="json",
        )
    assert started.status_code == 202
    job = client.get(f"{_base(alpha)}/jobs/{started.json()['id']}/").json()
    assert job["status"] == "succeeded"
    download = client.get(job["download"])
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    text = b"".join(download.streaming_content).decode("utf-8-sig")  # streamed from storage
    names = {row[0] for row in csv.reader(io.StringIO(text)) if row}
    assert alpha.world.people["member"].name in names
    whole = client.post(f"{_base(alpha)}/exports/", {"format": "csv"}, format="json")
    assert whole.status_code == 400  # a manager exports the teams they lead, not everyone


def test_hr_reads_the_audit_trail_filtered(alpha: Furnished, api):
    events = api(alpha.world.hr).get(f"{_base(alpha)}/audit-events/?verb=rating.created").json()
    assert events["results"] and {e["verb"] for e in events["results"]} == {"rating.created"}


def test_an_export_started_while_the_broker_is_down_fails_with_a_message(
    alpha: Furnished, api, django_capture_on_commit_callbacks, monkeypatch
):
    def broker_down(**kwargs: Any) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr("skillsmap.core.tasks.run_job.apply_async", broker_down)
    client = api(alpha.world.hr)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"{_base(alpha)}/exports/", {"format": "csv"}, format="json")
    assert started.status_code == 202  # the request itself succeeded: nothing to retry blindly
    job = client.get(f"{_base(alpha)}/jobs/{started.json()['id']}/").json()
    assert job["status"] == "failed"
    assert "try again" in job["errors"][0]["message"]


def test_the_role_list_costs_the_same_queries_for_any_number_of_roles(alpha: Furnished, api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from roles.models import RoleProfile
    from skills.models import LibraryOccupation

    client = api(alpha.world.member)
    url = f"{_base(alpha)}/roles/"
    client.get(url)  # the token's last-used time is written once a minute: not in the counts
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    occupation = LibraryOccupation.objects.create(code="15-1252.00", title="Software Developers")
    with organisation_context(alpha.world.organisation):
        for n in range(5):
            RoleProfile.objects.create(
                organisation=alpha.world.organisation,
                name=f"Role {n}",
                source_occupation=occupation,
            )
    with CaptureQueriesContext(connection) as six:
        roles = client.get(url).json()
    assert len(roles) == 6
    assert {r["source_occupation"] for r in roles} == {None, "15-1252.00"}
    assert len(six) == len(one)
