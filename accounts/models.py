from __future__ import annotations

import hashlib
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone

from accounts.permissions import ROLE_PERMISSIONS, Perm, Role
from skillsmap.core.tenancy import TenantModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who can sign in. Email is the login; there is no username."""

    # None removes AbstractUser's field (Django's documented way); the stubs type them as fields.
    username = None  # type: ignore[assignment]  # field removed, see above
    first_name = None  # type: ignore[assignment]  # field removed, see above
    last_name = None  # type: ignore[assignment]  # field removed, see above
    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]  # email login: a BaseUserManager, not contrib.auth's username-based UserManager

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class Organisation(models.Model):
    """A tenant. Its rows are not filtered (it is the filter); nothing lists organisations except
    through the caller's own memberships."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    # A rating older than this is shown as stale, and a manager validation this much older than
    # the latest self rating no longer counts (see skills.ratings.effective_level).
    review_period_days = models.PositiveIntegerField(default=182)
    # Recomputation bookkeeping (reports.freshness). It lives on the tenant row, which has no RLS,
    # so the periodic dispatcher can find organisations whose results lag without entering each.
    # Every change of ratings, requirements, assignments or teams bumps inputs_version in the
    # same transaction; a recompute records the version it computed from.
    inputs_version = models.PositiveBigIntegerField(default=0)
    computed_version = models.PositiveBigIntegerField(default=0)
    computed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    @property
    def results_are_fresh(self) -> bool:
        return self.computed_version >= self.inputs_version


class Membership(TenantModel):
    """A user's place in an organisation, with the role that decides what they may do there."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "user"], name="membership_org_user_uniq"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "role"], name="membership_org_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def has_perm(self, perm: Perm) -> bool:
        return self.is_active and perm in ROLE_PERMISSIONS[Role(self.role)]


def hash_token(token: str) -> str:
    """Invitation tokens are stored hashed: a leaked table does not let anyone join."""
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(TenantModel):
    """An emailed, single-use, expiring and revocable offer to join an organisation with a role."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organisation", "token_hash"], name="invitation_token_uniq"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "email"], name="invitation_org_email_idx")]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @property
    def status(self) -> Invitation.Status:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.PENDING


class AuditEvent(TenantModel):
    """One change, who made it and what it was before and after. Written only by services."""

    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    verb = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["organisation", "-at"], name="audit_org_at_idx")]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.verb} {self.target_repr}"


class ApiToken(models.Model):
    """A personal API token. The secret is shown once; only its SHA-256 is kept (the secret is 32
    random bytes, so a fast hash is enough: there is nothing to brute-force). ``prefix`` finds the
    row without scanning; ``only_organisation`` (optional) confines it to one organisation, and
    ``read_only`` refuses every unsafe method; ``expires_at`` (optional) ends it like a revocation.

    Not a ``TenantModel`` (and so no ``organisation_id`` column, the mark of tenant rows that
    row-level security filters): a token belongs to a user, who may belong to several
    organisations. It grants nothing by itself: each request is still checked against the user's
    membership."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64)
    only_organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    read_only = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # None: never

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired
