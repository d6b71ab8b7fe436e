"""Pages of single sign-on, mounted under /o/<org_slug>/. (The sign-in page itself is mounted at
/accounts/login/ by skillsmap/urls.py, ahead of allauth's.)"""

from django.urls import URLPattern, URLResolver, path

from sso import views

app_name = "sso"

urlpatterns: list[URLPattern | URLResolver] = [
    path("settings/sso/", views.sso_settings, name="settings"),
    path("settings/sso/remove/", views.sso_remove, name="remove"),
]
