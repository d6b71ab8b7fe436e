"""Reads remembered for the length of one page request.

Several sections of one page may ask the same question (the person page's skills, endorsements
and certifications each ask whose ratings the caller may read). ``org_view`` opens a memo around
the page, so the answer is read once; outside a page (a task, a test calling a selector, the API)
nothing is remembered and every call reads afresh. A page's writes do not change the answers
remembered this way (who reports to whom is written by its own pages, which redirect), and the
memo ends with the request, so nothing outlives it or reaches another request.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("skillsmap_request_memo", default=None)


@contextmanager
def request_memo() -> Iterator[None]:
    """Remember ``memoised`` answers until the block ends."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memoised(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it returned for ``key`` earlier in the same ``request_memo`` block.
    Keys name the organisation (like cache keys, ``skillsmap.core.tenancy.tenant_cache_key``) and
    everything else the answer depends on."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    answer: T = memo[key]  # stored for this key by this function
    return answer
