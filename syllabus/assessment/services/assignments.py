"""Assignments, the learner's side: a person's submission (online text and files), saved as a draft as often as
they like, handed in once ("Submit for grading"), and asked back for another try when the assignment allows it.

- The dates one person works under are `dates_for`: the assignment's opens/due/cut-off dates, or their own
  `AssignmentExtension` (granted by the team, helper B's service). Nothing is saved or handed in before the open
  date or after the cut-off; handing in after the due date records `late_seconds` (the grade's late penalty reads it).
- The online text is **plain text** (line breaks kept, shown escaped): learners write prose, and plain text needs
  no sanitiser between a learner and a grader's browser. Words are counted as whitespace-separated runs; the word
  limit is enforced when handing in (a draft may run over while being edited).
- Handing in asks for an **honesty statement** (`confirm`: "this is my own work"), like most universities' hand-in
  pages: an accidental click cannot submit, and the record says the learner confirmed it.
- Files: at most `max_files`, each at most `max_file_mb`, with an extension the assignment accepts (never a
  program, HTML or SVG) AND content that matches it (sniffed with `filetype`: a program renamed `essay.pdf` is
  refused). Names are cleaned (no folders), the bytes hashed (sha256) and stored under `submissions/` with a random
  name. They are served only to their owner and the course team (views_assignment.py), as attachments.
- Stale tabs: each write bumps `Submission.revision`; a text save names the revision it was made on and is refused
  (`StaleRevision`) if the submission changed since — a conditional UPDATE, the same on SQLite and PostgreSQL.
- A submission reopened by the team (state "reopened") stays as it was; the learner's next change makes submission
  `number + 1`, a copy of its text and files.
- Handing in emits `catalog.events.ActivitySignalled` (kind "assignment", signal "submitted") on commit; it is
  audited, as are file uploads and removals and requests for a resubmission.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import filetype
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F

from syllabus.access.policy import NOT_ALLOWED, Principal, principal_for
from syllabus.assessment import policy
from syllabus.assessment.assignment_settings import BLOCKED_TYPES, AssignmentSettings
from syllabus.assessment.dates import when_text
from syllabus.assessment.models.assignments import (
    AssignmentExtension,
    FileRole,
    Submission,
    SubmissionFile,
    SubmissionState,
)
from syllabus.catalog.events import ActivitySignalled
from syllabus.core import clock
from syllabus.core.events import emit

if TYPE_CHECKING:
    from syllabus.accounts.models import User
    from syllabus.catalog.models import Course, CourseVersion

KIND = "assignment"

# Dates in messages and sentences: "2 March 2026, 09:30" (see when_text).
NOT_OPEN_YET = "Submissions open on {when}."
CLOSED = "Submissions closed on {when}."
ALREADY_SUBMITTED = "This submission is handed in: it can no longer be changed."
STALE = (
    "This submission was changed in another tab or window since you opened it. Reload the page to see the newest "
    "version, then make your change again."
)
TEXT_NOT_ACCEPTED = "This assignment takes no online text."
TEXT_TOO_LONG = "The text is too long: at most {limit} characters."
FILES_NOT_ACCEPTED = "This assignment takes no files."
NO_FILE = "Choose a file to upload."
TOO_MANY_FILES = "You can hand in at most {limit} files: remove one first."
FILE_TOO_LARGE = "{name} is too large: files may be at most {limit} MB."
FILE_EMPTY = "{name} is empty."
TYPE_NOT_ACCEPTED = "{name}: this type of file is not accepted here. Accepted: {types}."
CONTENT_MISMATCH = "{name} is not really a {extension} file: its content is {found}."
PROGRAM_REFUSED = "{name} is a program or script: programs cannot be handed in."
MARKUP_REFUSED = "{name} contains HTML or SVG, which cannot be handed in (it could run scripts)."
FILE_NOT_FOUND = "That file is not part of this submission."
CONFIRM_REQUIRED = "Tick the statement that this is your own work to hand it in."
NOTHING_TO_SUBMIT = "Add your text or a file before handing in."
OVER_WORD_LIMIT = "Your text has {count} words; the limit is {limit}. Shorten it before handing in."
REOPEN_NOT_OFFERED = "This assignment takes no resubmissions."
REOPEN_NOT_SUBMITTED = "Only a handed-in submission can be given back for another try."
REOPEN_NO_ATTEMPTS = "You have used all {count} submissions of this assignment."
REOPEN_ALREADY_ASKED = "You already asked for another try: the course team will answer."
NOTE_TOO_LONG = "Keep the note under {limit} characters."

TEXT_LIMIT = 500_000
NOTE_LIMIT = 2_000
NAME_LIMIT = 200
SNIFF_BYTES = 8192
CHUNK_BYTES = 1024 * 1024

AUDIT_ACTIONS: tuple[tuple[str, str], ...] = (
    ("assessment.submission_submitted", "Assignment submission handed in"),
    ("assessment.submission_file_added", "File added to an assignment submission"),
    ("assessment.submission_file_removed", "File removed from an assignment submission"),
    ("assessment.reopen_requested", "Another try at an assignment asked for"),
)


class StaleRevision(ValidationError):
    """A write was made on an older revision of the submission than the current one (another tab saved since)."""

    def __init__(self) -> None:
        super().__init__({"revision": [STALE]}, code="stale")


# --- dates ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dates:
    """The dates one person hands in under: the assignment's, or their extension's."""

    opens_at: dt.datetime | None
    due_at: dt.datetime | None
    cutoff_at: dt.datetime | None
    extension: AssignmentExtension | None


def dates_for(*, settings: AssignmentSettings, user_id: int, course_id: int, activity_uid: Any) -> Dates:
    """The person's dates: an extension replaces the due date, and the cut-off with its own (or, without one, the
    later of the assignment's cut-off and the new due date: an extension never closes before its due date)."""
    extension = AssignmentExtension.objects.filter(
        course_id=course_id, activity_uid=activity_uid, user_id=user_id
    ).first()
    if extension is None:
        return Dates(settings.opens_at, settings.due_at, settings.cutoff_at, None)
    cutoff = extension.cutoff_at
    if cutoff is None and settings.cutoff_at is not None:
        cutoff = max(settings.cutoff_at, extension.due_at)
    return Dates(settings.opens_at, extension.due_at, cutoff, extension)


def late_seconds(dates: Dates, at: dt.datetime) -> int:
    """Seconds past the person's due date at `at` (0 when on time or without a due date)."""
    if dates.due_at is None or at <= dates.due_at:
        return 0
    return int((at - dates.due_at).total_seconds())


def window_error(dates: Dates, now: dt.datetime) -> str:
    """Why nothing may be saved or handed in now ("" when it may): before the open date, after the cut-off."""
    if dates.opens_at is not None and now < dates.opens_at:
        return NOT_OPEN_YET.format(when=when_text(dates.opens_at))
    if dates.cutoff_at is not None and now > dates.cutoff_at:
        return CLOSED.format(when=when_text(dates.cutoff_at))
    return ""


# --- reading ---------------------------------------------------------------------------------------------------------


def current_submission(*, user_id: int, course_id: int, activity_uid: Any) -> Submission | None:
    """The person's latest submission to the assignment (the highest number), or None."""
    return (
        Submission.objects.filter(user_id=user_id, course_id=course_id, activity_uid=activity_uid)
        .order_by("-number")
        .first()
    )


def submissions_of(*, user_id: int, course_id: int, activity_uid: Any) -> list[Submission]:
    """Every submission of the person to the assignment, newest first, with their files and grades (3 queries)."""
    return list(
        Submission.objects.filter(user_id=user_id, course_id=course_id, activity_uid=activity_uid)
        .select_related("grade")
        .prefetch_related("files")
        .order_by("-number")
    )


def count_words(text: str) -> int:
    return len(text.split())


def attempts_left(settings: AssignmentSettings, submission: Submission | None) -> bool:
    """May another try follow this submission (resubmission on request, attempts not used up)."""
    if settings.resubmission != "on_request":
        return False
    number = submission.number if submission is not None else 0
    return not settings.max_attempts or number < settings.max_attempts


@dataclass(frozen=True)
class LearnerAssignment:
    """An assignment as one person hands it in: the course, the version they learn (None for the team's preview of
    the draft) and the activity's snapshot."""

    course: Course
    version: CourseVersion | None
    activity: dict[str, Any]

    @property
    def uid(self) -> uuid.UUID:
        return uuid.UUID(str(self.activity["uid"]))

    @property
    def settings(self) -> AssignmentSettings:
        return AssignmentSettings.from_config(self.activity.get("config") or {})


def assignment_for(
    principal: Principal, organization: Any, course_id: int, uid: Any, *, preview: bool = False
) -> LearnerAssignment:
    """The assignment `uid` of the course as this person may hand it in (the version they learn: `policy.can_take`),
    or Http404 whatever the reason (another organisation's course, not learnable, no such activity, not an
    assignment): nothing tells which. With `preview`, the team's draft (`can_see_draft`) instead."""
    from syllabus.assessment.learner_activity import activity_for

    return LearnerAssignment(*activity_for(principal, organization, course_id, uid, kind=KIND, preview=preview))


def settings_of(submission: Submission) -> AssignmentSettings:
    """The settings of the version the submission was made in (what governs its files)."""
    from syllabus.catalog import learning
    from syllabus.catalog.models import CourseVersion as VersionModel

    if submission.version_id is None:
        return AssignmentSettings()
    version = VersionModel.objects.filter(pk=submission.version_id).defer("snapshot").first()
    if version is None:
        return AssignmentSettings()
    activity = learning.version_activity(version, learning.version_outline(version), str(submission.activity_uid))
    return AssignmentSettings.from_config((activity or {}).get("config") or {})


# --- writing ---------------------------------------------------------------------------------------------------------


def _principal(by: User, course: Course) -> Principal:
    return principal_for(by, course.organization)


def _owned(submission: Submission, by: User) -> None:
    """Only the submission's owner writes to it (anyone else: PermissionDenied; pages answer 404)."""
    if submission.user_id != by.pk:
        raise PermissionDenied(NOT_ALLOWED)


def _dates_of(submission: Submission, settings: AssignmentSettings) -> Dates:
    return dates_for(
        settings=settings,
        user_id=submission.user_id,
        course_id=submission.course_id,
        activity_uid=submission.activity_uid,
    )


def _check_window(dates: Dates, now: dt.datetime, field: str = "__all__") -> None:
    if message := window_error(dates, now):
        raise ValidationError({field: [message]})


def _next_submission(previous: Submission, *, version_id: int | None) -> Submission:
    """Submission `number + 1` after a reopened one: a draft with a copy of its text and files (the stored files are
    shared; a file leaves storage only when no submission refers to it any more)."""
    try:
        with transaction.atomic():
            new = Submission.objects.create(
                organization_id=previous.organization_id,
                user_id=previous.user_id,
                course_id=previous.course_id,
                version_id=version_id or previous.version_id,
                activity_uid=previous.activity_uid,
                number=previous.number + 1,
                text=previous.text,
                word_count=previous.word_count,
                revision=1,
            )
    except IntegrityError:
        # Two tabs made the next try at once: the other one won.
        raise StaleRevision() from None
    SubmissionFile.objects.bulk_create(
        SubmissionFile(
            organization_id=f.organization_id,
            submission=new,
            role=FileRole.SUBMISSION,
            file=f.file.name,
            name=f.name,
            size=f.size,
            content_type=f.content_type,
            sha256=f.sha256,
            uploaded_by_id=f.uploaded_by_id,
        )
        for f in previous.files.filter(role=FileRole.SUBMISSION).order_by("pk")
    )
    return new


def _editable(submission: Submission, *, version_id: int | None = None) -> Submission:
    """The draft to write to: the submission itself, or the next try after a reopened one."""
    if submission.state == SubmissionState.SUBMITTED:
        raise ValidationError({"__all__": [ALREADY_SUBMITTED]})
    if submission.state == SubmissionState.REOPENED:
        latest = current_submission(
            user_id=submission.user_id, course_id=submission.course_id, activity_uid=submission.activity_uid
        )
        if latest is not None and latest.pk != submission.pk:
            return _editable(latest, version_id=version_id)
        return _next_submission(submission, version_id=version_id)
    return submission


def _bump(submission: Submission, **values: Any) -> None:
    """Write to a draft if it is still one (a conditional UPDATE), bumping its revision."""
    done = Submission.objects.filter(pk=submission.pk, state=SubmissionState.DRAFT).update(
        revision=F("revision") + 1, **values
    )
    if not done:
        raise ValidationError({"__all__": [ALREADY_SUBMITTED]})
    submission.refresh_from_db(fields=["revision", "state", *values])


def submission_save(
    *,
    by: User,
    course: Course,
    version: CourseVersion,
    activity_uid: Any,
    settings: AssignmentSettings,
    text: str,
    revision: int,
) -> Submission:
    """Save the person's draft text (making their first submission, or the next try after a reopened one).

    `revision` is the submission's revision the text was written on (0 when there was none): an older one than
    the current is refused with `StaleRevision`, so a forgotten tab cannot overwrite a newer save."""
    if not policy.can_take(_principal(by, course), course, version.pk):
        raise PermissionDenied(NOT_ALLOWED)
    # NUL means nothing in prose and PostgreSQL refuses it in text: dropped, like the other models' text.
    text = str(text or "").replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    if not settings.submission_text and text.strip():
        raise ValidationError({"text": [TEXT_NOT_ACCEPTED]})
    if len(text) > TEXT_LIMIT:
        raise ValidationError({"text": [TEXT_TOO_LONG.format(limit=f"{TEXT_LIMIT:,}")]})
    now = clock.now()
    dates = dates_for(settings=settings, user_id=by.pk, course_id=course.pk, activity_uid=activity_uid)
    _check_window(dates, now)
    with transaction.atomic():
        current = current_submission(user_id=by.pk, course_id=course.pk, activity_uid=activity_uid)
        if current is None:
            if revision:
                raise StaleRevision()
            try:
                with transaction.atomic():
                    return Submission.objects.create(
                        organization_id=course.organization_id,
                        user=by,
                        course=course,
                        version=version,
                        activity_uid=activity_uid,
                        text=text,
                        word_count=count_words(text),
                        revision=1,
                    )
            except IntegrityError:
                raise StaleRevision() from None
        if current.state == SubmissionState.DRAFT:
            done = Submission.objects.filter(pk=current.pk, state=SubmissionState.DRAFT, revision=revision).update(
                text=text, word_count=count_words(text), revision=F("revision") + 1
            )
            if not done:
                current.refresh_from_db(fields=["state"])
                if current.state != SubmissionState.DRAFT:
                    raise ValidationError({"__all__": [ALREADY_SUBMITTED]})
                raise StaleRevision()
            current.refresh_from_db()
            return current
        draft = _editable(current, version_id=version.pk)
        _bump(draft, text=text, word_count=count_words(text))
        return draft


def draft_for(
    *, by: User, course: Course, version: CourseVersion, activity_uid: Any, settings: AssignmentSettings
) -> Submission:
    """The person's draft to add files to: their current one, a new first one, or the next try after a reopened
    one (the text kept)."""
    current = current_submission(user_id=by.pk, course_id=course.pk, activity_uid=activity_uid)
    if current is not None and current.state == SubmissionState.DRAFT:
        return current
    return submission_save(
        by=by,
        course=course,
        version=version,
        activity_uid=activity_uid,
        settings=settings,
        text=current.text if current is not None else "",
        revision=current.revision if current is not None and current.state == SubmissionState.DRAFT else 0,
    )


# --- files -----------------------------------------------------------------------------------------------------------

# What the content of a file with each extension may be (`filetype`'s MIME types). "text" is content `filetype`
# does not recognise and that holds no NUL byte (plain text, CSV, Markdown).
_ZIP_FAMILY = frozenset(
    {
        "application/zip",
        "application/epub+zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    }
)
_OLE_FAMILY = frozenset({"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint", "ole"})
EXPECTED_CONTENT: dict[str, frozenset[str]] = {
    ".pdf": frozenset({"application/pdf"}),
    **dict.fromkeys((".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".zip", ".epub"), _ZIP_FAMILY),
    **dict.fromkeys((".doc", ".xls", ".ppt"), _OLE_FAMILY),
    **dict.fromkeys((".txt", ".md", ".csv", ".tex", ".json", ".log"), frozenset({"text"})),
    ".rtf": frozenset({"application/rtf", "text"}),
    ".png": frozenset({"image/png", "image/apng"}),
    **dict.fromkeys((".jpg", ".jpeg"), frozenset({"image/jpeg"})),
    ".gif": frozenset({"image/gif"}),
    ".webp": frozenset({"image/webp"}),
    **dict.fromkeys((".tif", ".tiff"), frozenset({"image/tiff"})),
    ".bmp": frozenset({"image/bmp"}),
    ".heic": frozenset({"image/heic"}),
    ".mp3": frozenset({"audio/mpeg"}),
    ".m4a": frozenset({"audio/mp4", "video/mp4"}),
    ".wav": frozenset({"audio/x-wav"}),
    ".ogg": frozenset({"audio/ogg"}),
    ".mp4": frozenset({"video/mp4", "video/x-m4v", "audio/mp4"}),
    ".webm": frozenset({"video/webm", "video/x-matroska"}),
    ".mov": frozenset({"video/quicktime", "video/mp4"}),
}
# Content refused whatever the name says.
PROGRAM_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-executable",
        "application/x-shockwave-flash",
        "application/wasm",
        "application/x-google-chrome-extension",
        "application/x-deb",
        "application/x-rpm",
        "application/vnd.ms-cab-compressed",
    }
)
_PROGRAM_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")
_MARKUP = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe|object|embed|svg)\b", re.IGNORECASE)
# Control characters, and the invisible format ones (bidi overrides such as U+202E make "gpj.exe" read "exe.jpg";
# zero-width characters hide an extension's real letters), and line/paragraph separators.
_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
FOUND_WORDS = {
    "application/pdf": "a PDF document",
    "application/zip": "a ZIP archive",
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/gif": "a GIF image",
    "text": "plain text",
    "ole": "an old Office document",
}


def clean_name(raw: Any) -> str:
    """The uploader's file name without any folder, control characters or surrounding dots and spaces."""
    name = PurePath(str(raw or "").replace("\\", "/")).name
    name = _CONTROL.sub("", unicodedata.normalize("NFC", name)).strip().strip(".").strip()
    if len(name) > NAME_LIMIT:
        path = PurePath(name)
        name = path.stem[: NAME_LIMIT - len(path.suffix[:20])] + path.suffix[:20]
    return name or "file"


def _chunks(upload: Any) -> Iterator[bytes]:
    if hasattr(upload, "seek"):
        upload.seek(0)
    if hasattr(upload, "chunks"):
        yield from upload.chunks(CHUNK_BYTES)
        return
    while chunk := upload.read(CHUNK_BYTES):
        yield chunk


@dataclass(frozen=True)
class CheckedFile:
    name: str
    extension: str
    size: int
    sha256: str
    content_type: str


def _sniffed(head: bytes) -> str:
    """The content's type: `filetype`'s MIME type, "ole" (an old Office file it cannot tell apart), "text", or
    "" (binary it does not know)."""
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    return "" if b"\x00" in head else "text"


def check_file(*, settings: AssignmentSettings, upload: Any) -> CheckedFile:
    """Check an uploaded file against the assignment's rules (size, extension, content); raise ValidationError under
    "file". Reads the upload once (bounded by the size limit) to sniff and hash it."""
    name = clean_name(getattr(upload, "name", ""))
    extension = PurePath(name).suffix.lower()
    if not extension or extension in BLOCKED_TYPES or extension not in settings.types:
        if extension in BLOCKED_TYPES:
            raise ValidationError({"file": [PROGRAM_REFUSED.format(name=name)]}, code="type")
        raise ValidationError(
            {"file": [TYPE_NOT_ACCEPTED.format(name=name, types=", ".join(settings.types))]}, code="type"
        )
    limit = settings.max_file_bytes
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise ValidationError({"file": [FILE_TOO_LARGE.format(name=name, limit=settings.max_file_mb)]}, code="size")
    digest = hashlib.sha256()
    head = b""
    size = 0
    for chunk in _chunks(upload):
        size += len(chunk)
        if size > limit:
            raise ValidationError({"file": [FILE_TOO_LARGE.format(name=name, limit=settings.max_file_mb)]}, code="size")
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        digest.update(chunk)
    if size == 0:
        raise ValidationError({"file": [FILE_EMPTY.format(name=name)]}, code="empty")
    found = _sniffed(head)
    if found in PROGRAM_TYPES or head.startswith(_PROGRAM_MAGIC) or head.startswith(b"#!"):
        raise ValidationError({"file": [PROGRAM_REFUSED.format(name=name)]}, code="program")
    if found in ("text", "") and _MARKUP.search(head):
        raise ValidationError({"file": [MARKUP_REFUSED.format(name=name)]}, code="markup")
    expected = EXPECTED_CONTENT.get(extension)
    if expected is not None and found not in expected:
        words = FOUND_WORDS.get(found, f"of type {found}" if found else "not a type we recognise")
        raise ValidationError(
            {"file": [CONTENT_MISMATCH.format(name=name, extension=extension, found=words)]}, code="mismatch"
        )
    content_type = found if "/" in found else ("text/plain" if found == "text" else "application/octet-stream")
    return CheckedFile(name=name, extension=extension, size=size, sha256=digest.hexdigest(), content_type=content_type)


def submission_file_add(*, by: User, submission: Submission, upload: Any) -> SubmissionFile:
    """Add a file to the person's submission (the next try, if the team reopened it). Audited."""
    from syllabus.audit.services import audit_record

    _owned(submission, by)
    course = submission.course
    if not policy.can_take(_principal(by, course), course):
        raise PermissionDenied(NOT_ALLOWED)
    settings = settings_of(submission)
    if not settings.submission_files:
        raise ValidationError({"file": [FILES_NOT_ACCEPTED]})
    if upload is None:
        raise ValidationError({"file": [NO_FILE]})
    _check_window(_dates_of(submission, settings), clock.now(), "file")
    if submission.state == SubmissionState.SUBMITTED:
        raise ValidationError({"file": [ALREADY_SUBMITTED]})
    checked = check_file(settings=settings, upload=upload)
    stored_name = ""
    try:
        with transaction.atomic():
            draft = _editable(submission)
            # Taking the draft first orders two uploads at once: the count below sees the other's file.
            _bump(draft)
            if draft.files.filter(role=FileRole.SUBMISSION).count() >= settings.max_files:
                raise ValidationError({"file": [TOO_MANY_FILES.format(limit=settings.max_files)]})
            row = SubmissionFile(
                organization_id=draft.organization_id,
                submission=draft,
                role=FileRole.SUBMISSION,
                name=checked.name,
                size=checked.size,
                content_type=checked.content_type,
                sha256=checked.sha256,
                uploaded_by=by,
            )
            if hasattr(upload, "seek"):
                upload.seek(0)
            row.file.save(f"{uuid.uuid4().hex}{checked.extension}", File(upload), save=False)
            stored_name = row.file.name or ""
            row.save()
            audit_record(
                organization=course.organization,
                action="assessment.submission_file_added",
                actor=by,
                target=by,
                after={
                    "course": course.pk,
                    "activity": str(draft.activity_uid),
                    "submission": draft.number,
                    "size": checked.size,
                    "sha256": checked.sha256,
                },
                personal_after={"name": checked.name},
            )
    except BaseException:
        if stored_name:
            default_storage.delete(stored_name)
        raise
    return row


def _forget_stored(name: str) -> None:
    """Delete a stored file once no submission refers to it (submissions after a reopen share their files)."""
    if name and not SubmissionFile.objects.filter(file=name).exists():
        default_storage.delete(name)


def submission_file_remove(*, by: User, submission: Submission, file_id: int) -> Submission:
    """Take a file out of the person's draft (the next try, if the team reopened it). Audited. Returns the draft."""
    from syllabus.audit.services import audit_record

    _owned(submission, by)
    course = submission.course
    settings = settings_of(submission)
    _check_window(_dates_of(submission, settings), clock.now(), "file")
    if submission.state == SubmissionState.SUBMITTED:
        raise ValidationError({"file": [ALREADY_SUBMITTED]})
    with transaction.atomic():
        found = submission.files.filter(pk=file_id, role=FileRole.SUBMISSION).first()
        if found is None:
            raise ValidationError({"file": [FILE_NOT_FOUND]})
        draft = _editable(submission)
        if draft.pk != submission.pk:
            # The next try holds copies: remove the copy of the same file.
            found = draft.files.filter(role=FileRole.SUBMISSION, file=found.file.name).first()
            if found is None:
                raise ValidationError({"file": [FILE_NOT_FOUND]})
        _bump(draft)
        stored = found.file.name or ""
        audit_record(
            organization=course.organization,
            action="assessment.submission_file_removed",
            actor=by,
            target=by,
            after={"course": course.pk, "activity": str(draft.activity_uid), "submission": draft.number},
            personal_after={"name": found.name},
        )
        found.delete()
        transaction.on_commit(lambda: _forget_stored(stored))
    return draft


def submission_submit(*, by: User, submission: Submission, confirm: bool) -> Submission:
    """Hand the draft in for grading: final (the team may reopen it). Needs the honesty statement (`confirm`),
    something handed in, the text within the word limit, and the person's cut-off not passed; records how late it
    is against their due date. Audited; emits "submitted" on commit."""
    from syllabus.audit.services import audit_record

    _owned(submission, by)
    course = submission.course
    if not policy.can_take(_principal(by, course), course):
        raise PermissionDenied(NOT_ALLOWED)
    if submission.state != SubmissionState.DRAFT:
        raise ValidationError({"__all__": [ALREADY_SUBMITTED]})
    settings = settings_of(submission)
    now = clock.now()
    dates = _dates_of(submission, settings)
    _check_window(dates, now)
    errors: dict[str, list[str]] = {}
    if confirm is not True:
        errors["confirm"] = [CONFIRM_REQUIRED]
    has_files = submission.files.filter(role=FileRole.SUBMISSION).exists()
    text = submission.text if settings.submission_text else ""
    if not text.strip() and not (settings.submission_files and has_files):
        errors.setdefault("__all__", []).append(NOTHING_TO_SUBMIT)
    words = count_words(text)
    if settings.word_limit and words > settings.word_limit:
        errors["text"] = [OVER_WORD_LIMIT.format(count=words, limit=settings.word_limit)]
    if errors:
        raise ValidationError(errors)
    late = late_seconds(dates, now)
    with transaction.atomic():
        done = Submission.objects.filter(pk=submission.pk, state=SubmissionState.DRAFT).update(
            state=SubmissionState.SUBMITTED, submitted_at=now, late_seconds=late, revision=F("revision") + 1
        )
        if not done:
            raise ValidationError({"__all__": [ALREADY_SUBMITTED]})
        submission.refresh_from_db()
        audit_record(
            organization=course.organization,
            action="assessment.submission_submitted",
            actor=by,
            target=by,
            after={
                "course": course.pk,
                "activity": str(submission.activity_uid),
                "submission": submission.number,
                "late_seconds": late,
                "extension": dates.extension is not None,
                "confirmed": True,
                "words": words,
                "files": list(
                    submission.files.filter(role=FileRole.SUBMISSION).order_by("pk").values_list("sha256", flat=True)
                ),
            },
        )
        if submission.version_id is not None:
            emit(
                ActivitySignalled(
                    organization_id=submission.organization_id,
                    course_id=submission.course_id,
                    version_id=submission.version_id,
                    activity_uid=submission.activity_uid,
                    kind=KIND,
                    signal="submitted",
                    user_id=submission.user_id,
                    at=now,
                    data={"submission": submission.number, "late_seconds": late},
                )
            )
    return submission


def reopen_request(*, by: User, submission: Submission, note: str) -> Submission:
    """The learner asks the course team for another try at a handed-in submission (the team decides: helper B's
    reopen). Only where the assignment takes resubmissions on request and tries are left. Audited."""
    from syllabus.audit.services import audit_record

    _owned(submission, by)
    course = submission.course
    if not policy.can_take(_principal(by, course), course):
        raise PermissionDenied(NOT_ALLOWED)
    settings = settings_of(submission)
    note = str(note or "").replace("\x00", "").strip()
    if settings.resubmission != "on_request":
        raise ValidationError({"__all__": [REOPEN_NOT_OFFERED]})
    if submission.state != SubmissionState.SUBMITTED:
        raise ValidationError({"__all__": [REOPEN_NOT_SUBMITTED]})
    if not attempts_left(settings, submission):
        raise ValidationError({"__all__": [REOPEN_NO_ATTEMPTS.format(count=settings.max_attempts)]})
    if len(note) > NOTE_LIMIT:
        raise ValidationError({"note": [NOTE_TOO_LONG.format(limit=f"{NOTE_LIMIT:,}")]})
    now = clock.now()
    with transaction.atomic():
        done = Submission.objects.filter(
            pk=submission.pk, state=SubmissionState.SUBMITTED, reopen_requested_at__isnull=True
        ).update(reopen_requested_at=now, reopen_note=note, revision=F("revision") + 1)
        if not done:
            raise ValidationError({"__all__": [REOPEN_ALREADY_ASKED]})
        audit_record(
            organization=course.organization,
            action="assessment.reopen_requested",
            actor=by,
            target=by,
            after={"course": course.pk, "activity": str(submission.activity_uid), "submission": submission.number},
            personal_after={"note": note} if note else None,
        )
    submission.refresh_from_db()
    return submission
