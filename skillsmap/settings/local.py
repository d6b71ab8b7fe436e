"""Development (``make dev``): the embedded defaults (SQLite, in-process Celery, console email) with
DEBUG on and the autoreloading runserver. ``make demo`` serves with DEBUG off (``demo.py``)."""

from skillsmap.settings.base import *
from skillsmap.settings.env import env_bool

DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
