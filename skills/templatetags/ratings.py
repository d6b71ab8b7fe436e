"""``{% person_skills tenant person %}``: the skills section of a person's page.

The person page belongs to the people area and passes only ``tenant`` and ``person``; this tag
fetches the rest through the ratings selectors, which decide whether the caller may see them.
"""

from __future__ import annotations

from typing import Any

from django import template

from accounts.views_base import Tenant
from skills.selectors.ratings import people_visible_to, self_rating_rows
from teams.models import Person

register = template.Library()


@register.inclusion_tag("skills/ratings/_person_skills.html")
def person_skills(tenant: Tenant, person: Person) -> dict[str, Any]:
    organisation = tenant.organisation
    visible = person.pk in people_visible_to(
        organisation=organisation, membership=tenant.membership
    )
    groups = self_rating_rows(organisation=organisation, person=person) if visible else []
    # Only rated skills: an unrated skill on a profile says nothing about the person yet.
    groups = [g for g in groups if any(row.rated for row in g.rows)]
    return {"tenant": tenant, "person": person, "visible": visible, "groups": groups}
