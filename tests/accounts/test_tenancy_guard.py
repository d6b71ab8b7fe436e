"""The second wall: tenant models refuse to be queried with no organisation active."""

import pytest
from django.core.cache import cache
from django_scopes import ScopeError

from accounts.models import AuditEvent, Invitation, Membership
from skillsmap.core.rls import tenant_models
from skillsmap.core.tenancy import NoOrganisationError, organisation_context, tenant_cache_key

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_unscoped_query_of_any_tenant_model_raises(model, org_a):
    with pytest.raises(ScopeError):
        list(model.objects.all())
    with pytest.raises(ScopeError):
        model.objects.filter(pk=1).exists()


def test_the_tenant_models_include_the_accounts_domain():
    # Guards the enumeration above against silently testing nothing.
    assert {Membership, Invitation, AuditEvent} <= set(tenant_models())


@pytest.mark.parametrize("nothing", [None, ""])
def test_activating_no_organisation_raises(nothing):
    with pytest.raises(NoOrganisationError), organisation_context(nothing):
        pass


def test_a_scope_sees_only_its_own_organisation(org_a, org_b):
    with organisation_context(org_a.organisation):
        emails = set(Membership.objects.values_list("user__email", flat=True))
    assert emails == {f"{role}@alpha.example" for role in ("admin", "hr", "manager", "member")}


def test_related_managers_are_guarded_too(org_a):
    with pytest.raises(ScopeError):
        list(org_a.admin.memberships.all())


def test_cache_keys_carry_the_organisation(org_a, org_b):
    key_a = tenant_cache_key(org_a.organisation.pk, "matrix", 1)
    key_b = tenant_cache_key(org_b.organisation.pk, "matrix", 1)
    cache.set(key_a, "alpha's matrix")
    assert cache.get(key_b) is None
    assert cache.get(key_a) == "alpha's matrix"
    with pytest.raises(NoOrganisationError):
        tenant_cache_key(None, "matrix")
