"""Evidence files: what an upload may be, and how a stored one is handed out.

The type is read from the file's first bytes (its "magic number"), never from its name or the
browser's content type, both of which the uploader chooses: a script renamed ``scan.pdf`` is
refused. The file is stored under a random path with the extension of the type found, and served
as an attachment with that type (``nosniff`` is on for every response), so a browser never runs it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files import File
from django.http import FileResponse
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename

from skillsmap.core.errors import ServiceError

# (magic bytes, content type, extension). A JPEG starts FF D8 FF whatever its flavour (JFIF, Exif).
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
CONTENT_TYPES = tuple(content_type for _, content_type, _ in SIGNATURES)
EXTENSIONS = {content_type: extension for _, content_type, extension in SIGNATURES}
KINDS_TEXT = "a PDF, PNG or JPEG file"
NAME_MAX = 120


def max_bytes() -> int:
    return int(settings.CERTIFICATION_EVIDENCE_MAX_BYTES)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


@dataclass(frozen=True)
class CheckedEvidence:
    """An upload that passed the checks: what to store and under which names."""

    file: IO[bytes]
    content_type: str
    size: int
    display_name: str  # the uploader's name, cleaned, with the extension of the type found
    storage_name: str  # the file's name inside its random directory


def _size_of(upload: IO[bytes]) -> int:
    size = getattr(upload, "size", None)
    if isinstance(size, int):
        return size
    position = upload.tell()
    upload.seek(0, os.SEEK_END)
    end = upload.tell()
    upload.seek(position)
    return end


def evidence_check(upload: IO[bytes], *, filename: str = "") -> CheckedEvidence:
    """Refuse an empty file, one over ``CERTIFICATION_EVIDENCE_MAX_BYTES`` and one whose content is
    not a PDF, PNG or JPEG, each with a message naming the field ``evidence``."""
    size = _size_of(upload)
    if size <= 0:
        raise ServiceError({"evidence": "The evidence file is empty."})
    limit = max_bytes()
    if size > limit:
        raise ServiceError(
            {
                "evidence": f"The evidence file is larger than {_megabytes(limit)}; upload a smaller one."
            }
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = next((sig for sig in SIGNATURES if head.startswith(sig[0])), None)
    if found is None:
        raise ServiceError(
            {"evidence": f"The evidence must be {KINDS_TEXT}; this file is none of those."}
        )
    _, content_type, extension = found
    stem = os.path.splitext(os.path.basename(filename or getattr(upload, "name", "") or ""))[0]
    # Letters, digits, dashes, underscores and dots only: the name travels in a header and a path.
    stem = get_valid_filename(stem)[:NAME_MAX] if stem.strip(" ._") else ""
    stem = stem or "evidence"
    return CheckedEvidence(
        file=upload,
        content_type=content_type,
        size=size,
        display_name=f"{stem}{extension}",
        storage_name=f"evidence{extension}",
    )


def evidence_response(*, handle: File, content_type: str, filename: str) -> FileResponse:
    """The stored file as an attachment, streamed in blocks, never cached by a shared proxy (the
    page and the API alike)."""
    response = FileResponse(
        handle,
        content_type=content_type if content_type in CONTENT_TYPES else "application/octet-stream",
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename or "evidence"
    )
    response["Cache-Control"] = "private, no-store"
    return response
