"""Every write about enrollments: enrolling (self, request, assignment, bulk), approvals, the waiting list,
withdrawal, due dates, options, audience rules, groups and messages to participants.

Permission rules live in `enrollment.policy`; this module asks it. Seats are counted with conditional UPDATEs on
`EnrollmentOptions.seats_taken` (SQLite ignores `select_for_update`), so two people can never take the last
place at once, on either database.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef

from syllabus.access.policy import NOT_ALLOWED, Principal, principal_for
from syllabus.accounts.models import Membership, Organization, User
from syllabus.audiences import selectors as audience_selectors
from syllabus.audiences.models import Audience, AudienceMembership
from syllabus.audit.services import audit_record, audit_record_bulk
from syllabus.catalog import course_access
from syllabus.catalog.models import Course, CourseVersion
from syllabus.core import clock
from syllabus.core.events import emit
from syllabus.enrollment import events, policy
from syllabus.enrollment.models import (
    LIVE_STATES,
    CourseGroup,
    CourseMessage,
    Enrollment,
    EnrollmentOptions,
    EnrollmentRule,
    GroupMember,
    Method,
    SelfEnrollment,
    Status,
)

NOT_PUBLISHED = "This course is not published yet: nobody can enroll in it."
ARCHIVED = "This course is archived: nobody new can enroll in it."
ALREADY_ENROLLED = "{name} is already enrolled in this course."
ALREADY_YOU = "You are already enrolled in this course."
CLOSED_TO_SELF = "This course is open by assignment only: ask your manager."
NOT_OPEN_YET = "Enrollment opens on {when}."
CLOSED_NOW = "Enrollment closed on {when}."
KEY_REQUIRED = "Enter the enrollment key your instructor gave you."
KEY_WRONG = "That enrollment key is not right."
FULL = "This course is full."
NOT_VISIBLE = "You cannot enroll in this course."
NOT_MEMBER = "Only active members of the organisation can be enrolled."
NOT_PENDING = "This request has already been decided."
REASON_REQUIRED = "Give a reason: the person will read it."
NOT_LIVE = "This enrollment has already ended."
DUE_IN_PAST = "The due date must be in the future."
CAPACITY_NEGATIVE = "Places must be a positive number, or empty for no limit."
WINDOW_ORDER = "Enrollment must open before it closes."
KEY_TOO_LONG = "The enrollment key can be at most 64 characters."
RULE_EXISTS = "This audience already has a rule for this course."
DUE_DAYS_REQUIRED = "Give the number of days until the due date."
GROUP_NAME_REQUIRED = "Give the group a name."
GROUP_EXISTS = "This course already has a group with that name."
NOT_PARTICIPANT = "Only participants of this course can be put in its groups."
SUBJECT_REQUIRED = "Give the message a subject."
BODY_REQUIRED = "Write the message."
NO_RECIPIENTS = "Choose at least one participant."
OTHER_COURSE = "That belongs to another course."

BULK_BATCH = 1000


# --- helpers -----------------------------------------------------------------------------------------------------


def _principal(by: User, organization: Organization) -> Principal:
    return principal_for(by, organization)


def _deny() -> PermissionDenied:
    return PermissionDenied(NOT_ALLOWED)


def _name(membership: Membership) -> str:
    return membership.user.display_name or membership.user.email


def options_for(course: Course) -> EnrollmentOptions:
    """The course's enrollment options, or unsaved defaults."""
    found = EnrollmentOptions.objects.filter(course=course).first()
    return found or EnrollmentOptions(organization_id=course.organization_id, course=course)


def _check_enrollable(course: Course) -> None:
    if course.published_version_id is None:
        raise ValidationError(NOT_PUBLISHED)
    if course.is_archived:
        raise ValidationError(ARCHIVED)


def _live(membership: Membership, course: Course) -> Enrollment | None:
    return Enrollment.objects.filter(membership=membership, course=course, status__in=LIVE_STATES).first()


def _chunks(ids: Iterable[int], size: int = 900) -> Iterator[list[int]]:
    """Ids in slices, so `__in` lists stay within SQLite's bound on query parameters (an audience of 50,000)."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _take_seat(options: EnrollmentOptions) -> bool:
    """Hold one place; False when the course is full. Without options there is no limit and nothing to count."""
    if options.pk is None:
        return True
    if options.capacity is None:
        EnrollmentOptions.objects.filter(pk=options.pk).update(seats_taken=F("seats_taken") + 1)
        return True
    taken = EnrollmentOptions.objects.filter(pk=options.pk, seats_taken__lt=F("capacity")).update(
        seats_taken=F("seats_taken") + 1
    )
    return taken == 1


def _take_seats(options: EnrollmentOptions, wanted: int) -> int:
    """Hold up to `wanted` places at once; returns how many were held."""
    if wanted <= 0:
        return 0
    if options.pk is None:
        return wanted
    if options.capacity is None:
        EnrollmentOptions.objects.filter(pk=options.pk).update(seats_taken=F("seats_taken") + wanted)
        return wanted
    while True:
        current = EnrollmentOptions.objects.filter(pk=options.pk).values_list("seats_taken", "capacity").first()
        if current is None:
            return wanted
        taken, capacity = current
        held = max(0, min(wanted, (capacity or 0) - taken))
        if held == 0:
            return 0
        # Only if nobody took a place meanwhile; otherwise read again.
        if EnrollmentOptions.objects.filter(pk=options.pk, seats_taken=taken).update(seats_taken=taken + held):
            return held


def _free_seats(course: Course, count: int = 1) -> None:
    if count > 0:
        EnrollmentOptions.objects.filter(course=course, seats_taken__gte=count).update(
            seats_taken=F("seats_taken") - count
        )


def due_at_end_of_day(day: dt.date, organization: Organization) -> dt.datetime:
    """A due day as the last second of that day in the organisation's time zone."""
    zone = ZoneInfo(organization.default_time_zone or "UTC")
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone)


def _activate_fields(course: Course, now: dt.datetime) -> dict[str, Any]:
    return {
        "status": Status.ACTIVE,
        "enrolled_at": now,
        "status_changed_at": now,
        "version_id": course.published_version_id,
    }


def _audit(enrollment: Enrollment, action: str, by: User | None, **after: Any) -> None:
    audit_record(
        organization=enrollment.organization,
        action=action,
        actor=by,
        target=enrollment,
        after={"course_id": enrollment.course_id, "status": enrollment.status, **after},
    )


def _emit_created(enrollment: Enrollment, by: User | None) -> None:
    emit(
        events.EnrollmentCreated(
            organization_id=enrollment.organization_id,
            enrollment_id=enrollment.pk,
            membership_id=enrollment.membership_id,
            course_id=enrollment.course_id,
            status=enrollment.status,
            method=enrollment.method,
            actor_id=by.pk if by else None,
            due_at=enrollment.due_at,
        )
    )


def _create_one(
    *,
    course: Course,
    membership: Membership,
    method: str,
    by: User | None,
    status_if_free: str = Status.ACTIVE,
    due_at: dt.datetime | None = None,
    rule: EnrollmentRule | None = None,
    note: str = "",
    full_message: str = FULL,
) -> Enrollment:
    """Insert one live enrollment (active, or pending, or waitlisted when full). The caller checked permission."""
    if not membership.is_active:
        raise ValidationError(NOT_MEMBER)
    options = options_for(course)
    now = clock.now()
    fields: dict[str, Any] = {"status": status_if_free, "status_changed_at": now}
    if status_if_free == Status.ACTIVE:
        if _take_seat(options):
            fields = _activate_fields(course, now)
        elif options.waitlist:
            fields = {"status": Status.WAITLISTED, "status_changed_at": now}
        else:
            raise ValidationError(full_message)
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                organization_id=course.organization_id,
                membership=membership,
                course=course,
                method=method,
                created_by=by,
                rule=rule,
                due_at=due_at,
                request_note=note,
                **fields,
            )
    except IntegrityError:
        if fields["status"] == Status.ACTIVE:
            _free_seats(course)
        raise ValidationError(ALREADY_ENROLLED.format(name=_name(membership))) from None
    _audit(enrollment, "enrollment.created", by, method=method, due_at=due_at.isoformat() if due_at else None)
    _emit_created(enrollment, by)
    return enrollment


# --- enrolling ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SelfEnrollmentCheck:
    """Whether a person may enroll themselves now, and how (shown on the course page before they click)."""

    allowed: bool
    needs_approval: bool = False
    needs_key: bool = False
    full: bool = False
    waitlist: bool = False
    reason: str = ""


def self_enrollment_check(*, course: Course, principal: Principal, options: EnrollmentOptions) -> SelfEnrollmentCheck:
    now = clock.now()
    if course.published_version_id is None:
        return SelfEnrollmentCheck(False, reason=NOT_PUBLISHED)
    if course.is_archived:
        return SelfEnrollmentCheck(False, reason=ARCHIVED)
    if not principal.is_member or not course_access.can_learn(principal, course):
        return SelfEnrollmentCheck(False, reason=NOT_VISIBLE)
    if options.self_enrollment == SelfEnrollment.CLOSED:
        return SelfEnrollmentCheck(False, reason=CLOSED_TO_SELF)
    if options.opens_at and now < options.opens_at:
        return SelfEnrollmentCheck(False, reason=NOT_OPEN_YET.format(when=_when(options.opens_at, principal)))
    if options.closes_at and now >= options.closes_at:
        return SelfEnrollmentCheck(False, reason=CLOSED_NOW.format(when=_when(options.closes_at, principal)))
    full = options.capacity is not None and options.seats_taken >= options.capacity
    if full and not options.waitlist and options.self_enrollment == SelfEnrollment.OPEN:
        return SelfEnrollmentCheck(False, full=True, reason=FULL)
    return SelfEnrollmentCheck(
        True,
        needs_approval=options.self_enrollment == SelfEnrollment.APPROVAL,
        needs_key=bool(options.enrollment_key),
        full=full,
        waitlist=full and options.waitlist,
    )


def _when(moment: dt.datetime, principal: Principal) -> str:
    zone = ZoneInfo(principal.user.time_zone or "UTC") if getattr(principal.user, "time_zone", "") else dt.UTC
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def enrollment_self(*, course: Course, by: User, key: str = "", note: str = "") -> Enrollment:
    """The person enrolls themselves, or asks for a place where the course needs approval."""
    principal = _principal(by, course.organization)
    if not principal.is_member:
        raise _deny()
    assert principal.membership is not None
    options = options_for(course)
    check = self_enrollment_check(course=course, principal=principal, options=options)
    if not check.allowed:
        raise ValidationError(check.reason)
    if check.needs_key:
        if not key:
            raise ValidationError({"key": KEY_REQUIRED})
        if not hmac.compare_digest(key.strip().encode(), options.enrollment_key.encode()):
            raise ValidationError({"key": KEY_WRONG})
    if _live(principal.membership, course) is not None:
        raise ValidationError(ALREADY_YOU)
    due_at = clock.now() + dt.timedelta(days=options.default_due_days) if options.default_due_days else None
    with transaction.atomic():
        return _create_one(
            course=course,
            membership=principal.membership,
            method=Method.SELF,
            by=by,
            status_if_free=Status.PENDING if check.needs_approval else Status.ACTIVE,
            due_at=due_at,
            note=(note or "").strip()[:2000],
        )


def _clean_due(due_at: dt.datetime | None) -> dt.datetime | None:
    if due_at is not None and due_at <= clock.now():
        raise ValidationError({"due_at": DUE_IN_PAST})
    return due_at


def enrollment_create(
    *,
    course: Course,
    membership: Membership,
    by: User,
    method: str | None = None,
    due_at: dt.datetime | None = None,
) -> Enrollment:
    """Someone enrolls another person: an instructor, a manager for their team, an administrator, the API.

    The method defaults to what the enroller is to the person (course team: instructor; manager of the person:
    manager; otherwise administrator). Assignments ignore the self-enrollment window and key, not the capacity.
    """
    principal = _principal(by, course.organization)
    if membership.organization_id != course.organization_id:
        raise ValidationError(NOT_MEMBER)
    if not policy.can_enroll(principal, course, membership):
        raise _deny()
    _check_enrollable(course)
    due_at = _clean_due(due_at)
    if _live(membership, course) is not None:
        raise ValidationError(ALREADY_ENROLLED.format(name=_name(membership)))
    with transaction.atomic():
        return _create_one(
            course=course,
            membership=membership,
            method=method or policy.method_for(principal, course, membership),
            by=by,
            due_at=due_at,
        )


@dataclass
class BulkResult:
    created: list[int] = field(default_factory=list)  # enrollment ids (active or waitlisted)
    waitlisted: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)  # membership ids with a live enrollment
    skipped: list[int] = field(default_factory=list)  # membership ids not enrolled (inactive, course full)

    def as_dict(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "waitlisted": len(self.waitlisted),
            "already_enrolled": len(self.already),
            "skipped": len(self.skipped),
        }


def enrollments_bulk_create(
    *,
    course: Course,
    memberships: Iterable[Membership] | None = None,
    membership_ids: Iterable[int] | None = None,
    by: User | None,
    method: str,
    due_at: dt.datetime | None = None,
    due_by_membership: dict[int, dt.datetime | None] | None = None,
    rule: EnrollmentRule | None = None,
    check_permission: bool = True,
) -> BulkResult:
    """Enroll many people in one set-based operation (a team, an audience, an API batch): active while places
    last, then waitlisted (or skipped without a waiting list). People already enrolled are left as they are.
    Writes one audit summary and one `EnrollmentsCreated` event.

    `check_permission=False` is for the system acting on a rule an administrator made (`by` may be None then).
    """
    organization = course.organization
    ids = {m.pk for m in memberships or ()} | set(membership_ids or ())
    if check_permission:
        if by is None:
            raise _deny()
        principal = _principal(by, organization)
        allowed = policy.enrollable_membership_ids(principal, course, ids)
        if allowed != ids:
            raise _deny()
    _check_enrollable(course)
    if due_at is not None:
        _clean_due(due_at)
    result = BulkResult()
    with transaction.atomic():
        active_ids: set[int] = set()
        for chunk in _chunks(ids):
            active_ids.update(
                Membership.objects.filter(organization=organization, pk__in=chunk, is_active=True).values_list(
                    "pk", flat=True
                )
            )
        result.skipped.extend(sorted(ids - active_ids))
        live: set[int] = set()
        for chunk in _chunks(active_ids):
            live.update(
                Enrollment.objects.filter(course=course, membership_id__in=chunk, status__in=LIVE_STATES).values_list(
                    "membership_id", flat=True
                )
            )
        result.already.extend(sorted(live))
        todo = sorted(active_ids - live)
        options = options_for(course)
        seats = _take_seats(options, len(todo))
        now = clock.now()
        rows = []
        for index, membership_id in enumerate(todo):
            due = (due_by_membership or {}).get(membership_id, due_at) if due_by_membership is not None else due_at
            if index < seats:
                status_fields = _activate_fields(course, now)
            elif options.waitlist:
                status_fields = {"status": Status.WAITLISTED, "status_changed_at": now}
            else:
                result.skipped.append(membership_id)
                continue
            rows.append(
                Enrollment(
                    organization_id=organization.pk,
                    membership_id=membership_id,
                    course=course,
                    method=method,
                    created_by=by,
                    rule=rule,
                    due_at=due,
                    **status_fields,
                )
            )
        # No concurrent writer can slip a live row in between: the partial unique index would refuse the batch,
        # and the whole operation (seats included) rolls back.
        created = Enrollment.objects.bulk_create(rows, batch_size=BULK_BATCH)
        if any(row.pk is None for row in created):
            # Databases that do not return ids from bulk inserts (none we support): read them back.
            created = list(Enrollment.objects.filter(course=course, membership_id__in=todo, created_at__gte=now))
        result.created.extend(row.pk for row in created)
        result.waitlisted.extend(row.pk for row in created if row.status == Status.WAITLISTED)
        if result.created:
            audit_record_bulk(
                organization=organization,
                action="enrollment.bulk_created",
                actor=by,
                target_type="enrollment.enrollment",
                ids=result.created,
                details={"course_id": course.pk, "method": method, "rule_id": rule.pk if rule else None},
            )
            emit(
                events.EnrollmentsCreated(
                    organization_id=organization.pk,
                    course_id=course.pk,
                    enrollment_ids=tuple(result.created),
                    method=method,
                    actor_id=by.pk if by else None,
                )
            )
    return result


# --- approvals and the waiting list ------------------------------------------------------------------------------


def _lock_enrollment(enrollment: Enrollment) -> Enrollment:
    # Lock only the enrollment row (PostgreSQL refuses FOR UPDATE across the nullable course join).
    return (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("organization", "course", "course__organization", "membership__user")
        .get(pk=enrollment.pk)
    )


def enrollment_approve(*, enrollment: Enrollment, by: User, reason: str = "") -> Enrollment:
    """Approve a request: the person gets a place (or a place on the waiting list when the course is full)."""
    principal = _principal(by, enrollment.organization)
    if not policy.can_decide(principal, enrollment):
        raise _deny()
    with transaction.atomic():
        locked = _lock_enrollment(enrollment)
        if locked.status != Status.PENDING:
            raise ValidationError(NOT_PENDING)
        now = clock.now()
        course = locked.course
        assert course is not None
        options = options_for(course)
        if _take_seat(options):
            fields = _activate_fields(course, now)
        else:
            fields = {"status": Status.WAITLISTED, "status_changed_at": now}
        fields.update(decided_by=by, decided_at=now, reason=(reason or "").strip())
        # Conditional: a second approver clicking at the same time changes nothing.
        changed = Enrollment.objects.filter(pk=locked.pk, status=Status.PENDING).update(**fields)
        if not changed:
            if fields["status"] == Status.ACTIVE:
                _free_seats(course)
            raise ValidationError(NOT_PENDING)
        locked.refresh_from_db()
        _audit(locked, "enrollment.approved", by)
        emit(_decided(locked, by, approved=True))
        if locked.status == Status.ACTIVE:
            emit(_activated(locked, by, "approved"))
    return locked


def enrollment_decline(*, enrollment: Enrollment, by: User, reason: str) -> Enrollment:
    principal = _principal(by, enrollment.organization)
    if not policy.can_decide(principal, enrollment):
        raise _deny()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    with transaction.atomic():
        now = clock.now()
        changed = Enrollment.objects.filter(pk=enrollment.pk, status=Status.PENDING).update(
            status=Status.DECLINED, status_changed_at=now, decided_by=by, decided_at=now, reason=reason[:2000]
        )
        if not changed:
            raise ValidationError(NOT_PENDING)
        enrollment.refresh_from_db()
        _audit(enrollment, "enrollment.declined", by)
        emit(_decided(enrollment, by, approved=False))
    return enrollment


def _decided(enrollment: Enrollment, by: User | None, *, approved: bool) -> events.EnrollmentDecided:
    return events.EnrollmentDecided(
        organization_id=enrollment.organization_id,
        enrollment_id=enrollment.pk,
        membership_id=enrollment.membership_id,
        course_id=enrollment.course_id,
        actor_id=by.pk if by else None,
        approved=approved,
        reason=enrollment.reason,
    )


def _activated(enrollment: Enrollment, by: User | None, reason: str) -> events.EnrollmentActivated:
    return events.EnrollmentActivated(
        organization_id=enrollment.organization_id,
        enrollment_id=enrollment.pk,
        membership_id=enrollment.membership_id,
        course_id=enrollment.course_id,
        actor_id=by.pk if by else None,
        reason=reason,
    )


def waitlist_promote(*, course: Course) -> list[int]:
    """Give free places to the waiting list, first come first served. Returns the enrollment ids promoted."""
    promoted: list[int] = []
    options = options_for(course)
    with transaction.atomic():
        while True:
            waiting = (
                Enrollment.objects.filter(course=course, status=Status.WAITLISTED).order_by("created_at", "pk").first()
            )
            if waiting is None or not _take_seat(options):
                break
            now = clock.now()
            if not Enrollment.objects.filter(pk=waiting.pk, status=Status.WAITLISTED).update(
                **_activate_fields(course, now)
            ):
                _free_seats(course)  # someone withdrew it meanwhile: give the place back and look again
                continue
            waiting.refresh_from_db()
            promoted.append(waiting.pk)
            _audit(waiting, "enrollment.promoted", None)
            emit(_activated(waiting, None, "promoted"))
            if options.pk is None:
                break
    return promoted


# --- withdrawal --------------------------------------------------------------------------------------------------


def enrollment_withdraw(*, enrollment: Enrollment, by: User, reason: str = "") -> Enrollment:
    """End an enrollment (the person leaves, or the course team or their manager removes them). Progress and
    completions are kept; a freed place goes to the waiting list."""
    principal = _principal(by, enrollment.organization)
    if not policy.can_withdraw(principal, enrollment):
        raise _deny()
    return enrollment_end(enrollment=enrollment, by=by, reason=reason)


def enrollment_end(*, enrollment: Enrollment, by: User | None, reason: str) -> Enrollment:
    """Withdraw without a permission check: for the system (erasure of the person) and for services that checked."""
    with transaction.atomic():
        now = clock.now()
        before = Enrollment.objects.filter(pk=enrollment.pk).values_list("status", flat=True).first()
        changed = Enrollment.objects.filter(pk=enrollment.pk, status__in=LIVE_STATES).update(
            status=Status.WITHDRAWN, status_changed_at=now, reason=(reason or "").strip()[:2000]
        )
        if not changed:
            raise ValidationError(NOT_LIVE)
        enrollment.refresh_from_db()
        course = enrollment.course
        assert course is not None
        if before in (Status.ACTIVE, Status.COMPLETED):
            _free_seats(course)
        _audit(enrollment, "enrollment.withdrawn", by, previous=before)
        emit(
            events.EnrollmentWithdrawn(
                organization_id=enrollment.organization_id,
                enrollment_id=enrollment.pk,
                membership_id=enrollment.membership_id,
                course_id=enrollment.course_id,
                actor_id=by.pk if by else None,
                reason=enrollment.reason,
            )
        )
        if before in (Status.ACTIVE, Status.COMPLETED):
            waitlist_promote(course=course)
    return enrollment


def enrollment_due_set(*, enrollment: Enrollment, by: User, due_at: dt.datetime | None) -> Enrollment:
    principal = _principal(by, enrollment.organization)
    if not policy.can_assign_due(principal, enrollment):
        raise _deny()
    due_at = _clean_due(due_at)
    before = enrollment.due_at
    Enrollment.objects.filter(pk=enrollment.pk).update(due_at=due_at)
    enrollment.refresh_from_db()
    audit_record(
        organization=enrollment.organization,
        action="enrollment.due_changed",
        actor=by,
        target=enrollment,
        before={"due_at": before.isoformat() if before else None},
        after={"due_at": due_at.isoformat() if due_at else None},
    )
    return enrollment


# --- options -----------------------------------------------------------------------------------------------------

OPTION_FIELDS = (
    "self_enrollment",
    "capacity",
    "waitlist",
    "opens_at",
    "closes_at",
    "enrollment_key",
    "default_due_days",
)


def options_update(*, course: Course, by: User, **fields: Any) -> EnrollmentOptions:
    """Change how people get into the course. Raising the capacity promotes people from the waiting list."""
    principal = _principal(by, course.organization)
    if not policy.can_edit_options(principal, course):
        raise _deny()
    unknown = set(fields) - set(OPTION_FIELDS)
    if unknown:
        raise ValueError(f"Unknown enrollment options: {sorted(unknown)}")
    errors: dict[str, str] = {}
    if "self_enrollment" in fields and fields["self_enrollment"] not in SelfEnrollment.values:
        errors["self_enrollment"] = "Choose one of the listed ways."
    capacity = fields.get("capacity")
    if capacity is not None and (not isinstance(capacity, int) or capacity < 1):
        errors["capacity"] = CAPACITY_NEGATIVE
    key = (fields.get("enrollment_key") or "").strip() if "enrollment_key" in fields else None
    if key is not None:
        if len(key) > 64:
            errors["enrollment_key"] = KEY_TOO_LONG
        fields["enrollment_key"] = key
    with transaction.atomic():
        options, _created = EnrollmentOptions.objects.select_for_update().get_or_create(
            course=course, defaults={"organization_id": course.organization_id}
        )
        before = {name: _plain(getattr(options, name)) for name in OPTION_FIELDS}
        for name, value in fields.items():
            setattr(options, name, value)
        if options.opens_at and options.closes_at and options.opens_at >= options.closes_at:
            errors["closes_at"] = WINDOW_ORDER
        if errors:
            raise ValidationError(errors)
        # Recount on every change: rows enrolled before the options existed count too.
        options.seats_taken = Enrollment.objects.filter(
            course=course, status__in=(Status.ACTIVE, Status.COMPLETED)
        ).count()
        options.save()
        after = {name: _plain(getattr(options, name)) for name in OPTION_FIELDS}
        # The key is a secret: record that it changed, not what it is.
        for snapshot in (before, after):
            snapshot["enrollment_key"] = bool(snapshot["enrollment_key"])
        audit_record(
            organization=course.organization,
            action="enrollment.options_changed",
            actor=by,
            target=course,
            before=before,
            after=after,
        )
        waitlist_promote(course=course)
    return options


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


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
    if due_days is None or due_days < 0:
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


# --- progress summary (written by the progress app) --------------------------------------------------------------


def progress_summary_record(
    *,
    enrollment_id: int,
    percent: int | None = None,
    at: dt.datetime | None = None,
    activity_uid: Any = None,
    seconds: int = 0,
    score: Any = None,
) -> None:
    """Move the summary forward: percent only ever goes up, time adds up. Idempotent for the same input."""
    updates: dict[str, Any] = {}
    if at is not None:
        updates["last_activity_at"] = at
    if activity_uid is not None:
        updates["last_activity_uid"] = activity_uid
    if seconds:
        updates["time_spent_seconds"] = F("time_spent_seconds") + seconds
    if score is not None:
        updates["score"] = score
    if updates:
        Enrollment.objects.filter(pk=enrollment_id).update(**updates)
    if percent is not None:
        Enrollment.objects.filter(pk=enrollment_id, progress_percent__lt=percent).update(progress_percent=percent)


def enrollment_mark_completed(*, enrollment_id: int, at: dt.datetime, score: Any = None) -> bool:
    """Active -> completed, once. True when this call made the change (the caller then records the completion)."""
    updates: dict[str, Any] = {"status": Status.COMPLETED, "completed_at": at, "status_changed_at": at}
    updates["progress_percent"] = 100
    if score is not None:
        updates["score"] = score
    return bool(Enrollment.objects.filter(pk=enrollment_id, status=Status.ACTIVE).update(**updates))


def enrollment_progress_cleared(*, enrollment_id: int) -> None:
    """After an audited reset by the course team: back to 0 % and active (a completion stays on the transcript)."""
    now = clock.now()
    Enrollment.objects.filter(pk=enrollment_id, status__in=(Status.ACTIVE, Status.COMPLETED)).update(
        status=Status.ACTIVE,
        progress_percent=0,
        completed_at=None,
        score=None,
        last_activity_uid=None,
        status_changed_at=now,
    )


# --- groups ------------------------------------------------------------------------------------------------------


def _require_teach(by: User, course: Course) -> None:
    if not policy.can_manage_participants(_principal(by, course.organization), course):
        raise _deny()


def group_create(*, course: Course, by: User, name: str, description: str = "") -> CourseGroup:
    _require_teach(by, course)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": GROUP_NAME_REQUIRED})
    try:
        with transaction.atomic():
            group = CourseGroup.objects.create(
                organization_id=course.organization_id, course=course, name=name[:120], description=description[:500]
            )
            audit_record(
                organization=course.organization,
                action="enrollment.group_created",
                actor=by,
                target=group,
                after={"course_id": course.pk, "name": group.name},
            )
    except IntegrityError:
        raise ValidationError({"name": GROUP_EXISTS}) from None
    return group


def group_update(*, group: CourseGroup, by: User, name: str, description: str = "") -> CourseGroup:
    course = group.course
    _require_teach(by, course)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": GROUP_NAME_REQUIRED})
    before = {"name": group.name}
    group.name, group.description = name[:120], (description or "")[:500]
    try:
        with transaction.atomic():
            group.save(update_fields=["name", "description", "updated_at"])
            audit_record(
                organization=course.organization,
                action="enrollment.group_changed",
                actor=by,
                target=group,
                before=before,
                after={"name": group.name},
            )
    except IntegrityError:
        raise ValidationError({"name": GROUP_EXISTS}) from None
    return group


def group_delete(*, group: CourseGroup, by: User) -> None:
    course = group.course
    _require_teach(by, course)
    with transaction.atomic():
        audit_record(
            organization=course.organization,
            action="enrollment.group_deleted",
            actor=by,
            target=group,
            before={"course_id": course.pk, "name": group.name},
        )
        group.delete()


def group_members_change(
    *, group: CourseGroup, by: User, add: Iterable[int] = (), remove: Iterable[int] = ()
) -> tuple[int, int]:
    """Put participants (enrollment ids) in the group or take them out. Returns (added, removed)."""
    course = group.course
    _require_teach(by, course)
    add_ids, remove_ids = set(add), set(remove)
    found = set(Enrollment.objects.filter(course=course, pk__in=add_ids | remove_ids).values_list("pk", flat=True))
    if found != add_ids | remove_ids:
        raise ValidationError({"enrollments": NOT_PARTICIPANT})
    with transaction.atomic():
        existing = set(GroupMember.objects.filter(group=group).values_list("enrollment_id", flat=True))
        new = sorted(add_ids - existing)
        GroupMember.objects.bulk_create([GroupMember(group=group, enrollment_id=pk) for pk in new])
        removed, _ = GroupMember.objects.filter(group=group, enrollment_id__in=remove_ids).delete()
        if new or removed:
            audit_record_bulk(
                organization=course.organization,
                action="enrollment.group_members_changed",
                actor=by,
                target_type="enrollment.enrollment",
                ids=sorted(new) + sorted(remove_ids & existing),
                details={"group_id": group.pk, "added": len(new), "removed": removed},
            )
    return len(new), removed


# --- messages ----------------------------------------------------------------------------------------------------


def course_message_send(
    *, course: Course, by: User, subject: str, body: str, enrollment_ids: Iterable[int]
) -> CourseMessage:
    """Send an email to participants (the worker sends it after commit); the message is kept for the record."""
    _require_teach(by, course)
    subject, body = (subject or "").strip(), (body or "").strip()
    errors = {}
    if not subject:
        errors["subject"] = SUBJECT_REQUIRED
    if not body:
        errors["body"] = BODY_REQUIRED
    ids = set(enrollment_ids)
    membership_ids = list(
        Enrollment.objects.filter(course=course, pk__in=ids, status__in=LIVE_STATES).values_list(
            "membership_id", flat=True
        )
    )
    if not membership_ids:
        errors["recipients"] = NO_RECIPIENTS
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        message = CourseMessage.objects.create(
            organization_id=course.organization_id,
            course=course,
            sender=by,
            subject=subject[:200],
            body=body[:20000],
            recipient_count=len(membership_ids),
        )
        message.recipients.set(membership_ids)
        audit_record(
            organization=course.organization,
            action="enrollment.message_sent",
            actor=by,
            target=message,
            after={"course_id": course.pk, "recipients": len(membership_ids)},
        )
        from syllabus.enrollment.tasks import send_course_message

        message_id = message.pk
        transaction.on_commit(lambda: send_course_message.delay(message_id))
    return message
