"""Pages of notifications, mounted under /o/<org_slug>/."""

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/bell/", views.notification_bell, name="bell"),
    path("notifications/read-all/", views.notification_read_all, name="read_all"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="open"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="read"),
    path("me/notifications/preferences/", views.preferences, name="preferences"),
    # Reached from an email, signed in or not: the signed token is the only credential.
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
