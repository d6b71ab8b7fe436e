from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("jobs/<int:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/download/", views.job_download, name="job_download"),
    path("reports/export/", views.export, name="export"),
]
