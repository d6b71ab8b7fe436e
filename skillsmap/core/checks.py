"""System checks that make a tenant model's missing safeguards fail at start-up, not in production."""

from typing import Any, cast

from django.core import checks
from django.db import models


@checks.register(checks.Tags.models)
def check_tenant_models(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from skillsmap.core.rls import tenant_models

    errors: list[checks.CheckMessage] = []
    for model in tenant_models():
        label = model._meta.label
        has_org_id_unique = any(
            isinstance(c, models.UniqueConstraint) and tuple(c.fields) == ("organisation", "id")
            for c in model._meta.constraints
        )
        if not has_org_id_unique:
            errors.append(
                checks.Error(
                    f"{label} lacks UniqueConstraint(organisation, id).",
                    hint="Extend TenantModel.Meta and keep *TenantModel.Meta.constraints.",
                    obj=model,
                    id="core.E001",
                )
            )
        for constraint in model._meta.constraints:
            fields = tuple(getattr(constraint, "fields", ()) or ())
            if (
                isinstance(constraint, models.UniqueConstraint)
                and fields
                and fields[0] != "organisation"
            ):
                errors.append(
                    checks.Error(
                        f"{label}: unique constraint {constraint.name} does not include the "
                        "organisation first; uniqueness is per organisation.",
                        obj=model,
                        id="core.E002",
                    )
                )
        for index in model._meta.indexes:
            if index.fields and index.fields[0].lstrip("-") != "organisation":
                errors.append(
                    checks.Error(
                        f"{label}: index {index.name} does not lead with organisation.",
                        obj=model,
                        id="core.E003",
                    )
                )
        for field in model._meta.local_many_to_many:
            # Django sets the through model (an automatic one unless named) as the class is built.
            through = cast("type[models.Model]", field.remote_field.through)
            if through._meta.auto_created:
                errors.append(
                    checks.Error(
                        f"{label}.{field.name}: an automatic many-to-many table has no "
                        "organisation_id and escapes row-level security; use a TenantModel through.",
                        obj=model,
                        id="core.E004",
                    )
                )
    return errors
