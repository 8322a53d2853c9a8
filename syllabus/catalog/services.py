"""Every write to courses: the draft (metadata, sections, activities), the review workflow, publishing versions,
restore, archive, copy, delete, the course team, categories and the catalog settings.

Each function checks permission through `access.policy` (course rules in `catalog.course_access`), runs in one
transaction, writes its audit record inside it and emits its domain events after commit. A draft in review is
locked: the reviewer approves exactly what was submitted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Max, QuerySet
from django.utils.text import slugify

from syllabus.access.policy import NOT_ALLOWED, Principal, principal_for
from syllabus.accounts.models import Membership, Organization, User
from syllabus.audiences.models import Audience
from syllabus.audit.services import audit_record
from syllabus.catalog import course_access, events, uploads, versions
from syllabus.catalog.activity_kinds import base as kinds
from syllabus.catalog.models import (
    Activity,
    CatalogSettings,
    Category,
    Course,
    CourseAsset,
    CourseStaff,
    CourseVersion,
    Level,
    ReviewComment,
    ReviewRequest,
    Section,
    Tag,
    Visibility,
)
from syllabus.core import clock
from syllabus.core.events import emit
from syllabus.skills.models import Skill

logger = logging.getLogger(__name__)

TITLE_REQUIRED = "Enter a title."
TITLE_TOO_LONG = "Keep the title under 200 characters."
IN_REVIEW_LOCKED = "This course is in review: withdraw it from review to change it."
ALREADY_IN_REVIEW = "This course is already waiting for review."
NOTHING_TO_PUBLISH = "Add at least one activity before publishing."
UNKNOWN_KIND_IN_COURSE = "The activity '{title}' is of a kind this site no longer offers ({kind})."
NO_CHANGES = "Nothing changed since the published version."
MINOR_NOT_ALLOWED = "These changes add, remove or change what learners must do: they make a major version."
BAD_CHANGE = "Choose major or minor."
NOT_PENDING = "This review has already been decided or withdrawn."
SELF_APPROVAL = "You submitted this version: someone else must review it."
REASON_REQUIRED = "Say what needs to change before sending it back."
COMMENT_REQUIRED = "Write a comment."
PUBLISH_NEEDS_REVIEW = "Courses in this organisation are published through review: submit it for review."
CATEGORY_OTHER_ORG = "Choose a category of this organisation."
AUDIENCE_OTHER_ORG = "Choose an audience of this organisation."
AUDIENCE_REQUIRED = "Choose the audience that may see this course."
SKILL_OTHER_ORG = "Choose skills of this organisation's framework."
TAG_TOO_LONG = "Keep each tag under 60 characters."
TOO_MANY_TAGS = "Use at most 20 tags."
BAD_LANGUAGE = "Enter a language code such as en or pt-BR."
BAD_LEVEL = "Choose beginner, intermediate or advanced."
BAD_VISIBILITY = "Choose who may see this course."
BAD_DURATION = "Enter a duration in minutes, from 0 to 100000."
SECTION_OTHER_COURSE = "That section belongs to another course."
BAD_ORDER = "The new order must list every section and activity of the course exactly once."
HAS_LEARNER_RECORDS = "Learners have records in this course: archive it instead of deleting it."
LAST_OWNER = "A course needs at least one owner."
NOT_A_MEMBER = "Choose an active member of this organisation."
BAD_ROLE = "Choose owner, editor or non-editing instructor."
NOT_ARCHIVED = "This course is not archived."
ALREADY_ARCHIVED = "This course is already archived."
VERSION_OTHER_COURSE = "That version belongs to another course."
CATEGORY_NAME_REQUIRED = "Enter a name."
CATEGORY_EXISTS = "A category with this name already exists."
HOST_INVALID = "'{host}' is not a host name (write one host per line, like video.example.com)."

METADATA_FIELDS = (
    "title",
    "summary",
    "description",
    "category",
    "tags",
    "skills",
    "language",
    "level",
    "duration_minutes",
    "visibility",
    "audience",
)


# --- helpers -----------------------------------------------------------------------------------------------------


def _principal(by: User, course: Course) -> Principal:
    return principal_for(by, course.organization)


def _require(by: User, capability: str, course: Course) -> Principal:
    principal = _principal(by, course)
    if not principal.can(capability, course):
        raise PermissionDenied(NOT_ALLOWED)
    return principal


def _lock(course: Course) -> Course:
    """Re-read the course under a row lock (PostgreSQL; SQLite transactions are already serialised)."""
    return Course.objects.select_for_update().select_related("organization").get(pk=course.pk)


def _editable(course: Course, by: User) -> Course:
    """Lock the course for a draft edit, refusing while it is in review."""
    _require(by, "course.edit", course)
    locked = _lock(course)
    if locked.in_review:
        raise ValidationError(IN_REVIEW_LOCKED)
    return locked


def _touch(course: Course) -> None:
    Course.objects.filter(pk=course.pk).update(draft_revision=F("draft_revision") + 1, updated_at=clock.now())
    course.refresh_from_db(fields=["draft_revision", "updated_at"])


def _clean_title(title: str, field: str = "title") -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError({field: TITLE_REQUIRED})
    if len(title) > 200:
        raise ValidationError({field: TITLE_TOO_LONG})
    return title


def _sanitize(html: str, course_id: int | None) -> str:
    from syllabus.catalog.richtext import sanitize_html

    # Images may only point at this course's own assets.
    return sanitize_html(html or "", course_id=course_id)


def _membership_of(by: User, organization: Organization) -> Membership | None:
    return Membership.objects.filter(organization=organization, user=by, is_active=True).first()


def _audit(course: Course, action: str, by: User | None, **kwargs: Any) -> None:
    audit_record(organization=course.organization, action=action, actor=by, target=course, **kwargs)


# --- metadata ----------------------------------------------------------------------------------------------------


def _clean_metadata(
    organization: Organization, fields: Mapping[str, Any], course_id: int | None = None
) -> dict[str, Any]:
    unknown = set(fields) - set(METADATA_FIELDS)
    if unknown:
        raise TypeError(f"Unknown course fields: {sorted(unknown)}")
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if "title" in fields:
        try:
            cleaned["title"] = _clean_title(fields["title"])
        except ValidationError as exc:
            errors["title"] = exc.message_dict["title"][0]
    if "summary" in fields:
        summary = (fields["summary"] or "").strip()
        if len(summary) > 500:
            errors["summary"] = "Keep the summary under 500 characters."
        cleaned["summary"] = summary
    if "description" in fields:
        cleaned["description"] = _sanitize(fields["description"], course_id)
    if "category" in fields:
        category = fields["category"]
        if isinstance(category, int):
            category = Category.objects.filter(pk=category, organization=organization).first()
            if category is None:
                errors["category"] = CATEGORY_OTHER_ORG
        elif category is not None and category.organization_id != organization.pk:
            errors["category"] = CATEGORY_OTHER_ORG
        cleaned["category"] = category
    if "language" in fields:
        language = (fields["language"] or "").strip()
        if not language or len(language) > 16 or not all(part.isalnum() for part in language.split("-")):
            errors["language"] = BAD_LANGUAGE
        cleaned["language"] = language
    if "level" in fields:
        if fields["level"] not in Level.values:
            errors["level"] = BAD_LEVEL
        cleaned["level"] = fields["level"]
    if "duration_minutes" in fields:
        try:
            duration = int(fields["duration_minutes"] or 0)
        except (TypeError, ValueError):
            duration = -1
        if not 0 <= duration <= 100_000:
            errors["duration_minutes"] = BAD_DURATION
        cleaned["duration_minutes"] = duration
    if "visibility" in fields:
        if fields["visibility"] not in Visibility.values:
            errors["visibility"] = BAD_VISIBILITY
        cleaned["visibility"] = fields["visibility"]
    if "audience" in fields:
        audience = fields["audience"]
        if isinstance(audience, int):
            audience = Audience.objects.filter(pk=audience, organization=organization).first()
            if audience is None:
                errors["audience"] = AUDIENCE_OTHER_ORG
        elif audience is not None and audience.organization_id != organization.pk:
            errors["audience"] = AUDIENCE_OTHER_ORG
        cleaned["audience"] = audience
    if "tags" in fields:
        tags: list[str] = []
        seen: set[str] = set()
        raw_tags = fields["tags"]
        if isinstance(raw_tags, str):
            raw_tags = raw_tags.split(",")
        for raw in raw_tags or ():
            name = " ".join(str(raw).split())
            if not name or name.casefold() in seen:
                continue
            if len(name) > 60:
                errors["tags"] = TAG_TOO_LONG
            seen.add(name.casefold())
            tags.append(name)
        if len(tags) > 20:
            errors["tags"] = TOO_MANY_TAGS
        cleaned["tags"] = tags
    if "skills" in fields:
        cleaned["skills"] = _clean_skills(organization, fields["skills"], errors)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_skills(organization: Organization, skills: Iterable[Any] | None, errors: dict[str, str]) -> list[Skill]:
    ids = {s.pk if isinstance(s, Skill) else int(s) for s in (skills or ())}
    found = list(Skill.objects.filter(organization=organization, pk__in=ids))
    if len(found) != len(ids):
        errors["skills"] = SKILL_OTHER_ORG
    return found


def _tags_for(organization: Organization, names: Sequence[str]) -> list[Tag]:
    existing = {tag.name.casefold(): tag for tag in Tag.objects.filter(organization=organization)}
    out = []
    for name in names:
        tag = existing.get(name.casefold())
        if tag is None:
            tag = Tag.objects.create(organization=organization, name=name)
            existing[name.casefold()] = tag
        out.append(tag)
    return out


def _apply_metadata(course: Course, cleaned: dict[str, Any]) -> list[str]:
    """Set the cleaned fields on `course` (saving it) and return the names that changed."""
    changed = []
    tags = cleaned.pop("tags", None)
    skills = cleaned.pop("skills", None)
    for name, value in cleaned.items():
        current = getattr(course, name)
        if current != value:
            setattr(course, name, value)
            changed.append(name)
    visibility = course.visibility
    if visibility == Visibility.AUDIENCE and course.audience_id is None:
        raise ValidationError({"audience": AUDIENCE_REQUIRED})
    if visibility == Visibility.ORGANIZATION and course.audience_id is not None:
        course.audience = None
        changed.append("audience")
    course.save()
    if tags is not None:
        new_tags = _tags_for(course.organization, tags)
        if {t.pk for t in new_tags} != set(course.tags.values_list("pk", flat=True)):
            course.tags.set(new_tags)
            changed.append("tags")
    if skills is not None and {s.pk for s in skills} != set(course.skills.values_list("pk", flat=True)):
        course.skills.set(skills)
        changed.append("skills")
    return changed


def course_create(*, organization: Organization, by: User, title: str, **fields: Any) -> Course:
    """Create a draft course; its creator becomes its owner."""
    if not principal_for(by, organization).can("course.create"):
        raise PermissionDenied(NOT_ALLOWED)
    cleaned = _clean_metadata(organization, {"title": title, **fields})
    with transaction.atomic():
        course = Course(organization=organization, created_by=by)
        _apply_metadata(course, cleaned)
        membership = _membership_of(by, organization)
        if membership is not None:
            CourseStaff.objects.create(course=course, membership=membership, role=CourseStaff.Role.OWNER, added_by=by)
        _audit(course, "course.created", by, after={"title_length": len(course.title)})
    course_access.forget_roles(principal_for(by, organization))
    return course


def course_update(*, course: Course, by: User, **fields: Any) -> Course:
    """Change the draft's metadata (any of METADATA_FIELDS; tags by name, skills as Skill or id)."""
    cleaned = _clean_metadata(course.organization, fields, course.pk)
    with transaction.atomic():
        locked = _editable(course, by)
        changed = _apply_metadata(locked, cleaned)
        if changed:
            _touch(locked)
    course.refresh_from_db()
    return course


def course_cover_set(*, course: Course, by: User, upload: Any) -> CourseAsset:
    """Upload a new cover image (re-encoded); a refused file leaves the draft as it was."""
    with uploads.rollback_guard(), transaction.atomic():
        locked = _editable(course, by)
        asset = uploads.store_upload(course=locked, by=by, upload=upload, purpose=CourseAsset.Purpose.IMAGE)
        locked.cover = asset
        locked.save(update_fields=["cover", "updated_at"])
        _touch(locked)
    course.refresh_from_db()
    return asset


def course_asset_upload(*, course: Course, by: User, upload: Any, purpose: str) -> CourseAsset:
    """Store a file for the draft (an image for rich text, a file an activity will name), under the draft's lock."""
    with uploads.rollback_guard(), transaction.atomic():
        locked = _editable(course, by)
        return uploads.store_upload(course=locked, by=by, upload=upload, purpose=purpose)


def course_cover_remove(*, course: Course, by: User) -> None:
    with transaction.atomic():
        locked = _editable(course, by)
        if locked.cover_id is not None:
            locked.cover = None
            locked.save(update_fields=["cover", "updated_at"])
            _touch(locked)
    course.refresh_from_db()


# --- sections ----------------------------------------------------------------------------------------------------


def _renumber(rows: QuerySet[Any]) -> None:
    for index, row in enumerate(rows):
        if row.position != index:
            type(row).objects.filter(pk=row.pk).update(position=index)


def section_create(*, course: Course, by: User, title: str, summary: str = "") -> Section:
    title = _clean_title(title)
    with transaction.atomic():
        locked = _editable(course, by)
        last = locked.sections.aggregate(last=Max("position"))["last"]
        section = Section.objects.create(
            course=locked, title=title, summary=(summary or "").strip(), position=(last + 1) if last is not None else 0
        )
        _touch(locked)
    return section


def section_update(*, section: Section, by: User, title: str, summary: str = "") -> Section:
    title = _clean_title(title)
    with transaction.atomic():
        _editable(section.course, by)
        section.title = title
        section.summary = (summary or "").strip()
        section.save(update_fields=["title", "summary"])
        _touch(section.course)
    return section


def section_delete(*, section: Section, by: User) -> None:
    with transaction.atomic():
        locked = _editable(section.course, by)
        section.delete()
        _renumber(locked.sections.order_by("position", "pk"))
        _touch(locked)


def section_move(*, section: Section, by: User, offset: int) -> int:
    """Move a section up (-1) or down (+1); returns its new position (0-based)."""
    with transaction.atomic():
        locked = _editable(section.course, by)
        ordered = list(locked.sections.order_by("position", "pk"))
        index = next(i for i, s in enumerate(ordered) if s.pk == section.pk)
        target = max(0, min(len(ordered) - 1, index + offset))
        if target != index:
            ordered.insert(target, ordered.pop(index))
            for position, row in enumerate(ordered):
                Section.objects.filter(pk=row.pk).update(position=position)
            _touch(locked)
    section.refresh_from_db(fields=["position"])
    return target


# --- activities --------------------------------------------------------------------------------------------------


def _clean_activity_common(
    organization: Organization, *, title: str, duration_minutes: Any, skills: Iterable[Any] | None
) -> tuple[str, int, list[Skill] | None]:
    errors: dict[str, str] = {}
    try:
        clean_title = _clean_title(title)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        clean_title = ""
    try:
        duration = int(duration_minutes or 0)
    except (TypeError, ValueError):
        duration = -1
    if not 0 <= duration <= 100_000:
        errors["duration_minutes"] = BAD_DURATION
    found = _clean_skills(organization, skills, errors) if skills is not None else None
    if errors:
        raise ValidationError(errors)
    return clean_title, duration, found


def activity_create(
    *,
    section: Section,
    by: User,
    kind: str,
    title: str,
    data: Mapping[str, Any] | None = None,
    files: Mapping[str, Any] | None = None,
    completion: Mapping[str, Any] | None = None,
    is_required: bool = True,
    duration_minutes: int = 0,
    skills: Iterable[Any] = (),
) -> Activity:
    """Add an activity at the end of a section; the kind validates its config and completion rule."""
    activity_kind = kinds.get(kind)
    course = section.course
    clean_title, duration, found = _clean_activity_common(
        course.organization, title=title, duration_minutes=duration_minutes, skills=skills
    )
    # The guard deletes files stored by the kind's clean() if anything after it fails.
    with uploads.rollback_guard(), transaction.atomic():
        locked = _editable(course, by)
        config = activity_kind.clean(
            data=data or {}, files=files or {}, context=kinds.AuthorContext(course=locked, by=by, current={})
        )
        rule = activity_kind.clean_completion(completion)
        last = section.activities.aggregate(last=Max("position"))["last"]
        activity = Activity.objects.create(
            course=locked,
            section=section,
            kind=activity_kind.key,
            title=clean_title,
            config=config,
            completion=rule,
            is_required=bool(is_required),
            duration_minutes=duration,
            position=(last + 1) if last is not None else 0,
        )
        if found:
            activity.skills.set(found)
        _touch(locked)
    return activity


def activity_update(
    *,
    activity: Activity,
    by: User,
    title: str | None = None,
    data: Mapping[str, Any] | None = None,
    files: Mapping[str, Any] | None = None,
    completion: Mapping[str, Any] | None = None,
    is_required: bool | None = None,
    duration_minutes: int | None = None,
    skills: Iterable[Any] | None = None,
) -> Activity:
    """Change an activity. Arguments left None keep their value; `data` None keeps the config."""
    activity_kind = kinds.get(activity.kind)
    course = activity.course
    clean_title, duration, found = _clean_activity_common(
        course.organization,
        title=activity.title if title is None else title,
        duration_minutes=activity.duration_minutes if duration_minutes is None else duration_minutes,
        skills=skills,
    )
    with uploads.rollback_guard(), transaction.atomic():
        locked = _editable(course, by)
        if data is not None or files:
            activity.config = activity_kind.clean(
                data=data or {},
                files=files or {},
                context=kinds.AuthorContext(course=locked, by=by, current=activity.config),
            )
        if completion is not None:
            activity.completion = activity_kind.clean_completion(completion)
        if is_required is not None:
            activity.is_required = bool(is_required)
        activity.title = clean_title
        activity.duration_minutes = duration
        activity.save()
        if found is not None:
            activity.skills.set(found)
        _touch(locked)
    return activity


def activity_delete(*, activity: Activity, by: User) -> None:
    with transaction.atomic():
        locked = _editable(activity.course, by)
        section = activity.section
        activity.delete()
        _renumber(section.activities.order_by("position", "pk"))
        _touch(locked)


def activity_move(*, activity: Activity, by: User, offset: int = 0, section: Section | None = None) -> int:
    """Move an activity up (-1) / down (+1) in its section, or to the end of another section of the same course.

    Returns its new position (0-based) in its section.
    """
    with transaction.atomic():
        locked = _editable(activity.course, by)
        if section is not None and section.pk != activity.section_id:
            if section.course_id != locked.pk:
                raise ValidationError({"section": SECTION_OTHER_COURSE})
            old_section = activity.section
            last = section.activities.aggregate(last=Max("position"))["last"]
            activity.section = section
            activity.position = (last + 1) if last is not None else 0
            activity.save(update_fields=["section", "position"])
            _renumber(old_section.activities.order_by("position", "pk"))
            _touch(locked)
            return activity.position
        ordered = list(activity.section.activities.order_by("position", "pk"))
        index = next(i for i, a in enumerate(ordered) if a.pk == activity.pk)
        target = max(0, min(len(ordered) - 1, index + offset))
        if target != index:
            ordered.insert(target, ordered.pop(index))
            for position, row in enumerate(ordered):
                Activity.objects.filter(pk=row.pk).update(position=position)
            _touch(locked)
        activity.refresh_from_db(fields=["position"])
        return target


def structure_reorder(*, course: Course, by: User, order: Sequence[Mapping[str, Any]]) -> None:
    """Apply a whole outline order at once (after a drag and drop):
    `[{"section": "<uid>", "activities": ["<uid>", ...]}, ...]` listing every section and activity once."""
    with transaction.atomic():
        locked = _editable(course, by)
        sections = {str(s.uid): s for s in locked.sections.all()}
        acts = {str(a.uid): a for a in locked.activities.all()}
        try:
            section_uids = [str(item["section"]) for item in order]
            activity_uids = [str(uid) for item in order for uid in item.get("activities", [])]
        except (KeyError, TypeError):
            raise ValidationError({"order": BAD_ORDER}) from None
        if sorted(section_uids) != sorted(sections) or sorted(activity_uids) != sorted(acts):
            raise ValidationError({"order": BAD_ORDER})
        for s_pos, item in enumerate(order):
            section = sections[str(item["section"])]
            Section.objects.filter(pk=section.pk).update(position=s_pos)
            for a_pos, uid in enumerate(item.get("activities", [])):
                Activity.objects.filter(pk=acts[str(uid)].pk).update(section=section, position=a_pos)
        _touch(locked)


# --- review and publishing ---------------------------------------------------------------------------------------


def _check_publishable(snapshot: Mapping[str, Any]) -> None:
    activities = versions.activities(snapshot)
    if not activities:
        raise ValidationError(NOTHING_TO_PUBLISH)
    for activity in activities:
        if not kinds.is_registered(activity["kind"]):
            raise ValidationError(UNKNOWN_KIND_IN_COURSE.format(title=activity["title"], kind=activity["kind"]))


def _choose_change(base: Mapping[str, Any] | None, snapshot: Mapping[str, Any], change: str | None) -> str:
    computed = versions.classify(base, snapshot)
    if change in (None, ""):
        return computed
    if change not in (versions.MAJOR, versions.MINOR):
        raise ValidationError({"change": BAD_CHANGE})
    if change == versions.MINOR and computed == versions.MAJOR:
        raise ValidationError({"change": MINOR_NOT_ALLOWED})
    return str(change)


def _base_snapshot(course: Course) -> dict[str, Any] | None:
    if course.published_version_id is None:
        return None
    return CourseVersion.objects.values_list("snapshot", flat=True).get(pk=course.published_version_id)


def has_unpublished_changes(course: Course) -> bool:
    if course.published_version_id is None:
        return True
    source = CourseVersion.objects.values_list("source_revision", flat=True).get(pk=course.published_version_id)
    return source != course.draft_revision


def course_submit(*, course: Course, by: User, notes: str = "", change: str | None = None) -> ReviewRequest:
    """Submit the draft for review; it stays locked until approved, sent back or withdrawn."""
    _require(by, "course.edit", course)
    with transaction.atomic():
        locked = _lock(course)
        if locked.in_review:
            raise ValidationError(ALREADY_IN_REVIEW)
        snapshot = versions.build_snapshot(locked)
        _check_publishable(snapshot)
        base = _base_snapshot(locked)
        if base is not None and not has_unpublished_changes(locked) and base == snapshot:
            raise ValidationError(NO_CHANGES)
        chosen = _choose_change(base, snapshot, change)
        review = ReviewRequest.objects.create(
            organization=locked.organization,
            course=locked,
            snapshot=snapshot,
            base_version_id=locked.published_version_id,
            change=chosen,
            draft_revision=locked.draft_revision,
            notes=(notes or "").strip(),
            submitted_by=by,
        )
        locked.review_state = Course.ReviewState.IN_REVIEW
        locked.save(update_fields=["review_state", "updated_at"])
        _audit(locked, "course.submitted", by, after={"review": review.pk, "change": chosen})
        emit(events.CourseSubmitted(locked.organization_id, locked.pk, review.pk, by.pk))
    course.refresh_from_db()
    return review


def _lock_review(review: ReviewRequest) -> ReviewRequest:
    locked = (
        ReviewRequest.objects.select_for_update().select_related("course", "course__organization").get(pk=review.pk)
    )
    if locked.state != ReviewRequest.State.PENDING:
        raise ValidationError(NOT_PENDING)
    return locked


def _close_review(review: ReviewRequest, state: str, by: User, note: str = "") -> None:
    review.state = state
    review.decided_by = by
    review.decided_at = clock.now()
    review.decision_note = note[:10_000]
    review.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "updated_at"])
    Course.objects.filter(pk=review.course_id).update(review_state=Course.ReviewState.EDITING)


def review_withdraw(*, review: ReviewRequest, by: User) -> None:
    """The team takes a pending submission back to keep editing."""
    _require(by, "course.edit", review.course)
    with transaction.atomic():
        locked = _lock_review(review)
        _close_review(locked, ReviewRequest.State.WITHDRAWN, by)
        _audit(locked.course, "course.review_withdrawn", by, after={"review": locked.pk})
    review.refresh_from_db()


def review_comment_add(*, review: ReviewRequest, by: User, body: str, about_uid: Any = None) -> ReviewComment:
    principal = _principal(by, review.course)
    if not (principal.can("course.review", review.course) or course_access.can_see_draft(principal, review.course)):
        raise PermissionDenied(NOT_ALLOWED)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": COMMENT_REQUIRED})
    return ReviewComment.objects.create(review=review, author=by, body=body[:10_000], about_uid=about_uid or None)


def review_approve(*, review: ReviewRequest, by: User, notes: str = "") -> CourseVersion:
    """Approve and publish exactly what was submitted. The submitter cannot approve their own submission."""
    _require(by, "course.review", review.course)
    with transaction.atomic():
        locked = _lock_review(review)
        if locked.submitted_by_id == by.pk:
            raise ValidationError(SELF_APPROVAL)
        course = _lock(locked.course)
        version = _publish(
            course,
            snapshot=locked.snapshot,
            by=by,
            notes=(notes or "").strip() or locked.notes,
            change=locked.change,
            review=locked,
            source_revision=locked.draft_revision,
        )
        _close_review(locked, ReviewRequest.State.APPROVED, by, note=(notes or "").strip())
        _audit(course, "course.approved", by, after={"review": locked.pk, "version": version.label})
        emit(events.CourseReviewDecided(course.organization_id, course.pk, locked.pk, by.pk, approved=True))
    review.refresh_from_db()
    return version


def review_reject(*, review: ReviewRequest, by: User, reason: str) -> None:
    """Send a submission back to its authors with the reason (kept as a comment)."""
    _require(by, "course.review", review.course)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    with transaction.atomic():
        locked = _lock_review(review)
        ReviewComment.objects.create(review=locked, author=by, body=reason[:10_000])
        _close_review(locked, ReviewRequest.State.REJECTED, by, note=reason)
        _audit(locked.course, "course.rejected", by, after={"review": locked.pk})
        emit(events.CourseReviewDecided(locked.organization_id, locked.course_id, locked.pk, by.pk, approved=False))
    review.refresh_from_db()


def course_publish(*, course: Course, by: User, notes: str = "", change: str | None = None) -> CourseVersion:
    """Publish the draft directly, where the organisation lets the course team publish without review."""
    principal = _principal(by, course)
    if not principal.can("course.publish", course):
        if principal.can("course.edit", course):
            raise PermissionDenied(PUBLISH_NEEDS_REVIEW)
        raise PermissionDenied(NOT_ALLOWED)
    with transaction.atomic():
        locked = _lock(course)
        if locked.in_review:
            raise ValidationError(IN_REVIEW_LOCKED)
        version = _publish_draft(locked, by=by, notes=notes, change=change)
    course.refresh_from_db()
    return version


def course_publish_unchecked(
    *, course: Course, by: User | None, notes: str = "", change: str | None = None
) -> CourseVersion:
    """Publish the draft with no permission or review check: for demo data, scale data and test fixtures only."""
    with transaction.atomic():
        locked = _lock(course)
        version = _publish_draft(locked, by=by, notes=notes, change=change)
    course.refresh_from_db()
    return version


def _publish_draft(course: Course, *, by: User | None, notes: str, change: str | None) -> CourseVersion:
    snapshot = versions.build_snapshot(course)
    base = _base_snapshot(course)
    if base is not None and base == snapshot:
        raise ValidationError(NO_CHANGES)
    return _publish(
        course,
        snapshot=snapshot,
        by=by,
        notes=notes,
        change=_choose_change(base, snapshot, change),
        review=None,
        source_revision=course.draft_revision,
    )


def _publish(
    course: Course,
    *,
    snapshot: dict[str, Any],
    by: User | None,
    notes: str,
    change: str,
    review: ReviewRequest | None,
    source_revision: int,
) -> CourseVersion:
    _check_publishable(snapshot)
    last = course.versions.order_by("-major", "-minor").first()
    if last is None:
        major, minor, change = 1, 0, versions.MAJOR
    elif change == versions.MAJOR:
        major, minor = last.major + 1, 0
    else:
        major, minor = last.major, last.minor + 1
    version = CourseVersion(
        organization=course.organization,
        course=course,
        major=major,
        minor=minor,
        change=change,
        snapshot=snapshot,
        asset_ids=versions.asset_ids(snapshot),
        notes=(notes or "").strip(),
        source_revision=source_revision,
        published_at=clock.now(),
        published_by=by,
        review=review,
    )
    version.save(force_insert=True)
    course.published_version = version
    course.save(update_fields=["published_version", "updated_at"])
    _index(course)
    _audit(course, "course.published", by, after={"version": version.label, "change": change})
    emit(
        events.CoursePublished(
            course.organization_id, course.pk, version.pk, major, minor, change, by.pk if by else None
        )
    )
    return version


def _index(course: Course) -> None:
    from syllabus.catalog import search

    if course.is_archived or course.published_version_id is None:
        search.remove_course(course)
    else:
        search.index_course(course)


# --- versions, archive, copy, delete -----------------------------------------------------------------------------


def version_restore(*, version: CourseVersion, by: User) -> Course:
    """Make a past version the draft again (a new draft: publishing it makes a new version)."""
    course = version.course
    with transaction.atomic():
        locked = _editable(course, by)
        snapshot = version.snapshot
        organization = locked.organization
        category = None
        if snapshot.get("category"):
            category = Category.objects.filter(organization=organization, pk=snapshot["category"]["id"]).first()
        audience = None
        if snapshot.get("audience_id"):
            audience = Audience.objects.filter(organization=organization, pk=snapshot["audience_id"]).first()
        locked.title = snapshot["title"]
        locked.summary = snapshot.get("summary", "")
        locked.description = snapshot.get("description", "")
        cover_id = snapshot.get("cover_asset_id")
        locked.cover = CourseAsset.objects.filter(course=locked, pk=cover_id).first() if cover_id else None
        locked.category = category
        locked.language = snapshot.get("language", "en")
        locked.level = snapshot.get("level", Level.BEGINNER)
        locked.duration_minutes = snapshot.get("duration_minutes", 0)
        # An audience deleted since falls back to the whole organisation only if it was not audience-restricted.
        restricted = snapshot.get("visibility") == Visibility.AUDIENCE
        if restricted and audience is None:
            raise ValidationError({"audience": AUDIENCE_REQUIRED})
        locked.visibility = Visibility.AUDIENCE if restricted else Visibility.ORGANIZATION
        locked.audience = audience if restricted else None
        locked.save()
        locked.tags.set(_tags_for(organization, snapshot.get("tags", [])))
        skill_ids = [s["id"] for s in snapshot.get("skills", [])]
        locked.skills.set(Skill.objects.filter(organization=organization, pk__in=skill_ids))
        locked.sections.all().delete()
        _create_structure(locked, snapshot, keep_uids=True)
        _touch(locked)
        _audit(locked, "course.restored", by, after={"version": version.label})
    course.refresh_from_db()
    return course


def _create_structure(
    course: Course, snapshot: Mapping[str, Any], *, keep_uids: bool, asset_map: Mapping[int, int] | None = None
) -> None:
    skill_ids = set(Skill.objects.filter(organization=course.organization).values_list("pk", flat=True))
    for s_pos, section_data in enumerate(snapshot.get("sections", [])):
        section = Section(course=course, title=section_data["title"], summary=section_data.get("summary", ""))
        section.position = s_pos
        if keep_uids:
            section.uid = section_data["uid"]
        section.save()
        for a_pos, data in enumerate(section_data.get("activities", [])):
            config = data.get("config") or {}
            if asset_map is not None and kinds.is_registered(data["kind"]):
                config = kinds.get(data["kind"]).copy_config(config, asset_map)
            activity = Activity(
                course=course,
                section=section,
                kind=data["kind"],
                title=data["title"],
                position=a_pos,
                config=config,
                completion=data.get("completion") or {},
                is_required=data.get("is_required", True),
                duration_minutes=data.get("duration_minutes", 0),
            )
            if keep_uids:
                activity.uid = data["uid"]
            activity.save()
            skills = [pk for pk in data.get("skills", []) if pk in skill_ids]
            if skills:
                activity.skills.set(skills)


def course_archive(*, course: Course, by: User) -> None:
    """Take a course out of the catalog. Its versions and learner records stay."""
    _require(by, "course.manage", course)
    with transaction.atomic():
        locked = _lock(course)
        if locked.is_archived:
            raise ValidationError(ALREADY_ARCHIVED)
        locked.archived_at = clock.now()
        locked.save(update_fields=["archived_at", "updated_at"])
        _index(locked)
        _audit(locked, "course.archived", by)
        emit(events.CourseArchived(locked.organization_id, locked.pk, by.pk))
    course.refresh_from_db()


def course_unarchive(*, course: Course, by: User) -> None:
    _require(by, "course.manage", course)
    with transaction.atomic():
        locked = _lock(course)
        if not locked.is_archived:
            raise ValidationError(NOT_ARCHIVED)
        locked.archived_at = None
        locked.save(update_fields=["archived_at", "updated_at"])
        _index(locked)
        _audit(locked, "course.unarchived", by)
        emit(events.CourseUnarchived(locked.organization_id, locked.pk, by.pk))
    course.refresh_from_db()


def course_delete(*, course: Course, by: User) -> None:
    """Delete a course, only while no learner has a record in it (see catalog.learner_records)."""
    from syllabus.catalog import learner_records, search

    _require(by, "course.manage", course)
    with transaction.atomic():
        locked = _lock(course)
        if learner_records.exist(locked.pk):
            raise ValidationError(HAS_LEARNER_RECORDS)
        files = list(CourseAsset.objects.filter(course=locked).values_list("file", flat=True))
        title = locked.title
        search.remove_course(locked)
        _audit(locked, "course.deleted", by, before={"versions": locked.versions.count()})
        Course.objects.filter(pk=locked.pk).update(published_version=None, cover=None)
        locked.delete()
        emit(events.CourseDeleted(course.organization_id, course.pk, by.pk, title))
        transaction.on_commit(lambda: _delete_unreferenced_files(files))


def _delete_unreferenced_files(names: Iterable[str]) -> None:
    """Copies of a course share stored files: delete a file only when no asset refers to it any more."""
    for name in set(names):
        if name and not CourseAsset.objects.filter(file=name).exists():
            try:
                default_storage.delete(name)
            except OSError:  # pragma: no cover - storage hiccup: an orphan file is harmless
                logger.warning("could not delete %s", name)


def course_copy(*, course: Course, by: User, title: str) -> Course:
    """A new draft course with the same content (new identities), owned by whoever copied it."""
    principal = _principal(by, course)
    if not (principal.can("course.create") and course_access.can_see_draft(principal, course)):
        raise PermissionDenied(NOT_ALLOWED)
    title = _clean_title(title)
    snapshot = versions.build_snapshot(course)
    with transaction.atomic():
        copy = Course.objects.create(
            organization=course.organization,
            title=title,
            summary=course.summary,
            description=course.description,
            category=course.category,
            language=course.language,
            level=course.level,
            duration_minutes=course.duration_minutes,
            visibility=course.visibility,
            audience=course.audience,
            created_by=by,
            copied_from=course,
        )
        copy.tags.set(course.tags.all())
        copy.skills.set(course.skills.all())
        asset_map: dict[int, int] = {}
        for asset in CourseAsset.objects.filter(course=course):
            old_pk = asset.pk
            asset.pk = None
            asset.id = None
            asset.course = copy
            asset.uploaded_by = by
            asset._state.adding = True
            asset.save()
            asset_map[old_pk] = asset.pk
        if course.cover_id:
            copy.cover_id = asset_map.get(course.cover_id)
            copy.save(update_fields=["cover"])
        copy.description = _remap_inline_assets(copy.description, course.pk, copy.pk, asset_map)
        copy.save(update_fields=["description"])
        _create_structure(copy, snapshot, keep_uids=False, asset_map=asset_map)
        membership = _membership_of(by, course.organization)
        if membership is not None:
            CourseStaff.objects.create(course=copy, membership=membership, role=CourseStaff.Role.OWNER, added_by=by)
        _audit(copy, "course.copied", by, after={"from_course": course.pk})
    course_access.forget_roles(principal)
    return copy


def _remap_inline_assets(html: str, old_course: int, new_course: int, asset_map: Mapping[int, int]) -> str:
    import re

    def replace(match: re.Match[str]) -> str:
        new_id = asset_map.get(int(match.group(1)))
        return f"/courses/{new_course}/assets/{new_id}/" if new_id else match.group(0)

    return re.sub(rf"/courses/{old_course}/assets/(\d+)/", replace, html or "")


# --- the course team ---------------------------------------------------------------------------------------------


def staff_set(*, course: Course, by: User, membership: Membership, role: str) -> CourseStaff:
    """Put a person on the course team with a role, or change their role."""
    _require(by, "course.manage", course)
    if role not in CourseStaff.Role.values:
        raise ValidationError({"role": BAD_ROLE})
    if membership.organization_id != course.organization_id or not membership.is_active:
        raise ValidationError({"membership": NOT_A_MEMBER})
    with transaction.atomic():
        locked = _lock(course)
        existing = CourseStaff.objects.filter(course=locked, membership=membership).first()
        before = existing.role if existing else None
        if before == CourseStaff.Role.OWNER and role != CourseStaff.Role.OWNER:
            _check_other_owner(locked, membership)
        staff, _created = CourseStaff.objects.update_or_create(
            course=locked, membership=membership, defaults={"role": role, "added_by": by}
        )
        if before != role:
            audit_record(
                organization=locked.organization,
                action="course.staff_changed",
                actor=by,
                target=membership,
                before={"course": locked.pk, "role": before},
                after={"course": locked.pk, "role": role},
            )
    course_access.forget_roles(principal_for(membership.user, course.organization))
    return staff


def _check_other_owner(course: Course, membership: Membership) -> None:
    owners = CourseStaff.objects.filter(course=course, role=CourseStaff.Role.OWNER).exclude(membership=membership)
    if not owners.filter(membership__is_active=True).exists():
        raise ValidationError(LAST_OWNER)


def staff_remove(*, course: Course, by: User, membership: Membership) -> None:
    _require(by, "course.manage", course)
    with transaction.atomic():
        locked = _lock(course)
        existing = CourseStaff.objects.filter(course=locked, membership=membership).first()
        if existing is None:
            return
        if existing.role == CourseStaff.Role.OWNER:
            _check_other_owner(locked, membership)
        existing.delete()
        audit_record(
            organization=locked.organization,
            action="course.staff_changed",
            actor=by,
            target=membership,
            before={"course": locked.pk, "role": existing.role},
            after={"course": locked.pk, "role": None},
        )


# --- categories and settings -------------------------------------------------------------------------------------


def _require_catalog_manager(by: User, organization: Organization) -> None:
    if not principal_for(by, organization).can("catalog.manage"):
        raise PermissionDenied(NOT_ALLOWED)


def _clean_category_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": CATEGORY_NAME_REQUIRED})
    if len(name) > 120:
        raise ValidationError({"name": "Keep the name under 120 characters."})
    return name


def category_create(*, organization: Organization, by: User, name: str, position: int | None = None) -> Category:
    _require_catalog_manager(by, organization)
    name = _clean_category_name(name)
    slug = slugify(name)[:120] or "category"
    if Category.objects.filter(organization=organization, slug=slug).exists():
        raise ValidationError({"name": CATEGORY_EXISTS})
    if position is None:
        last = Category.objects.filter(organization=organization).aggregate(last=Max("position"))["last"]
        position = (last + 1) if last is not None else 0
    try:
        with transaction.atomic():
            return Category.objects.create(organization=organization, name=name, slug=slug, position=position)
    except IntegrityError:
        raise ValidationError({"name": CATEGORY_EXISTS}) from None


def category_update(*, category: Category, by: User, name: str, position: int | None = None) -> Category:
    _require_catalog_manager(by, category.organization)
    name = _clean_category_name(name)
    slug = slugify(name)[:120] or "category"
    clash = Category.objects.filter(organization=category.organization, slug=slug).exclude(pk=category.pk)
    if clash.exists():
        raise ValidationError({"name": CATEGORY_EXISTS})
    category.name, category.slug = name, slug
    if position is not None:
        category.position = position
    category.save()
    return category


def category_delete(*, category: Category, by: User) -> None:
    """Delete a category; its courses become uncategorised (published versions keep the name they showed)."""
    _require_catalog_manager(by, category.organization)
    category.delete()


def catalog_settings_update(
    *, organization: Organization, by: User, publish_without_review: bool, embed_allowlist: str
) -> CatalogSettings:
    _require_catalog_manager(by, organization)
    hosts = []
    for line in (embed_allowlist or "").splitlines():
        host = line.strip().lower()
        if not host:
            continue
        if not _is_host(host):
            raise ValidationError({"embed_allowlist": HOST_INVALID.format(host=host[:100])})
        hosts.append(host)
    with transaction.atomic():
        settings_row, _created = CatalogSettings.objects.get_or_create(organization=organization)
        before = {
            "publish_without_review": settings_row.publish_without_review,
            "embed_hosts": len(settings_row.embed_allowlist.split()),
        }
        settings_row.publish_without_review = bool(publish_without_review)
        settings_row.embed_allowlist = "\n".join(dict.fromkeys(hosts))
        settings_row.save()
        audit_record(
            organization=organization,
            action="catalog.settings_changed",
            actor=by,
            target=None,
            before=before,
            after={"publish_without_review": settings_row.publish_without_review, "embed_hosts": len(hosts)},
        )
    return settings_row


def _is_host(host: str) -> bool:
    import re

    return bool(re.fullmatch(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", host))
