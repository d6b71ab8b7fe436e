"""The SCIM 2.0 protocol (RFC 7644) of one organisation, at ``/scim/v2/<org_slug>/``.

Every request carries ``Authorization: Bearer scim_…``; the token is looked up *inside* the
organisation the URL names, so another organisation's token, a revoked one and an unknown slug all
get the same 401, and the slug's existence is never revealed. The handler then runs inside
``organisation_context``: each query is filtered on the organisation in SQL (and by row-level
security on PostgreSQL). No session, no cookie, so CSRF does not apply.

A refusal raises ``ScimError`` and leaves the context, which rolls back whatever the request had
written; the response is SCIM's error message.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from accounts.models import Organisation
from accounts.selectors import organisation_get_by_slug
from scim import discovery, selectors, services
from scim.documents import CORE_GROUP, CORE_USER, ENTERPRISE
from scim.errors import ScimError, not_found
from scim.models import ScimGroup, ScimToken, ScimUser
from skillsmap.core.errors import ServiceError
from skillsmap.core.tenancy import organisation_context

CONTENT_TYPE = "application/scim+json"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
DEFAULT_COUNT = 100


@dataclass(frozen=True)
class ScimRequest:
    organisation: Organisation
    token: ScimToken
    base_url: str  # absolute, without a trailing slash


def _response(data: Any, status: int = 200, location: str | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(data), status=status, content_type=CONTENT_TYPE)
    if location:
        response["Location"] = location
    return response


def error_response(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    body: dict[str, Any] = {"schemas": [ERROR_URN], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    response = _response(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    return response


UNAUTHORIZED = "A valid SCIM token of this organisation is required: Authorization: Bearer <token>."
_BEARER = re.compile(r"^\s*Bearer\s+(?P<secret>\S+)\s*$", re.IGNORECASE)

ScimHandler = Callable[..., HttpResponse]


def scim_view(*methods: str) -> Callable[[ScimHandler], Callable[..., HttpResponse]]:
    """Decorate a handler ``(request, scim, **kwargs)``: bearer token, organisation context,
    allowed methods, SCIM errors."""

    def decorator(handler: ScimHandler) -> Callable[..., HttpResponse]:
        @wraps(handler)
        def wrapper(request: HttpRequest, org_slug: str, **kwargs: Any) -> HttpResponse:
            match = _BEARER.match(request.headers.get("Authorization", ""))
            try:
                organisation = organisation_get_by_slug(slug=org_slug)
            except Http404:
                return error_response(401, UNAUTHORIZED)
            if match is None:
                return error_response(401, UNAUTHORIZED)
            base_url = request.build_absolute_uri(
                reverse("scim_v2:root", kwargs={"org_slug": organisation.slug})
            ).rstrip("/")
            try:
                with organisation_context(organisation):
                    token = services.scim_token_authenticate(
                        organisation=organisation, secret=match["secret"]
                    )
                    if token is None:
                        raise ScimError(UNAUTHORIZED, status=401)
                    if request.method not in methods:
                        raise ScimError(f"{request.method} is not supported here.", status=405)
                    return handler(request, ScimRequest(organisation, token, base_url), **kwargs)
            except ScimError as error:
                return error_response(error.status, error.detail, error.scim_type)
            except ServiceError as error:
                # A rule of the product (a reporting loop, a team name taken) refused the write.
                return error_response(400, str(error), "invalidValue")

        # organisation_context holds the request's one transaction (and the RLS setting).
        return csrf_exempt(transaction.non_atomic_requests(wrapper))

    return decorator


def _body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ScimError("The body is not JSON.", scim_type="invalidSyntax") from None


# --- Representations -----------------------------------------------------------------------------


def _meta(scim: ScimRequest, kind: str, row: ScimUser | ScimGroup) -> dict[str, str]:
    return {
        "resourceType": kind,
        "created": row.created_at.isoformat(),
        "lastModified": row.updated_at.isoformat(),
        "location": f"{scim.base_url}/{kind}s/{row.pk}",
    }


def user_resource(scim: ScimRequest, user: ScimUser, *, active: bool) -> dict[str, Any]:
    doc = copy.deepcopy(user.attributes)
    resource: dict[str, Any] = {"schemas": [CORE_USER], "id": str(user.pk)}
    extension = doc.pop(ENTERPRISE, None)
    resource.update(doc)
    resource["userName"] = user.user_name
    # The membership decides: an admin may have deactivated it in the product. An unassigned
    # ``active`` stays unassigned while the membership is active.
    resource.pop("active", None)
    if "active" in doc or not active:
        resource["active"] = active
    if extension:
        manager = extension.get("manager")
        if manager:
            manager["$ref"] = f"{scim.base_url}/Users/{manager['value']}"
        resource["schemas"].append(ENTERPRISE)
        resource[ENTERPRISE] = extension
    resource["meta"] = _meta(scim, "User", user)
    return resource


def group_resource(scim: ScimRequest, group: ScimGroup, members: list[ScimUser]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "schemas": [CORE_GROUP],
        "id": str(group.pk),
        **services.scim_group_document(group=group, members=members),
    }
    for member in resource.get("members", []):
        member.update({"$ref": f"{scim.base_url}/Users/{member['value']}", "type": "User"})
    resource["meta"] = _meta(scim, "Group", group)
    return resource


def _users_out(scim: ScimRequest, users: list[ScimUser]) -> list[dict[str, Any]]:
    active = selectors.active_memberships(
        organisation=scim.organisation,
        user_ids=[u.person.user_id for u in users if u.person.user_id],
    )
    return [user_resource(scim, u, active=u.person.user_id in active) for u in users]


def _groups_out(scim: ScimRequest, groups: list[ScimGroup]) -> list[dict[str, Any]]:
    members = selectors.scim_group_members(
        organisation=scim.organisation, teams=[g.team for g in groups]
    )
    return [group_resource(scim, g, members[g.team_id]) for g in groups]


# --- attributes / excludedAttributes (RFC 7644 §3.9) ---------------------------------------------


def _attribute_names(raw: Any) -> list[tuple[bool, str, str | None]]:
    if raw in (None, ""):
        return []
    items = raw if isinstance(raw, list) else str(raw).split(",")
    names: list[tuple[bool, str, str | None]] = []
    for item in items:
        name = str(item).strip()
        lowered = name.lower()
        extension = False
        if lowered in (CORE_USER.lower(), CORE_GROUP.lower()):
            continue
        if lowered == ENTERPRISE.lower():
            names.append((True, "", None))  # the whole extension
            continue
        for urn in (ENTERPRISE, CORE_USER, CORE_GROUP):
            if lowered.startswith(urn.lower() + ":"):
                extension = urn == ENTERPRISE
                name = name[len(urn) + 1 :]
                break
        if name:
            attr, _, sub = name.partition(".")
            names.append((extension, attr, sub or None))
    return names


def _key(container: dict[str, Any], name: str) -> str | None:
    return next((k for k in container if k.lower() == name.lower()), None)


def _project(resource: dict[str, Any], attributes: Any, excluded: Any) -> dict[str, Any]:
    wanted = _attribute_names(attributes)
    if wanted:
        result: dict[str, Any] = {"schemas": resource["schemas"], "id": resource["id"]}
        for extension, attr, sub in wanted:
            source = resource.get(ENTERPRISE, {}) if extension else resource
            target = result.setdefault(ENTERPRISE, {}) if extension else result
            if not attr:
                if extension and ENTERPRISE in resource:
                    result[ENTERPRISE] = copy.deepcopy(resource[ENTERPRISE])
                continue
            key = _key(source, attr)
            if key is None:
                continue
            value = source[key]
            if sub is None:
                target[key] = copy.deepcopy(value)
            elif isinstance(value, list):
                target[key] = [
                    {k: v for k, v in i.items() if k.lower() == sub.lower()} for i in value
                ]
            elif isinstance(value, dict):
                part = target.setdefault(key, {})
                part.update({k: v for k, v in value.items() if k.lower() == sub.lower()})
        if ENTERPRISE in result and not result[ENTERPRISE]:
            result.pop(ENTERPRISE)
        return result
    result = copy.deepcopy(resource)
    for extension, attr, sub in _attribute_names(excluded):
        container = result.get(ENTERPRISE, {}) if extension else result
        if not attr:
            if extension:
                result.pop(ENTERPRISE, None)
            continue
        key = _key(container, attr)
        if key is None or key in ("id", "schemas"):
            continue
        if sub is None:
            container.pop(key)
        elif isinstance(container[key], list):
            for item in container[key]:
                for k in [k for k in item if k.lower() == sub.lower()]:
                    item.pop(k)
        elif isinstance(container[key], dict):
            for k in [k for k in container[key] if k.lower() == sub.lower()]:
                container[key].pop(k)
    if ENTERPRISE in result and not result[ENTERPRISE]:
        result.pop(ENTERPRISE)
    return result


# --- Lists: filter, startIndex, count ------------------------------------------------------------

_FILTER = re.compile(
    r'^\s*(?P<attr>[\w:.$]+)\s+eq\s+"(?P<value>(?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE
)


def parse_filter(raw: str | None, allowed: tuple[str, ...]) -> tuple[str | None, str | None]:
    """``userName eq "…"`` and the like: the attribute's canonical name and the value. Names are
    matched case-insensitively and may carry the core schema's URN, as clients send them."""
    if raw is None or not raw.strip():
        return None, None
    match = _FILTER.match(raw)
    if match is None:
        raise ScimError(
            "Only filters of the form "
            + " or ".join(f'{a} eq "…"' for a in allowed)
            + " are supported.",
            scim_type="invalidFilter",
        )
    name = match["attr"]
    for urn in (CORE_USER, CORE_GROUP):
        if name.lower().startswith(urn.lower() + ":"):
            name = name[len(urn) + 1 :]
    canonical = next((a for a in allowed if a.lower() == name.lower()), None)
    if canonical is None:
        raise ScimError(f"Filtering on “{name}” is not supported.", scim_type="invalidFilter")
    value = re.sub(r"\\(.)", r"\1", match["value"])
    return canonical, value


def _integer(raw: Any, name: str, default: int) -> int:
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ScimError(f"{name} must be an integer.", scim_type="invalidValue") from None


def _list(
    scim: ScimRequest,
    params: dict[str, Any],
    queryset: QuerySet[Any],
    render: Callable[[ScimRequest, list[Any]], list[dict[str, Any]]],
) -> HttpResponse:
    start = max(_integer(params.get("startIndex"), "startIndex", 1), 1)
    count = min(
        max(_integer(params.get("count"), "count", DEFAULT_COUNT), 0), discovery.MAX_RESULTS
    )
    total = queryset.count()
    rows = list(queryset[start - 1 : start - 1 + count]) if count else []
    resources = [
        _project(r, params.get("attributes"), params.get("excludedAttributes"))
        for r in render(scim, rows)
    ]
    return _response(
        {
            "schemas": [LIST_URN],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }
    )


def _search_params(request: HttpRequest) -> dict[str, Any]:
    body = _body(request)
    if not isinstance(body, dict):
        raise ScimError("A search needs a SearchRequest object.", scim_type="invalidSyntax")
    return {k: v for k, v in body.items() if k != "schemas"}


# --- Users ---------------------------------------------------------------------------------------

USER_FILTERS = ("userName", "externalId", "displayName")
GROUP_FILTERS = ("displayName", "externalId")


def _user_list(scim: ScimRequest, params: dict[str, Any]) -> HttpResponse:
    attribute, value = parse_filter(params.get("filter"), USER_FILTERS)
    users = selectors.scim_user_queryset(
        organisation=scim.organisation, attribute=attribute, value=value
    )
    return _list(scim, params, users, _users_out)


@scim_view("GET", "POST")
def users(request: HttpRequest, scim: ScimRequest) -> HttpResponse:
    if request.method == "GET":
        return _user_list(scim, request.GET.dict())
    user = services.scim_user_create(
        organisation=scim.organisation, token=scim.token, body=_body(request)
    )
    resource = _users_out(scim, [user])[0]
    return _response(resource, status=201, location=resource["meta"]["location"])


@scim_view("POST")
def users_search(request: HttpRequest, scim: ScimRequest) -> HttpResponse:
    return _user_list(scim, _search_params(request))


@scim_view("GET", "PUT", "PATCH", "DELETE")
def user_detail(request: HttpRequest, scim: ScimRequest, scim_id: str) -> HttpResponse:
    user = selectors.scim_user_get(organisation=scim.organisation, scim_id=scim_id)
    if request.method == "DELETE":
        services.scim_user_delete(scim_user=user, token=scim.token)
        return HttpResponse(status=204)
    if request.method == "PUT":
        user = services.scim_user_replace(scim_user=user, token=scim.token, body=_body(request))
    elif request.method == "PATCH":
        user = services.scim_user_patch(scim_user=user, token=scim.token, body=_body(request))
    resource = _users_out(scim, [user])[0]
    return _response(
        _project(resource, request.GET.get("attributes"), request.GET.get("excludedAttributes"))
    )


# --- Groups --------------------------------------------------------------------------------------


def _group_list(scim: ScimRequest, params: dict[str, Any]) -> HttpResponse:
    attribute, value = parse_filter(params.get("filter"), GROUP_FILTERS)
    groups = selectors.scim_group_queryset(
        organisation=scim.organisation, attribute=attribute, value=value
    )
    return _list(scim, params, groups, _groups_out)


@scim_view("GET", "POST")
def groups(request: HttpRequest, scim: ScimRequest) -> HttpResponse:
    if request.method == "GET":
        return _group_list(scim, request.GET.dict())
    group = services.scim_group_create(
        organisation=scim.organisation, token=scim.token, body=_body(request)
    )
    resource = _groups_out(scim, [group])[0]
    return _response(resource, status=201, location=resource["meta"]["location"])


@scim_view("POST")
def groups_search(request: HttpRequest, scim: ScimRequest) -> HttpResponse:
    return _group_list(scim, _search_params(request))


@scim_view("GET", "PUT", "PATCH", "DELETE")
def group_detail(request: HttpRequest, scim: ScimRequest, scim_id: str) -> HttpResponse:
    group = selectors.scim_group_get(organisation=scim.organisation, scim_id=scim_id)
    if request.method == "DELETE":
        services.scim_group_delete(group=group, token=scim.token)
        return HttpResponse(status=204)
    current = selectors.scim_group_members(organisation=scim.organisation, teams=[group.team])[
        group.team_id
    ]
    if request.method == "PUT":
        group = services.scim_group_replace(
            group=group, current=current, token=scim.token, body=_body(request)
        )
    elif request.method == "PATCH":
        group = services.scim_group_patch(
            group=group, current=current, token=scim.token, body=_body(request)
        )
    resource = _groups_out(scim, [group])[0]
    return _response(
        _project(resource, request.GET.get("attributes"), request.GET.get("excludedAttributes"))
    )


# --- Discovery and the rest ----------------------------------------------------------------------


@scim_view("GET")
def service_provider_config(request: HttpRequest, scim: ScimRequest) -> HttpResponse:
    return _response(discovery.service_provider_config(scim.base_url))


def _discovery_list(items: list[dict[str, Any]]) -> HttpResponse:
    return _response(
        {
            "schemas": [LIST_URN],
            "totalResults": len(items),
            "startIndex": 1,
            "itemsPerPage": len(items),
            "Resources": items,
        }
    )


@scim_view("GET")
def resource_types(request: HttpRequest, scim: ScimRequest) -> HttpResponse:
    return _discovery_list(discovery.resource_type_list(scim.base_url))


@scim_view("GET")
def resource_type_detail(request: HttpRequest, scim: ScimRequest, item_id: str) -> HttpResponse:
    found = [r for r in discovery.resource_type_list(scim.base_url) if r["id"] == item_id]
    if not found:
        raise not_found("ResourceType", item_id)
    return _response(found[0])


@scim_view("GET")
def schemas(request: HttpRequest, scim: ScimRequest) -> HttpResponse:
    return _discovery_list(discovery.schema_list(scim.base_url))


@scim_view("GET")
def schema_detail(request: HttpRequest, scim: ScimRequest, item_id: str) -> HttpResponse:
    found = [s for s in discovery.schema_list(scim.base_url) if s["id"] == item_id]
    if not found:
        raise not_found("Schema", item_id)
    return _response(found[0])


@scim_view("POST")
def root_search(request: HttpRequest, scim: ScimRequest) -> HttpResponse:
    raise ScimError("Searching several resource types at once is not supported.", status=501)


@scim_view("GET", "POST", "PUT", "PATCH", "DELETE")
def unknown(request: HttpRequest, scim: ScimRequest, rest: str = "") -> HttpResponse:
    raise ScimError("There is no such SCIM endpoint.", status=404)
