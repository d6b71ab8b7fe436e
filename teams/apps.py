from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"

    def ready(self) -> None:
        # Explicit registrations with the layers below (docs/architecture.md): the person record of
        # whoever joins an organisation, and the people import's background job.
        from accounts.hooks import on_member_joined
        from skillsmap.core.jobs import register_job_handler
        from skillsmap.core.models import Job
        from teams.imports import people_import_handler
        from teams.services import person_link_user

        on_member_joined(person_link_user)
        register_job_handler(Job.Kind.PEOPLE_IMPORT, people_import_handler)
