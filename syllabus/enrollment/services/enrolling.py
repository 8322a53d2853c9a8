"""Enrolling (self, request, assignment, bulk), approvals, the waiting list, withdrawal and due dates."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction

from syllabus.access.policy import Principal
from syllabus.accounts.models import Membership, User
from syllabus.audit.services import audit_record, audit_record_bulk
from syllabus.catalog import course_access
from syllabus.catalog.models import Course
from syllabus.core import clock
from syllabus.core.events import emit
from syllabus.enrollment import events, policy
from syllabus.enrollment.models import (
    LIVE_STATES,
    Enrollment,
    EnrollmentOptions,
    EnrollmentRule,
    Method,
    SelfEnrollment,
    Status,
)
from syllabus.enrollment.services.common import (
    ALREADY_ENROLLED,
    ALREADY_YOU,
    ARCHIVED,
    BULK_BATCH,
    CLOSED_NOW,
    CLOSED_TO_SELF,
    DUE_IN_PAST,
    FULL,
    KEY_ATTEMPTS,
    KEY_LOCK_SECONDS,
    KEY_LOCKED,
    KEY_REQUIRED,
    KEY_WRONG,
    NOT_LIVE,
    NOT_MEMBER,
    NOT_OPEN_YET,
    NOT_PENDING,
    NOT_PUBLISHED,
    NOT_VISIBLE,
    REASON_REQUIRED,
    _activate_fields,
    _audit,
    _check_enrollable,
    _chunks,
    _create_one,
    _deny,
    _free_seats,
    _live,
    _name,
    _principal,
    _take_seat,
    _take_seats,
    options_for,
)

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


def _check_key(membership_id: int, course: Course, key: str, expected: str) -> None:
    """Compare in constant time, and stop guessing: after KEY_ATTEMPTS wrong keys a person waits KEY_LOCK_SECONDS
    (counted per person and course in the cache, shared by every web process in production)."""
    counter = f"enrollment-key-failures:{membership_id}:{course.pk}"
    if cache.get(counter, 0) >= KEY_ATTEMPTS:
        raise ValidationError({"key": KEY_LOCKED})
    if not hmac.compare_digest(key.strip().encode(), expected.encode()):
        if cache.add(counter, 1, KEY_LOCK_SECONDS) is False:
            try:
                cache.incr(counter)
            except ValueError:  # expired between add and incr
                cache.set(counter, 1, KEY_LOCK_SECONDS)
        raise ValidationError({"key": KEY_WRONG})
    cache.delete(counter)


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
        _check_key(principal.membership.pk, course, key, options.enrollment_key)
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
        # Conditional on the status read: an approval or a promotion landing in between (it took a place) makes
        # this change nothing, and the place count stays right.
        changed = Enrollment.objects.filter(pk=enrollment.pk, status=before, status__in=LIVE_STATES).update(
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
