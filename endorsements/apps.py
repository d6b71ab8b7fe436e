from typing import Any

from django.apps import AppConfig


def _endorsements_follow_merge(*, organisation: Any, source: Any, into: Any) -> int:
    from endorsements.services import endorsements_move

    return endorsements_move(organisation=organisation, source=source, into=into)


class EndorsementsConfig(AppConfig):
    name = "endorsements"
    verbose_name = "Endorsements"

    def ready(self) -> None:
        # Explicit registrations with the skills layer below (docs/architecture.md): a merged
        # skill's endorsements follow it, and people search shows and filters by endorsements.
        from endorsements.search import people_search_extras
        from skills.hooks import on_people_search, on_skill_merged

        on_skill_merged("endorsements", _endorsements_follow_merge)
        on_people_search(people_search_extras)
