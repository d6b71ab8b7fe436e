"""What other apps do when a skill is merged into another.

Rows of higher layers that point at a skill (role requirements) must follow a merge, and skills
cannot import them; each registers a follower explicitly, in its ``AppConfig.ready``. A follower
runs inside the merge's transaction and returns how many of its rows it moved, which the merge's
audit event records under the follower's name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MergeFollower = Callable[..., int]  # (*, organisation, source, into) -> rows moved

_followers: dict[str, MergeFollower] = {}


def on_skill_merged(name: str, follower: MergeFollower) -> None:
    _followers[name] = follower


def skill_merged(*, organisation: Any, source: Any, into: Any) -> dict[str, int]:
    return {
        name: follower(organisation=organisation, source=source, into=into)
        for name, follower in _followers.items()
    }
