"""Signed one-click unsubscribe tokens (RFC 8058).

The token names one (organisation, user, kind) and nothing else, signed with SECRET_KEY under a
salt of its own, so a token cannot be replayed as any other signed value of the product and a
changed id breaks the signature. It does not expire: an unsubscribe link in an old email must
keep working (the harm of a leaked one is that someone stops one kind of email for one person,
who can turn it back on)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

from notifications.kinds import Kind

SALT = "notifications.unsubscribe.v1"


@dataclass(frozen=True)
class UnsubscribeClaim:
    organisation_id: int
    user_id: int
    kind: Kind


def unsubscribe_token(*, organisation_id: int, user_id: int, kind: Kind) -> str:
    return signing.dumps({"o": organisation_id, "u": user_id, "k": str(kind)}, salt=SALT)


def unsubscribe_claim(token: str) -> UnsubscribeClaim | None:
    """The claim of a genuine token; None for anything tampered, truncated or malformed."""
    try:
        data = signing.loads(token, salt=SALT)
        return UnsubscribeClaim(int(data["o"]), int(data["u"]), Kind(data["k"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
