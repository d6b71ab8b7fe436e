"""The certifications cast: the conftest's worlds (the member reports to the manager; HR and the
admin see everyone), a skill or two, evidence files made of their magic bytes, and a storage on a
temporary disk so a test can see which files were (not) left behind."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import AuditEvent, User
from certifications import services
from certifications.models import Certification, CertificationSkill
from skills.models import Skill
from skillsmap.core.tenancy import organisation_context
from teams.models import Person
from tests.conftest import World
from tests.skills.factories import SkillFactory

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def today() -> date:
    return timezone.localdate()


def days(n: int) -> date:
    return today() + timedelta(days=n)


def pdf(name: str = "scan.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def media(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Evidence on a temporary disk (the test settings keep it in memory, out of sight). The
    evidence field's storage is swapped, not ``STORAGES``: changing that setting resets Django's
    storages, and the export jobs' field would keep writing to the old in-memory one."""
    root = tmp_path / "media"
    root.mkdir()
    field = Certification._meta.get_field("evidence")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=str(root)))
    return root


def stored_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def python(org_a: World) -> Skill:
    return SkillFactory(organisation=org_a.organisation, name="Python")


@pytest.fixture
def kubernetes(org_a: World) -> Skill:
    return SkillFactory(organisation=org_a.organisation, name="Kubernetes")


def record(world: World, by: User, person: Person, **fields: Any) -> Certification:
    """``certification_create`` as the pages call it, with sensible defaults."""
    values: dict[str, Any] = {
        "name": "Certified Kubernetes Administrator",
        "issuer": "CNCF",
        "issued_on": days(-300),
        **fields,
    }
    with organisation_context(world.organisation):
        return services.certification_create(
            organisation=world.organisation, person=person, by=by, **values
        )


def certifications_of(world: World) -> list[Certification]:
    with organisation_context(world.organisation):
        return list(Certification.objects.select_related("person").order_by("pk"))


def skill_names(world: World, certification: Certification) -> list[str]:
    with organisation_context(world.organisation):
        return sorted(
            CertificationSkill.objects.filter(certification=certification).values_list(
                "skill__name", flat=True
            )
        )


def audits(world: World, prefix: str = "certification") -> list[AuditEvent]:
    with organisation_context(world.organisation):
        return list(AuditEvent.objects.filter(verb__startswith=prefix).order_by("pk"))


def reload(world: World, certification: Certification) -> Certification:
    with organisation_context(world.organisation):
        return Certification.objects.get(pk=certification.pk)
