"""Settings for ``make bench``: the base settings with DEBUG off (Django would otherwise keep every
query in memory) and Celery in-process, so nothing but PostgreSQL is needed."""

from skillsmap.settings.base import *  # noqa: F403

SECRET_KEY = "bench-only-secret-key-not-for-production-use-0123456789"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ACCOUNT_RATE_LIMITS = False
CELERY_TASK_ALWAYS_EAGER = True
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# The requests measure calls the API a few hundred times a minute from one user.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "100000/minute"}}  # noqa: F405
