"""The organisation's proficiency scale."""

from __future__ import annotations

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Organisation, User
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


@transaction.atomic
def scale_update(
    *, organisation: Organisation, levels: dict[int, tuple[str, str]], by: User | None
) -> list[ProficiencyLevel]:
    """Rename and redescribe the organisation's levels: ``{value: (name, description)}``.

    The values themselves are fixed (0–5) in this version: ratings, targets and the gap engine
    store them, so renumbering would need a migration of every rating. Levels not given are left as
    they are. Writes one ``scale.updated`` audit row listing what changed, or nothing if nothing
    did.
    """
    # accounts.services imports this module (new organisations get the default scale), so the
    # error class is imported here rather than at the top.
    from skills.services.framework import FrameworkError

    current = {
        level.value: level
        for level in ProficiencyLevel.objects.filter(organisation=organisation).order_by("value")
    }
    unknown = sorted(set(levels) - set(current))
    if unknown:
        raise FrameworkError(
            f"Level {unknown[0]} is not on the scale; the levels' values cannot change."
        )
    cleaned = {
        value: (" ".join(name.split()), description.strip())
        for value, (name, description) in levels.items()
    }
    if any(not name for name, _ in cleaned.values()):
        raise FrameworkError("Every level needs a name.")
    names = {v: current[v].name for v in current} | {v: n for v, (n, _) in cleaned.items()}
    if len({n.casefold() for n in names.values()}) < len(names):
        raise FrameworkError("Two levels cannot have the same name.")
    before: dict[str, dict[str, str]] = {}
    after: dict[str, dict[str, str]] = {}
    changed = []
    for value, (name, description) in sorted(cleaned.items()):
        level = current[value]
        if (level.name, level.description) == (name, description):
            continue
        before[str(value)] = {"name": level.name, "description": level.description}
        after[str(value)] = {"name": name, "description": description}
        level.name, level.description = name, description
        changed.append(level)
    if changed:
        ProficiencyLevel.objects.bulk_update(changed, ["name", "description"])
        audit_record(
            organisation=organisation,
            actor=by,
            verb="scale.updated",
            target=organisation,
            before=before,
            after=after,
        )
    return list(current.values())
