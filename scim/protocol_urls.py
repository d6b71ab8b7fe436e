"""SCIM 2.0 (RFC 7644) endpoints of one organisation, mounted at ``/scim/v2/<org_slug>/``.

Clients append paths to the base URL with and without a trailing slash, so both are accepted
(``APPEND_SLASH`` would redirect a PATCH, which clients do not follow)."""

from django.urls import URLPattern, URLResolver, path, re_path

from scim import protocol

app_name = "scim_v2"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", protocol.unknown, name="root"),
    re_path(r"^Users/?$", protocol.users, name="users"),
    re_path(r"^Users/\.search/?$", protocol.users_search, name="users_search"),
    re_path(r"^Users/(?P<scim_id>[^/]+)/?$", protocol.user_detail, name="user"),
    re_path(r"^Groups/?$", protocol.groups, name="groups"),
    re_path(r"^Groups/\.search/?$", protocol.groups_search, name="groups_search"),
    re_path(r"^Groups/(?P<scim_id>[^/]+)/?$", protocol.group_detail, name="group"),
    re_path(
        r"^ServiceProviderConfig/?$",
        protocol.service_provider_config,
        name="service_provider_config",
    ),
    re_path(r"^ResourceTypes/?$", protocol.resource_types, name="resource_types"),
    re_path(
        r"^ResourceTypes/(?P<item_id>[^/]+)/?$", protocol.resource_type_detail, name="resource_type"
    ),
    re_path(r"^Schemas/?$", protocol.schemas, name="schemas"),
    re_path(r"^Schemas/(?P<item_id>[^/]+)/?$", protocol.schema_detail, name="schema"),
    re_path(r"^\.search/?$", protocol.root_search, name="search"),
    re_path(r"^(?P<rest>.+)$", protocol.unknown, name="unknown"),
]
