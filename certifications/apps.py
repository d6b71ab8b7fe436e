from typing import Any

from django.apps import AppConfig


def _links_follow_merge(*, organisation: Any, source: Any, into: Any) -> int:
    from certifications.services import certification_skills_move

    return certification_skills_move(organisation=organisation, source=source, into=into)


class CertificationsConfig(AppConfig):
    name = "certifications"
    verbose_name = "Certifications"

    def ready(self) -> None:
        # Explicit registrations with the layers below (docs/architecture.md): the import's
        # background job, and a merged skill's certification links following it.
        from certifications.imports import certifications_import_handler
        from skills.hooks import on_skill_merged
        from skillsmap.core.jobs import register_job_handler
        from skillsmap.core.models import Job

        register_job_handler(Job.Kind.CERTIFICATIONS_IMPORT, certifications_import_handler)
        on_skill_merged("certification_links", _links_follow_merge)
