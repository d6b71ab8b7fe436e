"""Settings for ``make bench-dispatch`` (P7): the benchmark's settings with a real Redis broker and
tasks sent to workers, on a queue of the benchmark's own."""

import os

from bench.settings import *  # noqa: F403

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = "bench-dispatch"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "bench-dispatch",
    }
}
