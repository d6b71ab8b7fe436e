"""Fail-closed tenancy: the base class of every organisation-owned model and the one way to act
inside an organisation.

Three walls keep organisations apart (see docs/tenancy.md):

1. URLs carry the organisation and ``accounts.views_base.org_view`` resolves it with the caller's
   membership, or answers 404.
2. Every ``TenantModel`` has a django-scopes manager: a query with no organisation active raises
   ``ScopeError`` instead of returning every organisation's rows.
3. On PostgreSQL, row-level security filters every tenant table on the setting
   ``app.current_organisation``; with nothing set, nothing matches.

``organisation_context`` raises both the second and the third wall for one organisation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar, Self, TypeVar

from django.db import connection, models, transaction
from django.db.models import CharField, F, Func, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django_scopes import ScopedManager, scope, scopes_disabled

ORGANISATION_SETTING = "app.current_organisation"
USER_SETTING = "app.current_user"


class NoOrganisationError(ValueError):
    """Raised when code asks to act inside "no organisation": that would mean *every* organisation."""


class TenantModel(models.Model):
    """A row that belongs to exactly one organisation.

    Subclasses keep ``UniqueConstraint(organisation, id)`` (the target of composite foreign keys on
    PostgreSQL) by extending ``TenantModel.Meta``; the system check ``core.E001`` enforces it.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )

    # ScopedManager builds a models.Manager subclass at runtime (django-scopes ships no types).
    objects: ClassVar[models.Manager[Self]] = ScopedManager(organisation="organisation")

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "id"], name="%(app_label)s_%(class)s_org_id_uniq"
            )
        ]


def _organisation_id(organisation: models.Model | int | None) -> int:
    if organisation is None or organisation == "":  # type: ignore[comparison-overlap]  # "" from untyped callers (task arguments) is refused too
        raise NoOrganisationError("An organisation must be given; None would disable the filter.")
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    if org_id is None:
        raise NoOrganisationError("The organisation has no id yet.")
    return int(org_id)


def _db_setting_swap(name: str, value: str) -> str | None:
    """Set a transaction-local PostgreSQL setting and return its previous value.

    ``set_config(..., true)`` is ``SET LOCAL``: it ends with the transaction, so a pooled connection
    never carries one request's organisation into the next. (psycopg cannot bind parameters in
    ``SET``, hence the function form.)
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting(%s, true), set_config(%s, %s, true)", [name, name, value]
        )
        previous = cursor.fetchone()[0]
    return previous or ""


def _opens_transaction() -> bool:
    """Whether the ``transaction.atomic()`` about to be entered starts the transaction (rather
    than a savepoint inside one): its end then ends every ``SET LOCAL`` made in it."""
    return not connection.in_atomic_block and connection.get_autocommit()


@contextmanager
def _restoring(name: str, previous: str | None, *, ends_with_transaction: bool) -> Iterator[None]:
    """Restore the database setting ``name`` to ``previous`` when the block succeeds. Not needed
    when the block's transaction ends with it (an organisation page, a Celery task): the commit
    drops a transaction-local setting anyway, so that restore would only cost every request a
    statement. A block marked for rollback (DRF does so when it turns an exception into a
    response) accepts no query; its savepoint rollback restores the setting anyway."""
    yield
    if previous is None or ends_with_transaction:
        return
    if not transaction.get_connection().needs_rollback:
        _db_setting_swap(name, previous)


@contextmanager
def organisation_context(organisation: models.Model | int | None) -> Iterator[int]:
    """Act inside one organisation: scoped managers filter on it and PostgreSQL RLS admits only it.

    Runs in a transaction (a savepoint when nested) because the database setting is transaction-local.
    On success the previous setting is restored, unless the context was the whole transaction (its
    commit ends the setting); on error the rollback restores it.
    """
    org_id = _organisation_id(organisation)
    ends_with_transaction = _opens_transaction()
    with transaction.atomic():
        previous = _db_setting_swap(ORGANISATION_SETTING, str(org_id))
        with (
            _restoring(ORGANISATION_SETTING, previous, ends_with_transaction=ends_with_transaction),
            scope(organisation=org_id),
        ):
            yield org_id


M = TypeVar("M", bound=models.Model)

# The columns ``organisation_context_from`` adds to the organisation's row.
_PREVIOUS_COLUMN = "tenancy_previous_setting"
_SET_COLUMN = "tenancy_new_setting"


@contextmanager
def organisation_context_from(organisations: QuerySet[M]) -> Iterator[M | None]:
    """``organisation_context`` for an organisation not loaded yet: ``organisations`` narrowed to
    at most one row (an organisation by its unique slug), read inside the context's transaction.

    On PostgreSQL the statement that reads the row also sets the database setting to it (and
    reads the previous value, to restore): one statement where loading the organisation and then
    entering its context takes two, and that pair is paid by every organisation page. Yields the
    organisation, scoped as ``organisation_context`` scopes it, or ``None`` (nothing set, nothing
    scoped) when no row matches; the caller answers 404.
    """
    ends_with_transaction = _opens_transaction()
    with transaction.atomic():
        postgresql = connection.vendor == "postgresql"
        if postgresql:
            # Evaluated left to right for the row: the previous value, then the new one (the
            # same order as ``_db_setting_swap``). ``set_config(..., true)`` is ``SET LOCAL``.
            organisations = organisations.annotate(
                **{
                    _PREVIOUS_COLUMN: Func(
                        Value(ORGANISATION_SETTING),
                        Value(True),
                        function="current_setting",
                        output_field=TextField(),
                    ),
                    _SET_COLUMN: Func(
                        Value(ORGANISATION_SETTING),
                        Cast(F("pk"), output_field=CharField()),
                        Value(True),
                        function="set_config",
                        output_field=TextField(),
                    ),
                }
            )
        # Two at most: a queryset matching several rows would have set the setting once per row,
        # so it is refused (and the transaction's rollback undoes what it set).
        rows = list(organisations[:2])
        if len(rows) > 1:
            raise ValueError("organisation_context_from needs a query matching one row.")
        if not rows:
            yield None
            return
        organisation = rows[0]
        org_id = _organisation_id(organisation)
        previous = None
        if postgresql:
            assert getattr(organisation, _SET_COLUMN) == str(org_id)
            previous = getattr(organisation, _PREVIOUS_COLUMN) or ""
        with (
            _restoring(ORGANISATION_SETTING, previous, ends_with_transaction=ends_with_transaction),
            scope(organisation=org_id),
        ):
            yield organisation


@contextmanager
def user_memberships_context(user_id: int) -> Iterator[None]:
    """Read one user's memberships across organisations (the organisation switcher, the API's
    ``/orgs/``). The django-scopes guard is lifted for this read only, and on PostgreSQL the second,
    SELECT-only policy of the membership table admits exactly that user's rows."""
    if not user_id:
        raise NoOrganisationError("A user must be given.")
    ends_with_transaction = _opens_transaction()
    with transaction.atomic():
        previous = _db_setting_swap(USER_SETTING, str(int(user_id)))
        with (
            _restoring(USER_SETTING, previous, ends_with_transaction=ends_with_transaction),
            scopes_disabled(),
        ):
            yield


def current_database_organisation() -> str | None:
    """The organisation PostgreSQL filters on right now ('' for none); None on other databases."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [ORGANISATION_SETTING])
        return cursor.fetchone()[0] or ""


def tenant_cache_key(organisation_id: int, *parts: object) -> str:
    """Cache keys always start with the organisation, so one tenant can never read another's entry."""
    return ":".join(["org", str(_organisation_id(organisation_id)), *map(str, parts)])
