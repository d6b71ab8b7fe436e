"""The test suite: SQLite unless DATABASE_URL is set, in which case PostgreSQL with RLS."""

from skillsmap.settings.base import *
from skillsmap.settings.env import env_bool

if env_bool("DATABASE_POOLED"):
    # CI's PgBouncer pass: a test database of its own, created through PgBouncer and dropped by
    # .ci/run directly once PgBouncer (which keeps server connections to it) has stopped.
    DATABASES["default"]["TEST"] = {"NAME": "test_skillsmap_pooled"}

SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Rate limits are tested on purpose where they matter; elsewhere they would make tests order-dependent.
ACCOUNT_RATE_LIMITS = False
WHITENOISE_AUTOREFRESH = True
CELERY_TASK_ALWAYS_EAGER = True  # tests that need a real worker start one explicitly
# Domain verification never reaches the internet from a test: a closed local port, which times
# out fast. tests/domains points DNS_RESOLVER at the real DNS server it starts.
DNS_RESOLVER = "127.0.0.1:9"
DNS_TIMEOUT_SECONDS = 0.5
# The API's request throttle is tested on purpose (tests/api/test_auth.py); here it must not count
# one test's requests against the next (SQLite reuses ids after a rollback).
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "100000/minute"}}

# The tests' OpenID Connect providers serve plain HTTP on 127.0.0.1 (sso.services refuses that in
# production; tests/sso/test_config_page.py proves it with the setting on).
SSO_REQUIRE_HTTPS = False
