"""The skill library in the admin, read-only: only ``import_skill_library`` writes it, and a
hand edit would be silently overwritten by the next import anyway."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from skills.models import (
    LibraryCategory,
    LibraryLevelAnchor,
    LibraryOccupation,
    LibraryOccupationSkill,
    LibrarySkill,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LevelAnchorInline(admin.TabularInline):
    model = LibraryLevelAnchor
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LibraryCategory)
class LibraryCategoryAdmin(ReadOnlyAdmin):
    list_display = ("name", "source", "external_id", "kind", "parent")
    list_filter = ("source", "kind")
    search_fields = ("name", "external_id")
    list_select_related = ("parent",)


@admin.register(LibrarySkill)
class LibrarySkillAdmin(ReadOnlyAdmin):
    list_display = ("name", "source", "kind", "category", "hot_technology", "in_demand")
    list_filter = ("source", "kind", "hot_technology", "in_demand")
    search_fields = ("name", "normalised_name", "external_id")
    list_select_related = ("category",)
    inlines = (LevelAnchorInline,)


@admin.register(LibraryOccupation)
class LibraryOccupationAdmin(ReadOnlyAdmin):
    list_display = ("code", "title")
    search_fields = ("code", "title")


@admin.register(LibraryOccupationSkill)
class LibraryOccupationSkillAdmin(ReadOnlyAdmin):
    list_display = ("occupation", "skill", "importance", "level", "not_relevant", "in_demand")
    list_filter = ("skill__source", "skill__kind", "not_relevant", "in_demand")
    search_fields = ("occupation__code", "occupation__title", "skill__name")
    list_select_related = ("occupation", "skill")
