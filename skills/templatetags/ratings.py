"""``{% person_skills tenant person %}``: the skills section of a person's page; and
``{% skill_options skills selected %}``, the options of a skill select.

The person page belongs to the people area and passes only ``tenant`` and ``person``; this tag is
an adapter over ``skills.selectors.ratings.person_skills_section``, which decides what the caller
may see and fetches it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.views_base import Tenant
from skills.models import Skill
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


@register.simple_tag
def skill_options(skills: Iterable[Skill], selected: object = None) -> SafeString:
    """``<option>``s of every skill, ``selected`` (an id, or its text as the query string had it)
    chosen. In Python rather than a template loop: people search shows three selects of an
    organisation's whole framework, and 2,500 skills took the template 0.3 s to render (XL)."""
    chosen = str(selected) if selected not in (None, "") else None
    return mark_safe(  # noqa: S308 (every value is escaped)
        "".join(
            f'<option value="{skill.pk}"{" selected" if str(skill.pk) == chosen else ""}>'
            f"{escape(skill.name)}</option>"
            for skill in skills
        )
    )
