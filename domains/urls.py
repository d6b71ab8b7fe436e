from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from domains import views

app_name = "domains"

# Mounted under /o/<slug:org_slug>/ by skillsmap/urls.py.
urlpatterns: list[URLPattern | URLResolver] = [
    path("settings/domains/", views.domain_list, name="domain_list"),
    path("settings/domains/claim/", views.domain_claim, name="domain_claim"),
    path("settings/domains/<int:domain_id>/verify/", views.domain_verify, name="domain_verify"),
    path("settings/domains/<int:domain_id>/remove/", views.domain_remove, name="domain_remove"),
]
