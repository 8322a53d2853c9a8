"""The gradebook's setup: settings, categories, manual items, and the activity items synced from the published
version."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import User
from syllabus.audit.services import audit_record
from syllabus.catalog.activity_kinds import base as activity_kinds
from syllabus.catalog.models import Course, CourseVersion
from syllabus.grades import policy
from syllabus.grades.models import Display, GradebookSettings, GradeCategory, GradeItem, ItemSource, LetterScale

AUDIT_ACTIONS = (
    ("grades.settings_updated", "Gradebook settings changed"),
    ("grades.category_created", "Grade category added"),
    ("grades.category_updated", "Grade category changed"),
    ("grades.category_deleted", "Grade category deleted"),
    ("grades.item_created", "Manual grade item added"),
    ("grades.item_updated", "Grade item changed"),
    ("grades.item_deleted", "Manual grade item deleted"),
    ("grades.items_reordered", "Grade items reordered"),
)

NAME_REQUIRED = "Enter a name."
NAME_TOO_LONG = "Use at most {limit} characters."
NAME_TAKEN = "This course already has a category with this name."
WEIGHT_INVALID = "Enter a weight from 0 to 9999 (at most 3 decimal places)."
MAX_POINTS_INVALID = "Enter maximum points above 0 and at most 99999999 (at most 2 decimal places)."
PASS_MARK_INVALID = "Enter a pass mark from 0 to 100 (at most 2 decimal places), or leave it empty."  # noqa: S105
DROP_INVALID = "Enter how many of the lowest grades to drop, from 0 to 100."
DISPLAY_INVALID = "Choose percentage, points or letter."
SCALE_INVALID = "Choose one of the organisation's letter scales."
CATEGORY_INVALID = "Choose a category of this course."
POSITION_INVALID = "Enter a position from 0."
UNKNOWN_FIELD = "This cannot be changed here."
ACTIVITY_ITEM_FIXED = "This follows its activity: change the activity and publish the course."
NOT_MANUAL = (
    "Only items added in the gradebook can be deleted; an activity's item is retired when it leaves the course."
)
REORDER_MISMATCH = "List every item of this course once."
NOT_A_FLAG = "Choose yes or no."

NAME_LIMIT = 300
CATEGORY_NAME_LIMIT = 200
WEIGHT_LIMIT = Decimal("9999")
POINTS_LIMIT = Decimal("99999999")


# --- validation shared by the services (the API and the import give raw input) --------------------------------


def decimal_in(value: Any, *, low: Decimal, high: Decimal, places: int, low_open: bool = False) -> Decimal:
    """A Decimal from user input within [low, high] (or (low, high]) with at most `places` decimal places; raises
    ValueError otherwise. Booleans, NaN and infinities are refused."""
    if isinstance(value, bool) or value is None:
        raise ValueError
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError from None
    if not number.is_finite() or number < low or number > high or (low_open and number == low):
        raise ValueError
    rounded = number.quantize(Decimal(1).scaleb(-places))
    if rounded != number:
        raise ValueError
    return rounded


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "yes", "on", "false", "0", "no", "off", ""}:
        return value.strip().lower() in {"true", "1", "yes", "on"}
    raise ValueError


def _name(value: Any, limit: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationError(NAME_REQUIRED)
    if len(text) > limit:
        raise ValidationError(NAME_TOO_LONG.format(limit=limit))
    return text


def _require(ok: bool) -> None:
    if not ok:
        raise PermissionDenied(NOT_ALLOWED)


def _can_setup(by: User, course: Course) -> bool:
    return policy.can_setup(principal_for(by, course.organization), course)


def recompute_later(course: Course) -> None:
    """Recompute every course grade of the course once this transaction commits (a task: a setup change may touch
    10,000 people)."""
    from syllabus.grades.tasks import recompute_course_grades

    course_id = course.pk
    transaction.on_commit(lambda: recompute_course_grades.delay(course_id))


# --- settings ---------------------------------------------------------------------------------------------------


def settings_for(course: Course) -> GradebookSettings:
    """The course's gradebook settings (made with the defaults on first use; a race makes them once)."""
    found = GradebookSettings.objects.filter(course=course).select_related("letter_scale").first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return GradebookSettings.objects.create(organization_id=course.organization_id, course=course)
    except IntegrityError:
        return GradebookSettings.objects.select_related("letter_scale").get(course=course)


SETTINGS_FIELDS = ("display", "letter_scale", "pass_mark", "only_graded", "show_total_to_learners")


def settings_update(*, by: User, course: Course, **fields: Any) -> GradebookSettings:
    """Change display, letter_scale (a LetterScale of the organisation, its id, or None), pass_mark (percent or
    None), only_graded, show_total_to_learners. Every course grade is recomputed (a task, on commit) when the total
    may change."""
    _require(_can_setup(by, course))
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, value in fields.items():
        try:
            if key == "display":
                if value not in Display.values:
                    raise ValueError
                values[key] = value
            elif key == "letter_scale":
                if value in (None, ""):
                    values[key] = None
                else:
                    scale_id = value.pk if isinstance(value, LetterScale) else int(value)
                    scale = LetterScale.objects.filter(pk=scale_id, organization_id=course.organization_id).first()
                    if scale is None:
                        raise ValueError
                    values[key] = scale
            elif key == "pass_mark":
                values[key] = (
                    None if value in (None, "") else decimal_in(value, low=Decimal(0), high=Decimal(100), places=2)
                )
            elif key in ("only_graded", "show_total_to_learners"):
                values[key] = _flag(value)
            else:
                errors[key] = UNKNOWN_FIELD
        except (ValueError, TypeError):
            errors[key] = {
                "display": DISPLAY_INVALID,
                "letter_scale": SCALE_INVALID,
                "pass_mark": PASS_MARK_INVALID,
            }.get(key, NOT_A_FLAG)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        gradebook = settings_for(course)
        gradebook = (
            GradebookSettings.objects.select_for_update(of=("self",))
            .select_related("letter_scale")
            .get(pk=gradebook.pk)
        )
        before = _settings_facts(gradebook)
        for key, value in values.items():
            setattr(gradebook, key, value)
        gradebook.save()
        after = _settings_facts(gradebook)
        changed = _audit_changes(course, by, "grades.settings_updated", course, before, after)
        if changed & {"pass_mark", "only_graded"}:
            recompute_later(course)
    return gradebook


def _audit_changes(
    course: Course, by: User, action: str, target: Any, before: dict[str, Any], after: dict[str, Any]
) -> set[str]:
    """Audit what an update changed (nothing when nothing did); the names of the changed facts."""
    changed = [key for key, value in before.items() if after[key] != value]
    if changed:
        audit_record(
            organization=course.organization,
            action=action,
            actor=by,
            target=target,
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
    return set(changed)


def _settings_facts(gradebook: GradebookSettings) -> dict[str, Any]:
    return {
        "display": gradebook.display,
        "letter_scale": gradebook.letter_scale_id,
        "pass_mark": None if gradebook.pass_mark is None else str(gradebook.pass_mark),
        "only_graded": gradebook.only_graded,
        "show_total_to_learners": gradebook.show_total_to_learners,
    }


# --- categories -------------------------------------------------------------------------------------------------


def _weight(value: Any) -> Decimal:
    return decimal_in(value, low=Decimal(0), high=WEIGHT_LIMIT, places=3)


def _category_values(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, value in fields.items():
        try:
            if key == "name":
                values[key] = _name(value, CATEGORY_NAME_LIMIT)
            elif key == "weight":
                values[key] = _weight(value)
            elif key == "drop_lowest":
                if isinstance(value, bool) or not 0 <= int(value) <= 100:
                    raise ValueError
                values[key] = int(value)
            elif key == "position":
                if isinstance(value, bool) or int(value) < 0:
                    raise ValueError
                values[key] = int(value)
            else:
                errors[key] = UNKNOWN_FIELD
        except ValidationError as error:
            errors[key] = error.messages[0]
        except (ValueError, TypeError, OverflowError):
            errors[key] = {"weight": WEIGHT_INVALID, "drop_lowest": DROP_INVALID}.get(key, POSITION_INVALID)
    if errors:
        raise ValidationError(errors)
    return values


def _category_facts(category: GradeCategory) -> dict[str, Any]:
    return {
        "name": category.name,
        "weight": str(category.weight),
        "drop_lowest": category.drop_lowest,
        "position": category.position,
    }


def category_create(
    *, by: User, course: Course, name: str, weight: Decimal | str = Decimal(1), drop_lowest: int = 0
) -> GradeCategory:
    """A category at the end of the course's categories."""
    _require(_can_setup(by, course))
    values = _category_values({"name": name, "weight": weight, "drop_lowest": drop_lowest})
    with transaction.atomic():
        if GradeCategory.objects.filter(course=course, name=values["name"]).exists():
            raise ValidationError({"name": NAME_TAKEN})
        last = GradeCategory.objects.filter(course=course).aggregate(last=Max("position"))["last"]
        category = GradeCategory.objects.create(
            organization_id=course.organization_id,
            course=course,
            position=0 if last is None else last + 1,
            **values,
        )
        audit_record(
            organization=course.organization,
            action="grades.category_created",
            actor=by,
            target=category,
            after={"course": course.pk, **_category_facts(category)},
        )
    return category


def category_update(*, by: User, category: GradeCategory, **fields: Any) -> GradeCategory:
    """fields: name, weight, drop_lowest, position. Course grades are recomputed when weight or drop change."""
    course = category.course
    _require(_can_setup(by, course))
    values = _category_values(fields)
    with transaction.atomic():
        category = GradeCategory.objects.select_for_update().get(pk=category.pk)
        if "name" in values and (
            GradeCategory.objects.filter(course=course, name=values["name"]).exclude(pk=category.pk).exists()
        ):
            raise ValidationError({"name": NAME_TAKEN})
        before = _category_facts(category)
        for key, value in values.items():
            setattr(category, key, value)
        category.save()
        after = _category_facts(category)
        changed = _audit_changes(course, by, "grades.category_updated", category, before, after)
        if changed & {"weight", "drop_lowest"}:
            recompute_later(course)
    return category


def category_delete(*, by: User, category: GradeCategory) -> None:
    """Delete a category: its items become uncategorised (they keep their grades)."""
    course = category.course
    _require(_can_setup(by, course))
    with transaction.atomic():
        items = GradeItem.objects.filter(category=category).update(category=None)
        audit_record(
            organization=course.organization,
            action="grades.category_deleted",
            actor=by,
            target=category,
            before={"course": course.pk, **_category_facts(category)},
            after={"items_uncategorised": items},
        )
        category.delete()
        recompute_later(course)


# --- items ------------------------------------------------------------------------------------------------------


ITEM_FIELDS = ("name", "max_points", "weight", "category", "hidden", "excluded", "position")


def _item_values(course: Course, fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, value in fields.items():
        try:
            if key == "name":
                values[key] = _name(value, NAME_LIMIT)
            elif key == "max_points":
                values[key] = decimal_in(value, low=Decimal(0), high=POINTS_LIMIT, places=2, low_open=True)
            elif key == "weight":
                values[key] = _weight(value)
            elif key == "category":
                if value in (None, ""):
                    values[key] = None
                else:
                    category_id = value.pk if isinstance(value, GradeCategory) else int(value)
                    category = GradeCategory.objects.filter(pk=category_id, course=course).first()
                    if category is None:
                        raise ValueError
                    values[key] = category
            elif key in ("hidden", "excluded"):
                values[key] = _flag(value)
            elif key == "position":
                if isinstance(value, bool) or int(value) < 0:
                    raise ValueError
                values[key] = int(value)
            else:
                errors[key] = UNKNOWN_FIELD
        except ValidationError as error:
            errors[key] = error.messages[0]
        except (ValueError, TypeError, OverflowError):
            errors[key] = {
                "max_points": MAX_POINTS_INVALID,
                "weight": WEIGHT_INVALID,
                "category": CATEGORY_INVALID,
                "position": POSITION_INVALID,
            }.get(key, NOT_A_FLAG)
    if errors:
        raise ValidationError(errors)
    return values


def _item_facts(item: GradeItem) -> dict[str, Any]:
    return {
        "name": item.name,
        "max_points": str(item.max_points),
        "weight": str(item.weight),
        "category": item.category_id,
        "hidden": item.hidden,
        "excluded": item.excluded,
        "position": item.position,
    }


def _next_position(course: Course) -> int:
    last = GradeItem.objects.filter(course=course).aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def item_create(
    *,
    by: User,
    course: Course,
    name: str,
    max_points: Decimal | str = Decimal(100),
    category: GradeCategory | int | None = None,
    weight: Decimal | str = Decimal(1),
) -> GradeItem:
    """A manual item (offline work), placed last."""
    _require(_can_setup(by, course))
    values = _item_values(course, {"name": name, "max_points": max_points, "weight": weight, "category": category})
    with transaction.atomic():
        item = GradeItem.objects.create(
            organization_id=course.organization_id,
            course=course,
            source=ItemSource.MANUAL,
            position=_next_position(course),
            **values,
        )
        audit_record(
            organization=course.organization,
            action="grades.item_created",
            actor=by,
            target=item,
            after={"course": course.pk, **_item_facts(item)},
        )
    return item


def item_update(*, by: User, item: GradeItem, **fields: Any) -> GradeItem:
    """fields: name, max_points, weight, category (a category of the course, its id, or None), hidden, excluded,
    position. An activity item's name and maximum follow its activity (changing them is refused)."""
    course = item.course
    _require(_can_setup(by, course))
    values = _item_values(course, fields)
    if item.source == ItemSource.ACTIVITY:
        fixed = {key: ACTIVITY_ITEM_FIXED for key in ("name", "max_points") if key in values}
        if fixed:
            raise ValidationError(fixed)
    with transaction.atomic():
        item = GradeItem.objects.select_for_update().get(pk=item.pk)
        before = _item_facts(item)
        for key, value in values.items():
            setattr(item, key, value)
        item.save()
        after = _item_facts(item)
        changed = _audit_changes(course, by, "grades.item_updated", item, before, after)
        if changed & {"max_points", "weight", "category", "hidden", "excluded"}:
            recompute_later(course)
    return item


def item_delete(*, by: User, item: GradeItem) -> None:
    """Delete a manual item and its grades (an activity's item is retired when the activity leaves the course)."""
    course = item.course
    _require(_can_setup(by, course))
    if item.source != ItemSource.MANUAL:
        raise ValidationError(NOT_MANUAL)
    with transaction.atomic():
        grades = item.grades.exclude(final__isnull=True).count()
        audit_record(
            organization=course.organization,
            action="grades.item_deleted",
            actor=by,
            target=item,
            before={"course": course.pk, **_item_facts(item)},
            after={"grades_deleted": grades},
        )
        item.delete()
        recompute_later(course)


def items_reorder(*, by: User, course: Course, item_ids: Sequence[int]) -> None:
    """Put the course's items in this order (every item of the course, each once)."""
    _require(_can_setup(by, course))
    try:
        wanted = [int(i) for i in item_ids]
    except (TypeError, ValueError):
        raise ValidationError({"item_ids": REORDER_MISMATCH}) from None
    with transaction.atomic():
        items = {item.pk: item for item in GradeItem.objects.select_for_update().filter(course=course)}
        if len(wanted) != len(set(wanted)) or set(wanted) != set(items):
            raise ValidationError({"item_ids": REORDER_MISMATCH})
        changed = []
        for position, pk in enumerate(wanted):
            if items[pk].position != position:
                items[pk].position = position
                changed.append(items[pk])
        GradeItem.objects.bulk_update(changed, ["position"])
        if changed:
            audit_record(
                organization=course.organization,
                action="grades.items_reordered",
                actor=by,
                target=course,
                after={"order": wanted},
            )


# --- sync from the published version ----------------------------------------------------------------------------


def _graded_activities(snapshot: dict[str, Any]) -> list[tuple[str, str, str, Decimal]]:
    """(uid, kind, title, max points) of the snapshot's graded activities, in course order."""
    from syllabus.catalog import versions

    found = []
    for activity in versions.activities(snapshot):
        kind_key = str(activity.get("kind", ""))
        if not activity_kinds.is_registered(kind_key):
            continue
        kind = activity_kinds.get(kind_key)
        if not kind.graded:
            continue
        try:
            maximum = kind.grade_max(activity.get("config") or {}) or Decimal(100)
        except (ValueError, TypeError, ArithmeticError, ValidationError):
            maximum = Decimal(100)  # a config the kind cannot read: the item keeps a usable maximum
        if not Decimal(0) < maximum <= POINTS_LIMIT:
            maximum = Decimal(100)
        found.append((str(activity["uid"]), kind_key, str(activity.get("title", ""))[:NAME_LIMIT], maximum))
    return found


def items_sync(*, course: Course) -> list[GradeItem]:
    """Make the activity items match the course's published version (idempotent): new graded activities become
    items at the end in course order, names and maximums follow the activities, gone ones are retired, returning
    ones unretired. Grades are never touched. Returns the course's items in order."""
    snapshot: dict[str, Any] = {}
    if course.published_version_id is not None:
        snapshot = (
            CourseVersion.objects.filter(pk=course.published_version_id).values_list("snapshot", flat=True).first()
            or {}
        )
    graded = _graded_activities(snapshot)
    changed_totals = False
    with transaction.atomic():
        existing = {
            str(item.activity_uid): item
            for item in GradeItem.objects.select_for_update().filter(course=course, source=ItemSource.ACTIVITY)
        }
        position = _next_position(course)
        seen = set()
        updates = []
        for uid, kind, title, maximum in graded:
            seen.add(uid)
            item = existing.get(uid)
            if item is None:
                GradeItem.objects.create(
                    organization_id=course.organization_id,
                    course=course,
                    source=ItemSource.ACTIVITY,
                    activity_uid=uid,
                    kind=kind,
                    name=title or kind,
                    max_points=maximum,
                    position=position,
                )
                position += 1
                changed_totals = True
                continue
            if (item.name, item.kind, item.max_points, item.retired) != (title or kind, kind, maximum, False):
                changed_totals = changed_totals or item.retired or item.max_points != maximum
                item.name, item.kind, item.max_points, item.retired = title or kind, kind, maximum, False
                updates.append(item)
        for uid, item in existing.items():
            if uid not in seen and not item.retired:
                item.retired = True
                updates.append(item)
                changed_totals = True
        GradeItem.objects.bulk_update(updates, ["name", "kind", "max_points", "retired"])
        if changed_totals:
            recompute_later(course)
        # Remembered in the database (not a cache): a flushed cache would only cost a sync, but a cache entry that
        # outlived its rows (a restored database) would skip one.
        GradebookSettings.objects.update_or_create(
            course=course,
            defaults={"synced_version_id": course.published_version_id},
            create_defaults={
                "organization_id": course.organization_id,
                "synced_version_id": course.published_version_id,
            },
        )
    return list(GradeItem.objects.filter(course=course).order_by("position", "pk"))


def items_sync_if_stale(*, course: Course) -> bool:
    """`items_sync` when the published version changed since the last sync (one small query otherwise): what a
    gradebook page calls before reading. True when it synced."""
    synced = GradebookSettings.objects.filter(course=course).values_list("synced_version_id", flat=True).first()
    if synced == course.published_version_id:
        return False
    items_sync(course=course)
    return True
