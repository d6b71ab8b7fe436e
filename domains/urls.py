from django.urls import URLPattern, URLResolver

app_name = "domains"

urlpatterns: list[URLPattern | URLResolver] = []
