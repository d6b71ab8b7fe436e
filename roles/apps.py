from typing import Any

from django.apps import AppConfig


def _requirements_follow_merge(*, organisation: Any, source: Any, into: Any) -> int:
    from roles.services import role_requirements_move

    return role_requirements_move(organisation=organisation, source=source, into=into)


class RolesConfig(AppConfig):
    name = "roles"
    verbose_name = "Role profiles"

    def ready(self) -> None:
        # Explicit registration with the skills layer below (docs/architecture.md): a merged
        # skill's requirements move with its ratings.
        from skills.hooks import on_skill_merged

        on_skill_merged("requirements", _requirements_follow_merge)
