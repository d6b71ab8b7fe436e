"""The team matrix's cells, rendered in Python.

A 200-person team has 50,000+ cells; the template language spent fifteen variable lookups and
conditions on each, three times the cost of a bare table of the same size (BENCHMARKS.md, P3/P4).
Every value here is a number or a fixed word, and ``format_html`` escapes them all the same. The
cells take a few dozen distinct values (``reports.selectors._matrix_rows`` makes equal cells one
object), so each distinct ``<td>`` is formatted once and reused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from html import escape
from typing import Any, Protocol

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from reports.selectors import MatrixCell, MatrixColumn

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


@lru_cache(maxsize=4096)
def _td(cell: MatrixCell, endorsed: int | None) -> SafeString:
    return format_html('<td class="{}" title="{}">{}{}</td>', *_cell(cell, endorsed))


@register.filter
def matrix_cells(cells: Iterable[MatrixCell], endorsed: Sequence[int] | None = None) -> SafeString:
    """``{{ row.cells|matrix_cells }}``: one ``<td>`` per cell, as the template used to write it;
    ``{{ row.cells|matrix_cells:endorsed }}`` adds each cell's endorsement count (same order)."""
    if endorsed is None:
        parts = [_td(cell, None) for cell in cells]
    else:
        parts = [_td(cell, n) for cell, n in zip(cells, endorsed, strict=True)]
    return mark_safe("".join(parts))  # noqa: S308  # each part is format_html's output


# The helpers below write HTML with f-strings over ``html.escape`` (what ``django.utils.html.escape``
# calls, without its lazy-string wrapper): once per skill of the framework or per column, they
# cost a small team's page more than its matrix did through ``format_html`` and the template.


@register.simple_tag
def options(choices: Iterable[_Option], selected: object = None) -> SafeString:
    """``{% options skills filters.skills %}``: ``<option>`` per object (``pk``, ``name``), marking
    the selected id or ids. The skill filter lists the whole framework (1,500 skills in the
    benchmark, 2,500 in XL)."""
    chosen = set(selected) if isinstance(selected, list | set | tuple) else {selected}
    return mark_safe(  # noqa: S308  # every value is escaped here
        "".join(
            f'<option value="{escape(str(c.pk))}"{" selected" if c.pk in chosen else ""}>'
            f"{escape(c.name)}</option>"
            for c in choices
        )
    )


@register.filter
def matrix_headers(columns: Iterable[MatrixColumn]) -> SafeString:
    """``{{ matrix.columns|matrix_headers }}``: the skills' column headers."""
    return mark_safe(  # noqa: S308  # every name is escaped here
        "".join(
            f'<th scope="col" class="skill-col"><span>{escape(c.skill.name)}</span></th>'
            for c in columns
        )
    )


@register.filter
def matrix_targets(columns: Iterable[MatrixColumn]) -> SafeString:
    """``{{ matrix.columns|matrix_targets }}``: the team target of each column, or a dash."""
    return mark_safe(  # noqa: S308  # integers and a fixed dash
        "".join(
            f'<td class="num">{int(c.coverage.target) if c.coverage else "—"}</td>' for c in columns
        )
    )


_UNCOVERED = ' <span class="badge risk" title="Nobody is at the target">uncovered</span>'
_BUS_FACTOR = (
    ' <span class="badge risk" title="Bus factor: one person at target; if they leave, nobody'
    ' is">⚠<span class="visually-hidden"> bus factor</span></span>'
)


def _coverage_cell(column: MatrixColumn) -> str:
    coverage = column.coverage
    if coverage is None:
        return '<td class="num">—</td>'
    risk = " risk" if coverage.bus_factor_risk else ""
    badge = (
        _UNCOVERED if coverage.coverage == 0 else _BUS_FACTOR if coverage.bus_factor_risk else ""
    )
    return f'<td class="num{risk}">{int(coverage.coverage)}{badge}</td>'


@register.filter
def matrix_coverage(columns: Iterable[MatrixColumn]) -> SafeString:
    """``{{ matrix.columns|matrix_coverage }}``: how many people are at or above each column's
    target, with the "uncovered" and bus-factor badges."""
    return mark_safe("".join(_coverage_cell(c) for c in columns))  # noqa: S308  # as above
