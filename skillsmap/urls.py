from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.defaults import page_not_found

from accounts import urls as account_urls
from accounts import views as account_views
from skillsmap.home import organisation_home
from sso import oidc as sso_oidc
from sso import views as sso_views


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them to the SVG icon."""
    return redirect(static("favicon.svg"), permanent=False)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A URL that matches nothing: the API answers in its own error shape, pages with the page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return page_not_found(request, exception)


handler404 = not_found


urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    # The email-first sign-in page (#15), ahead of allauth's own view at the same address.
    path("accounts/login/", sso_views.login, name="account_login"),
    # Ahead of allauth's own route of the same path: the ID token's signature is always checked.
    path("accounts/oidc/<str:provider_id>/login/callback/", sso_oidc.callback),
    path("accounts/", include("allauth.urls")),
    path("api/", include("skillsmap.api_urls")),
    # SCIM 2.0 provisioning from each organisation's directory (bearer tokens of that organisation).
    path("scim/v2/<slug:org_slug>/", include("scim.protocol_urls")),
    path("orgs/", account_views.organisation_list, name="organisation_list"),
    path("orgs/new/", account_views.organisation_create, name="organisation_create"),
    path("orgs/menu/", account_views.organisation_menu, name="organisation_menu"),
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
    # The organisation home composes every app's figures, so it is served from here (above them
    # all) under its old name in the accounts namespace, which every template links to.
    path(
        "o/<slug:org_slug>/",
        include(
            (
                [
                    path("", organisation_home, name="organisation_home"),
                    *account_urls.urlpatterns,
                ],
                account_urls.app_name,
            )
        ),
    ),
    path("o/<slug:org_slug>/", include("skills.urls")),
    path("o/<slug:org_slug>/", include("roles.urls")),
    path("o/<slug:org_slug>/", include("teams.urls")),
    path("o/<slug:org_slug>/", include("reports.urls")),
    path("o/<slug:org_slug>/", include("notifications.urls")),
    path("o/<slug:org_slug>/", include("certifications.urls")),
    path("o/<slug:org_slug>/", include("endorsements.urls")),
    path("o/<slug:org_slug>/", include("reviews.urls")),
    path("o/<slug:org_slug>/", include("domains.urls")),
    path("o/<slug:org_slug>/", include("sso.urls")),
    path("o/<slug:org_slug>/", include("scim.urls")),
]
