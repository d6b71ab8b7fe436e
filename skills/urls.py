from django.urls import URLPattern

from skills.views import framework, ratings, roles

app_name = "skills"

# Each view module owns its routes; they are all mounted under /o/<org_slug>/.
urlpatterns: list[URLPattern] = [*roles.urlpatterns, *ratings.urlpatterns, *framework.urlpatterns]
