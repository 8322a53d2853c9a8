"""Audience enrollment rules (set-based, in the worker) and moving learners between course versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef

from syllabus.access.policy import Principal
from syllabus.accounts.models import Membership, User
from syllabus.audiences import selectors as audience_selectors
from syllabus.audiences.models import Audience, AudienceMembership
from syllabus.audit.services import audit_record, audit_record_bulk
from syllabus.catalog.models import Course, CourseVersion
from syllabus.core import clock
from syllabus.core.events import emit
from syllabus.enrollment import events, policy
from syllabus.enrollment.models import (
    LIVE_STATES,
    Enrollment,
    EnrollmentRule,
    Method,
    Status,
)
from syllabus.enrollment.services.common import (
    BULK_BATCH,
    DUE_DAYS_REQUIRED,
    MAX_DUE_DAYS,
    NOT_PUBLISHED,
    RULE_EXISTS,
    _check_enrollable,
    _chunks,
    _deny,
    _free_seats,
    _principal,
    due_at_end_of_day,
)
from syllabus.enrollment.services.enrolling import BulkResult, enrollments_bulk_create, waitlist_promote

# --- audience rules ----------------------------------------------------------------------------------------------

RULE_CHOICE = "Choose one of the listed ways."
RULE_AUDIENCE_OTHER_ORG = "Choose one of the organisation's audiences."
LEFT_AUDIENCE = "Left the audience"
VERSION_NOT_OLDER = "Choose an older version of this course."
# A concurrent enrollment of one of the people (self-enrollment) refuses the whole batch: read again and retry.
RULE_APPLY_ATTEMPTS = 3


def _clean_rule(due_from: str, due_days: int | None, on_leave: str) -> int | None:
    if due_from not in EnrollmentRule.DueFrom.values:
        raise ValidationError({"due_from": RULE_CHOICE})
    if on_leave not in EnrollmentRule.OnLeave.values:
        raise ValidationError({"on_leave": RULE_CHOICE})
    if due_from == EnrollmentRule.DueFrom.NONE:
        return None
    if due_days is None or due_days < 0 or due_days > MAX_DUE_DAYS:
        raise ValidationError({"due_days": DUE_DAYS_REQUIRED})
    return due_days


def rule_create(
    *,
    course: Course,
    audience: Audience,
    by: User,
    due_from: str = EnrollmentRule.DueFrom.NONE,
    due_days: int | None = None,
    on_leave: str = EnrollmentRule.OnLeave.KEEP,
) -> EnrollmentRule:
    """Attach an audience to a course. Everyone in it is enrolled in the background (`tasks.apply_rule`), and
    whoever joins the audience later when they join (`audience_changed`)."""
    principal = _principal(by, course.organization)
    if not policy.can_manage_rules(principal, course):
        raise _deny()
    if audience.organization_id != course.organization_id:
        raise ValidationError({"audience": RULE_AUDIENCE_OTHER_ORG})
    _check_enrollable(course)
    due_days = _clean_rule(due_from, due_days, on_leave)
    try:
        with transaction.atomic():
            rule = EnrollmentRule.objects.create(
                organization_id=course.organization_id,
                course=course,
                audience=audience,
                due_from=due_from,
                due_days=due_days,
                on_leave=on_leave,
                created_by=by,
            )
            audit_record(
                organization=course.organization,
                action="enrollment.rule_created",
                actor=by,
                target=rule,
                after={
                    "course_id": course.pk,
                    "audience_id": audience.pk,
                    "due_from": due_from,
                    "due_days": due_days,
                    "on_leave": on_leave,
                },
            )
            _queue_apply(rule.pk)
    except IntegrityError:
        raise ValidationError({"audience": RULE_EXISTS}) from None
    return rule


def rule_update(
    *, rule: EnrollmentRule, by: User, due_from: str, due_days: int | None, on_leave: str, is_active: bool
) -> EnrollmentRule:
    """Change how the rule enrolls. New due dates apply to people enrolled from now on; an active rule is applied
    again in the background (it may have been paused while people joined)."""
    principal = _principal(by, rule.organization)
    if not policy.can_manage_rules(principal, rule.course):
        raise _deny()
    due_days = _clean_rule(due_from, due_days, on_leave)
    with transaction.atomic():
        before = {
            "due_from": rule.due_from,
            "due_days": rule.due_days,
            "on_leave": rule.on_leave,
            "active": rule.is_active,
        }
        rule.due_from, rule.due_days, rule.on_leave, rule.is_active = due_from, due_days, on_leave, is_active
        rule.save(update_fields=["due_from", "due_days", "on_leave", "is_active", "updated_at"])
        after = {"due_from": due_from, "due_days": due_days, "on_leave": on_leave, "active": is_active}
        if after != before:
            audit_record(
                organization=rule.organization,
                action="enrollment.rule_changed",
                actor=by,
                target=rule,
                before=before,
                after=after,
            )
        if is_active:
            _queue_apply(rule.pk)
    return rule


def rule_delete(*, rule: EnrollmentRule, by: User) -> None:
    """Remove the rule. People it enrolled stay enrolled (withdraw them from the participants page if needed)."""
    principal = _principal(by, rule.organization)
    if not policy.can_manage_rules(principal, rule.course):
        raise _deny()
    with transaction.atomic():
        audit_record(
            organization=rule.organization,
            action="enrollment.rule_deleted",
            actor=by,
            target=rule,
            before={"course_id": rule.course_id, "audience_id": rule.audience_id},
        )
        # Enrollment.rule is SET_NULL: the enrollments stay, with their method ("audience") as the record.
        rule.delete()


def _queue_apply(rule_id: int) -> None:
    from syllabus.enrollment.tasks import apply_rule

    transaction.on_commit(lambda: apply_rule.delay(rule_id))


def _rule_due_dates(rule: EnrollmentRule, membership_ids: Sequence[int]) -> dict[int, dt.datetime | None]:
    """Each person's due date under the rule: the end of the day N days after today (enrollment) or after their
    hire date, in the organisation's time zone. None without a due date, or for someone without a hire date."""
    if rule.due_from == EnrollmentRule.DueFrom.NONE or rule.due_days is None or not membership_ids:
        return dict.fromkeys(membership_ids)
    organization = rule.organization
    days = dt.timedelta(days=rule.due_days)
    if rule.due_from == EnrollmentRule.DueFrom.ENROLLMENT:
        today = clock.now().astimezone(ZoneInfo(organization.default_time_zone or "UTC")).date()
        return dict.fromkeys(membership_ids, due_at_end_of_day(today + days, organization))
    hires: dict[int, dt.date | None] = {}
    for chunk in _chunks(membership_ids):
        hires.update(Membership.objects.filter(pk__in=chunk).values_list("pk", "hire_date"))
    out: dict[int, dt.datetime | None] = {}
    for membership_id in membership_ids:
        hired = hires.get(membership_id)
        out[membership_id] = due_at_end_of_day(hired + days, organization) if hired else None
    return out


def rule_apply(*, rule: EnrollmentRule, membership_ids: Sequence[int] | None = None) -> BulkResult:
    """Enroll the audience's current members (or these of them) who are not enrolled yet, and were not withdrawn
    from this rule's enrollment since they joined. Set-based: a constant number of queries whatever the audience's
    size. Idempotent: running it again creates nothing.

    The system acts on a rule an administrator made, so no permission is checked here; an inactive rule, or a
    course that is unpublished or archived, enrolls nobody.
    """
    found = EnrollmentRule.objects.select_related("course__organization", "organization").filter(pk=rule.pk).first()
    if found is None:
        return BulkResult()
    rule, course = found, found.course
    if not rule.is_active or course.published_version_id is None or course.is_archived:
        return BulkResult()
    members = audience_selectors.member_ids(rule.audience_id)
    if membership_ids is not None:
        members = members.filter(membership_id__in=list(membership_ids))
    enrolled = Enrollment.objects.filter(course=course, status__in=LIVE_STATES).values("membership_id")
    # A rule enrolls each person once per stay in the audience: someone the course team or their manager withdrew
    # stays out (the nightly run must not undo that) until they leave the audience and join it again.
    members = members.exclude(
        Exists(
            Enrollment.objects.filter(
                rule_id=rule.pk,
                membership_id=OuterRef("membership_id"),
                status=Status.WITHDRAWN,
                status_changed_at__gte=OuterRef("joined_at"),
            )
        )
    )
    result = BulkResult()
    for attempt in range(RULE_APPLY_ATTEMPTS):
        pending = members.exclude(membership_id__in=enrolled).order_by("membership_id")
        wanted = list(pending.values_list("membership_id", flat=True))
        if not wanted:
            break
        try:
            result = enrollments_bulk_create(
                course=course,
                membership_ids=wanted,
                by=None,
                method=Method.AUDIENCE,
                due_by_membership=_rule_due_dates(rule, wanted),
                rule=rule,
                check_permission=False,
            )
            break
        except IntegrityError:
            if attempt == RULE_APPLY_ATTEMPTS - 1:
                raise
    EnrollmentRule.objects.filter(pk=rule.pk).update(last_applied_at=clock.now())
    return result


def rule_apply_leavers(*, rule: EnrollmentRule, membership_ids: Sequence[int]) -> list[int]:
    """People who left the audience: withdrawn when the rule says so (never once completed), unless another
    active rule of the course still holds them. Set-based; one audit summary. Returns the enrollments withdrawn."""
    if rule.on_leave != EnrollmentRule.OnLeave.WITHDRAW or not membership_ids:
        return []
    course = rule.course
    open_states = (Status.PENDING, Status.WAITLISTED, Status.ACTIVE)
    still_held = AudienceMembership.objects.filter(
        left_at__isnull=True,
        audience_id__in=EnrollmentRule.objects.filter(course=course, is_active=True)
        .exclude(pk=rule.pk)
        .values("audience_id"),
    ).values("membership_id")
    with transaction.atomic():
        targets = Enrollment.objects.filter(
            rule=rule, membership_id__in=list(membership_ids), status__in=open_states
        ).exclude(membership_id__in=still_held)
        rows = list(targets.values_list("pk", "status"))
        if not rows:
            return []
        ids = [pk for pk, _status in rows]
        now = clock.now()
        # Conditional: a row that completed or ended meanwhile is left alone.
        Enrollment.objects.filter(pk__in=ids, status__in=open_states).update(
            status=Status.WITHDRAWN, status_changed_at=now, reason=LEFT_AUDIENCE
        )
        seats = sum(1 for _pk, status in rows if status == Status.ACTIVE)
        _free_seats(course, seats)
        audit_record_bulk(
            organization=rule.organization,
            action="enrollment.bulk_withdrawn",
            actor=None,
            target_type="enrollment.enrollment",
            ids=ids,
            details={"course_id": course.pk, "rule_id": rule.pk, "reason": LEFT_AUDIENCE},
        )
        for enrollment in Enrollment.objects.filter(pk__in=ids).only(
            "pk", "organization_id", "membership_id", "course_id"
        ):
            emit(
                events.EnrollmentWithdrawn(
                    organization_id=enrollment.organization_id,
                    enrollment_id=enrollment.pk,
                    membership_id=enrollment.membership_id,
                    course_id=enrollment.course_id,
                    actor_id=None,
                    reason=LEFT_AUDIENCE,
                )
            )
        if seats:
            waitlist_promote(course=course)
    return ids


def audience_changed(*, audience_id: int, joined: Sequence[int], left: Sequence[int]) -> None:
    """React to a recompute of one audience: apply every active rule that uses it to who joined and who left."""
    for rule in EnrollmentRule.objects.filter(audience_id=audience_id, is_active=True).select_related(
        "course__organization", "organization"
    ):
        if joined:
            rule_apply(rule=rule, membership_ids=list(joined))
        if left:
            rule_apply_leavers(rule=rule, membership_ids=list(left))


# Moving learners from an older major version on purpose (a minor version moves them by itself: see below).


@dataclass(frozen=True)
class VersionLearners:
    version_id: int
    label: str
    learners: int


def learners_on_older_versions(*, course: Course) -> list[VersionLearners]:
    """How many learners in progress follow each older version of the course (what a migration would move),
    oldest first. One query."""
    if course.published_version_id is None:
        return []
    rows = (
        Enrollment.objects.filter(course=course, status=Status.ACTIVE, version__isnull=False)
        .exclude(version_id=course.published_version_id)
        .values("version_id", "version__major", "version__minor")
        .annotate(learners=Count("pk"))
        .order_by("version__major", "version__minor")
    )
    return [
        VersionLearners(row["version_id"], f"{row['version__major']}.{row['version__minor']}", row["learners"])
        for row in rows
    ]


def can_migrate_versions(principal: Principal, course: Course) -> bool:
    return principal.can("course.manage", course) or policy.can_manage_rules(principal, course)


def enrollments_migrate_version(*, course: Course, by: User, from_version: CourseVersion | None = None) -> int:
    """Move learners in progress (active) on older versions (or on `from_version` only) to the course's current
    version, on purpose: the course's owner (course.manage) or an enrollment administrator decides it. Completed
    learners keep the version they completed. Activity progress is kept: activities whose uid the current version
    still has count for it, the others no longer do, so each moved learner's percent is worked out again in the
    background (progress follows `EnrollmentsMigrated`). Writes one audit summary; returns how many moved."""
    principal = _principal(by, course.organization)
    if not can_migrate_versions(principal, course):
        raise _deny()
    target_id = course.published_version_id
    if target_id is None:
        raise ValidationError(NOT_PUBLISHED)
    if from_version is not None and (from_version.course_id != course.pk or from_version.pk == target_id):
        raise ValidationError({"from_version": VERSION_NOT_OLDER})
    movers = Enrollment.objects.filter(course=course, status=Status.ACTIVE, version__isnull=False).exclude(
        version_id=target_id
    )
    if from_version is not None:
        movers = movers.filter(version=from_version)
    with transaction.atomic():
        by_version = {row.label: row.learners for row in learners_on_older_versions(course=course)}
        ids = list(movers.order_by("pk").values_list("pk", flat=True))
        if not ids:
            return 0
        moved = 0
        for start in range(0, len(ids), BULK_BATCH):
            # Conditional on the same filter: a learner who completed meanwhile keeps their version.
            moved += movers.filter(pk__in=ids[start : start + BULK_BATCH]).update(version_id=target_id)
        target = CourseVersion.objects.only("major", "minor").get(pk=target_id)
        audit_record_bulk(
            organization=course.organization,
            action="enrollment.versions_migrated",
            actor=by,
            target_type="enrollment.enrollment",
            ids=ids,
            details={
                "course_id": course.pk,
                "to_version": target.label,
                "from_versions": by_version if from_version is None else {from_version.label: moved},
            },
        )
        # The progress app works out each moved learner's progress against the new version (in the background).
        emit(
            events.EnrollmentsMigrated(
                organization_id=course.organization_id,
                course_id=course.pk,
                enrollment_ids=tuple(ids),
                version_id=target_id,
                actor_id=by.pk,
            )
        )
    return moved


def progress_summary_replace(*, enrollment_id: int, percent: int, score: Any, resume_uid: Any) -> bool:
    """After a deliberate move to another version (the only time progress may go down): set the summary of an
    active enrollment to what the progress app worked out against the new version."""
    return bool(
        Enrollment.objects.filter(pk=enrollment_id, status=Status.ACTIVE).update(
            progress_percent=percent, score=score, last_activity_uid=resume_uid
        )
    )


# --- versions ----------------------------------------------------------------------------------------------------


def follow_minor_version(*, course_id: int, version_id: int, major: int) -> int:
    """A new minor version keeps the structure: active learners on the same major version move to it. Learners
    on an older major version stay where they are (their requirements did not change). Returns how many moved."""
    from syllabus.catalog.models import CourseVersion

    same_major = CourseVersion.objects.filter(course_id=course_id, major=major).values("pk")
    return Enrollment.objects.filter(
        course_id=course_id, status__in=(Status.ACTIVE, Status.COMPLETED), version_id__in=same_major
    ).update(version_id=version_id)
