"""XSS: every user-editable text field holds ``<script>alert(1)</script>`` or
``"><img src=x onerror=alert(1)>``, and every page of the organisation (enumerated from the URL
resolver, as the isolation tests do, in full and as htmx partials) shows it escaped, never raw.
The CSV and XLSX exports keep it as plain text.

The same sweep checks that no page needs what the Content-Security-Policy refuses: an inline
script, a style attribute or an on* event handler.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from accounts.audit import audit_record
from accounts.models import Organisation
from accounts.services import api_token_create
from certifications.models import Certification, CertificationSkill
from endorsements.models import Endorsement
from notifications.kinds import Kind
from notifications.models import Notification
from reports.recompute import recompute_organisation
from roles.models import RoleAssignment, RoleProfile, RoleRequirement
from skills.models import ProficiencyLevel, ProfileSkill, RatingSource, SkillLevelDescriptor
from skillsmap.core.jobs import job_run
from skillsmap.core.models import Job
from skillsmap.core.tenancy import organisation_context
from sso.models import IdentityProvider, Protocol
from teams.models import Person, TeamManager
from tests.accounts.test_url_isolation import OrgRoute, org_routes
from tests.conftest import World
from tests.factories import (
    DomainFactory,
    InvitationFactory,
    JobFactory,
    PersonFactory,
    ScimTokenFactory,
    TeamFactory,
    TeamMembershipFactory,
)
from tests.skills.factories import RatingFactory, SkillCategoryFactory, SkillFactory

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# What must never reach a page unescaped (case-insensitive).
RAW = re.compile(r"<script>alert\(1\)|<img src=x onerror", re.I)
HTMX = {"HX-Request": "true"}


def evil(label: str, payload: str) -> str:
    """A field value: a label, so that a page can be traced to the field, and the payload."""
    return f"{label} {payload}"


# Every user-editable text field, with the value the test gives it.
FIELDS: dict[str, str] = {
    "organisation name": evil("Org", SCRIPT),
    "user name": evil("Admin", IMG),
    "member user name": evil("Member", SCRIPT),
    "person name": evil("Person", SCRIPT),
    "person title": evil("Title", IMG),
    "person location": evil("Location", SCRIPT),
    "other person name": evil("Newcomer", IMG),
    "team name": evil("Team", SCRIPT),
    "child team name": evil("Subteam", IMG),
    "skill name": evil("Skill", SCRIPT),
    "other skill name": evil("Craft", IMG),
    "skill description": evil("Description", IMG),
    "skill alias": evil("Alias", SCRIPT),
    "category name": evil("Category", IMG),
    "level name": evil("Level", SCRIPT),
    "level description": evil("Meaning", IMG),
    "level descriptor": evil("Descriptor", SCRIPT),
    "self-rating note": evil("Note", IMG),
    "validation note": evil("Validation", SCRIPT),
    "role name": evil("Role", IMG),
    "role description": evil("Purpose", SCRIPT),
    "target role name": evil("Target", SCRIPT),
    "upload filename": evil("File", IMG) + ".csv",
    "import cell": evil("Cell", SCRIPT),
    "API token name": evil("Token", IMG),
    "notification title": evil("Notice", SCRIPT),
    "notification body": evil("Notice body", IMG),
    "certification name": evil("Certificate", SCRIPT),
    "certification issuer": evil("Issuer", IMG),
    "certification credential": evil("Credential", SCRIPT),
    "endorsement note": evil("Endorsement", IMG),
    # Enterprise identity (#15): a domain as stored (the service would refuse this name; the page
    # must escape whatever a row holds), a SCIM token's name, the SSO client id and a mapping.
    "domain name": evil("Domain", SCRIPT),
    "SCIM token name": evil("Directory", IMG),
    "SSO client id": evil("Client", SCRIPT),
    "SSO team attribute": evil("Attribute", IMG),
}


@dataclass
class Evil:
    world: World
    ids: dict[str, list[int]]  # URL kwarg -> the objects to visit
    export_jobs: dict[str, int] = field(default_factory=dict)


def _build(world: World) -> Evil:
    organisation = world.organisation
    admin, member, manager = (world.people[r] for r in ("admin", "member", "manager"))
    Organisation.objects.filter(pk=organisation.pk).update(name=FIELDS["organisation name"])
    world.admin.name = FIELDS["user name"]
    world.admin.save(update_fields=["name"])
    world.member.name = FIELDS["member user name"]
    world.member.save(update_fields=["name"])
    with organisation_context(organisation):
        Person.objects.filter(pk=member.pk).update(
            name=FIELDS["person name"],
            job_title=FIELDS["person title"],
            location=FIELDS["person location"],
        )
        newcomer = PersonFactory(organisation=organisation, name=FIELDS["other person name"])
        team = TeamFactory(organisation=organisation, name=FIELDS["team name"])
        child = TeamFactory(organisation=organisation, name=FIELDS["child team name"], parent=team)
        TeamManager.objects.create(organisation=organisation, team=team, person=manager)
        for t, person in ((team, member), (team, manager), (team, admin), (child, newcomer)):
            TeamMembershipFactory(organisation=organisation, team=t, person=person)

        category = SkillCategoryFactory(organisation=organisation, name=FIELDS["category name"])
        skill = SkillFactory(
            organisation=organisation,
            name=FIELDS["skill name"],
            description=FIELDS["skill description"],
            aliases=[FIELDS["skill alias"]],
            category=category,
        )
        other = SkillFactory(organisation=organisation, name=FIELDS["other skill name"])
        ProficiencyLevel.objects.filter(organisation=organisation, value=3).update(
            name=FIELDS["level name"], description=FIELDS["level description"]
        )
        SkillLevelDescriptor.objects.create(
            organisation=organisation, skill=skill, value=3, description=FIELDS["level descriptor"]
        )
        for person in (member, admin, newcomer):
            for s in (skill, other):
                ProfileSkill.objects.create(organisation=organisation, person=person, skill=s)
            RatingFactory(
                organisation=organisation,
                person=person,
                skill=skill,
                level=3,
                note=FIELDS["self-rating note"],
                # Stored unvalidated, as an older row or another path might hold it.
                evidence_url=f"https://example.com/{IMG}",
                rated_by=world.admin,
            )
        RatingFactory(
            organisation=organisation,
            person=member,
            skill=skill,
            level=2,
            source=RatingSource.MANAGER,
            note=FIELDS["validation note"],
            rated_by=world.manager,
        )

        role = RoleProfile.objects.create(
            organisation=organisation,
            name=FIELDS["role name"],
            description=FIELDS["role description"],
        )
        target = RoleProfile.objects.create(
            organisation=organisation, name=FIELDS["target role name"]
        )
        for r, s in ((role, skill), (role, other), (target, skill)):
            RoleRequirement.objects.create(
                organisation=organisation, role=r, skill=s, target_level=4, weight=Decimal(1)
            )
        for person in (member, admin, newcomer):
            RoleAssignment.objects.create(organisation=organisation, person=person, role=role)
        RoleAssignment.objects.create(
            organisation=organisation, person=member, role=target, kind="target"
        )
        audit_record(
            organisation=organisation,
            actor=world.admin,
            verb="team.renamed",
            target=team,
            before={"name": FIELDS["child team name"]},
            after={"name": FIELDS["team name"]},
        )
        invitation = InvitationFactory(organisation=organisation)
        from reviews.services import campaign_launch

        campaign = campaign_launch(
            organisation=organisation,
            by=world.admin,
            name=FIELDS["team name"],
            message=FIELDS["role description"],
            due_on=date(2099, 6, 30),
            teams=[team],
        )
        # The admin's own notification: its page opens only for its recipient.
        notification = Notification.objects.create(
            organisation=organisation,
            recipient=world.admin,
            kind=Kind.ENDORSEMENT,
            title=FIELDS["notification title"],
            body=FIELDS["notification body"],
            url=f"/o/{organisation.slug}/me/skills/",
        )
        certification = Certification.objects.create(
            organisation=organisation,
            person=member,
            name=FIELDS["certification name"],
            issuer=FIELDS["certification issuer"],
            credential_id=FIELDS["certification credential"],
            issued_on=date(2025, 1, 1),
            expires_on=date.today() + timedelta(days=30),
        )
        CertificationSkill.objects.create(
            organisation=organisation, certification=certification, skill=skill
        )
        Endorsement.objects.create(
            organisation=organisation,
            endorser=admin,
            person=member,
            skill=skill,
            note=FIELDS["endorsement note"],
        )
    api_token_create(user=world.admin, name=FIELDS["API token name"], organisation=organisation)

    # Real imports that fail on a cell holding the payload: their messages quote the cell.
    data = f"name,email\n{FIELDS['import cell']},{FIELDS['import cell']}\n".encode()
    failed = JobFactory(
        organisation=organisation,
        payload=data,
        filename=FIELDS["upload filename"],
        created_by=world.admin,
    )
    job_run(organisation_id=organisation.pk, job_id=failed.pk)
    # The ratings import quotes an unknown skill as typed (the people import lower-cases emails).
    data = f"email,skill,level,date\nmember@alpha.example,{FIELDS['import cell']},3,2025-01-01\n"
    rejected = JobFactory(
        organisation=organisation,
        kind=Job.Kind.RATINGS_IMPORT,
        payload=data.encode(),
        filename="ratings.csv",
        created_by=world.admin,
    )
    job_run(organisation_id=organisation.pk, job_id=rejected.pk)
    assert recompute_organisation(organisation_id=organisation.pk)
    exports = {}
    for fmt in ("csv", "xlsx"):
        job = JobFactory(
            organisation=organisation,
            kind=Job.Kind.GAP_EXPORT,
            created_by=world.admin,
            filename=f"gap-report.{fmt}",
            params={"format": fmt, "team_ids": []},
        )
        job_run(organisation_id=organisation.pk, job_id=job.pk)
        exports[fmt] = job.pk
    with organisation_context(organisation):
        assert Job.objects.get(pk=failed.pk).status == Job.Status.FAILED
        assert Job.objects.get(pk=rejected.pk).status == Job.Status.FAILED
        assert all(Job.objects.get(pk=pk).status == Job.Status.SUCCEEDED for pk in exports.values())

    with organisation_context(organisation):
        domain = DomainFactory(organisation=organisation, name=FIELDS["domain name"])
        scim_token = ScimTokenFactory(
            organisation=organisation, name=FIELDS["SCIM token name"], created_by=world.admin
        )
        IdentityProvider.objects.create(
            organisation=organisation,
            protocol=Protocol.OIDC,
            oidc_issuer="https://idp.example/",
            oidc_client_id=FIELDS["SSO client id"],
            attribute_team=FIELDS["SSO team attribute"],
        )
    return Evil(
        world,
        ids={
            "domain_id": [domain.pk],
            "token_id": [scim_token.pk],
            "membership_id": [world.memberships["member"].pk],
            "invitation_id": [invitation.pk],
            "person_id": [member.pk, newcomer.pk],
            "team_id": [team.pk, child.pk],
            "job_id": [failed.pk, rejected.pk, *exports.values()],
            "skill_id": [skill.pk, other.pk],
            "role_id": [role.pk, target.pk],
            "notification_id": [notification.pk],
            "certification_id": [certification.pk],
            "campaign_id": [campaign.pk],
        },
        export_jobs=exports,
    )


@pytest.fixture
def evil_org(org_a: World) -> Evil:
    return _build(org_a)


def _urls(route: OrgRoute, evil_org: Evil) -> Iterator[str]:
    slug = evil_org.world.organisation.slug
    ids = dict(evil_org.ids)
    if route.name == "reports:job_download":  # only an export has a file; an import is a 404
        ids["job_id"] = list(evil_org.export_jobs.values())
    if route.name == "certifications:certification_evidence":
        return  # a file download, never HTML (its headers are tested in tests/certifications)
    for name in route.kwargs:
        if name not in ids:
            pytest.fail(f"{route.name} takes {name!r}: give it an object in _build")
    choices = [ids[name] for name in route.kwargs]
    for values in itertools.product(*choices):
        yield reverse(
            route.name, kwargs={"org_slug": slug, **dict(zip(route.kwargs, values, strict=True))}
        )


def _extra_urls(evil_org: Evil) -> list[str]:
    """Pages whose interesting part needs a query: searches and filters."""
    slug = evil_org.world.organisation.slug
    skill_id = evil_org.ids["skill_id"][0]
    role_id = evil_org.ids["role_id"][0]
    return [
        f"/o/{slug}/people/?q=Person",
        f"/o/{slug}/skills/?q=Skill",
        f"/o/{slug}/skills/?q=Alias",
        f"/o/{slug}/me/skills/add/?q=Craft",
        f"/o/{slug}/search/?skill={skill_id}&min=1",
        f"/o/{slug}/roles/from-onet/?q=%3Cscript%3Ealert(1)%3C/script%3E",
        f"/o/{slug}/dashboard/?role={role_id}&skill={skill_id}",
        "/",
        "/orgs/",
        "/orgs/new/",
        "/settings/tokens/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
    ]


TAG = re.compile(r"<[a-zA-Z][^>]*>")
ATTRIBUTE_VALUE = re.compile(r"=\s*(\"[^\"]*\"|'[^']*')")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)


def _csp_problems(html: str) -> list[str]:
    """What the Content-Security-Policy would block. Attribute values are dropped first: an
    escaped payload inside value="…" is text, not an attribute."""
    problems = [f"inline script {m.group(0)}" for m in INLINE_SCRIPT.finditer(html)]
    if re.search(r"<style[\s>]", html, re.I):
        problems.append("a <style> element")
    for tag in TAG.findall(html):
        bare = ATTRIBUTE_VALUE.sub("=", tag)
        if re.search(r"\sstyle\s*=", bare, re.I):
            problems.append(f"style attribute in {tag[:80]}")
        if re.search(r"\son[a-z]+\s*=", bare, re.I):
            problems.append(f"event handler in {tag[:80]}")
        if re.search(r"=\s*[\"']?\s*javascript:", tag, re.I):
            problems.append(f"javascript: URL in {tag[:80]}")
    return problems


def _sweep(client: Client, urls: list[str]) -> tuple[dict[str, set[str]], list[str], int]:
    """GET each URL in full and as an htmx partial: which fields each shows escaped, every
    problem found, and how many HTML pages were read."""
    shown: dict[str, set[str]] = defaultdict(set)
    problems: list[str] = []
    pages = 0
    for url, headers in itertools.product(urls, ({}, HTMX)):
        response = client.get(url, headers=headers)
        if response.status_code in (404, 405):
            # Only POST views (405); a 404 here would be a broken id and is reported.
            if response.status_code == 404:
                problems.append(f"{url}: 404")
            continue
        if not response["Content-Type"].startswith("text/html") or response.status_code == 302:
            continue
        pages += 1
        html = response.content.decode()
        problems += [f"{url} {headers}: raw {m.group(0)!r}" for m in RAW.finditer(html)]
        problems += [f"{url} {headers}: {p}" for p in _csp_problems(html)]
        for name, value in FIELDS.items():
            if escape(value) in html:
                shown[name].add(url)
    return shown, problems, pages


def _route_urls(evil_org: Evil, name: str) -> set[str]:
    if ":" not in name:  # a page outside the organisation, with no ids
        return {reverse(name)}
    route = next(r for r in org_routes() if r.name == name)
    return set(_urls(route, evil_org))


# Where each field must be seen, escaped: (route name, which of its URLs) — the page a person
# would look at for it. Fields also show up elsewhere; the sweep forbids them raw everywhere.
WHERE: dict[str, list[str]] = {
    "organisation name": ["accounts:organisation_home"],
    "user name": ["accounts:member_list"],
    "member user name": ["accounts:member_list"],
    "person name": ["teams:person_detail", "teams:person_list", "reports:team_matrix"],
    "person title": ["teams:person_detail"],
    "person location": ["teams:person_detail"],
    "other person name": ["teams:person_list"],
    "team name": ["teams:team_list", "reports:team_matrix"],
    "child team name": ["teams:team_list"],
    "skill name": ["skills:framework", "skills:skill_detail", "skills:self_rating"],
    "other skill name": ["skills:framework", "roles:role_detail"],
    "skill description": ["skills:skill_detail"],
    "skill alias": ["skills:skill_detail"],
    "category name": ["skills:framework"],
    "level name": ["skills:scale"],
    "level description": ["skills:scale"],
    "level descriptor": ["skills:skill_detail"],
    "self-rating note": ["skills:rating_history"],
    "validation note": ["skills:rating_history"],
    "role name": ["roles:role_list", "roles:role_detail"],
    "role description": ["roles:role_detail"],
    "target role name": ["roles:role_list"],
    "upload filename": ["reports:job_detail", "teams:people_import"],
    "import cell": ["reports:job_detail"],
    "API token name": ["api_tokens"],
    "notification title": ["notifications:list"],
    "notification body": ["notifications:list"],
    "certification name": ["certifications:person_certifications", "certifications:expiry_list"],
    "certification issuer": ["certifications:person_certifications"],
    "certification credential": ["certifications:certification_update"],
    "endorsement note": ["teams:person_detail"],
    "domain name": ["domains:domain_list", "domains:domain_remove"],
    "SCIM token name": ["scim:settings"],
    "SSO client id": ["sso:settings"],
    "SSO team attribute": ["sso:settings"],
}


def test_every_page_shows_every_field_escaped_and_nothing_inline(evil_org, login):
    client = login(evil_org.world.admin)
    routes = [r for r in org_routes() if not r.route.startswith("api/")]
    urls = [url for route in routes for url in _urls(route, evil_org)] + _extra_urls(evil_org)
    shown, problems, pages = _sweep(client, urls)

    assert not problems, "\n".join(problems)
    assert pages > 60  # the sweep really read the organisation's pages
    assert set(WHERE) == set(FIELDS)
    missing = []
    for name, route_names in WHERE.items():
        for route_name in route_names:
            if not shown[name] & _route_urls(evil_org, route_name):
                missing.append(f"{name} not shown escaped on {route_name}")
    assert not missing, "\n".join(missing)


def test_a_member_sees_the_same_fields_escaped(evil_org, login):
    # A member's pages differ (their own skills, no admin forms); the sweep holds for them too.
    client = login(evil_org.world.member)
    routes = [r for r in org_routes() if not r.route.startswith("api/")]
    urls = [url for route in routes for url in _urls(route, evil_org)]
    shown, problems, _ = _sweep(client, urls)
    problems = [p for p in problems if not p.endswith(": 404")]  # members see less, by design
    assert not problems, "\n".join(problems)
    assert shown["person name"] and shown["skill name"] and shown["self-rating note"]


def test_form_errors_echo_the_payload_escaped(evil_org, login):
    """Refused forms re-show what was typed and name the clash: escaped, not raw."""
    world = evil_org.world
    client = login(world.admin)
    slug = world.organisation.slug
    posts: list[tuple[str, dict[str, str], str]] = [
        # A duplicate name is refused with a link to the existing skill, built with format_html.
        (
            f"/o/{slug}/skills/new/",
            {"name": FIELDS["skill name"], "kind": "technical"},
            "skill name",
        ),
        (f"/o/{slug}/people/new/", {"name": FIELDS["person name"], "email": IMG}, "person name"),
        (f"/o/{slug}/teams/new/", {"name": FIELDS["team name"]}, "team name"),
        (f"/o/{slug}/roles/new/", {"name": FIELDS["role name"]}, "role name"),
    ]
    for url, data, name in posts:
        response = client.post(url, data)
        html = response.content.decode()
        assert response.status_code == 400, (url, response.status_code)
        assert not RAW.search(html), url
        assert escape(FIELDS[name]) in html, url


def _export(evil_org: Evil, fmt: str, client: Client) -> bytes:
    slug = evil_org.world.organisation.slug
    response = client.get(f"/o/{slug}/jobs/{evil_org.export_jobs[fmt]}/download/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert not response["Content-Type"].startswith("text/html")
    assert response["X-Content-Type-Options"] == "nosniff"
    return b"".join(response.streaming_content) if response.streaming else response.content


EXPORTED = ["person name", "team name", "skill name", "other skill name", "role name"]


def test_the_csv_export_keeps_the_payloads_as_plain_text(evil_org, login):
    data = _export(evil_org, "csv", login(evil_org.world.admin))
    cells = {cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row}
    text = "\n".join(cells)
    for name in EXPORTED:
        # Verbatim, not HTML-escaped (a spreadsheet is not a page) and not turned into a formula.
        assert FIELDS[name] in text, name
        assert escape(FIELDS[name]) not in text, name
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_the_xlsx_export_keeps_the_payloads_as_text_cells(evil_org, login):
    data = _export(evil_org, "xlsx", login(evil_org.world.admin))
    workbook = load_workbook(io.BytesIO(data))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    values = [cell.value for cell in cells if isinstance(cell.value, str)]
    text = "\n".join(values)
    for name in EXPORTED:
        assert FIELDS[name] in text, name
    assert all(cell.data_type != "f" for cell in cells)


@pytest.mark.parametrize(
    "html",
    [
        "<p>Team <script>alert(1)</script></p>",
        '<input value=""><img src=x onerror=alert(1)>">',
        "<script>var a = 1;</script>",
        '<div style="color: red">',
        '<button onclick="go()">',
        '<a href="javascript:alert(1)">',
        "<style>p {}</style>",
    ],
)
def test_the_sweep_would_catch_a_raw_payload_or_inline_code(html):
    assert RAW.search(html) or _csp_problems(html)


def test_the_sweep_lets_escaped_payloads_and_inert_json_through():
    html = (
        f'<input value="{escape(FIELDS["person name"])}"><p>{escape(IMG)}</p>'
        '<script type="application/json" id="d">{}</script><script src="/static/x.js" defer></script>'
    )
    assert not RAW.search(html)
    assert not _csp_problems(html)
