from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views.defaults import page_not_found

from accounts import views as account_views


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A URL that matches nothing: the API answers in its own error shape, pages with the page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return page_not_found(request, exception)


handler404 = not_found


urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/", include("skillsmap.api_urls")),
    path("orgs/", account_views.organisation_list, name="organisation_list"),
    path("orgs/new/", account_views.organisation_create, name="organisation_create"),
    path("settings/tokens/", account_views.api_token_list, name="api_tokens"),
    path(
        "settings/tokens/<int:token_id>/revoke/",
        account_views.api_token_revoke,
        name="api_token_revoke",
    ),
    path(
        "invitations/<slug:org_slug>/<str:token>/",
        account_views.invitation_accept,
        name="invitation_accept",
    ),
    # Every page of an organisation lives under /o/<slug>/ and is resolved by accounts.views_base.
    path("o/<slug:org_slug>/", include("accounts.urls")),
    path("o/<slug:org_slug>/", include("skills.urls")),
    path("o/<slug:org_slug>/", include("roles.urls")),
    path("o/<slug:org_slug>/", include("teams.urls")),
    path("o/<slug:org_slug>/", include("reports.urls")),
]
