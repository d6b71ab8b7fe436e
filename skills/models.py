"""Skills: the global, read-only skill library (O*NET and ESCO) that organisations pick from, and
each organisation's own framework, proficiency scale and rating events.

The ``Library*`` models are deliberately *not* tenant models: every organisation reads the same
rows, only the importer (``skills.library.import_library``) writes them, and nothing an
organisation does may change them. Tenant-owned skills will point at them instead.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from skillsmap.core.tenancy import TenantModel


class SkillKind(models.TextChoices):
    """The two families the product reasons about; tenant skills reuse this."""

    TECHNICAL = "technical", "Technical"
    HUMAN = "human", "Human"


class LibrarySource(models.TextChoices):
    ONET = "onet", "O*NET"
    ESCO = "esco", "ESCO"


class LibraryCategory(models.Model):
    """A group of library skills: an O*NET content-model node ("2.B.3 Technical Skills"), a UNSPSC
    commodity/class/family/segment ("unspsc:43232306") or an ESCO broader concept (its URI)."""

    source = models.CharField(max_length=8, choices=LibrarySource.choices)
    external_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    kind = models.CharField(max_length=16, choices=SkillKind.choices)

    class Meta:
        verbose_name_plural = "library categories"
        ordering = ("source", "name")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="skills_librarycategory_source_ext_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.name


class LibrarySkill(models.Model):
    """One skill of the library, keyed by its source's stable id so that a newer release updates
    it in place: an O*NET element id ("2.B.3.e"), "tech:<normalised name>" for an O*NET
    technology, or an ESCO concept URI."""

    source = models.CharField(max_length=8, choices=LibrarySource.choices)
    external_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=SkillKind.choices)
    category = models.ForeignKey(
        LibraryCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="skills"
    )
    aliases = models.JSONField(default=list, blank=True)
    # O*NET technology flags, true when any occupation marks the technology.
    hot_technology = models.BooleanField(default=False)
    in_demand = models.BooleanField(default=False)
    attribution = models.CharField(max_length=255)
    release = models.CharField(max_length=32, blank=True)
    # Duplicate detection across sources and against tenant skills; see normalise_skill_name.
    normalised_name = models.CharField(max_length=255)

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="skills_libraryskill_source_ext_uniq"
            )
        ]
        indexes = [models.Index(fields=["normalised_name"], name="skills_libskill_norm_idx")]

    def __str__(self) -> str:
        return self.name


class LibraryLevelAnchor(models.Model):
    """What an O*NET level (LV scale, 0-7) means for one skill, in O*NET's words."""

    skill = models.ForeignKey(LibrarySkill, on_delete=models.CASCADE, related_name="anchors")
    level = models.PositiveSmallIntegerField()
    description = models.TextField()

    class Meta:
        ordering = ("skill", "level")
        constraints = [
            models.UniqueConstraint(
                fields=["skill", "level"], name="skills_librarylevelanchor_skill_level_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.skill} {self.level}: {self.description}"


class LibraryOccupation(models.Model):
    """An O*NET occupation, the starting point of a role profile."""

    code = models.CharField(max_length=16, unique=True)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class LibraryOccupationSkill(models.Model):
    """How much one occupation needs one library skill. Values O*NET recommends suppressing are
    null: the link is kept because the element still belongs to the occupation."""

    occupation = models.ForeignKey(
        LibraryOccupation, on_delete=models.CASCADE, related_name="skill_links"
    )
    skill = models.ForeignKey(
        LibrarySkill, on_delete=models.CASCADE, related_name="occupation_links"
    )
    importance = models.FloatField(null=True, blank=True)  # IM scale, 1-5
    level = models.FloatField(null=True, blank=True)  # LV scale, 0-7
    not_relevant = models.BooleanField(default=False)
    in_demand = models.BooleanField(default=False)

    class Meta:
        ordering = ("occupation", "skill")
        constraints = [
            models.UniqueConstraint(
                fields=["occupation", "skill"], name="skills_libraryoccupationskill_occ_skill_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.occupation_id} → {self.skill_id}"


# --- The organisation's own framework, scale and ratings (tenant-owned) -------------------------


class SkillCategory(TenantModel):
    """A heading of an organisation's framework ("Backend", "Collaboration")."""

    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "name"], name="skillcategory_org_name_uniq"
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Skill(TenantModel):
    """A skill in an organisation's framework: adopted from the library or the organisation's own.

    ``normalised_name`` (see ``skills.library.normalise_skill_name``) is unique per organisation, so
    "ReactJS", "React.js" and "react js" cannot coexist; aliases are checked by the service.
    """

    name = models.CharField(max_length=200)
    normalised_name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=SkillKind.choices, default=SkillKind.TECHNICAL)
    category = models.ForeignKey(
        SkillCategory, on_delete=models.SET_NULL, null=True, blank=True, related_name="skills"
    )
    library_skill = models.ForeignKey(
        LibrarySkill, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    aliases = models.JSONField(default=list, blank=True)
    is_archived = models.BooleanField(default=False)
    # Where a merge sent this skill's ratings; kept so old links and audit rows still resolve.
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "normalised_name"], name="skill_org_normalised_name_uniq"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organisation", "is_archived", "name"], name="skill_org_active_idx"
            ),
            models.Index(fields=["organisation", "category"], name="skill_org_category_idx"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProficiencyLevel(TenantModel):
    """One step of the organisation's scale (default 0 None … 5 Expert). "Not applicable" is not a
    level: it is a flag on the rating."""

    value = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=60)
    description = models.TextField(blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organisation", "value"], name="level_org_value_uniq"),
        ]
        ordering = ["value"]

    def __str__(self) -> str:
        return f"{self.value} {self.name}"


class SkillLevelDescriptor(TenantModel):
    """What a level means for one skill ("3: writes a stored procedure unaided"). Falls back to the
    scale's generic description where a skill has none."""

    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="descriptors")
    value = models.PositiveSmallIntegerField()
    description = models.TextField()

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "skill", "value"], name="descriptor_org_skill_value_uniq"
            ),
        ]


class ProfileSkill(TenantModel):
    """A skill a person added to their profile to rate (rated skills are on it implicitly)."""

    person = models.ForeignKey(
        "teams.Person", on_delete=models.CASCADE, related_name="profile_skills"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "person", "skill"], name="profileskill_uniq"
            ),
        ]


class RatingSource(models.TextChoices):
    SELF = "self", "Self"
    MANAGER = "manager", "Manager"
    IMPORT = "import", "Import"
    # "Mark as reviewed" (#16): the person confirms their effective rating as it stands. It
    # assesses nothing, so it never chooses a level; it only dates the rating it confirms
    # (``skills.levels``, step 5).
    REVIEW = "review", "Reviewed"


class Rating(TenantModel):
    """One rating event. Never updated or deleted: history is the point. The effective level is
    derived from these by ``skills.levels.effective_level``."""

    person = models.ForeignKey("teams.Person", on_delete=models.CASCADE, related_name="ratings")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="ratings")
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    not_applicable = models.BooleanField(default=False)
    interest = models.BooleanField(default=False, help_text="Wants to grow in this skill.")
    source = models.CharField(max_length=16, choices=RatingSource.choices)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    evidence_url = models.URLField(blank=True)
    rated_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(
                condition=(
                    models.Q(not_applicable=True, level__isnull=True)
                    | models.Q(not_applicable=False, level__isnull=False)
                ),
                name="rating_level_xor_not_applicable",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organisation", "person", "skill", "rated_at"],
                name="rating_person_skill_idx",
            ),
            models.Index(fields=["organisation", "skill", "rated_at"], name="rating_skill_idx"),
        ]
        ordering = ["-rated_at", "-id"]

    def __str__(self) -> str:
        level = "n/a" if self.not_applicable else self.level
        return f"{self.person} · {self.skill}: {level} ({self.source})"
