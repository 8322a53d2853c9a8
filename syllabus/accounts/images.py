"""Uploaded images are hostile: check the size, let Pillow decode them, and store a fresh re-encoded copy."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

LOGO_TOO_LARGE = "The logo is {size} KB; the limit is {limit} KB."
LOGO_NOT_IMAGE = "The logo must be a PNG, JPEG, GIF or WebP image."
LOGO_TOO_MANY_PIXELS = "The logo is too large in pixels (at most 4000 x 4000)."
LOGO_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
MAX_SIDE = 4000
STORED_MAX_SIDE = 512


def clean_logo(upload: UploadedFile) -> ContentFile[bytes]:
    limit = settings.LOGO_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError({"logo": [LOGO_TOO_LARGE.format(size=upload.size // 1024, limit=limit // 1024)]})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({"logo": [LOGO_TOO_LARGE.format(size=len(data) // 1024, limit=limit // 1024)]})
    try:
        with Image.open(io.BytesIO(data)) as probe:
            # Judge by the decoded content, never by the file name or the declared content type.
            if probe.format not in LOGO_FORMATS:
                raise ValidationError({"logo": [LOGO_NOT_IMAGE]})
            if probe.width > MAX_SIDE or probe.height > MAX_SIDE:
                raise ValidationError({"logo": [LOGO_TOO_MANY_PIXELS]})
            probe.verify()
        with Image.open(io.BytesIO(data)) as decoded:
            decoded.load()
            image = decoded.convert("RGBA")
            image.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ValidationError({"logo": [LOGO_NOT_IMAGE]}) from exc
    return ContentFile(out.getvalue(), name="logo.png")
