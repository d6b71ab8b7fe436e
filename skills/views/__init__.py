"""Pages of the skills domain; each module exposes its own ``urlpatterns`` (see skills/urls.py)."""
