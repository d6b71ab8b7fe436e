"""API of certifications, mounted under /api/v1/orgs/<org_slug>/."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
