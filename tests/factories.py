"""factory_boy factories. Tenant rows are created inside their organisation's context, exactly as
the application creates them, so on PostgreSQL they pass row-level security honestly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import Invitation, Membership, Organisation, User, hash_token
from accounts.permissions import Role
from skillsmap.core.models import Job
from skillsmap.core.tenancy import organisation_context
from teams.models import Person, Team, TeamMembership

TEST_PASSWORD = "correct horse battery staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            from allauth.account.models import EmailAddress

            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class TenantFactory(DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Any:
        with organisation_context(kwargs["organisation"]):
            return super()._create(model_class, *args, **kwargs)


class MembershipFactory(TenantFactory):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class InvitationFactory(TenantFactory):
    class Meta:
        model = Invitation

    class Params:
        token = factory.Sequence(lambda n: f"token-{n}")

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MEMBER
    token_hash = factory.LazyAttribute(lambda o: hash_token(o.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class PersonFactory(TenantFactory):
    class Meta:
        model = Person

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    job_title = "Software Engineer"


class TeamFactory(TenantFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class TeamMembershipFactory(TenantFactory):
    class Meta:
        model = TeamMembership

    organisation = factory.SubFactory(OrganisationFactory)
    team = factory.SubFactory(TeamFactory, organisation=factory.SelfAttribute("..organisation"))
    person = factory.SubFactory(PersonFactory, organisation=factory.SelfAttribute("..organisation"))


class JobFactory(TenantFactory):
    class Meta:
        model = Job

    organisation = factory.SubFactory(OrganisationFactory)
    kind = Job.Kind.PEOPLE_IMPORT
    filename = "people.csv"


# --- Certifications (appended by the certifications feature) ------------------------------------


class CertificationFactory(TenantFactory):
    class Meta:
        model = "certifications.Certification"

    organisation = factory.SubFactory(OrganisationFactory)
    person = factory.SubFactory(PersonFactory, organisation=factory.SelfAttribute("..organisation"))
    name = factory.Sequence(lambda n: f"Certificate {n}")
    issuer = "CNCF"
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))
    expires_on = None


# --- Verified domains (#15, appended by the domains part) ---------------------------------------


class DomainFactory(TenantFactory):
    """A claimed domain, pending by default; ``DomainFactory(verified=True)`` for a verified one."""

    class Meta:
        model = "domains.Domain"

    class Params:
        verified = factory.Trait(verified_at=factory.LazyFunction(timezone.now))

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"corp{n}.example")
    verified_at = None


class ScimTokenFactory(TenantFactory):
    """A SCIM token (#15); its secret is ``scim_<prefix>_secret-<n>``, kept on ``.secret``."""

    class Meta:
        model = "scim.ScimToken"

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Directory {n}")
    prefix = factory.Sequence(lambda n: f"{n:08x}")
    token_hash = factory.LazyAttribute(lambda t: hash_token(f"scim_{t.prefix}_secret"))
    created_by = factory.SubFactory(UserFactory)
