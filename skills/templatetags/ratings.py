"""``{% person_skills tenant person %}``: the skills section of a person's page.

The person page belongs to the people area and passes only ``tenant`` and ``person``; this tag is
an adapter over ``skills.selectors.ratings.person_skills_section``, which decides what the caller
may see and fetches it.
"""

from __future__ import annotations

from typing import Any

from django import template

from accounts.views_base import Tenant
from skills.selectors.ratings import person_skills_section
from teams.models import Person

register = template.Library()


@register.inclusion_tag("skills/ratings/_person_skills.html")
def person_skills(tenant: Tenant, person: Person) -> dict[str, Any]:
    section = person_skills_section(
        organisation=tenant.organisation, membership=tenant.membership, person=person
    )
    return {
        "tenant": tenant,
        "person": person,
        "visible": section.visible,
        "groups": section.groups,
    }
