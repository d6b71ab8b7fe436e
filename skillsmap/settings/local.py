"""Development: the embedded defaults of ``make demo`` (SQLite, in-process Celery, console email)."""

from skillsmap.settings.base import *
from skillsmap.settings.env import env_bool

DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
