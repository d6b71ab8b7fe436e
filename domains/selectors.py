"""Reads of verified domains.

Every read takes the organisation, except ``verified_domain_organisation_id``: the sign-in page
must route an email to its organisation's identity provider before anyone has signed in, so that
one lookup crosses organisations, deliberately and narrowly (one exact name, verified rows only,
the organisation's id alone).

Subdomains do not count: ``acme.example`` verified says nothing about ``eu.acme.example``, which
may be delegated to someone else; an organisation claims and proves each name it uses.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404
from django_scopes import scopes_disabled

from accounts.models import Organisation
from domains.models import Domain
from skillsmap.core.tenancy import organisation_context


def normalise_domain(value: str) -> str:
    """The form names are stored in: lower case, no surrounding dots or spaces, IDNA (ASCII).

    Unicode names become their ``xn--`` form, so ``bücher.example`` and ``xn--bcher-kva.example``
    are the same row. Raises ``ValueError`` for what is not a hostname at all.
    """
    name = value.strip().strip(".").lower()
    if not name:
        raise ValueError("empty")
    try:
        # The idna codec of the standard library (IDNA 2003) lower-cases and maps the labels;
        # label length and overall length are checked by the service.
        return name.encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise ValueError(str(error)) from error


def email_domain(email: str) -> str | None:
    """The normalised domain of an email address, or None when it has none."""
    _, at, domain = email.strip().rpartition("@")
    if not at or not domain:
        return None
    try:
        return normalise_domain(domain)
    except ValueError:
        return None


def domain_list(*, organisation: Organisation) -> QuerySet[Domain]:
    return Domain.objects.filter(organisation=organisation).select_related("created_by")


def domain_get(*, organisation: Organisation, domain_id: int) -> Domain:
    """One of the organisation's domains, or 404: another organisation's reads as missing."""
    domain = Domain.objects.filter(organisation=organisation, pk=domain_id).first()
    if domain is None:
        raise Http404("No such domain.")
    return domain


def domain_get_by_name(*, organisation: Organisation, name: str) -> Domain | None:
    return Domain.objects.filter(organisation=organisation, name=name).first()


def domain_is_claimed(*, organisation: Organisation, name: str) -> bool:
    """Whether the organisation already holds this name (as typed: it is normalised here)."""
    try:
        clean = normalise_domain(name)
    except ValueError:
        return False
    return Domain.objects.filter(organisation=organisation, name=clean).exists()


def verified_domain_organisation_id(*, domain: str) -> int | None:
    """The id of the organisation that verified this domain (exact name, any case), or None.

    Works with no organisation set. On PostgreSQL it calls ``domains_verified_organisation_id``
    (migration 0001), the only way past row-level security for this table: it returns the id and
    nothing else. Elsewhere there is no RLS, and the ORM guard is lifted for this one query only.
    """
    try:
        name = normalise_domain(domain)
    except ValueError:
        return None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT domains_verified_organisation_id(%s)", [name])
            row = cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else None
    with scopes_disabled():
        org_id = (
            Domain.objects.filter(name=name, verified_at__isnull=False)
            .values_list("organisation_id", flat=True)
            .first()
        )
    return int(org_id) if org_id is not None else None


def email_domain_verified(*, organisation: Organisation, email: str) -> bool:
    """Whether the email's domain (exact match, case-insensitive; subdomains do not count) is
    verified by this organisation. Usable inside or outside the organisation's context."""
    name = email_domain(email)
    if name is None:
        return False
    with organisation_context(organisation):
        return Domain.objects.filter(
            organisation=organisation, name=name, verified_at__isnull=False
        ).exists()
