from typing import Any

from django.apps import AppConfig


def _install_default_scale(*, organisation: Any, user: Any) -> None:
    from skills.services.scale import scale_install_default

    scale_install_default(organisation=organisation)


class SkillsConfig(AppConfig):
    name = "skills"

    def ready(self) -> None:
        # Explicit registrations with the layers below (docs/architecture.md): every new
        # organisation gets the default scale; the ratings import's background job.
        from accounts.hooks import on_organisation_created
        from skills.imports import ratings_import_handler
        from skillsmap.core.jobs import register_job_handler
        from skillsmap.core.models import Job

        on_organisation_created(_install_default_scale)
        register_job_handler(Job.Kind.RATINGS_IMPORT, ratings_import_handler)
