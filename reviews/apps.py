from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Review campaigns and reminders"

    def ready(self) -> None:
        # Celery's autodiscovery imports ``tasks`` modules only: the digests' tasks (#16) live in
        # a module of their own, registered here so the worker knows them.
        from reviews import tasks_digest  # noqa: F401
