"""Each domain event reads as a sentence on the audit log, as its service records it."""

from __future__ import annotations

import pytest

from accounts.audit import EVENT_KINDS, audit_sentence
from accounts.models import AuditEvent, User

ANA = User(pk=1, email="ana@example.com", name="Ana")


@pytest.mark.parametrize(
    ("verb", "before", "after", "sentence"),
    [
        (
            "domain.claimed",
            None,
            {"name": "acme.example", "record": "_skillsmap-challenge.acme.example"},
            "Ana claimed the domain acme.example",
        ),
        (
            "domain.verified",
            {"verified": False},
            {"name": "acme.example", "verified": True},
            "Ana verified the domain acme.example",
        ),
        (
            "domain.verification_failed",
            None,
            {"name": "acme.example", "reason": "wrong_value"},
            "Ana could not verify the domain acme.example: the TXT record held another value",
        ),
        (
            "domain.verification_failed",
            None,
            {"name": "acme.example", "reason": "timeout"},
            "Ana could not verify the domain acme.example: the DNS lookup timed out",
        ),
        (
            "domain.removed",
            {"name": "acme.example", "verified": True},
            None,
            "Ana removed the domain acme.example (it was verified)",
        ),
    ],
)
def test_domain_events_read_as_sentences(verb, before, after, sentence):
    event = AuditEvent(verb=verb, target_repr="acme.example", before=before, after=after)
    event.actor = ANA
    assert audit_sentence(event) == sentence
    assert verb in EVENT_KINDS
