"""The baseline of the team-matrix measure (P3/P4): a bare Django view that renders a table of the
same size from a precomputed list. No queries, no permission checks, no selectors: what rendering
alone costs through the same middleware."""

from __future__ import annotations

from functools import cache

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from skillsmap.urls import urlpatterns as project_urlpatterns

TABLE = """<!doctype html><html><body><table>
<thead><tr><th>Person</th><th>Role</th><th>Gap</th>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in rows %}<tr><th>{{ row.name }}</th><td>{{ row.role }}</td><td>{{ row.gap }}</td>
{% for cell in row.cells %}<td class="level-{{ cell }}">{{ cell }}</td>{% endfor %}</tr>{% endfor %}</tbody>
</table></body></html>"""


@cache
def _table(rows: int, columns: int) -> dict[str, object]:
    return {
        "columns": [f"Skill {j:04d}" for j in range(columns)],
        "rows": [
            {
                "name": f"Person {i:05d}",
                "role": "Role 01",
                "gap": 12.5,
                "cells": [j % 6 for j in range(columns)],
            }
            for i in range(rows)
        ],
    }


def table(request: HttpRequest, rows: int, columns: int) -> HttpResponse:
    template = engines["django"].from_string(TABLE)
    return HttpResponse(template.render(_table(rows, columns), request))


urlpatterns = [
    path("bench/table/<int:rows>/<int:columns>/", table, name="bench_table"),
    *project_urlpatterns,
]
