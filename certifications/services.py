"""Writes of certifications: recording, changing and deleting them, their evidence, the import's
rows, and links that follow a skill merge.

Who may write a person's certifications is who may read them (``selectors.person_may_see``): the
person, their managers up the reporting line, HR and admins. Every function is atomic, checks
every field before writing anything (a refusal names its field and writes nothing), and audits.
Files go to the storage last, after every check, and an old file is deleted only once the
transaction has committed, so a rollback never leaves a row without its file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership, Organisation, User
from certifications.evidence import CheckedEvidence, evidence_check
from certifications.models import Certification, CertificationSkill
from certifications.selectors import person_may_see
from skills.models import Skill
from skillsmap.core.errors import ServiceError
from skillsmap.core.models import Job
from teams.models import Person

NAME_MAX = 200
URL_MAX = 500


class CertificationError(ServiceError):
    """A certification the domain's rules refuse; the message is for the person who tried."""


@dataclass(frozen=True)
class CertificationData:
    """The fields of a certification once checked, ready to write."""

    name: str
    issuer: str
    credential_id: str
    issued_on: date
    expires_on: date | None
    evidence_url: str
    skills: tuple[Skill, ...]

    def as_audit(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "issuer": self.issuer,
            "credential_id": self.credential_id,
            "issued_on": self.issued_on.isoformat(),
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
            "evidence_url": self.evidence_url,
            "skills": sorted(skill.name for skill in self.skills),
        }


def _membership(organisation: Organisation, user: User) -> Membership | None:
    return Membership.objects.filter(organisation=organisation, user=user, is_active=True).first()


def _check_may_manage(organisation: Organisation, person: Person, by: User) -> None:
    # Another organisation's person reads like a missing one.
    if person.organisation_id != organisation.pk:
        raise CertificationError({"person": "Select a valid person."})
    membership = _membership(organisation, by)
    if membership is None or not person_may_see(
        organisation=organisation, membership=membership, person=person
    ):
        raise CertificationError(
            {
                "person": "You can record certifications only for yourself and the people who "
                "report to you."
            }
        )


def _text(
    errors: dict[str, list[str]], name: str, value: str, *, label: str, required: bool
) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        errors.setdefault(name, []).append(f"Enter the {label}.")
    elif len(text) > NAME_MAX:
        errors.setdefault(name, []).append(f"Keep the {label} under {NAME_MAX} characters.")
    return text


def certification_data_check(
    *,
    organisation: Organisation,
    name: str,
    issuer: str,
    issued_on: date | None,
    credential_id: str = "",
    expires_on: date | None = None,
    evidence_url: str = "",
    skills: Iterable[Skill] = (),
    keep_skill_ids: Iterable[int] = (),
    today: date | None = None,
) -> CertificationData:
    """Every problem of the fields at once (``CertificationError`` per field), or the clean data.
    ``keep_skill_ids``: skills the certification names already, which stay allowed once archived."""
    errors: dict[str, list[str]] = {}
    name = _text(errors, "name", name, label="certification's name", required=True)
    issuer = _text(errors, "issuer", issuer, label="issuer", required=True)
    credential_id = _text(
        errors, "credential_id", credential_id, label="credential id", required=False
    )
    today = today or timezone.localdate()
    if issued_on is None:
        errors.setdefault("issued_on", []).append("Enter the date it was issued.")
    elif issued_on > today:
        errors.setdefault("issued_on", []).append("The issue date cannot be in the future.")
    if issued_on is not None and expires_on is not None and expires_on < issued_on:
        errors.setdefault("expires_on", []).append(
            "The expiry date cannot be before the issue date."
        )
    evidence_url = (evidence_url or "").strip()
    if evidence_url:
        try:
            URLValidator(schemes=["http", "https"])(evidence_url)
            if len(evidence_url) > URL_MAX:
                raise ValidationError("too long")
        except ValidationError:
            errors.setdefault("evidence_url", []).append("Enter a valid http(s) link as evidence.")
    kept = set(keep_skill_ids)
    chosen: dict[int, Skill] = {}
    for skill in skills:
        if skill.organisation_id != organisation.pk:
            # The same message as for a missing skill: another organisation's reveals nothing.
            errors.setdefault("skills", []).append("Select a valid skill.")
        elif skill.is_archived and skill.pk not in kept:
            errors.setdefault("skills", []).append(
                f"The skill {skill.name} is archived; choose a live one."
            )
        else:
            chosen[skill.pk] = skill
    if errors:
        raise CertificationError(errors)
    assert issued_on is not None
    return CertificationData(
        name=name,
        issuer=issuer,
        credential_id=credential_id,
        issued_on=issued_on,
        expires_on=expires_on,
        evidence_url=evidence_url,
        skills=tuple(chosen.values()),
    )


def _checked_evidence(evidence: IO[bytes] | None) -> CheckedEvidence | None:
    if evidence is None:
        return None
    return evidence_check(evidence, filename=str(getattr(evidence, "name", "") or ""))


def _set_skills(certification: Certification, skills: Sequence[Skill]) -> None:
    wanted = {skill.pk for skill in skills}
    links = CertificationSkill.objects.filter(
        organisation_id=certification.organisation_id, certification=certification
    )
    links.exclude(skill_id__in=wanted).delete()
    have = set(links.values_list("skill_id", flat=True))
    CertificationSkill.objects.bulk_create(
        [
            CertificationSkill(
                organisation_id=certification.organisation_id,
                certification=certification,
                skill_id=skill_id,
            )
            for skill_id in sorted(wanted - have)
        ]
    )


def _delete_file_on_commit(storage: Storage, name: str) -> None:
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def _store_evidence(certification: Certification, checked: CheckedEvidence) -> None:
    """Write the file through the storage and name it on the row: last, after every check."""
    certification.evidence.save(checked.storage_name, File(checked.file), save=False)
    certification.evidence_name = checked.display_name
    certification.evidence_content_type = checked.content_type
    certification.evidence_size = checked.size
    certification.save(
        update_fields=["evidence", "evidence_name", "evidence_content_type", "evidence_size"]
    )


def _evidence_audit(certification: Certification) -> str | None:
    return certification.evidence_name or None


@transaction.atomic
def certification_create(
    *,
    organisation: Organisation,
    person: Person,
    by: User,
    name: str,
    issuer: str,
    issued_on: date | None,
    credential_id: str = "",
    expires_on: date | None = None,
    evidence_url: str = "",
    evidence: IO[bytes] | None = None,
    skills: Iterable[Skill] = (),
) -> Certification:
    """Record a certification of ``person``: by themselves, a manager above them, HR or an admin.
    Expiry before issue, an evidence file too large or not a PDF, PNG or JPEG, and another
    organisation's skill are refused with a message on their field, and nothing is written."""
    _check_may_manage(organisation, person, by)
    problems: dict[str, list[str]] = {}
    data: CertificationData | None = None
    try:
        data = certification_data_check(
            organisation=organisation,
            name=name,
            issuer=issuer,
            issued_on=issued_on,
            credential_id=credential_id,
            expires_on=expires_on,
            evidence_url=evidence_url,
            skills=skills,
        )
    except CertificationError as error:
        problems.update(error.message_dict)
    checked: CheckedEvidence | None = None
    try:
        checked = _checked_evidence(evidence)
    except ServiceError as error:
        problems.update(error.message_dict)
    if problems or data is None:
        raise CertificationError(problems)
    now = timezone.now()
    certification = Certification.objects.create(
        organisation=organisation,
        person=person,
        name=data.name,
        issuer=data.issuer,
        credential_id=data.credential_id,
        issued_on=data.issued_on,
        expires_on=data.expires_on,
        evidence_url=data.evidence_url,
        created_by=by,
        created_at=now,
        updated_at=now,
    )
    _set_skills(certification, data.skills)
    audit_record(
        organisation=organisation,
        actor=by,
        verb="certification.created",
        target=certification,
        after={
            "person": person.name,
            **data.as_audit(),
            "evidence": checked.display_name if checked else None,
        },
    )
    if checked is not None:
        _store_evidence(certification, checked)
    return certification


@transaction.atomic
def certification_update(
    *,
    certification: Certification,
    by: User,
    name: str,
    issuer: str,
    issued_on: date | None,
    credential_id: str = "",
    expires_on: date | None = None,
    evidence_url: str = "",
    evidence: IO[bytes] | None = None,
    remove_evidence: bool = False,
    skills: Iterable[Skill] = (),
) -> Certification:
    """Change a certification. A new evidence file replaces the old one; ``remove_evidence``
    drops it. The old file is deleted from the storage once the change has committed."""
    organisation = certification.organisation
    person = certification.person
    _check_may_manage(organisation, person, by)
    before_skills = list(
        Skill.objects.filter(
            organisation=organisation,
            pk__in=CertificationSkill.objects.filter(
                organisation=organisation, certification=certification
            ).values("skill_id"),
        )
    )
    problems: dict[str, list[str]] = {}
    data: CertificationData | None = None
    try:
        data = certification_data_check(
            organisation=organisation,
            name=name,
            issuer=issuer,
            issued_on=issued_on,
            credential_id=credential_id,
            expires_on=expires_on,
            evidence_url=evidence_url,
            skills=skills,
            keep_skill_ids=[skill.pk for skill in before_skills],
        )
    except CertificationError as error:
        problems.update(error.message_dict)
    checked: CheckedEvidence | None = None
    try:
        checked = _checked_evidence(evidence)
    except ServiceError as error:
        problems.update(error.message_dict)
    if problems or data is None:
        raise CertificationError(problems)

    before = {
        **CertificationData(
            name=certification.name,
            issuer=certification.issuer,
            credential_id=certification.credential_id,
            issued_on=certification.issued_on,
            expires_on=certification.expires_on,
            evidence_url=certification.evidence_url,
            skills=tuple(before_skills),
        ).as_audit(),
        "evidence": _evidence_audit(certification),
    }
    old_file = certification.evidence.name if (checked or remove_evidence) else ""
    storage = certification.evidence.storage
    certification.name, certification.issuer = data.name, data.issuer
    certification.credential_id = data.credential_id
    certification.issued_on, certification.expires_on = data.issued_on, data.expires_on
    certification.evidence_url = data.evidence_url
    certification.updated_at = timezone.now()
    fields = [
        "name",
        "issuer",
        "credential_id",
        "issued_on",
        "expires_on",
        "evidence_url",
        "updated_at",
    ]
    if remove_evidence and not checked:
        certification.evidence = ""  # FileField accepts a name: "" is no file
        certification.evidence_name, certification.evidence_content_type = "", ""
        certification.evidence_size = 0
        fields += ["evidence", "evidence_name", "evidence_content_type", "evidence_size"]
    certification.save(update_fields=fields)
    _set_skills(certification, data.skills)
    after = {
        **data.as_audit(),
        "evidence": checked.display_name if checked else _evidence_audit(certification),
    }
    audit_record(
        organisation=organisation,
        actor=by,
        verb="certification.updated",
        target=certification,
        before={"person": person.name, **before},
        after={"person": person.name, **after},
    )
    if checked is not None:
        _store_evidence(certification, checked)
    _delete_file_on_commit(storage, old_file or "")
    return certification


@transaction.atomic
def certification_delete(*, certification: Certification, by: User) -> None:
    """Delete a certification and, once that has committed, its evidence file."""
    organisation = certification.organisation
    _check_may_manage(organisation, certification.person, by)
    audit_record(
        organisation=organisation,
        actor=by,
        verb="certification.deleted",
        target=certification,
        before={
            "person": certification.person.name,
            "name": certification.name,
            "issuer": certification.issuer,
            "expires_on": certification.expires_on.isoformat()
            if certification.expires_on
            else None,
        },
    )
    storage, name = certification.evidence.storage, certification.evidence.name
    certification.delete()
    _delete_file_on_commit(storage, name or "")


class EvidenceMissing(Exception):
    """The certification has no evidence file (or the storage lost it)."""


def certification_evidence_open(*, certification: Certification, by: User) -> File:
    """The evidence file, open for streaming, and the download audited. The caller has checked
    that ``by`` may see the certification (``selectors.certification_get_for``)."""
    name = certification.evidence.name
    if not name:
        raise EvidenceMissing
    try:
        handle = certification.evidence.storage.open(name, "rb")
    except FileNotFoundError as missing:
        raise EvidenceMissing from missing
    audit_record(
        organisation=certification.organisation,
        actor=by,
        verb="certification.evidence_downloaded",
        target=certification,
        after={
            "person": certification.person.name,
            "name": certification.name,
            "filename": certification.evidence_name,
        },
    )
    return handle


# --- The import's writes -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedCertification:
    line: int
    person: Person
    data: CertificationData


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    people: set[int] = field(default_factory=set)


def certifications_record_imported(
    *, organisation: Organisation, rows: Sequence[ImportedCertification], job: Job
) -> ImportResult:
    """Write an import's checked rows, matched to what exists by person, name (any case) and issue
    date: new ones are created, changed ones updated, identical ones left alone, so the same file
    imported twice writes nothing the second time. One audit row for the whole file."""
    result = ImportResult()
    existing: dict[tuple[int, str, date], Certification] = {
        (c.person_id, c.name.casefold(), c.issued_on): c
        for c in Certification.objects.filter(
            organisation=organisation, person_id__in={row.person.pk for row in rows}
        )
    }
    links: dict[int, set[int]] = {}
    for certification_id, skill_id in CertificationSkill.objects.filter(
        organisation=organisation, certification__in=[c.pk for c in existing.values()]
    ).values_list("certification_id", "skill_id"):
        links.setdefault(certification_id, set()).add(skill_id)
    now = timezone.now()
    for row in rows:
        data = row.data
        key = (row.person.pk, data.name.casefold(), data.issued_on)
        certification = existing.get(key)
        wanted_skills = [skill for skill in data.skills]
        if certification is None:
            certification = Certification.objects.create(
                organisation=organisation,
                person=row.person,
                name=data.name,
                issuer=data.issuer,
                credential_id=data.credential_id,
                issued_on=data.issued_on,
                expires_on=data.expires_on,
                created_by=job.created_by,
                created_at=now,
                updated_at=now,
            )
            existing[key] = certification
            _set_skills(certification, wanted_skills)
            result.created += 1
            result.people.add(row.person.pk)
            continue
        # A blank credential id or expiry leaves the recorded one: an import adds facts.
        credential_id = data.credential_id or certification.credential_id
        expires_on = data.expires_on or certification.expires_on
        same = (certification.issuer, certification.credential_id, certification.expires_on) == (
            data.issuer,
            credential_id,
            expires_on,
        )
        wanted_ids = {skill.pk for skill in wanted_skills}
        have_ids = links.get(certification.pk, set())
        if same and wanted_ids <= have_ids:
            result.unchanged += 1
            continue
        certification.issuer, certification.credential_id = data.issuer, credential_id
        certification.expires_on, certification.updated_at = expires_on, now
        certification.save(update_fields=["issuer", "credential_id", "expires_on", "updated_at"])
        # Skills are added, never taken away, for the same reason.
        if not wanted_ids <= have_ids:
            CertificationSkill.objects.bulk_create(
                [
                    CertificationSkill(
                        organisation=organisation, certification=certification, skill_id=skill_id
                    )
                    for skill_id in sorted(wanted_ids - have_ids)
                ]
            )
            links[certification.pk] = have_ids | wanted_ids
        result.updated += 1
        result.people.add(row.person.pk)
    if result.created or result.updated:
        audit_record(
            organisation=organisation,
            actor=job.created_by,
            verb="certifications.imported",
            target=job,
            after={
                "filename": job.filename,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            },
        )
    return result


# --- A skill merge -------------------------------------------------------------------------------


def certification_skills_move(*, organisation: Organisation, source: Skill, into: Skill) -> int:
    """A merged skill's certification links move to the skill it was merged into (a certification
    naming both keeps one link). Runs inside the merge's transaction; returns the links moved."""
    links = CertificationSkill.objects.filter(organisation=organisation, skill=source)
    both = set(
        CertificationSkill.objects.filter(organisation=organisation, skill=into).values_list(
            "certification_id", flat=True
        )
    )
    links.filter(certification_id__in=both).delete()
    return links.update(skill=into)
