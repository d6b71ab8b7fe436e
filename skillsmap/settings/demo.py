"""``make demo``: the product served the way production serves it (DEBUG off, gunicorn, static
files collected and served by whitenoise) on the embedded defaults of a laptop (SQLite, Celery
in-process, console email). Not production.py: that one forces HTTPS, which http://127.0.0.1
cannot honour. ``make dev`` keeps local.py, with DEBUG on, for development."""

from skillsmap.settings.base import *
from skillsmap.settings.env import env_list

# With DEBUG on, a 404 would list every URL pattern of the product and an error would show its
# settings and source: the demo shows the product's own error pages instead.
DEBUG = False
# The Makefile adds the host of DEMO_ADDR, so that `make demo DEMO_ADDR=...` is served too.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# Unhashed names: the pages still render when npm was missing and node_modules' files were not
# collected (a manifest storage would fail every page on the missing htmx).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
