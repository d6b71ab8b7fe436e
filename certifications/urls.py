"""Pages of certifications, mounted under /o/<org_slug>/."""

from django.urls import path

from certifications import views

app_name = "certifications"

urlpatterns = [
    path("me/certifications/", views.my_certifications, name="my_certifications"),
    path(
        "people/<int:person_id>/certifications/",
        views.person_certifications,
        name="person_certifications",
    ),
    path(
        "people/<int:person_id>/certifications/new/",
        views.certification_create,
        name="certification_create",
    ),
    path("certifications/expiring/", views.expiry_list, name="expiry_list"),
    path("certifications/import/", views.certifications_import, name="certifications_import"),
    path(
        "certifications/import/template.csv",
        views.certifications_import_template,
        name="certifications_import_template",
    ),
    path(
        "certifications/<int:certification_id>/edit/",
        views.certification_update,
        name="certification_update",
    ),
    path(
        "certifications/<int:certification_id>/delete/",
        views.certification_delete,
        name="certification_delete",
    ),
    path(
        "certifications/<int:certification_id>/evidence/",
        views.certification_evidence,
        name="certification_evidence",
    ),
]
