"""The team matrix's cells, rendered in Python.

A 200-person team has 50,000+ cells; the template language spent fifteen variable lookups and
conditions on each, three times the cost of a bare table of the same size (BENCHMARKS.md, P3/P4).
Every value here is a number or a fixed word, and ``format_html`` escapes them all the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from reports.selectors import MatrixCell

register = template.Library()


class _Option(Protocol):
    """What ``options`` lists: a model with a name (a skill, a team, a role profile)."""

    @property
    def pk(self) -> Any: ...

    @property
    def name(self) -> str: ...


def _cell(cell: MatrixCell, endorsed: int | None = None) -> tuple[str, str, str, str]:
    if cell.not_applicable:
        level_class, title, text = "na", "not applicable", "n/a"
    elif cell.rated:
        level_class, text = str(cell.level or 0), str(cell.level)
        title = f"level {cell.level}"
        title += ", validated" if cell.validated else ""
        title += ", stale" if cell.stale else ""
    else:
        level_class, title, text = str(cell.level or 0), "not rated", "·"
    css = f"cell lvl-{level_class}"
    css += " stale" if cell.stale else ""
    css += " unrated" if not cell.rated else ""
    if cell.target is not None:
        title += f"; target {cell.target}"
    short = format_html('<sup class="short">−{}</sup>', cell.shortfall) if cell.shortfall else ""
    if endorsed:
        # Endorsements (#16) beside the level, never part of it.
        title += f"; {endorsed} endorsement{'' if endorsed == 1 else 's'}"
        short = format_html('{}<sub class="endorsed">✓{}</sub>', short, endorsed)
    return css, title, text, short


@register.filter
def matrix_cells(cells: Iterable[MatrixCell], endorsed: Sequence[int] | None = None) -> SafeString:
    """``{{ row.cells|matrix_cells }}``: one ``<td>`` per cell, as the template used to write it;
    ``{{ row.cells|matrix_cells:endorsed }}`` adds each cell's endorsement count (same order)."""
    if endorsed is None:
        parts = (_cell(cell) for cell in cells)
    else:
        parts = (_cell(cell, n) for cell, n in zip(cells, endorsed, strict=True))
    return format_html_join("", '<td class="{}" title="{}">{}{}</td>', parts)


@register.simple_tag
def options(choices: Iterable[_Option], selected: object = None) -> SafeString:
    """``{% options skills filters.skills %}``: ``<option>`` per object (``pk``, ``name``), marking
    the selected id or ids. The skill filter lists the whole framework (1,500 skills in the
    benchmark), which cost a small team's page more than its matrix did."""
    chosen = set(selected) if isinstance(selected, list | set | tuple) else {selected}
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((c.pk, " selected" if c.pk in chosen else "", c.name) for c in choices),
    )
