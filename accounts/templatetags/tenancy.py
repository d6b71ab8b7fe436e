from django import template

from accounts.permissions import Perm

register = template.Library()


@register.filter
def can(tenant: object, perm: str) -> bool:
    """``{% if tenant|can:"people.manage" %}``: the same permission table the views enforce."""
    return bool(tenant) and tenant.can(Perm(perm))  # type: ignore[attr-defined]  # a Tenant, or "" on a page without one
