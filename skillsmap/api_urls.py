"""The REST API, version 1, and its OpenAPI schema. Organisation endpoints live under
``/api/v1/orgs/<org_slug>/`` and are defined next to their domain (``<app>/apis.py``)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import apis as account_apis
from certifications import apis as certification_apis
from domains import apis as domain_apis
from endorsements import apis as endorsement_apis
from notifications import apis as notification_apis
from reports import apis as report_apis
from reviews import apis as review_apis
from roles import apis as role_apis
from scim import apis as scim_apis
from skills import apis as skill_apis
from sso import apis as sso_apis
from teams import apis as team_apis

organisation_patterns = [
    *account_apis.urlpatterns,
    *skill_apis.urlpatterns,
    *role_apis.urlpatterns,
    *team_apis.urlpatterns,
    *report_apis.urlpatterns,
    *notification_apis.urlpatterns,
    *certification_apis.urlpatterns,
    *endorsement_apis.urlpatterns,
    *review_apis.urlpatterns,
    *domain_apis.urlpatterns,
    *sso_apis.urlpatterns,
    *scim_apis.urlpatterns,
]

app_name = "api"

urlpatterns = [
    path("v1/", include(account_apis.root_urlpatterns)),
    path("v1/orgs/<slug:org_slug>/", include(organisation_patterns)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view loads its settings from a script URL: no inline script, so CSP allows it.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
