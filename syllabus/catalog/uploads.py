"""Course uploads: the one door through which every file of a course is stored (covers, page images, videos,
captions, documents).

`store_upload(*, course, by, upload, purpose) -> CourseAsset`:
- the size limit of the purpose (settings `UPLOAD_MAX_IMAGE_MB`, `UPLOAD_MAX_VIDEO_MB`, `UPLOAD_MAX_DOCUMENT_MB`,
  `UPLOAD_MAX_CAPTIONS_KB`) is checked on the bytes actually read, not on the size the browser declared;
- the type is sniffed from the bytes (`filetype`), never taken from the file name or the browser's Content-Type;
  the stored name is a random one with the extension of the sniffed type;
- images are decoded and re-encoded by Pillow: metadata (EXIF, GPS, comments) is dropped, and the pixel count is
  checked from the header before anything is decoded (a 50-byte PNG may claim 100000 x 100000 pixels);
- captions must be UTF-8 WebVTT: our own line-by-line checks (header, cue timings) name the line at fault, then
  `webvtt-py` parses the file;
- SVG and HTML are refused whatever they are called: both can carry scripts.

A refused upload raises `ValidationError` (messages are the constants below) and leaves nothing behind. The
`CourseAsset` row lives in the caller's transaction; the file is in storage, which a rollback cannot reach, so
callers that may fail *after* storing an upload wrap their work in `rollback_guard()`: files stored inside the
block are deleted again when an exception leaves it.
"""

from __future__ import annotations

import contextvars
import hashlib
import io
import re
import uuid
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import filetype
import webvtt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.utils.text import get_valid_filename
from PIL import Image, ImageOps, UnidentifiedImageError

from syllabus.catalog.models import CourseAsset

if TYPE_CHECKING:
    from syllabus.accounts.models import User
    from syllabus.catalog.models import Course

Purpose = CourseAsset.Purpose

FILE_EMPTY = "{name} is empty."
FILE_TOO_LARGE = "{name} is too large: {purpose} files may be at most {limit}."
TYPE_NOT_ALLOWED = "{name} is not {expected}: its content is {found}."
SVG_REFUSED = "{name} is an SVG image. SVG can carry scripts: upload a PNG, JPEG, GIF or WebP image instead."
HTML_REFUSED = "{name} contains HTML, which cannot be uploaded (it could run scripts)."
IMAGE_UNREADABLE = "{name} could not be read as an image."
IMAGE_TOO_MANY_PIXELS = "{name} is {width} × {height} pixels; images may have at most {limit} million pixels."
IMAGE_BOMB = "{name} claims far too many pixels; images may have at most {limit} million pixels."
TEXT_NOT_UTF8 = "{name} is not UTF-8 text."
TEXT_BINARY = "{name} is not a text file: it contains binary data."
CAPTIONS_NOT_UTF8 = "{name} is not UTF-8 text (line {line})."
CAPTIONS_NO_HEADER = "{name} is not a WebVTT file: the first line must be WEBVTT."
CAPTIONS_BAD_TIMING = "{name}, line {line}: “{text}” is not a valid cue timing (00:00:01.000 --> 00:00:04.000)."
CAPTIONS_MISSING_TIMING = "{name}, line {line}: cue “{text}” has no timing line after its identifier."
CAPTIONS_ENDS_BEFORE_START = "{name}, line {line}: cue “{text}” ends before it starts."
CAPTIONS_OUT_OF_ORDER = "{name}, line {line}: cue “{text}” starts before the cue above it."
CAPTIONS_ARROW_IN_TEXT = "{name}, line {line}: cue text may not contain “-->”."
CAPTIONS_NO_CUES = "{name} has no captions (no cues)."
CAPTIONS_INVALID = "{name} is not valid WebVTT: {reason}"
UNKNOWN_PURPOSE = "Unknown upload purpose: {purpose}."

# What each purpose accepts: sniffed MIME type -> stored extension.
IMAGE_TYPES = {"image/png": "png", "image/apng": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
VIDEO_TYPES = {"video/mp4": "mp4", "video/webm": "webm"}
DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
TEXT_TYPES = {"text/plain": "txt", "text/csv": "csv"}
CAPTIONS_TYPE = "text/vtt"
EXPECTED = {
    Purpose.IMAGE: "a PNG, JPEG, GIF or WebP image",
    Purpose.VIDEO: "an MP4 or WebM video",
    Purpose.DOCUMENT: "a PDF, Word, Excel, PowerPoint, OpenDocument, text or CSV document",
    Purpose.CAPTIONS: "a WebVTT captions file",
}
# Human names of what we found, for the refusal message.
FOUND = {
    "application/pdf": "a PDF document",
    "application/zip": "a ZIP archive",
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/gif": "a GIF image",
    "image/webp": "a WebP image",
    "video/mp4": "an MP4 video",
    "video/webm": "a WebM video",
    "video/quicktime": "a QuickTime video",
    "video/x-matroska": "a Matroska video",
}
SNIFF_BYTES = 8192
CHUNK_BYTES = 1024 * 1024
# Frames of an animated image (GIF, APNG, WebP) count towards the pixel limit together.
MAX_FRAMES = 1000
_MARKUP = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe|object|embed|svg|\?xml)\b", re.IGNORECASE)
_SVG = re.compile(rb"<\s*svg\b", re.IGNORECASE)
_TIMESTAMP = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING = re.compile(rf"^{_TIMESTAMP}[ \t]+-->[ \t]+{_TIMESTAMP}(?:[ \t]+.*)?$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def max_bytes(purpose: str) -> int:
    """The size limit of a purpose, in bytes (from settings, read each time so tests can override it)."""
    limits: dict[str, int] = {
        Purpose.IMAGE: settings.UPLOAD_MAX_IMAGE_MB * 1024 * 1024,
        Purpose.VIDEO: settings.UPLOAD_MAX_VIDEO_MB * 1024 * 1024,
        Purpose.DOCUMENT: settings.UPLOAD_MAX_DOCUMENT_MB * 1024 * 1024,
        Purpose.CAPTIONS: settings.UPLOAD_MAX_CAPTIONS_KB * 1024,
    }
    try:
        return limits[purpose]
    except KeyError:
        raise ValidationError(UNKNOWN_PURPOSE.format(purpose=purpose), code="purpose") from None


def _human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} KB"


# --- rollback guard ------------------------------------------------------------------------------------------

_guards: contextvars.ContextVar[tuple[list[str], ...]] = contextvars.ContextVar("upload_guards", default=())


@contextmanager
def rollback_guard() -> Iterator[list[str]]:
    """Delete the files stored by `store_upload` inside this block if an exception leaves it.

    Wrap every write that stores uploads and may still fail afterwards, together with its transaction:
        with uploads.rollback_guard(), transaction.atomic():
            config = kind.clean(...)   # may store uploads
            ...                        # may still raise: the rows roll back, the guard deletes the files
    Guards nest; a file belongs to every open guard.
    """
    stored: list[str] = []
    token = _guards.set((*_guards.get(), stored))
    try:
        yield stored
    except BaseException:
        for name in stored:
            _delete_quietly(name)
        raise
    finally:
        _guards.reset(token)


def _delete_quietly(name: str) -> None:
    # Best effort: the upload already failed; a storage error here must not hide the real error.
    with suppress(Exception):
        default_storage.delete(name)


def _remember(name: str) -> None:
    for stored in _guards.get():
        stored.append(name)


# --- sniffing ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str


def _read_all(upload: Any, limit: int, name: str, purpose: str) -> tuple[bytes, int]:
    """Every byte of the upload (for purposes small enough to hold in memory), refusing more than `limit`."""
    buffer = io.BytesIO()
    size = 0
    for chunk in _chunks(upload):
        size += len(chunk)
        if size > limit:
            raise ValidationError(_too_large(name, purpose, limit), code="too_large")
        buffer.write(chunk)
    return buffer.getvalue(), size


def _chunks(upload: Any) -> Iterator[bytes]:
    if hasattr(upload, "seek"):
        upload.seek(0)
    if hasattr(upload, "chunks"):
        yield from upload.chunks(CHUNK_BYTES)
        return
    while chunk := upload.read(CHUNK_BYTES):
        yield chunk


def _too_large(name: str, purpose: str, limit: int) -> str:
    return FILE_TOO_LARGE.format(name=name, purpose=Purpose(purpose).label.lower(), limit=_human_size(limit))


def _refuse_type(name: str, purpose: str, head: bytes, guessed: str | None) -> ValidationError:
    if _SVG.search(head):
        return ValidationError(SVG_REFUSED.format(name=name), code="svg")
    if _MARKUP.search(head):
        return ValidationError(HTML_REFUSED.format(name=name), code="html")
    found = FOUND.get(guessed or "", f"a file of type {guessed}" if guessed else "not a file type we recognise")
    return ValidationError(
        TYPE_NOT_ALLOWED.format(name=name, expected=EXPECTED[Purpose(purpose)], found=found), code="type"
    )


def _guess(head: bytes) -> str | None:
    kind = filetype.guess(head)
    return kind.mime if kind is not None else None


def _looks_like_text(data: bytes, name: str) -> str:
    """Decode a text document, refusing binary data and markup (served as text/plain, but refused anyway)."""
    if b"\x00" in data:
        raise ValidationError(TEXT_BINARY.format(name=name), code="binary")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(TEXT_NOT_UTF8.format(name=name), code="encoding") from None
    if text.lstrip().startswith("<") or _MARKUP.search(data):
        raise _refuse_type(name, Purpose.DOCUMENT, data, None)
    return text


# --- captions -------------------------------------------------------------------------------------------------


def _seconds(match: re.Match[str], offset: int) -> float:
    hours, minutes, seconds, millis = match.group(offset + 1, offset + 2, offset + 3, offset + 4)
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def validate_webvtt(data: bytes, name: str) -> str:
    """Check a WebVTT file and return its text; the error names the line at fault.

    Our own pass checks what browsers silently skip (a bad timing drops the cue without a word), then webvtt-py
    parses the whole file as a second opinion.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationError(CAPTIONS_NOT_UTF8.format(name=name, line=line), code="encoding") from None
    text = text.removeprefix("\ufeff")
    lines = _LINE_BREAK.split(text)
    if not re.fullmatch(r"WEBVTT(?:[ \t].*)?", lines[0]):
        raise ValidationError(CAPTIONS_NO_HEADER.format(name=name), code="header")
    index = 1
    # The header block runs to the first blank line.
    while index < len(lines) and lines[index].strip():
        index += 1
    cues = 0
    previous_start = 0.0
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        block_start = index
        block: list[str] = []
        while index < len(lines) and lines[index].strip():
            block.append(lines[index])
            index += 1
        first = block[0]
        if re.match(r"(NOTE|STYLE|REGION)(?:[ \t]|$)", first) and "-->" not in first:
            continue
        timing_offset = 0 if "-->" in first else 1
        if timing_offset == 1 and (len(block) < 2 or "-->" not in block[1]):
            raise ValidationError(
                CAPTIONS_MISSING_TIMING.format(name=name, line=block_start + 1, text=first[:60]), code="timing"
            )
        timing_line = block[timing_offset]
        line_number = block_start + timing_offset + 1
        match = _TIMING.match(timing_line.strip())
        if match is None:
            raise ValidationError(
                CAPTIONS_BAD_TIMING.format(name=name, line=line_number, text=timing_line.strip()[:60]),
                code="timing",
            )
        start, end = _seconds(match, 0), _seconds(match, 4)
        if end <= start:
            raise ValidationError(
                CAPTIONS_ENDS_BEFORE_START.format(name=name, line=line_number, text=timing_line.strip()[:60]),
                code="timing",
            )
        if start < previous_start:
            raise ValidationError(
                CAPTIONS_OUT_OF_ORDER.format(name=name, line=line_number, text=timing_line.strip()[:60]),
                code="order",
            )
        previous_start = start
        for offset, payload in enumerate(block[timing_offset + 1 :], start=line_number + 1):
            if "-->" in payload:
                raise ValidationError(CAPTIONS_ARROW_IN_TEXT.format(name=name, line=offset), code="payload")
        cues += 1
    if cues == 0:
        raise ValidationError(CAPTIONS_NO_CUES.format(name=name), code="empty")
    try:
        parsed = webvtt.from_string(text)
    except Exception as exc:  # webvtt-py raises several error types; any of them means "not valid"
        raise ValidationError(CAPTIONS_INVALID.format(name=name, reason=exc), code="invalid") from None
    if not parsed.captions:
        raise ValidationError(CAPTIONS_NO_CUES.format(name=name), code="empty")
    return text


def captions_text(data: bytes) -> str:
    """The plain text of a (validated) WebVTT file, one cue per line: the default transcript."""
    parsed = webvtt.from_string(data.decode("utf-8").removeprefix("\ufeff"))
    lines: list[str] = []
    for caption in parsed.captions:
        # Cue text may hold voice and style tags (<v Roger>, <b>): keep the words only.
        words = re.sub(r"<[^>]*>", "", caption.text).strip()
        if words and (not lines or lines[-1] != words):
            lines.append(words)
    return "\n".join(lines)


# --- images ---------------------------------------------------------------------------------------------------

_PILLOW_FORMATS = {
    "image/png": "PNG",
    "image/apng": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}


def reencode_image(data: bytes, content_type: str, name: str) -> bytes:
    """Decode and re-encode an image in its own format, without its metadata.

    The pixel count (times the frames of an animation) is checked from the header before decoding, against
    `UPLOAD_MAX_IMAGE_PIXELS`; Pillow's own decompression-bomb guard is turned into an error as a second line.
    """
    limit = settings.UPLOAD_MAX_IMAGE_PIXELS
    expected_format = _PILLOW_FORMATS[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != expected_format:
                    raise ValidationError(IMAGE_UNREADABLE.format(name=name), code="image")
                width, height = image.size
                frames = min(getattr(image, "n_frames", 1), MAX_FRAMES + 1)
                if width * height * frames > limit or frames > MAX_FRAMES:
                    raise ValidationError(
                        IMAGE_TOO_MANY_PIXELS.format(
                            name=name, width=width, height=height, limit=f"{limit / 1_000_000:g}"
                        ),
                        code="pixels",
                    )
                return _encode(image, expected_format, frames)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard (Image.MAX_IMAGE_PIXELS) fired while reading the header, before ours could.
        raise ValidationError(IMAGE_BOMB.format(name=name, limit=f"{limit / 1_000_000:g}"), code="pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise ValidationError(IMAGE_UNREADABLE.format(name=name), code="image") from None


def _encode(image: Image.Image, image_format: str, frames: int) -> bytes:
    out = io.BytesIO()
    # Only what rendering needs is carried over: never EXIF, XMP, text chunks or comments.
    icc_profile = image.info.get("icc_profile")
    if frames > 1:
        options: dict[str, Any] = {"save_all": True, "loop": image.info.get("loop", 0)}
        if "duration" in image.info:
            options["duration"] = image.info["duration"]
        if image_format == "WEBP":
            options["lossless"] = True
        image.save(out, format=image_format, **options)
        return out.getvalue()
    image.load()
    if image_format == "JPEG":
        # Apply the EXIF orientation to the pixels: the EXIF block itself is dropped.
        image = ImageOps.exif_transpose(image)
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=88, optimize=True, icc_profile=icc_profile)
    elif image_format == "PNG":
        options = {"optimize": True, "icc_profile": icc_profile}
        if "transparency" in image.info:
            options["transparency"] = image.info["transparency"]
        image.save(out, format="PNG", **options)
    elif image_format == "GIF":
        options = {}
        if "transparency" in image.info:
            options["transparency"] = image.info["transparency"]
        image.save(out, format="GIF", **options)
    else:
        image.save(out, format="WEBP", quality=88, icc_profile=icc_profile)
    return out.getvalue()


# --- the door -------------------------------------------------------------------------------------------------


def _display_name(upload: Any) -> str:
    raw = PurePath(str(getattr(upload, "name", "") or "upload").replace("\\", "/")).name
    return raw[:200] or "upload"


def _stored_original_name(display: str, extension: str) -> str:
    """The name shown to people and used in downloads: the uploader's name, made safe, with the true extension."""
    stem = get_valid_filename(PurePath(display).stem or "file")[:150] or "file"
    return f"{stem}.{extension}"


def sniff(*, head: bytes, purpose: str, name: str) -> Sniffed | None:
    """The accepted type of an upload from its first bytes, None for "maybe text" (decided on the full bytes)."""
    guessed = _guess(head)
    if purpose == Purpose.IMAGE:
        if guessed in IMAGE_TYPES:
            return Sniffed("image/png" if guessed == "image/apng" else guessed, IMAGE_TYPES[guessed])
    elif purpose == Purpose.VIDEO:
        if guessed in VIDEO_TYPES:
            return Sniffed(guessed, VIDEO_TYPES[guessed])
    elif purpose == Purpose.DOCUMENT:
        if guessed in DOCUMENT_TYPES:
            return Sniffed(guessed, DOCUMENT_TYPES[guessed])
        if guessed is None:
            return None
    elif purpose == Purpose.CAPTIONS and guessed is None:
        return None
    raise _refuse_type(name, purpose, head, guessed)


def store_upload(
    *, course: Course, by: User | None, upload: Any, purpose: str, only: Mapping[str, str] | None = None
) -> CourseAsset:
    """Check an uploaded file for `purpose` and store it as a new asset of `course` (see the module docstring).

    `only` narrows the purpose's types ({content type: what to call it}, e.g. {"application/pdf": "a PDF"}).
    Raises ValidationError with one of this module's messages; nothing is stored then. Checks no permission:
    the caller (a service or a kind's clean) has decided the person may change the course.
    """
    limit = max_bytes(purpose)
    name = _display_name(upload)
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise ValidationError(_too_large(name, purpose, limit), code="too_large")

    small = purpose in (Purpose.IMAGE, Purpose.CAPTIONS) or (
        purpose == Purpose.DOCUMENT and isinstance(declared, int) and declared <= 4 * 1024 * 1024
    )
    if small:
        data, size = _read_all(upload, limit, name, purpose)
        head = data[:SNIFF_BYTES]
    else:
        data, size = b"", 0
        head = next(_chunks(upload), b"")[:SNIFF_BYTES]
    if not head:
        raise ValidationError(FILE_EMPTY.format(name=name), code="empty")

    sniffed = sniff(head=head, purpose=purpose, name=name)
    if only is not None and (sniffed is None or sniffed.content_type not in only):
        found = FOUND.get(sniffed.content_type, "another kind of file") if sniffed else "a text file"
        expected = " or ".join(dict.fromkeys(only.values()))
        raise ValidationError(TYPE_NOT_ALLOWED.format(name=name, expected=expected, found=found), code="type")
    if sniffed is None and not small:
        # A text document was declared large: read it now (still bounded by the limit).
        data, size = _read_all(upload, limit, name, purpose)
        small = True
    if sniffed is None:
        if purpose == Purpose.CAPTIONS:
            validate_webvtt(data, name)
            sniffed = Sniffed(CAPTIONS_TYPE, "vtt")
        else:
            _looks_like_text(data, name)
            is_csv = PurePath(name).suffix.lower() == ".csv"
            sniffed = Sniffed("text/csv" if is_csv else "text/plain", "csv" if is_csv else "txt")
    elif purpose == Purpose.IMAGE:
        data = reencode_image(data, _guess(head) or sniffed.content_type, name)
        size = len(data)

    stored_name = f"{uuid.uuid4().hex}.{sniffed.extension}"
    asset = CourseAsset(
        organization_id=course.organization_id,
        course=course,
        purpose=purpose,
        original_name=_stored_original_name(name, sniffed.extension),
        content_type=sniffed.content_type,
        uploaded_by=by,
    )
    if small:
        asset.sha256 = hashlib.sha256(data).hexdigest()
        asset.size = size
        content: File[Any] = ContentFile(data)
    else:
        digest = hashlib.sha256()
        size = 0
        for chunk in _chunks(upload):
            size += len(chunk)
            if size > limit:
                raise ValidationError(_too_large(name, purpose, limit), code="too_large")
            digest.update(chunk)
        asset.sha256 = digest.hexdigest()
        asset.size = size
        if hasattr(upload, "seek"):
            upload.seek(0)
        content = upload if isinstance(upload, File) else File(upload)
    asset.file.save(stored_name, content, save=False)
    _remember(asset.file.name)
    try:
        asset.save()
    except BaseException:
        _delete_quietly(asset.file.name)
        raise
    return asset
