"""Pages of reviews, mounted under /o/<org_slug>/."""

from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:campaign_id>/close/", views.campaign_close, name="campaign_close"),
]
