"""People search's endorsement filter and column (registered with ``skills.hooks.on_people_search``
in ``EndorsementsConfig.ready``).

Each criterion of the search ("Python, at least level 3") gains an optional "endorsed at least N
times": a person then stays in the results only if that many visible endorsements of theirs name
the skill. The results show the counts of every searched skill. One query (the counts), whatever
the number of people.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accounts.models import Organisation
from endorsements.selectors import endorsement_counts
from skills.hooks import PeopleSearchExtras
from skills.models import Skill

PARAM = "endorsed"
MAX_ENDORSED = 999
ERROR = f"Give a whole number of endorsements, from 1 to {MAX_ENDORSED}, or leave it empty."


@dataclass(frozen=True)
class EndorsedField:
    """One criterion's "endorsed at least" input, as the form shows it again."""

    index: int  # the fieldset's, from 1 (the input's id)
    value: str
    error: str = ""


@dataclass(frozen=True)
class SkillCount:
    skill: Skill
    count: int


def endorsed_minimum_parse(raw: str) -> tuple[int | None, str]:
    """An "endorsed at least N times" input (people search, the team matrix): ``(N, "")``,
    ``(None, "")`` when empty, or ``(None, ERROR)``."""
    raw = raw.strip()
    if not raw:
        return None, ""
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ENDORSED:
        return None, ERROR
    return int(raw), ""


def people_search_extras(
    *,
    organisation: Organisation,
    params: Mapping[str, Any],
    positions: Sequence[int],
    slots: int,
    criteria: Sequence[tuple[Skill, int]],
    person_ids: Collection[int],
) -> PeopleSearchExtras:
    getlist = getattr(params, "getlist", None)
    values: list[str] = list(getlist(PARAM)) if getlist else []
    raw = [values[p] if p < len(values) else "" for p in positions]
    parsed = [endorsed_minimum_parse(value) for value in raw]
    fields = [
        EndorsedField(i + 1, raw[i] if i < len(raw) else "", parsed[i][1] if i < len(raw) else "")
        for i in range(slots)
    ]
    valid = not any(error for _, error in parsed)
    # The minimums line up with the criteria only when every criterion is valid; otherwise the
    # search shows no results anyway.
    minimums = [m for m, _ in parsed] if valid and len(parsed) == len(criteria) else []
    counts = endorsement_counts(
        organisation=organisation, person_ids=person_ids, skill_ids=[s.pk for s, _ in criteria]
    )
    keep: set[int] | None = None
    wanted = [(skill, m) for (skill, _), m in zip(criteria, minimums, strict=False) if m]
    if wanted:
        keep = {
            person_id
            for person_id in person_ids
            if all(counts.get((person_id, skill.pk), 0) >= m for skill, m in wanted)
        }
    per_person = {
        person_id: [
            SkillCount(skill, counts.get((person_id, skill.pk), 0)) for skill, _ in criteria
        ]
        for person_id in person_ids
    }
    return PeopleSearchExtras(
        criterion_template="endorsements/_search_criterion.html",
        fields=fields,
        valid=valid,
        keep=keep,
        header_template="endorsements/_search_header.html",
        cell_template="endorsements/_search_cell.html",
        per_person=per_person,
    )
