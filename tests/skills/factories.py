"""Factories of the skills domain (append new ones; tenant rows are created in their organisation)."""

from __future__ import annotations

import factory
from django.utils import timezone

from skills.library import normalise_skill_name
from skills.models import Rating, RatingSource, Skill, SkillCategory, SkillKind
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
