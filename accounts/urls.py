from django.urls import path

from accounts import views

app_name = "accounts"

# Mounted under /o/<slug:org_slug>/ by skillsmap/urls.py, which adds the organisation home
# (``accounts:organisation_home``, skillsmap/home.py): its figures come from the apps above.
urlpatterns = [
    path("members/", views.member_list, name="member_list"),
    path("members/invite/", views.invitation_create, name="invitation_create"),
    path("members/<int:membership_id>/role/", views.membership_role, name="membership_role"),
    path("members/<int:membership_id>/active/", views.membership_active, name="membership_active"),
    path(
        "invitations/<int:invitation_id>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("audit/", views.audit_event_list, name="audit_event_list"),
    path("audit/export.csv", views.audit_event_export, name="audit_event_export"),
]
