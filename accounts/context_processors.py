from django.http import HttpRequest

from accounts.selectors import organisation_list_for_user


def organisations(request: HttpRequest) -> dict[str, object]:
    """The navigation's organisation switcher; lazy, so pages that do not show it pay nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    cache: dict[str, object] = {}

    def my_organisations() -> object:
        if "orgs" not in cache:
            cache["orgs"] = organisation_list_for_user(user=user)
        return cache["orgs"]

    return {"my_organisations": my_organisations, "tenant": getattr(request, "tenant", None)}
