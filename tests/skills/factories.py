"""Factories of the skills domain (append new ones; tenant rows are created in their organisation)."""

from __future__ import annotations

import factory
from django.utils import timezone

from skills.library import normalise_skill_name
from skills.models import ProfileSkill, Rating, RatingSource, Skill, SkillCategory, SkillKind
from tests.factories import OrganisationFactory, PersonFactory, TenantFactory


class SkillCategoryFactory(TenantFactory):
    class Meta:
        model = SkillCategory

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class SkillFactory(TenantFactory):
    class Meta:
        model = Skill

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Skill {n}")
    normalised_name = factory.LazyAttribute(lambda o: normalise_skill_name(o.name))
    kind = SkillKind.TECHNICAL


class RatingFactory(TenantFactory):
    class Meta:
        model = Rating

    organisation = factory.SubFactory(OrganisationFactory)
    person = factory.SubFactory(PersonFactory, organisation=factory.SelfAttribute("..organisation"))
    skill = factory.SubFactory(SkillFactory, organisation=factory.SelfAttribute("..organisation"))
    level = 3
    source = RatingSource.SELF
    rated_at = factory.LazyFunction(timezone.now)


# --- Ratings (appended by the ratings feature) ---------------------------------------------------


class ProfileSkillFactory(TenantFactory):
    class Meta:
        model = ProfileSkill

    organisation = factory.SubFactory(OrganisationFactory)
    person = factory.SubFactory(PersonFactory, organisation=factory.SelfAttribute("..organisation"))
    skill = factory.SubFactory(SkillFactory, organisation=factory.SelfAttribute("..organisation"))


# --- Framework (appended by the framework feature) -----------------------------------------------
# The library is global (no organisation): these rows are created directly, outside any context.


class LibraryCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "skills.LibraryCategory"

    source = "onet"
    external_id = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.Sequence(lambda n: f"Library category {n}")
    kind = SkillKind.TECHNICAL


class LibrarySkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "skills.LibrarySkill"

    source = "onet"
    external_id = factory.Sequence(lambda n: f"lib-{n}")
    name = factory.Sequence(lambda n: f"Library skill {n}")
    normalised_name = factory.LazyAttribute(lambda o: normalise_skill_name(o.name))
    description = factory.LazyAttribute(lambda o: f"What {o.name} is.")
    kind = SkillKind.TECHNICAL
    category = factory.SubFactory(LibraryCategoryFactory)
    attribution = "O*NET 29.3 Database by USDOL/ETA, CC BY 4.0"
    release = "29.3"


class LibraryLevelAnchorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "skills.LibraryLevelAnchor"

    skill = factory.SubFactory(LibrarySkillFactory)
    level = 4
    description = factory.LazyAttribute(lambda o: f"{o.skill.name} at LV {o.level}")


class SkillLevelDescriptorFactory(TenantFactory):
    class Meta:
        model = "skills.SkillLevelDescriptor"

    organisation = factory.SubFactory(OrganisationFactory)
    skill = factory.SubFactory(SkillFactory, organisation=factory.SelfAttribute("..organisation"))
    value = 3
    description = factory.LazyAttribute(lambda o: f"{o.skill.name} at level {o.value}")
