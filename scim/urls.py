from django.urls import URLPattern, URLResolver

app_name = "scim"

urlpatterns: list[URLPattern | URLResolver] = []
