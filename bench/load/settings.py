"""Settings of the load test's server: the base settings (DEBUG off, Redis cache, real Celery)
with one change. All simulated people log in from 127.0.0.1, so allauth's per-IP login limit
(30 a minute) would refuse most of the 50 logins of the ramp-up; in production each person has
their own address. Everything else is as deployed."""

from skillsmap.settings.base import *  # noqa: F403

ACCOUNT_RATE_LIMITS = False
