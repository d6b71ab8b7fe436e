"""`make demo` loads Acme: people, teams, an adopted framework, a year of ratings and its verified
email domain; twice is the same as once. It serves the way production does (gunicorn, DEBUG off); `make dev` keeps DEBUG on."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from accounts.audit import audit_sentence
from accounts.models import AuditEvent, Membership, Organisation, User
from certifications.models import Certification
from domains.models import Domain
from endorsements.models import Endorsement
from notifications.models import Notification
from reviews.models import Campaign
from scim.models import ScimToken
from skills.models import ProfileSkill, Rating, Skill
from skillsmap.core.tenancy import organisation_context
from skillsmap.management.commands.seed_demo import DEMO_LOGINS, DEMO_PASSWORD
from sso.models import IdentityProvider
from teams.models import Person, Team

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _seeded(django_db_setup, django_db_blocker):
    """The demo seeded once for this module's tests (it takes seconds), inside a transaction
    rolled back when they are done, so nothing of it reaches another module. Each test runs in a
    savepoint of it, rolled back after the test as usual."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("import_skill_library", verbosity=0)
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        yield
        transaction.set_rollback(True)


@pytest.fixture
def acme(_seeded):
    return Organisation.objects.get(slug="acme")


def _counts(organisation):
    with organisation_context(organisation):
        return {
            "people": Person.objects.count(),
            "teams": Team.objects.count(),
            "skills": Skill.objects.count(),
            "ratings": Rating.objects.count(),
            "members": Membership.objects.count(),
            "certifications": Certification.objects.count(),
            "endorsements": Endorsement.objects.count(),
            "notifications": Notification.objects.count(),
            "campaigns": Campaign.objects.count(),
            "domains": Domain.objects.count(),
            "audit_events": AuditEvent.objects.count(),
        }


def test_the_demo_has_a_realistic_software_organisation(acme):
    counts = _counts(acme)
    assert 55 <= counts["people"] <= 70
    assert counts["teams"] == 6
    assert counts["skills"] >= 50
    assert counts["ratings"] >= 1000
    with organisation_context(acme):
        sources = set(Rating.objects.values_list("source", flat=True))
        assert sources == {"self", "manager"}
        assert Skill.objects.filter(library_skill__isnull=False).count() >= 40
        engineer = Person.objects.get(email="engineer@acme.example")
        assert ProfileSkill.objects.filter(person=engineer).count() >= 10
        assert not Rating.objects.filter(person=engineer).exists()
        assert engineer.manager.email == "manager@acme.example"


def test_the_demo_has_a_quarter_of_team_history_for_the_dashboard_trends(acme):
    """Both dashboard trends (average gap, bus-factor risks) have points from the first visit."""
    from reports.models import TeamSnapshot

    with organisation_context(acme):
        days = set(TeamSnapshot.objects.values_list("day", flat=True))
        assert len(days) >= 12  # twelve weekly points, and today's once the seed's snapshot ran
        assert TeamSnapshot.objects.filter(bus_factor_risks__gt=0).exists()
        # One point per team per day, as the nightly snapshot writes them.
        assert TeamSnapshot.objects.count() == len(days) * Team.objects.count()


def test_the_demo_keeps_its_data_alive_with_certifications_and_endorsements(acme):
    with organisation_context(acme):
        engineer = Person.objects.get(email="engineer@acme.example")
        statuses = {c.status for c in Certification.objects.all()}
        assert statuses == {"valid", "expiring", "expired"}
        assert Certification.objects.filter(person=engineer).count() == 2
        assert Endorsement.objects.filter(person=engineer).count() >= 3
        # The expiry alert and the endorsements are in the engineer's bell.
        kinds = set(
            Notification.objects.filter(recipient=engineer.user).values_list("kind", flat=True)
        )
        assert {"certification_expiry", "endorsement"} <= kinds
        # A review campaign under way, asking a lead and not the engineer (her to-dos are hers).
        [campaign] = Campaign.objects.all()
        asked = set(campaign.participants.values_list("person__email", flat=True))
        assert asked == {"manager@acme.example"}


def test_the_demo_has_its_domain_verified_and_a_second_claim_pending(acme):
    admin = User.objects.get(email="admin@acme.example")
    with organisation_context(acme):
        domains = {d.name: d for d in Domain.objects.all()}
        assert set(domains) == {"acme.example", "acme-labs.example"}
        verified, pending = domains["acme.example"], domains["acme-labs.example"]
        assert verified.verified_at is not None and verified.created_by == admin
        assert pending.verified_at is None and pending.created_by == admin
        # The trail reads as the real flow's: both claimed, then acme.example verified, by Ada.
        events = AuditEvent.objects.filter(verb__startswith="domain.").order_by("at", "id")
        assert [(e.verb, e.target_repr, e.actor_id) for e in events] == [
            ("domain.claimed", "acme.example", admin.pk),
            ("domain.claimed", "acme-labs.example", admin.pk),
            ("domain.verified", "acme.example", admin.pk),
        ]
        assert audit_sentence(events.last()) == "Ada Admin verified the domain acme.example"
        # No identity provider, no SCIM token: the demo logins keep their passwords.
        assert not IdentityProvider.objects.exists()
        assert not ScimToken.objects.exists()
    client = Client()
    client.force_login(admin)
    html = client.get("/o/acme/settings/domains/").content.decode()
    assert "Verified</span>" in html and "Pending</span>" in html
    assert pending.record_value in html and verified.record_value not in html


def test_every_demo_login_signs_in_with_its_password_through_the_email_first_page(acme):
    """acme.example is verified but Acme has no identity provider: the email step leads to the
    password step, not to SSO."""
    for email, _name, _role in DEMO_LOGINS:
        client = Client()
        step = client.post("/accounts/login/", {"login": email})
        assert step.status_code == 200
        assert 'name="password"' in step.content.decode(), email
        done = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
        assert done.status_code == 302, email
        assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)


def test_seeding_twice_changes_nothing(acme):
    before = _counts(acme)
    with organisation_context(acme):
        verified_at = Domain.objects.get(name="acme.example").verified_at
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _counts(acme) == before
    assert before["domains"] == 2
    with organisation_context(acme):
        assert Domain.objects.get(name="acme.example").verified_at == verified_at
        assert not Domain.objects.get(name="acme-labs.example").verified_at


# --- How `make demo` serves: as production does, DEBUG off --------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def _recipe(target: str, addr: str = "127.0.0.1:8123") -> list[str]:
    """The commands `make <target>` would run, without running them."""
    result = subprocess.run(
        ["make", "-n", "-C", str(ROOT), target, f"DEMO_ADDR={addr}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [
        line for line in result.stdout.splitlines() if "manage.py" in line or "gunicorn" in line
    ]


def _env_of(command: str) -> dict[str, str]:
    """The environment assignments in front of a recipe line (NAME=value ... program)."""
    env = {}
    for word in shlex.split(command):
        name, equals, value = word.partition("=")
        if not equals or not name.isidentifier():
            break
        env[name] = value
    return env


def _settings_under(env: dict[str, str]) -> tuple[bool, list[str]]:
    """DEBUG and ALLOWED_HOSTS of the settings that ``env`` selects, read in a fresh process."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "ALLOWED_HOSTS"}}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG); print(','.join(settings.ALLOWED_HOSTS))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    debug, hosts = result.stdout.split()
    return debug == "True", hosts.split(",")


def test_make_demo_serves_with_gunicorn_collected_static_files_and_debug_off():
    recipe = _recipe("demo")
    server = recipe[-1]
    assert "gunicorn skillsmap.wsgi" in server and "runserver" not in server
    assert any("collectstatic" in line for line in recipe)  # whitenoise serves what is collected
    env = _env_of(server)
    assert env["DJANGO_SETTINGS_MODULE"] == "skillsmap.settings.demo"
    debug, hosts = _settings_under(env)
    assert debug is False
    assert "127.0.0.1" in hosts


def test_make_demo_allows_the_host_it_is_told_to_serve_on():
    env = _env_of(_recipe("demo", addr="demo.localhost:8123")[-1])
    assert "demo.localhost" in _settings_under(env)[1]


def test_make_dev_keeps_debug_on_with_the_reloading_runserver():
    server = _recipe("dev")[-1]
    assert "manage.py runserver" in server and "--noreload" not in server
    debug, _hosts = _settings_under({"DJANGO_SETTINGS_MODULE": "skillsmap.settings.local"})
    assert debug is True
