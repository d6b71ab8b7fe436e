"""Forms of the framework pages. They check shapes only; what is allowed is the services' call.

Choices among the organisation's rows (categories, merge targets) take a queryset from the view,
already filtered on the organisation, so another organisation's id reads "Select a valid …"
exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from skills.models import LibrarySource, ProficiencyLevel, Skill, SkillCategory, SkillKind
from skills.selectors.framework import library_skill_choices

SELECT_VALID_SKILL = "Select a valid skill."
TEXT_MAX = 4000
# More ticks than anyone adopts at once; bounds the query for the ticked skills.
TICKED_MAX = 200


class FrameworkFilterForm(forms.Form):
    """The framework page's search and filters (GET). Invalid filters are ignored, not refused."""

    q = forms.CharField(label="Search", required=False, max_length=200, widget=forms.SearchInput())
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Any kind"), *SkillKind.choices]
    )
    category = forms.ModelChoiceField(
        label="Category", required=False, queryset=SkillCategory.objects.none()
    )
    archived = forms.BooleanField(label="Show archived skills", required=False)

    def __init__(self, *args: Any, categories: QuerySet[SkillCategory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = categories
        category.empty_label = "Any category"

    def filters(self) -> dict[str, Any]:
        """The valid filters as ``framework_groups`` keyword arguments."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        category = data.get("category")
        return {
            "q": data.get("q", ""),
            "kind": data.get("kind", ""),
            "category_id": category.pk if category else None,
            "include_archived": bool(data.get("archived")),
        }


class LibrarySearchForm(forms.Form):
    q = forms.CharField(
        label="Search the library", required=False, max_length=200, widget=forms.SearchInput()
    )
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Any kind"), *SkillKind.choices]
    )
    source = forms.ChoiceField(
        label="Source", required=False, choices=[("", "Any source"), *LibrarySource.choices]
    )

    def filters(self) -> dict[str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {key: data.get(key, "") for key in ("q", "kind", "source")}

    def ticked(self) -> list[int]:
        """The library skills ticked before this search (htmx sends the ticked boxes along), so
        that a new query, filter or page keeps them ticked. Ids that are not numbers are ignored;
        at most ``TICKED_MAX``."""
        raw = self.data.getlist("library_skill") if hasattr(self.data, "getlist") else []
        ids = [int(value) for value in raw if str(value).isdigit()]
        return list(dict.fromkeys(ids))[:TICKED_MAX]


class AdoptForm(forms.Form):
    """One or more library skills to adopt; the search it was made from rides along so that the
    page can come back to it."""

    library_skill = forms.ModelMultipleChoiceField(
        queryset=library_skill_choices(),
        error_messages={
            "required": "Select at least one skill to adopt.",
            "invalid_choice": "Select a valid library skill.",
            "invalid_pk_value": "Select a valid library skill.",
        },
    )
    q = forms.CharField(required=False, max_length=200)
    kind = forms.CharField(required=False, max_length=16)
    source = forms.CharField(required=False, max_length=8)
    page = forms.IntegerField(required=False, min_value=1)


def _split_aliases(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class SkillForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=SkillKind.choices, initial=SkillKind.TECHNICAL)
    category = forms.ModelChoiceField(
        label="Category",
        required=False,
        queryset=SkillCategory.objects.none(),
        error_messages={"invalid_choice": "Select a valid category."},
    )
    category_name = forms.CharField(
        label="Or a new category",
        required=False,
        max_length=120,
        help_text="Type a name to create a category (or to pick the one of that name).",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=TEXT_MAX
    )
    aliases = forms.CharField(
        required=False,
        max_length=2000,
        help_text="Other names for the same skill, separated by commas (e.g. ReactJS, React.js).",
    )

    def __init__(
        self,
        *args: Any,
        categories: QuerySet[SkillCategory],
        current_aliases: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = categories
        category.empty_label = "No category"
        self.current_aliases = list(current_aliases)
        self.fields["aliases"].initial = ", ".join(self.current_aliases)

    def clean_aliases(self) -> list[str]:
        text = (self.cleaned_data.get("aliases") or "").strip()
        # A library alias may contain a comma ("back-up and recovery tools using, use back-up
        # tools"): an unchanged field keeps the aliases as they are rather than splitting them.
        if self.current_aliases and text == ", ".join(self.current_aliases):
            return list(self.current_aliases)
        return _split_aliases(text)

    def clean(self) -> dict[str, Any]:
        # Form.clean returns cleaned_data; the stubs allow None for overrides that return nothing.
        data = cast(dict[str, Any], super().clean())
        if data.get("category") and (data.get("category_name") or "").strip():
            self.add_error(
                "category_name", "Choose an existing category or type a new one, not both."
            )
        return data


class MergeForm(forms.Form):
    into: forms.ModelChoiceField[Skill] = forms.ModelChoiceField(
        label="Merge into",
        queryset=None,
        error_messages={"invalid_choice": SELECT_VALID_SKILL, "required": SELECT_VALID_SKILL},
    )

    def __init__(self, *args: Any, skills: QuerySet[Skill], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        into = self.fields["into"]
        assert isinstance(into, forms.ModelChoiceField)
        into.queryset = skills
        into.empty_label = "Choose a skill"


class ArchiveForm(forms.Form):
    archived = forms.TypedChoiceField(
        choices=[("true", "Archive"), ("false", "Unarchive")],
        coerce=lambda value: value == "true",
        error_messages={"invalid_choice": "Choose archive or unarchive."},
    )
    # Where the button was pressed, so that a plain (non-htmx) POST goes back there.
    return_to = forms.ChoiceField(
        required=False, choices=[("framework", "framework"), ("skill", "skill")]
    )


def _level_label(level: ProficiencyLevel) -> str:
    return f"{level.value} · {level.name}"


class DescriptorsForm(forms.Form):
    """One text per level of the scale; empty means "use the scale's generic description"."""

    def __init__(
        self,
        *args: Any,
        levels: list[ProficiencyLevel],
        current: dict[int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.levels = levels
        current = current or {}
        for level in levels:
            self.fields[f"level_{level.value}"] = forms.CharField(
                label=_level_label(level),
                required=False,
                max_length=TEXT_MAX,
                initial=current.get(level.value, ""),
                widget=forms.Textarea(attrs={"rows": 2, "placeholder": level.description}),
            )

    def descriptors(self) -> dict[int, str]:
        return {level.value: self.cleaned_data[f"level_{level.value}"] for level in self.levels}


class ScaleForm(forms.Form):
    """A name and a description per level; the values themselves are not editable."""

    def __init__(self, *args: Any, levels: list[ProficiencyLevel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.levels = levels
        for level in levels:
            self.fields[f"name_{level.value}"] = forms.CharField(
                label=f"Name of level {level.value}", max_length=60, initial=level.name
            )
            self.fields[f"description_{level.value}"] = forms.CharField(
                label=f"Description of level {level.value}",
                required=False,
                max_length=TEXT_MAX,
                initial=level.description,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows(self) -> list[tuple[ProficiencyLevel, forms.BoundField, forms.BoundField]]:
        return [
            (level, self[f"name_{level.value}"], self[f"description_{level.value}"])
            for level in self.levels
        ]

    def scale(self) -> dict[int, tuple[str, str]]:
        return {
            level.value: (
                self.cleaned_data[f"name_{level.value}"],
                self.cleaned_data[f"description_{level.value}"],
            )
            for level in self.levels
        }
