"""Evidence files for external training: a PDF, an office document or a photo of a certificate.

Hostile until checked: the size is bounded while reading, the type comes from the content (never the name or
the browser's claim), HTML and SVG are refused, and images are re-encoded (no trailing payloads, no metadata).
The same checks as course uploads (catalog.uploads), reused rather than repeated.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.text import get_valid_filename

from syllabus.catalog import uploads
from syllabus.catalog.models import CourseAsset
from syllabus.progress.models import ExternalTraining

EVIDENCE_EMPTY = "{name} is empty."
EVIDENCE_TOO_LARGE = "{name} is too large: evidence files may be at most {limit} MB."
EVIDENCE_TYPE = "{name} is not a PDF, an office document or an image."


def _read(upload: Any, limit: int, name: str) -> bytes:
    chunks, size = [], 0
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        size += len(chunk)
        if size > limit:
            raise ValidationError({"evidence": EVIDENCE_TOO_LARGE.format(name=name, limit=limit // (1024 * 1024))})
        chunks.append(chunk)
    return b"".join(chunks)


def attach(record: ExternalTraining, upload: Any) -> None:
    """Check `upload` and store it as the record's evidence (the record is saved by the caller)."""
    name = PurePath(str(getattr(upload, "name", "") or "evidence").replace("\\", "/")).name[:200] or "evidence"
    limit = uploads.max_bytes(CourseAsset.Purpose.DOCUMENT)
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise ValidationError({"evidence": EVIDENCE_TOO_LARGE.format(name=name, limit=limit // (1024 * 1024))})
    data = _read(upload, limit, name)
    if not data:
        raise ValidationError({"evidence": EVIDENCE_EMPTY.format(name=name)})
    head = data[: uploads.SNIFF_BYTES]
    sniffed = None
    for purpose in (CourseAsset.Purpose.IMAGE, CourseAsset.Purpose.DOCUMENT):
        try:
            sniffed = uploads.sniff(head=head, purpose=purpose, name=name)
        except ValidationError:
            continue
        if sniffed is not None:
            if purpose == CourseAsset.Purpose.IMAGE:
                try:
                    data = uploads.reencode_image(data, sniffed.content_type, name)
                except ValidationError as exc:
                    raise ValidationError({"evidence": exc.messages}) from None
            break
    if sniffed is None:
        raise ValidationError({"evidence": EVIDENCE_TYPE.format(name=name)})
    stem = get_valid_filename(PurePath(name).stem or "evidence")[:150] or "evidence"
    record.evidence_name = f"{stem}.{sniffed.extension}"
    record.evidence_type = sniffed.content_type
    digest = hashlib.sha256(data).hexdigest()[:16]
    record.evidence.save(f"{uuid.uuid4().hex}-{digest}.{sniffed.extension}", ContentFile(data), save=False)
