"""A Redis cache that degrades instead of failing while Redis is unreachable.

Nothing in skillsmap keeps its truth in the cache: ratings, versions and jobs live in PostgreSQL,
and the cache holds only debounce markers, job progress and rate-limit counters. So when Redis is
down a page should still render and a rating should still save. Django's ``RedisCache`` raises
``redis.ConnectionError`` from every call instead, which turns a cache outage into 500s.

While Redis is unreachable this backend answers like an empty cache that stores nothing:

- reads miss (``get`` returns the default, ``has_key`` is False);
- writes are dropped (``set``, ``delete``, ``touch`` do nothing);
- ``incr`` raises ``ValueError``, as for a missing key;
- ``add`` returns False, i.e. "not stored". That is the safe answer for its callers: the recompute
  debounce skips enqueueing (the broker is the same Redis, so the task could not be sent anyway;
  the committed ``inputs_version`` bump makes the dispatcher catch up), and allauth's rate limiter,
  which guards its counter with ``add``, refuses the login attempt rather than letting it through
  unthrottled: logins fail closed during an outage, sessions (in the database) keep working.

Only connection and timeout errors are absorbed; any other Redis error is a bug and still raises.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


def _degraded(operation: str) -> None:
    logger.warning("cache unreachable: %s skipped", operation)


class DegradingRedisCache(RedisCache):
    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except UNREACHABLE:
            _degraded("get")
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except UNREACHABLE:
            _degraded("get_many")
            return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except UNREACHABLE:
            _degraded("has_key")
            return False

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except UNREACHABLE:
            _degraded("add")
            return False

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        # An empty cache has no such key, and Django's answer to that is ValueError (the API's
        # failed-token counter, for one, handles it).
        try:
            return super().incr(key, delta, version)
        except UNREACHABLE:
            _degraded("incr")
            raise ValueError(f"Key {key!r} not found (cache unreachable).") from None

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        try:
            super().set(key, value, timeout, version)
        except UNREACHABLE:
            _degraded("set")

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        try:
            return super().set_many(data, timeout, version)
        except UNREACHABLE:
            _degraded("set_many")
            return list(data)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        try:
            return super().touch(key, timeout, version)
        except UNREACHABLE:
            _degraded("touch")
            return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except UNREACHABLE:
            _degraded("delete")
            return False

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        try:
            super().delete_many(keys, version)
        except UNREACHABLE:
            _degraded("delete_many")
