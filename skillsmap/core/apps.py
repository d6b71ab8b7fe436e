from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "skillsmap.core"
    label = "core"
    verbose_name = "Core: tenancy and background jobs"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from skillsmap.core import checks  # noqa: F401  registers the tenancy system checks
        from skillsmap.core.rls import apply_database_tenancy

        # After every migrate, every tenant table gets its RLS policy and composite foreign keys.
        # Doing it here rather than in each migration means a new tenant model cannot forget them.
        post_migrate.connect(apply_database_tenancy, dispatch_uid="core.apply_database_tenancy")
