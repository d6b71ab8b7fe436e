from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Review campaigns and reminders"

    def ready(self) -> None:
        # Celery's autodiscovery imports ``tasks`` modules only: the digests' tasks (#16) live in
        # a module of their own, registered here so the worker knows them.
        from reviews import tasks_digest  # noqa: F401

        # My skills (a skills page) shows the person's open campaigns: skills may not import
        # reviews, so reviews registers its notice (docs/architecture.md, "How a lower layer
        # tells a higher one").
        from reviews.selectors import my_skills_notice
        from skills.hooks import on_my_skills_notice

        on_my_skills_notice("reviews", my_skills_notice)
