"""Pages of endorsements, mounted under /o/<org_slug>/.

An endorsement is named by the person and the skill (and, to hide one, the endorser in the form):
one endorsement per endorser, person and skill, so the URLs carry only the organisation's own
people and skills, which every page resolves through the organisation.
"""

from django.urls import URLPattern, path

from endorsements import views

app_name = "endorsements"

urlpatterns: list[URLPattern] = [
    path("people/<int:person_id>/endorse/", views.endorse, name="endorse"),
    path(
        "people/<int:person_id>/endorsements/<int:skill_id>/withdraw/",
        views.endorsement_withdraw,
        name="withdraw",
    ),
    path(
        "people/<int:person_id>/endorsements/<int:skill_id>/hide/",
        views.endorsement_hide,
        name="hide",
    ),
    path(
        "people/<int:person_id>/endorsements/<int:skill_id>/unhide/",
        views.endorsement_unhide,
        name="unhide",
    ),
]
