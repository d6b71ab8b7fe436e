from django.urls import path

from teams import views

app_name = "teams"

# Mounted under /o/<slug:org_slug>/ by skillsmap/urls.py.
urlpatterns = [
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/import/", views.people_import, name="people_import"),
    path(
        "people/import/template.csv",
        views.people_import_template,
        name="people_import_template",
    ),
    path("people/<int:person_id>/", views.person_detail, name="person_detail"),
    path("people/<int:person_id>/edit/", views.person_update, name="person_update"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<int:team_id>/edit/", views.team_update, name="team_update"),
]
