"""The organisation's proficiency scale."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Organisation
from skills.models import ProficiencyLevel

# The default 0–5 scale. "Not applicable" is not on it: it is a flag on a rating, not a level.
DEFAULT_SCALE: list[tuple[int, str, str]] = [
    (0, "None", "No knowledge or experience."),
    (
        1,
        "Novice",
        "Knows the basics from study or observation; needs close guidance to apply them.",
    ),
    (
        2,
        "Advanced beginner",
        "Has applied it in simple situations; needs help with anything unusual.",
    ),
    (
        3,
        "Competent",
        "Applies it independently in everyday work and knows where the limits of their knowledge are.",
    ),
    (
        4,
        "Proficient",
        "Handles complex and novel situations, sees the whole picture and guides others.",
    ),
    (
        5,
        "Expert",
        "A recognised authority: shapes how the organisation practises it and teaches it to others.",
    ),
]


@transaction.atomic
def scale_install_default(*, organisation: Organisation) -> list[ProficiencyLevel]:
    """Give an organisation the default scale; levels it already has are left as they are."""
    existing = set(
        ProficiencyLevel.objects.filter(organisation=organisation).values_list("value", flat=True)
    )
    ProficiencyLevel.objects.bulk_create(
        [
            ProficiencyLevel(organisation=organisation, value=v, name=n, description=d)
            for v, n, d in DEFAULT_SCALE
            if v not in existing
        ]
    )
    return list(ProficiencyLevel.objects.filter(organisation=organisation).order_by("value"))
