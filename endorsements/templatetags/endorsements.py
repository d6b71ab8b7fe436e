"""``{% person_endorsements tenant person %}``: the endorsements section of a person's page.

The person page belongs to the people area and passes only ``tenant`` and ``person``; this tag is
an adapter over ``endorsements.selectors.person_endorsements_section``, which decides what the
caller may see. The endorsement views re-render the same section after an htmx write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template

from accounts.permissions import Perm
from accounts.views_base import Tenant
from endorsements.models import NOTE_MAX_LENGTH
from endorsements.selectors import person_endorsements_section
from teams.models import Person

register = template.Library()

SECTION_TEMPLATE = "endorsements/_person_endorsements.html"


def section_context(
    *, tenant: Tenant, person: Person, errors: Sequence[str] = (), notice: str = ""
) -> dict[str, Any]:
    section = person_endorsements_section(
        organisation=tenant.organisation, membership=tenant.membership, person=person
    )
    return {
        "tenant": tenant,
        "person": person,
        "section": section,
        "can_endorse": (
            not section.is_person and person.is_active and tenant.can(Perm.ENDORSEMENTS_GIVE)
        ),
        "note_max": NOTE_MAX_LENGTH,
        "errors": errors,
        "notice": notice,
    }


@register.inclusion_tag(SECTION_TEMPLATE)
def person_endorsements(tenant: Tenant, person: Person) -> dict[str, Any]:
    return section_context(tenant=tenant, person=person)
