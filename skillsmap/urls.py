from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from accounts import views as account_views


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/", include("skillsmap.api_urls")),
    path("orgs/", account_views.organisation_list, name="organisation_list"),
    path("orgs/new/", account_views.organisation_create, name="organisation_create"),
    path(
        "invitations/<slug:org_slug>/<str:token>/",
        account_views.invitation_accept,
        name="invitation_accept",
    ),
    # Every page of an organisation lives under /o/<slug>/ and is resolved by accounts.views_base.
    path("o/<slug:org_slug>/", include("accounts.urls")),
    path("o/<slug:org_slug>/", include("skills.urls")),
    path("o/<slug:org_slug>/", include("teams.urls")),
    path("o/<slug:org_slug>/", include("reports.urls")),
    path("o/<slug:org_slug>/", include("reports.dashboards")),
]
