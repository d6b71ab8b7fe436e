"""The discovery documents (RFC 7644 §4): ``ServiceProviderConfig``, ``ResourceTypes`` and
``Schemas``. scim2-models writes the RFC 7643 schemas; we publish only the attributes we keep, so
a client (and scim2-tester) never sends one we would drop."""

from __future__ import annotations

from functools import cache
from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Patch,
    ResourceType,
    ServiceProviderConfig,
    Sort,
    User,
)

from scim.documents import CORE_GROUP, CORE_USER, ENTERPRISE, GROUP, USER, Attr, Shape

MAX_RESULTS = 200  # a page of a list is at most this long (``count`` is capped to it)

SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE_URN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SPC_URN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"


def _keep(attributes: list[dict[str, Any]], wanted: tuple[Attr, ...]) -> list[dict[str, Any]]:
    by_name = {a.name: a for a in wanted}
    kept = []
    for attribute in attributes:
        attr = by_name.get(attribute["name"])
        if attr is None:
            continue
        attribute = dict(attribute)
        if attr.subs:
            attribute["subAttributes"] = _keep(attribute.get("subAttributes", []), attr.subs)
        kept.append(attribute)
    return kept


@cache
def _schemas() -> tuple[dict[str, Any], ...]:
    docs = []
    for model, attrs in (
        (User, USER.core),
        (EnterpriseUser, USER.extension),
        (Group, GROUP.core),
    ):
        doc = model.to_schema().model_dump(exclude_none=True)
        doc["attributes"] = _keep(doc["attributes"], attrs)
        for attribute in doc["attributes"]:
            if attribute["name"] == "userName":
                # The sign-in address of a global account: one organisation's directory cannot
                # rename it (scim.services._update), and says so here.
                attribute["mutability"] = "immutable"
        docs.append(doc)
    return tuple(docs)


def _meta(base_url: str, resource_type: str, path: str) -> dict[str, str]:
    return {"resourceType": resource_type, "location": f"{base_url}/{path}"}


def schema_list(base_url: str) -> list[dict[str, Any]]:
    return [
        {**doc, "meta": _meta(base_url, "Schema", f"Schemas/{doc['id']}")} for doc in _schemas()
    ]


def resource_type_list(base_url: str) -> list[dict[str, Any]]:
    # By alias (``schema``, a reserved word of pydantic's, is ``schema_`` in Python).
    user = ResourceType.model_validate(
        {
            "id": "User",
            "name": "User",
            "description": "A person of the organisation, with their membership.",
            "endpoint": "/Users",
            "schema": CORE_USER,
            "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
        }
    )
    group = ResourceType.model_validate(
        {
            "id": "Group",
            "name": "Group",
            "description": "A team of the organisation.",
            "endpoint": "/Groups",
            "schema": CORE_GROUP,
        }
    )
    return [
        {
            **resource_type.model_dump(exclude_none=True),
            "meta": _meta(base_url, "ResourceType", f"ResourceTypes/{resource_type.id}"),
        }
        for resource_type in (user, group)
    ]


def service_provider_config(base_url: str) -> dict[str, Any]:
    # Bulk, sort, ETags and password changes are not offered: saying so here is what makes
    # conforming clients (and scim2-tester) skip them.
    config = ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="OAuth Bearer Token",
                description="A SCIM token created by an admin on the organisation's SCIM page.",
                primary=True,
            )
        ],
    )
    doc = config.model_dump(exclude_none=True)
    doc["meta"] = _meta(base_url, "ServiceProviderConfig", "ServiceProviderConfig")
    return doc


def shape_of(resource_type: str) -> Shape:
    return USER if resource_type == "User" else GROUP
