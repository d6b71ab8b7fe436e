"""Two layer rules read from the source, so that a leak comes back as a failing test:

- no ORM query in views, forms, API modules (serializers and API views) or template tags: they
  reach the database through selectors and services (``Model.objects.none()`` placeholders, which
  issue no query, are the exception);
- no app module imports another module's private (``_``-prefixed) name.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = (
    "accounts", "notifications", "domains", "teams", "sso", "scim", "skills", "certifications",
    "endorsements", "roles", "reports", "reviews",
)  # fmt: skip
# Queryset methods that build or run a query; a call of one of them is a query. (``values`` is
# left out: it is a dict method too.)
QUERY_METHODS = {
    "filter", "exclude", "annotate", "aggregate", "values_list", "order_by",
    "select_related", "prefetch_related", "get_or_create", "update_or_create", "bulk_create",
    "in_bulk", "raw", "extra",
}  # fmt: skip


def _app_files() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def _is_presentation(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return (
        path.name in {"views.py", "forms.py", "apis.py"}
        or any(part in {"views", "forms", "templatetags"} for part in parts[1:-1])
    ) and path.name != "__init__.py"


def _queries(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method, target = node.func.attr, node.func.value
        manager = isinstance(target, ast.Attribute) and target.attr == "objects"
        if (manager and method != "none") or method in QUERY_METHODS:
            found.append((node.lineno, ast.unparse(node.func)))
    return found


def test_presentation_modules_run_no_orm_query():
    leaks = [
        f"{path.relative_to(ROOT)}:{line} {call}"
        for path in _app_files()
        if _is_presentation(path)
        for line, call in _queries(ast.parse(path.read_text(), filename=str(path)))
    ]
    assert leaks == []


def test_no_app_module_imports_another_modules_private_name():
    leaks = [
        f"{path.relative_to(ROOT)}:{node.lineno} from {node.module} import {alias.name}"
        for path in _app_files()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]
    assert leaks == []
