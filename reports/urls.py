"""Pages of reporting, mounted under /o/<org_slug>/: the team matrix, a person's gap, the
organisation dashboard, exports and background jobs."""

from django.urls import path

from reports import dashboards, my_skills, views

app_name = "reports"

urlpatterns = [
    path("teams/<int:team_id>/matrix/", dashboards.team_matrix, name="team_matrix"),
    path(
        "teams/<int:team_id>/matrix/mentors/",
        dashboards.team_matrix_mentors,
        name="team_matrix_mentors",
    ),
    path("people/<int:person_id>/gap/", dashboards.person_gap, name="person_gap"),
    path("me/gap/", my_skills.my_gap, name="my_gap"),
    path("dashboard/", dashboards.organisation_dashboard, name="organisation_dashboard"),
    path("jobs/<int:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/download/", views.job_download, name="job_download"),
    path("reports/export/", views.export, name="export"),
]
