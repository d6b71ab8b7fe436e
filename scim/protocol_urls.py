"""SCIM 2.0 (RFC 7644) endpoints of one organisation, mounted at ``/scim/v2/<org_slug>/``."""

from django.urls import URLPattern, URLResolver

app_name = "scim_v2"

urlpatterns: list[URLPattern | URLResolver] = []
