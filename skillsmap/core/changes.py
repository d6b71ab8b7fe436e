"""How a change in a lower layer reaches the figures a higher layer derives from it.

Ratings, requirements, assignments and teams live in ``skills``, ``roles`` and ``teams``; the gap
scores and coverage computed from them live in ``reports``, above all of them. A service that
changes an input calls ``inputs_changed`` (or ``ratings_changed``, which reports can apply
incrementally) in its own transaction; ``reports`` registers what that means, explicitly, in
``ReportsConfig.ready`` (``listen``). Not a model signal: a bulk update or a raw write would skip
one silently, and the call sites say what changed.

Nothing registered is a configuration error, raised at the first change rather than ignored:
figures that silently stop following their inputs would be the worse failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import models


class InputsListener(Protocol):
    def __call__(self, *, organisation: Any) -> None: ...


class RatingsListener(Protocol):
    def __call__(
        self, *, organisation: Any, person_ids: Iterable[int], skill_ids: Iterable[int]
    ) -> None: ...


_listeners: dict[str, Callable[..., None]] = {}


def listen(*, inputs: InputsListener, ratings: RatingsListener) -> None:
    """Register what a change means (once, by the app that owns the derived figures)."""
    _listeners.update(inputs=inputs, ratings=ratings)


def _listener(kind: str) -> Callable[..., None]:
    try:
        return _listeners[kind]
    except KeyError:
        raise ImproperlyConfigured(
            f"No listener for {kind} changes: is the reports app installed?"
        ) from None


def inputs_changed(*, organisation: models.Model) -> None:
    """Ratings, requirements, assignments or teams of ``organisation`` changed; call inside the
    change's transaction."""
    _listener("inputs")(organisation=organisation)


def ratings_changed(
    *, organisation: models.Model, person_ids: Iterable[int], skill_ids: Iterable[int]
) -> None:
    """These people's ratings of these skills changed; call inside the change's transaction."""
    _listener("ratings")(organisation=organisation, person_ids=person_ids, skill_ids=skill_ids)
