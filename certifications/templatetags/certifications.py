"""``{% person_certifications tenant person %}``: the certifications section of a person's page.

The person page belongs to the people area (teams, below this app) and passes only ``tenant`` and
``person``; this tag is an adapter over ``certifications.selectors.person_certifications_section``,
which decides what the caller may see and fetches it. Templates compose layers; code does not.
"""

from __future__ import annotations

from typing import Any

from django import template

from accounts.views_base import Tenant
from certifications.selectors import person_certifications_section
from teams.models import Person

register = template.Library()


@register.inclusion_tag("certifications/_person_certifications.html")
def person_certifications(tenant: Tenant, person: Person) -> dict[str, Any]:
    section = person_certifications_section(
        organisation=tenant.organisation, membership=tenant.membership, person=person
    )
    return {
        "tenant": tenant,
        "person": person,
        "visible": section.visible,
        "certifications": section.certifications,
    }
