"""Writes of the people-and-teams domain. Keyword-only, atomic, audited; callers provide the
organisation context."""

from __future__ import annotations

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Organisation, User
from teams.models import Person


@transaction.atomic
def person_link_user(*, organisation: Organisation, user: User) -> Person:
    """The person record of a user who joins: the one HR imported with the same email if there is
    one (now linked to the account), else a new one."""
    person = Person.objects.filter(organisation=organisation, user=user).first()
    if person is not None:
        return person
    person = Person.objects.filter(
        organisation=organisation, email__iexact=user.email, user__isnull=True
    ).first()
    if person is None:
        person = Person.objects.create(
            organisation=organisation, user=user, email=user.email.lower(), name=str(user)
        )
        verb = "person.created"
    else:
        person.user = user
        person.save(update_fields=["user"])
        verb = "person.linked"
    audit_record(
        organisation=organisation,
        actor=user,
        verb=verb,
        target=person,
        after={"email": person.email, "user": user.email},
    )
    return person
