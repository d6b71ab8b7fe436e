"""What other apps do when an organisation is created or someone joins one.

``accounts`` sits below people, teams and skills, so it cannot call them; each registers what it
needs, explicitly, in its ``AppConfig.ready`` (``teams``: the joining user's ``Person``; ``skills``:
the default proficiency scale). The listeners run inside the creating transaction, in
registration order, so an organisation never exists without them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OrganisationListener = Callable[..., Any]  # (*, organisation, user) -> Any

_on_organisation_created: list[OrganisationListener] = []
_on_member_joined: list[OrganisationListener] = []


def on_organisation_created(listener: OrganisationListener) -> None:
    if listener not in _on_organisation_created:
        _on_organisation_created.append(listener)


def on_member_joined(listener: OrganisationListener) -> None:
    if listener not in _on_member_joined:
        _on_member_joined.append(listener)


def organisation_created(*, organisation: Any, user: Any) -> None:
    """``user`` created ``organisation`` and is its first member."""
    for listener in _on_organisation_created:
        listener(organisation=organisation, user=user)
    member_joined(organisation=organisation, user=user)


def member_joined(*, organisation: Any, user: Any) -> None:
    for listener in _on_member_joined:
        listener(organisation=organisation, user=user)
