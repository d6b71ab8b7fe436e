# ruff: noqa: F403, F405
"""Settings of the server that the browser tests drive: the shared settings, read from the
environment like production (DEBUG off, hashed static files served by whitenoise), with the static
root in the run's temporary directory rather than the checkout.

Not production.py: it forces HTTPS (secure cookies, HSTS, upgrade-insecure-requests), which a
server on http://127.0.0.1 cannot honour."""

from pathlib import Path

from skillsmap.settings.base import *
from skillsmap.settings.env import env_str

DEBUG = False
STATIC_ROOT = Path(env_str("E2E_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Hashed names and a manifest, as in production, so that a template naming a static file that does
# not exist fails here too; production also compresses, which takes a minute and changes nothing a
# browser test can see.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
# Every browser test signs in from 127.0.0.1, and a sign-in is two POSTs (the email, then the
# password): allauth's 30 a minute per address was reached within one run (a 429 in CI). The other
# limits stay allauth's; tests/security/test_throttling.py proves them.
ACCOUNT_RATE_LIMITS = {"login": "600/m/ip"}
