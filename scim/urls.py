from django.urls import URLPattern, URLResolver, path

from scim import views

app_name = "scim"

urlpatterns: list[URLPattern | URLResolver] = [
    path("settings/scim/", views.scim_settings, name="settings"),
    path("settings/scim/options/", views.scim_settings_update, name="settings_update"),
    path(
        "settings/scim/tokens/<int:token_id>/revoke/",
        views.scim_token_revoke,
        name="token_revoke",
    ),
]
