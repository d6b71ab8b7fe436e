"""The one error type services raise.

A ``ServiceError`` is a request that is well formed but not allowed by the domain's rules, and
its message is for users. It is a Django ``ValidationError``, so a service may name the field at
fault (``ServiceError({"parent": "A team cannot sit below itself."})``) and a form can take it
as is (``form_add_service_error``); the API turns either shape into a 400 with the messages per
field (``skillsmap.core.api.api_exception_handler``). Apps subclass it for their own errors
(``InvitationError``, ``FrameworkError``, ``RatingError``) without a second mechanism.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


class ServiceError(ValidationError):
    def __str__(self) -> str:
        # ValidationError's own str() is the repr of its list or dict: users read sentences.
        if hasattr(self, "error_dict"):
            return " ".join(m for messages in self.message_dict.values() for m in messages)
        return " ".join(self.messages)


def form_add_service_error(form: Any, error: ValidationError, *, field: str | None = None) -> None:
    """Put a service's refusal on a form: per-field messages on their fields when the form has
    them (others at the top), a plain message on ``field`` or at the top."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            target = name if name in form.fields else None
            for message in messages:
                form.add_error(target, message)
        return
    for message in error.messages:
        form.add_error(field, message)
