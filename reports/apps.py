from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        # Explicit registrations with the layers below (docs/architecture.md): what a change of
        # inputs or ratings means for the derived figures, and the gap export's background job.
        from reports.exports import gap_export_handler
        from reports.freshness import inputs_changed
        from reports.incremental import ratings_changed
        from skillsmap.core import changes
        from skillsmap.core.jobs import register_job_handler
        from skillsmap.core.models import Job

        changes.listen(inputs=inputs_changed, ratings=ratings_changed)
        register_job_handler(Job.Kind.GAP_EXPORT, gap_export_handler)
        # My skills (a skills page) shows role targets, readiness and mentors from here.
        from reports.my_skills import my_skills_extras
        from skills.hooks import on_my_skills

        on_my_skills(my_skills_extras)
