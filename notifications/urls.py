"""Pages of notifications, mounted under /o/<org_slug>/."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "notifications"

urlpatterns: list[URLPattern] = []
