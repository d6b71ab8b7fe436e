from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organisations"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from accounts import checks  # noqa: F401  registers the tenancy system checks
        from accounts.rls import apply_database_tenancy

        # After every migrate, every tenant table gets its RLS policy and composite foreign keys.
        # Doing it here rather than in each migration means a new tenant model cannot forget them.
        post_migrate.connect(apply_database_tenancy, dispatch_uid="accounts.apply_database_tenancy")
