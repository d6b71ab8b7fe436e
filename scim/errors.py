"""SCIM's error message (RFC 7644 §3.12): an HTTP status, a ``scimType`` and a sentence."""

from __future__ import annotations

from skillsmap.core.errors import ServiceError


class ScimError(ServiceError):
    """A refusal a SCIM client reads: ``status`` is the HTTP status, ``scim_type`` one of RFC 7644
    §3.12's keywords (``uniqueness``, ``invalidFilter``, ``invalidValue``, ``invalidPath``,
    ``noTarget``, ``mutability``, ``invalidSyntax``) or None."""

    def __init__(self, detail: str, *, status: int = 400, scim_type: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.scim_type = scim_type


def not_found(kind: str, scim_id: str) -> ScimError:
    # Another organisation's id reads exactly like one that never existed.
    return ScimError(f"{kind} {scim_id} not found.", status=404)
