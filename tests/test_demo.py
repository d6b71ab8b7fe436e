"""`make demo` loads Acme: people, teams, an adopted framework and a year of ratings; twice is the
same as once."""

import pytest
from django.core.management import call_command

from accounts.models import Membership, Organisation
from skills.models import ProfileSkill, Rating, Skill
from skillsmap.core.tenancy import organisation_context
from teams.models import Person, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    call_command("import_skill_library", verbosity=0)
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Organisation.objects.get(slug="acme")


def _counts(organisation):
    with organisation_context(organisation):
        return {
            "people": Person.objects.count(),
            "teams": Team.objects.count(),
            "skills": Skill.objects.count(),
            "ratings": Rating.objects.count(),
            "members": Membership.objects.count(),
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


def test_seeding_twice_changes_nothing(acme):
    before = _counts(acme)
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _counts(acme) == before
