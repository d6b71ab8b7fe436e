"""Pages of the skills domain, mounted under /o/<org_slug>/: the framework, the library and the
scale; self-rating, validation, import, search and history of ratings."""

from django.urls import path

from skills.views import framework, ratings

app_name = "skills"

urlpatterns = [
    # ratings
    path("me/skills/", ratings.self_rating, name="self_rating"),
    path("me/skills/add/", ratings.self_rating_add, name="self_rating_add"),
    path("me/skills/review/", ratings.self_rating_review, name="self_rating_review"),
    path("me/skills/<int:skill_id>/", ratings.self_rating_save, name="self_rating_save"),
    path("me/skills/<int:skill_id>/remove/", ratings.self_rating_remove, name="self_rating_remove"),
    path("ratings/validate/", ratings.validation, name="validation"),
    path("ratings/validate/<int:person_id>/", ratings.validation_person, name="validation_person"),
    path(
        "ratings/validate/<int:person_id>/<int:skill_id>/",
        ratings.validation_save,
        name="validation_save",
    ),
    path("ratings/import/", ratings.ratings_import, name="ratings_import"),
    path("search/", ratings.people_search, name="people_search"),
    path(
        "people/<int:person_id>/skills/<int:skill_id>/history/",
        ratings.rating_history,
        name="rating_history",
    ),
    # framework
    path("skills/", framework.framework, name="framework"),
    path("skills/about/", framework.library_about, name="library_about"),
    path("skills/library/", framework.library, name="library"),
    path("skills/library/adopt/", framework.library_adopt, name="library_adopt"),
    path("skills/new/", framework.skill_create, name="skill_create"),
    path("skills/scale/", framework.scale, name="scale"),
    path("skills/<int:skill_id>/", framework.skill_detail, name="skill_detail"),
    path("skills/<int:skill_id>/edit/", framework.skill_update, name="skill_update"),
    path("skills/<int:skill_id>/merge/", framework.skill_merge, name="skill_merge"),
    path("skills/<int:skill_id>/archive/", framework.skill_archive, name="skill_archive"),
    path(
        "skills/<int:skill_id>/descriptors/", framework.skill_descriptors, name="skill_descriptors"
    ),
]
