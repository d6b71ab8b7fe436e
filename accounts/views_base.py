"""The first wall: every organisation page resolves ``(organisation, membership)`` here, once.

A non-member, a deactivated member and an unknown slug all get the same 404; a member whose role
does not allow the page gets 403. The view then runs inside ``organisation_context``, so every query
it makes is filtered by django-scopes and, on PostgreSQL, by row-level security.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django_htmx.middleware import HtmxDetails

from accounts.models import Membership, Organisation, User
from accounts.permissions import Perm
from accounts.selectors import (
    membership_get_active,
    organisation_get_by_slug,
    organisations_by_slug,
)
from skillsmap.core.memo import request_memo
from skillsmap.core.tenancy import organisation_context_from


class HtmxHttpRequest(HttpRequest):
    """A request as our pages receive it: django-htmx's middleware (installed for every request)
    adds ``htmx``. These request classes are annotations only; Django passes its own class."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """The request a ``login_required`` or ``org_view`` page receives: its user has signed in."""

    user: User


@dataclass(frozen=True)
class Tenant:
    organisation: Organisation
    membership: Membership

    def can(self, perm: Perm) -> bool:
        return self.membership.has_perm(perm)

    def require(self, perm: Perm) -> None:
        if not self.can(perm):
            raise PermissionDenied("Your role does not allow this.")


def organisation_by_slug(slug: str) -> Organisation:
    return organisation_get_by_slug(slug=slug)


TenantView = Callable[..., HttpResponse]


def org_view(
    perm: Perm = Perm.ORGANISATION_VIEW,
) -> Callable[[TenantView], Callable[..., HttpResponse]]:
    """Decorate a view ``(request, tenant, **kwargs)`` served under ``/o/<org_slug>/``."""

    def decorator(view: TenantView) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(
            request: AuthenticatedHttpRequest, org_slug: str, **kwargs: Any
        ) -> HttpResponse:
            # The statement that reads the organisation also sets the database's tenant
            # setting (skillsmap.core.tenancy): one statement of every page, not two. The memo
            # lets the page's sections share what they read (skillsmap.core.memo).
            with (
                request_memo(),
                organisation_context_from(organisations_by_slug(slug=org_slug)) as organisation,
            ):
                if organisation is None:
                    raise Http404("No such organisation.")
                tenant = Tenant(
                    organisation,
                    membership_get_active(organisation=organisation, user=request.user),
                )
                tenant.require(perm)
                request.tenant = tenant  # type: ignore[attr-defined]  # set by org_view for the templates' navigation
                response = view(request, tenant, **kwargs)
                # A lazy TemplateResponse would render after the context closes and its queries
                # would meet the closed walls; render while the organisation is still active.
                if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                    response.render()
                return response

        # The view's one transaction is ``organisation_context_from``'s, which also holds the
        # database setting: wrapping it in ``ATOMIC_REQUESTS``'s as well would only add a savepoint
        # and its release to every page. What runs before it (the session, the user) only reads.
        return transaction.non_atomic_requests(wrapper)

    return decorator
