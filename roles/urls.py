"""Pages of role profiles, mounted under /o/<org_slug>/."""

from django.urls import path

from roles import views

app_name = "roles"

urlpatterns = [
    path(
        "me/skills/add-role-skills/",
        views.self_rating_add_role_skills,
        name="self_rating_add_role_skills",
    ),
    path("roles/", views.role_list, name="role_list"),
    path("roles/new/", views.role_create, name="role_create"),
    path(
        "roles/backend-engineer/",
        views.role_install_backend_engineer,
        name="role_install_backend_engineer",
    ),
    path("roles/from-onet/", views.role_from_onet, name="role_from_onet"),
    path("roles/<int:role_id>/", views.role_detail, name="role_detail"),
    path("roles/<int:role_id>/edit/", views.role_update, name="role_update"),
    path("roles/<int:role_id>/copy/", views.role_copy, name="role_copy"),
    path("roles/<int:role_id>/delete/", views.role_delete, name="role_delete"),
    path(
        "roles/<int:role_id>/requirements/", views.role_requirement_set, name="role_requirement_set"
    ),
    path(
        "roles/<int:role_id>/requirements/<int:skill_id>/remove/",
        views.role_requirement_remove,
        name="role_requirement_remove",
    ),
    path("roles/<int:role_id>/assign/", views.role_assign, name="role_assign"),
]
