"""SCIM documents as plain dicts: reading a POST/PUT body and applying a PATCH (RFC 7644 §3.5.2),
in the shapes Entra ID and Okta really send. No database here, so every shape is tested on its own.

A document holds only the attributes we publish in ``/Schemas``, under their canonical names
(clients send any case); the enterprise extension's attributes sit under its URN.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from scim.errors import ScimError

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

# Attributes every resource has, which a client must not set (RFC 7643 §3.1); dropped on input.
READ_ONLY = {"id", "meta", "schemas"}


@dataclass(frozen=True)
class Attr:
    name: str
    kind: str = "string"  # string | boolean | complex
    multi: bool = False
    subs: tuple[Attr, ...] = ()

    def sub(self, name: str) -> Attr | None:
        return next((s for s in self.subs if s.name.lower() == name.lower()), None)


@dataclass(frozen=True)
class Shape:
    """The attributes of one resource type: the core schema's and, for users, the extension's."""

    core: tuple[Attr, ...]
    extension: tuple[Attr, ...] = field(default=())

    def find(self, name: str, *, extension: bool) -> Attr | None:
        attrs = self.extension if extension else self.core
        return next((a for a in attrs if a.name.lower() == name.lower()), None)


USER = Shape(
    core=(
        Attr("userName"),
        Attr("externalId"),
        Attr("name", "complex", subs=(Attr("formatted"), Attr("givenName"), Attr("familyName"))),
        Attr("displayName"),
        Attr("title"),
        Attr(
            "emails",
            "complex",
            multi=True,
            subs=(Attr("value"), Attr("type"), Attr("primary", "boolean")),
        ),
        Attr("active", "boolean"),
    ),
    extension=(
        Attr("department"),
        Attr("manager", "complex", subs=(Attr("value"), Attr("$ref"))),
    ),
)

GROUP = Shape(
    core=(
        Attr("displayName"),
        Attr("externalId"),
        Attr(
            "members",
            "complex",
            multi=True,
            subs=(Attr("value"), Attr("$ref"), Attr("type")),
        ),
    )
)


def _invalid(detail: str, scim_type: str = "invalidValue") -> ScimError:
    return ScimError(detail, status=400, scim_type=scim_type)


def _scalar(attr: Attr, value: Any) -> Any:
    if value is None:
        return None
    if attr.kind == "boolean":
        # Entra ID sends booleans as the strings "True" and "False".
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if not isinstance(value, bool):
            raise _invalid(f"“{attr.name}” must be true or false.")
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _invalid(f"“{attr.name}” must be a string.")
    return str(value)


def _complex(attr: Attr, value: Any) -> dict[str, Any]:
    if attr.name == "manager" and isinstance(value, str | int) and not isinstance(value, bool):
        # Entra ID sets the manager with the bare id as the value.
        value = {"value": str(value)}
    if not isinstance(value, dict):
        raise _invalid(f"“{attr.name}” must be an object.")
    result: dict[str, Any] = {}
    for key, item in value.items():
        sub = attr.sub(key)
        if sub is not None and item is not None:
            result[sub.name] = _scalar(sub, item)
    return result


def _value(attr: Attr, value: Any) -> Any:
    """One attribute's value in canonical form: multi-valued as a list of dicts."""
    if attr.multi:
        items = value if isinstance(value, list) else [value]
        return [_complex(attr, item) for item in items if item is not None]
    if attr.kind == "complex":
        return _complex(attr, value)
    return _scalar(attr, value)


def _put(doc: dict[str, Any], attr: Attr, value: Any, *, extension: bool) -> None:
    target = doc.setdefault(ENTERPRISE, {}) if extension else doc
    cleaned = _value(attr, value)
    if cleaned in (None, "", [], {}):
        target.pop(attr.name, None)
    else:
        target[attr.name] = cleaned
    if extension and not doc[ENTERPRISE]:
        doc.pop(ENTERPRISE)


def read_document(body: Any, shape: Shape) -> dict[str, Any]:
    """A POST or PUT body as a document: known attributes, canonical names, checked types."""
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object.", "invalidSyntax")
    doc: dict[str, Any] = {}
    for key, value in body.items():
        if key.lower() in READ_ONLY:
            continue
        if shape.extension and key.lower() == ENTERPRISE.lower():
            if not isinstance(value, dict):
                raise _invalid("The enterprise extension must be an object.")
            for sub_key, sub_value in value.items():
                attr = shape.find(sub_key, extension=True)
                if attr is not None:
                    _put(doc, attr, sub_value, extension=True)
            continue
        attr = shape.find(key, extension=False)
        if attr is not None:
            _put(doc, attr, value, extension=False)
    return doc


# --- PATCH ---------------------------------------------------------------------------------------

_PATH = re.compile(
    r"""^(?:(?P<urn>urn:[^\[\]]+):)?      # an optional schema URN (Entra sends the extension's)
        (?P<attr>[\w$]+)
        (?:\[(?P<filter>[^\]]*)\])?
        (?:\.(?P<sub>[\w$]+))?$""",
    re.VERBOSE,
)
_FILTER = re.compile(
    r'^\s*(?P<attr>[\w$]+)\s+eq\s+(?:"(?P<str>(?:[^"\\]|\\.)*)"|(?P<lit>true|false))\s*$', re.I
)


@dataclass(frozen=True)
class Path:
    attr: Attr
    extension: bool
    filter_attr: str | None = None
    filter_value: Any = None
    sub: Attr | None = None


def parse_path(raw: str, shape: Shape) -> Path:
    """``title``, ``name.givenName``, ``emails[type eq "work"].value``, ``members[value eq "7"]``,
    ``urn:…:enterprise:2.0:User:manager`` and the core URN-prefixed forms."""
    raw = raw.strip()
    # A bare extension URN names the whole extension; the caller handles that case.
    match = _PATH.match(raw)
    if match is None:
        raise _invalid(f"“{raw}” is not an attribute path.", "invalidPath")
    urn = (match["urn"] or "").lower()
    # "urn:…:enterprise:2.0:User:manager" ends with the attribute, so the URN's own last
    # segment can be taken for the attribute by the regex; the URN is what precedes it.
    if urn and urn not in (ENTERPRISE.lower(), CORE_USER.lower(), CORE_GROUP.lower()):
        raise _invalid(f"“{raw}” names an unknown schema.", "invalidPath")
    extension = urn == ENTERPRISE.lower()
    attr = shape.find(match["attr"], extension=extension)
    if attr is None:
        raise _invalid(f"“{raw}” is not an attribute we support.", "invalidPath")
    sub = None
    if match["sub"]:
        sub = attr.sub(match["sub"])
        if sub is None:
            raise _invalid(f"“{raw}” is not an attribute we support.", "invalidPath")
    if match["filter"] is None:
        return Path(attr, extension, sub=sub)
    if not attr.multi:
        raise _invalid(f"“{raw}” filters an attribute with one value.", "invalidPath")
    found = _FILTER.match(match["filter"])
    filter_attr = attr.sub(found["attr"]) if found else None
    if found is None or filter_attr is None:
        raise _invalid(f"“{match['filter']}” is not a filter we support.", "invalidFilter")
    literal = found["str"] if found["str"] is not None else found["lit"].lower() == "true"
    return Path(attr, extension, filter_attr.name, literal, sub)


def _container(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    return doc.setdefault(ENTERPRISE, {}) if path.extension else doc


def _matches(item: dict[str, Any], path: Path) -> bool:
    have = item.get(path.filter_attr or "")
    if isinstance(path.filter_value, bool) or isinstance(have, bool):
        return have == path.filter_value
    return str(have).lower() == str(path.filter_value).lower()


def _merge_multi(current: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``add`` to a multi-valued attribute: a value already there is not added twice."""
    merged = list(current)
    for item in new:
        same = next((m for m in merged if m.get("value") == item.get("value")), None)
        if same is None:
            merged.append(item)
        else:
            same.update(item)
    return merged


def _apply_to_path(doc: dict[str, Any], op: str, path: Path, value: Any) -> None:
    container = _container(doc, path)
    name = path.attr.name
    if path.filter_attr is not None:
        items: list[dict[str, Any]] = container.setdefault(name, [])
        matching = [item for item in items if _matches(item, path)]
        if op == "remove":
            if path.sub is None:
                container[name] = [item for item in items if not _matches(item, path)]
            else:
                for item in matching:
                    item.pop(path.sub.name, None)
        elif path.sub is not None:
            if not matching:
                # Entra adds a work email as ``emails[type eq "work"].value`` on an empty list.
                matching = [{path.filter_attr: path.filter_value}]
                items.append(matching[0])
            for item in matching:
                item[path.sub.name] = _scalar(path.sub, value)
        else:
            replacement = _complex(path.attr, value)
            if not matching and op == "replace":
                raise ScimError(f"Nothing matches “{name}[…]”.", status=400, scim_type="noTarget")
            for item in matching:
                item.update(replacement)
    elif path.sub is not None:
        sub_container = container.setdefault(name, {})
        if path.attr.multi:
            raise _invalid(f"Name one of the “{name}” values with a filter.", "invalidPath")
        if op == "remove":
            sub_container.pop(path.sub.name, None)
        else:
            sub_container[path.sub.name] = _scalar(path.sub, value)
    elif op == "remove":
        if path.attr.multi and value is not None:
            # Entra removes group members as {"path": "members", "value": [{"value": id}]}.
            gone = {item.get("value") for item in _value(path.attr, value)}
            container[name] = [i for i in container.get(name, []) if i.get("value") not in gone]
        else:
            container.pop(name, None)
    elif path.attr.multi:
        new = _value(path.attr, value)
        container[name] = _merge_multi(container.get(name, []), new) if op == "add" else new
    elif path.attr.kind == "complex" and op in ("add", "replace"):
        merged = {**container.get(name, {}), **_complex(path.attr, value)}
        container[name] = merged
    else:
        container[name] = _scalar(path.attr, value)
    # Empty values read as unassigned (RFC 7643 §2.5), so they are dropped.
    for key in [k for k, v in container.items() if v in (None, "", [], {})]:
        container.pop(key)
    if path.extension and not container:
        doc.pop(ENTERPRISE, None)


def _apply_without_path(doc: dict[str, Any], op: str, value: Any, shape: Shape) -> None:
    """``add``/``replace`` with no path: the value's keys are attributes or paths (Entra sends
    ``{"name.givenName": …}``; Okta ``{"active": false}``)."""
    if not isinstance(value, dict):
        raise _invalid("An operation without a path needs an object as its value.", "noTarget")
    for key, item in value.items():
        if key.lower() in READ_ONLY:
            continue
        if shape.extension and key.lower() == ENTERPRISE.lower():
            if not isinstance(item, dict):
                raise _invalid("The enterprise extension must be an object.")
            for sub_key, sub_item in item.items():
                if sub_key.lower() in READ_ONLY:
                    continue
                _apply_to_path(doc, op, parse_path(f"{ENTERPRISE}:{sub_key}", shape), sub_item)
            continue
        _apply_to_path(doc, op, parse_path(key, shape), item)


def apply_patch(doc: dict[str, Any], body: Any, shape: Shape) -> dict[str, Any]:
    """The document after a PatchOp request; the input is left as it was. Every operation is
    checked before anything is written, because the caller saves only the final document."""
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object.", "invalidSyntax")
    operations = next((v for k, v in body.items() if k.lower() == "operations"), None)
    if not isinstance(operations, list) or not operations:
        raise _invalid("A PatchOp request needs a list of Operations.", "invalidSyntax")
    result = copy.deepcopy(doc)
    for operation in operations:
        if not isinstance(operation, dict):
            raise _invalid("Each operation must be an object.", "invalidSyntax")
        lowered = {k.lower(): v for k, v in operation.items()}
        op = str(lowered.get("op", "")).lower()
        if op not in ("add", "replace", "remove"):
            raise _invalid(f"“{lowered.get('op')}” is not a PATCH operation.", "invalidSyntax")
        raw_path = lowered.get("path")
        value = lowered.get("value")
        if raw_path in (None, ""):
            if op == "remove":
                raise _invalid("A remove operation needs a path.", "noTarget")
            _apply_without_path(result, op, value, shape)
        elif not isinstance(raw_path, str):
            raise _invalid("An operation's path must be a string.", "invalidPath")
        elif shape.extension and raw_path.strip().lower() == ENTERPRISE.lower():
            if op == "remove":
                result.pop(ENTERPRISE, None)
            else:
                _apply_without_path(result, op, {ENTERPRISE: value}, shape)
        else:
            if op != "remove" and value is None:
                raise _invalid(f"The {op} operation on “{raw_path}” needs a value.")
            _apply_to_path(result, op, parse_path(raw_path, shape), value)
    return result
