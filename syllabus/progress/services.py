"""Every write about progress: completion signals, time spent, course completion, resets and manual completion,
completion settings and external training.

Progress never goes backwards by itself. Each step is a conditional UPDATE that only moves a row forward
(`state__in=[...]`), so a signal delivered twice, or two tabs reporting at once, change nothing the second time —
on SQLite (which ignores `select_for_update`) as on PostgreSQL. Only `progress_reset` (the course team, with a
reason, audited) goes back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import Membership, User
from syllabus.audit.services import audit_record
from syllabus.catalog import versions
from syllabus.catalog.activity_kinds import base as kinds
from syllabus.catalog.events import ActivityOpened, ActivitySignalled
from syllabus.catalog.models import Course, CourseVersion
from syllabus.core import clock
from syllabus.core.events import emit
from syllabus.enrollment import policy as enrollment_policy
from syllabus.enrollment import services as enrollment_services
from syllabus.enrollment.models import LEARNING_STATES, Enrollment
from syllabus.progress import events
from syllabus.progress.models import ActivityProgress, Completion, CompletionSettings, ExternalTraining, State

# Time spent: a heartbeat adds the time since the previous one, at most this much (a tab left open overnight
# counts one interval, not the night). A beat sooner than MIN_BEAT after the last is a duplicate and adds nothing.
HEARTBEAT_SECONDS = 30
MAX_BEAT_SECONDS = 60
MIN_BEAT_SECONDS = 5

REASON_REQUIRED = "Give a reason: it is kept in the audit trail."
NOT_IN_COURSE = "That activity is not part of this learner's course version."
NOT_ENROLLED = "This person is not enrolled in the course."
ALREADY_COMPLETE = "That activity is already complete."
COUNT_REQUIRED = "Give how many activities must be completed (at least 1)."
COUNT_TOO_HIGH = "The course has only {count} activities."
SCORE_RANGE = "The minimum score is a percentage between 0 and 100."
DAYS_RANGE = "Give a number of days between 1 and 36500, or leave it empty."
MAX_VALID_DAYS = 36500
TITLE_REQUIRED = "Give the course title."
PROVIDER_REQUIRED = "Say who provided the training."
DATE_REQUIRED = "Give the date you completed it."
DATE_FUTURE = "The completion date cannot be in the future."
NOT_PENDING = "This has already been decided."
DECLINE_REASON = "Give a reason: the person will read it."
OWN_RECORD = "You cannot approve your own training."
OWN_PROGRESS = "You cannot change your own progress: another member of the course team can."


def _deny() -> PermissionDenied:
    return PermissionDenied(NOT_ALLOWED)


# --- what the course asks ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirements:
    """What a version asks of a learner, read once per version (versions never change)."""

    activity_uids: tuple[str, ...]  # outline order
    required_uids: frozenset[str]
    rule_signals: Mapping[str, frozenset[str]]  # uid -> signals that complete it


def requirements(version_id: int) -> Requirements:
    """What the version asks. Parsed once per process: versions are immutable, and the cache key carries the
    publish time so a reused id (a test database rolled back) is never mistaken for another version."""
    stamp = CourseVersion.objects.filter(pk=version_id).values_list("published_at", flat=True).first()
    return _requirements(version_id, stamp.isoformat() if stamp else "")


@lru_cache(maxsize=256)
def _requirements(version_id: int, stamp: str) -> Requirements:
    snapshot = CourseVersion.objects.filter(pk=version_id).values_list("snapshot", flat=True).first() or {}
    uids: list[str] = []
    required: set[str] = set()
    rule_signals: dict[str, frozenset[str]] = {}
    for activity in versions.activities(snapshot):
        uid = str(activity["uid"])
        uids.append(uid)
        if activity.get("is_required", True):
            required.add(uid)
        rule_signals[uid] = _signals_completing(activity)
    return Requirements(tuple(uids), frozenset(required), rule_signals)


def _signals_completing(activity: Mapping[str, Any]) -> frozenset[str]:
    key = str(activity.get("kind", ""))
    if not kinds.is_registered(key):
        return frozenset()
    kind = kinds.get(key)
    chosen = (activity.get("completion") or {}).get("rule")
    for rule in kind.completion_rules:
        if chosen in (None, "", rule.key):
            return frozenset(rule.signals)
    return frozenset()


def settings_for(course_id: int) -> CompletionSettings:
    found = CompletionSettings.objects.filter(course_id=course_id).first()
    return found or CompletionSettings(course_id=course_id, rule=CompletionSettings.Rule.ALL_REQUIRED)


# --- signals -----------------------------------------------------------------------------------------------------


def _learning_enrollment(organization_id: int, course_id: int, user_id: int) -> Enrollment | None:
    return (
        Enrollment.objects.filter(
            organization_id=organization_id,
            course_id=course_id,
            membership__user_id=user_id,
            membership__is_active=True,
            status__in=LEARNING_STATES,
        )
        .select_related("membership")
        .first()
    )


def _score_from(data: Mapping[str, Any]) -> Decimal | None:
    raw = data.get("score")
    if raw is None:
        return None
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    # Kinds report a fraction (0..1) or a percentage; store a percentage.
    if Decimal(0) <= value <= Decimal(1) and data.get("scale") != "percent":
        value *= 100
    return max(Decimal(0), min(Decimal(100), value)).quantize(Decimal("0.01"))


def _row(enrollment: Enrollment, uid: uuid.UUID, at: dt.datetime) -> ActivityProgress:
    """The learner's row for this activity, created on first contact (a race creates it once)."""
    found = ActivityProgress.objects.filter(enrollment=enrollment, activity_uid=uid).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return ActivityProgress.objects.create(
                organization_id=enrollment.organization_id,
                enrollment=enrollment,
                activity_uid=uid,
                state=State.IN_PROGRESS,
                first_seen_at=at,
                last_seen_at=at,
            )
    except IntegrityError:
        return ActivityProgress.objects.get(enrollment=enrollment, activity_uid=uid)


def signal_record(event: ActivitySignalled) -> bool:
    """Store one completion signal for an enrolled learner; True when it completed the activity now.

    Signals from people who are not enrolled (the course team trying the course out) are ignored.
    """
    enrollment = _learning_enrollment(event.organization_id, event.course_id, event.user_id)
    if enrollment is None:
        return False
    version_id = enrollment.version_id or event.version_id
    wanted = requirements(version_id)
    uid = str(event.activity_uid)
    if uid not in wanted.rule_signals:
        return False
    at = event.at
    with transaction.atomic():
        row = _row(enrollment, event.activity_uid, at)
        updates: dict[str, Any] = {"last_seen_at": at}
        if event.signal not in (row.signals or []):
            updates["signals"] = [*(row.signals or []), event.signal]
        score = _score_from(event.data)
        # A quiz reports its grade by its grading method ("last attempt" may go down): it replaces the score.
        if score is not None and (row.score is None or score > row.score or event.data.get("replace")):
            updates["score"] = score
        if "passed" in event.data and row.passed is not True:
            updates["passed"] = bool(event.data["passed"])
        ActivityProgress.objects.filter(pk=row.pk).update(**updates)
        enrollment_services.progress_summary_record(enrollment_id=enrollment.pk, at=at, activity_uid=event.activity_uid)
        completed = False
        if event.signal in wanted.rule_signals[uid]:
            completed = _complete_activity(enrollment, row, at=at, version_id=event.version_id, by=None, note="")
        evaluate(enrollment)
    return completed


def _complete_activity(
    enrollment: Enrollment,
    row: ActivityProgress,
    *,
    at: dt.datetime,
    version_id: int | None,
    by: User | None,
    note: str,
) -> bool:
    changed = (
        ActivityProgress.objects.filter(pk=row.pk)
        .exclude(state=State.COMPLETED)
        .update(
            state=State.COMPLETED,
            completed_at=at,
            completed_version_id=version_id,
            completed_by=by,
            completion_note=note[:500],
        )
    )
    if changed:
        assert enrollment.course_id is not None
        emit(
            events.ActivityCompleted(
                organization_id=enrollment.organization_id,
                enrollment_id=enrollment.pk,
                membership_id=enrollment.membership_id,
                course_id=enrollment.course_id,
                version_id=version_id,
                activity_uid=row.activity_uid,
                at=at,
                actor_id=by.pk if by else None,
            )
        )
    return bool(changed)


# --- course completion -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    percent: int
    completed_uids: frozenset[str]
    score: Decimal | None
    met: bool


def standing(enrollment: Enrollment) -> Standing:
    """How far the learner is against the course's completion settings, from their activity rows."""
    version_id = enrollment.version_id
    if version_id is None:
        return Standing(0, frozenset(), None, False)
    wanted = requirements(version_id)
    rows = ActivityProgress.objects.filter(enrollment=enrollment).values_list("activity_uid", "state", "score")
    completed = frozenset(
        str(uid) for uid, state, _ in rows if state == State.COMPLETED and str(uid) in wanted.rule_signals
    )
    scores = [Decimal(score) for uid, _, score in rows if score is not None and str(uid) in wanted.rule_signals]
    score = (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.01")) if scores else None
    rule = settings_for(enrollment.course_id or 0)
    if rule.rule == CompletionSettings.Rule.N_ACTIVITIES:
        needed = min(rule.required_count or 1, len(wanted.activity_uids)) or 1
        done = len(completed)
        percent = min(100, done * 100 // needed)
        met = done >= needed
    else:
        required = wanted.required_uids
        done = len(completed & required)
        percent = 100 if not required else done * 100 // len(required)
        met = done >= len(required)
        if rule.rule == CompletionSettings.Rule.MIN_SCORE:
            met = met and score is not None and rule.min_score is not None and score >= rule.min_score
            if not met:
                percent = min(percent, 99)
    return Standing(percent, completed, score, met)


def evaluate(enrollment: Enrollment) -> Completion | None:
    """Bring the enrollment's summary up to date; complete the course when its criteria are met (once)."""
    current = standing(enrollment)
    enrollment_services.progress_summary_record(
        enrollment_id=enrollment.pk, percent=current.percent, score=current.score
    )
    if not current.met:
        return None
    return _complete_course(enrollment, current, by=None)


def _complete_course(enrollment: Enrollment, current: Standing, *, by: User | None) -> Completion | None:
    now = clock.now()
    with transaction.atomic():
        if not enrollment_services.enrollment_mark_completed(enrollment_id=enrollment.pk, at=now, score=current.score):
            return None
        enrollment.refresh_from_db()
        course = Course.objects.filter(pk=enrollment.course_id or 0).first()
        version = CourseVersion.objects.filter(pk=enrollment.version_id or 0).only("major", "minor").first()
        rule = settings_for(enrollment.course_id or 0)
        expires = now + dt.timedelta(days=rule.valid_for_days) if rule.valid_for_days else None
        completion = Completion.objects.create(
            organization_id=enrollment.organization_id,
            membership_id=enrollment.membership_id,
            source=Completion.Source.COURSE,
            course=course,
            enrollment=enrollment,
            version=version,
            title=course.title if course else "",
            version_label=version.label if version else "",
            completed_at=now,
            expires_at=expires,
            score=current.score,
            time_spent_seconds=enrollment.time_spent_seconds,
            recorded_by=by,
        )
        audit_record(
            organization=enrollment.organization,
            action="progress.course_completed",
            actor=by,
            target=enrollment,
            after={
                "course_id": enrollment.course_id,
                "version": completion.version_label,
                "completion_id": completion.pk,
            },
        )
        emit(
            events.CourseCompleted(
                organization_id=enrollment.organization_id,
                enrollment_id=enrollment.pk,
                completion_id=completion.pk,
                membership_id=enrollment.membership_id,
                course_id=enrollment.course_id or 0,
                version_id=enrollment.version_id,
                version_label=completion.version_label,
                at=now,
                expires_at=expires,
                score=current.score,
            )
        )
    return completion


# --- time spent --------------------------------------------------------------------------------------------------


def heartbeat_record(*, enrollment: Enrollment, activity_uid: uuid.UUID, at: dt.datetime | None = None) -> int:
    """The player says "still here" on an activity: add the time since the learner's last beat on any
    activity of the course, at most MAX_BEAT_SECONDS. One clock per enrollment, so beating on every activity at
    once counts the minute once, not once per activity. Returns the seconds added."""
    at = at or clock.now()
    if enrollment.status not in LEARNING_STATES or enrollment.version_id is None:
        return 0
    if str(activity_uid) not in requirements(enrollment.version_id).rule_signals:
        raise ValidationError({"activity": NOT_IN_COURSE})
    with transaction.atomic():
        last_any = ActivityProgress.objects.filter(enrollment=enrollment).aggregate(last=Max("last_heartbeat_at"))[
            "last"
        ]
        row = _row(enrollment, activity_uid, at)
        seconds = 0
        if last_any is not None:
            elapsed = int((at - last_any).total_seconds())
            if elapsed < MIN_BEAT_SECONDS:
                return 0
            seconds = min(elapsed, MAX_BEAT_SECONDS)
        # Conditional on the beat we read: a concurrent beat for the same row counts once.
        last = row.last_heartbeat_at
        query = Q(pk=row.pk) & (Q(last_heartbeat_at=last) if last is not None else Q(last_heartbeat_at__isnull=True))
        changed = ActivityProgress.objects.filter(query).update(
            last_heartbeat_at=at, last_seen_at=at, time_spent_seconds=F("time_spent_seconds") + seconds
        )
        if not changed:
            return 0
        enrollment_services.progress_summary_record(
            enrollment_id=enrollment.pk, at=at, activity_uid=activity_uid, seconds=seconds
        )
    return seconds


def activity_opened(*, enrollment: Enrollment, activity_uid: uuid.UUID) -> None:
    """The learner opened an activity: it is in progress (if not further) and where they resume."""
    if enrollment.status not in LEARNING_STATES:
        return
    at = clock.now()
    _row(enrollment, activity_uid, at)
    enrollment_services.progress_summary_record(enrollment_id=enrollment.pk, at=at, activity_uid=activity_uid)


def activity_opened_record(event: ActivityOpened) -> bool:
    """The player reports an opened activity (catalog.events.ActivityOpened): recorded for enrolled learners
    when the activity is part of their version; the course team trying the course out is ignored."""
    enrollment = _learning_enrollment(event.organization_id, event.course_id, event.user_id)
    if enrollment is None or enrollment.version_id is None:
        return False
    if str(event.activity_uid) not in requirements(enrollment.version_id).rule_signals:
        return False
    activity_opened(enrollment=enrollment, activity_uid=event.activity_uid)
    return True


# --- the course team's corrections -------------------------------------------------------------------------------


def _require_teacher(by: User, enrollment: Enrollment) -> None:
    principal = principal_for(by, enrollment.organization)
    course = enrollment.course
    if course is None or not enrollment_policy.can_manage_participants(principal, course):
        raise _deny()
    if enrollment_policy.is_self(principal, enrollment.membership_id):
        # Four eyes on the transcript: nobody completes or resets their own training on a learner's behalf.
        raise PermissionDenied(OWN_PROGRESS)


def activity_mark_complete(*, enrollment: Enrollment, activity_uid: uuid.UUID, by: User, reason: str) -> None:
    """The course team completes an activity for a learner (attended in person, say), with a reason; audited."""
    _require_teacher(by, enrollment)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    if enrollment.status not in LEARNING_STATES or enrollment.version_id is None:
        raise ValidationError(NOT_ENROLLED)
    if str(activity_uid) not in requirements(enrollment.version_id).rule_signals:
        raise ValidationError({"activity": NOT_IN_COURSE})
    at = clock.now()
    with transaction.atomic():
        row = _row(enrollment, activity_uid, at)
        if not _complete_activity(enrollment, row, at=at, version_id=enrollment.version_id, by=by, note=reason):
            raise ValidationError({"activity": ALREADY_COMPLETE})
        audit_record(
            organization=enrollment.organization,
            action="progress.activity_marked_complete",
            actor=by,
            target=enrollment,
            after={"course_id": enrollment.course_id, "activity_uid": str(activity_uid), "reason": reason[:500]},
        )
        evaluate(enrollment)


def progress_reset(*, enrollment: Enrollment, by: User, reason: str) -> None:
    """Start a learner over: their activity progress is cleared (a completion already on the transcript stays)."""
    _require_teacher(by, enrollment)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    with transaction.atomic():
        cleared, _ = ActivityProgress.objects.filter(enrollment=enrollment).delete()
        enrollment_services.enrollment_progress_cleared(enrollment_id=enrollment.pk)
        audit_record(
            organization=enrollment.organization,
            action="progress.reset",
            actor=by,
            target=enrollment,
            after={"course_id": enrollment.course_id, "activities_cleared": cleared, "reason": reason[:500]},
        )
        emit(
            events.ProgressReset(
                organization_id=enrollment.organization_id,
                enrollment_id=enrollment.pk,
                membership_id=enrollment.membership_id,
                course_id=enrollment.course_id or 0,
                actor_id=by.pk,
            )
        )


# --- completion settings -----------------------------------------------------------------------------------------


def completion_settings_update(
    *,
    course: Course,
    by: User,
    rule: str,
    required_count: int | None = None,
    min_score: Decimal | None = None,
    valid_for_days: int | None = None,
) -> CompletionSettings:
    """Change when the course counts as completed. Applies to progress from now on; completions stay."""
    principal = principal_for(by, course.organization)
    if not principal.can("course.edit", course):
        raise _deny()
    errors: dict[str, str] = {}
    if rule not in CompletionSettings.Rule.values:
        errors["rule"] = "Choose one of the listed rules."
    if rule == CompletionSettings.Rule.N_ACTIVITIES:
        if not required_count or required_count < 1:
            errors["required_count"] = COUNT_REQUIRED
        elif course.published_version_id:
            total = len(requirements(course.published_version_id).activity_uids)
            if required_count > total:
                errors["required_count"] = COUNT_TOO_HIGH.format(count=total)
    else:
        required_count = None
    if rule == CompletionSettings.Rule.MIN_SCORE:
        if min_score is None or not (Decimal(0) <= Decimal(min_score) <= Decimal(100)):
            errors["min_score"] = SCORE_RANGE
    else:
        min_score = None
    if valid_for_days is not None and not 1 <= valid_for_days <= MAX_VALID_DAYS:
        errors["valid_for_days"] = DAYS_RANGE
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        found, _ = CompletionSettings.objects.get_or_create(
            course=course, defaults={"organization_id": course.organization_id}
        )
        before = {
            "rule": found.rule,
            "required_count": found.required_count,
            "min_score": str(found.min_score),
            "valid_for_days": found.valid_for_days,
        }
        found.rule, found.required_count, found.min_score, found.valid_for_days = (
            rule,
            required_count,
            min_score,
            valid_for_days,
        )
        found.save()
        audit_record(
            organization=course.organization,
            action="progress.completion_settings_changed",
            actor=by,
            target=course,
            before=before,
            after={
                "rule": rule,
                "required_count": required_count,
                "min_score": str(min_score),
                "valid_for_days": valid_for_days,
            },
        )
    return found


# --- external training -------------------------------------------------------------------------------------------

HOURS_RANGE = "Hours are a number from 0 to 9999."


def external_submit(
    *,
    membership: Membership,
    by: User,
    title: str,
    provider: str,
    completed_on: dt.date | None,
    hours: Decimal | None = None,
    score: Decimal | None = None,
    description: str = "",
    evidence: Any = None,
) -> ExternalTraining:
    """A person records training taken elsewhere (with an optional evidence file) for their manager to approve."""
    principal = principal_for(by, membership.organization)
    if not enrollment_policy.is_self(principal, membership.pk):
        raise _deny()
    errors: dict[str, str] = {}
    title, provider = (title or "").strip(), (provider or "").strip()
    if not title:
        errors["title"] = TITLE_REQUIRED
    if not provider:
        errors["provider"] = PROVIDER_REQUIRED
    if completed_on is None:
        errors["completed_on"] = DATE_REQUIRED
    elif completed_on > clock.today():
        errors["completed_on"] = DATE_FUTURE
    if score is not None and not (Decimal(0) <= score <= Decimal(100)):
        errors["score"] = SCORE_RANGE
    # Negative hours would become negative time spent on the transcript line when approved.
    if hours is not None and not (Decimal(0) <= hours < Decimal(10000)):
        errors["hours"] = HOURS_RANGE
    if errors or completed_on is None:
        raise ValidationError(errors)
    from syllabus.progress import evidence as evidence_files

    with transaction.atomic():
        record = ExternalTraining(
            organization_id=membership.organization_id,
            membership=membership,
            title=title[:200],
            provider=provider[:200],
            completed_on=completed_on,
            hours=hours,
            score=score,
            description=(description or "")[:5000],
        )
        if evidence is not None:
            evidence_files.attach(record, evidence)
        record.save()
        audit_record(
            organization=membership.organization,
            action="progress.external_submitted",
            actor=by,
            target=record,
            after={"external_id": record.pk, "evidence": bool(record.evidence)},
        )
        emit(
            events.ExternalTrainingSubmitted(
                organization_id=record.organization_id,
                external_id=record.pk,
                membership_id=record.membership_id,
                actor_id=by.pk,
            )
        )
    return record


def _require_external_decider(by: User, record: ExternalTraining) -> None:
    principal = principal_for(by, record.organization)
    if enrollment_policy.is_self(principal, record.membership_id):
        raise PermissionDenied(OWN_RECORD)
    if not principal.can("enrollment.assign", record.membership):
        raise _deny()


def external_approve(*, record: ExternalTraining, by: User) -> Completion:
    _require_external_decider(by, record)
    now = clock.now()
    with transaction.atomic():
        if not ExternalTraining.objects.filter(pk=record.pk, status=ExternalTraining.Status.PENDING).update(
            status=ExternalTraining.Status.APPROVED, decided_by=by, decided_at=now
        ):
            raise ValidationError(NOT_PENDING)
        record.refresh_from_db()
        seconds = int(record.hours * 3600) if record.hours is not None else 0
        completed_at = dt.datetime.combine(record.completed_on, dt.time(12, 0), tzinfo=dt.UTC)
        completion = Completion.objects.create(
            organization_id=record.organization_id,
            membership_id=record.membership_id,
            source=Completion.Source.EXTERNAL,
            external=record,
            title=record.title,
            provider=record.provider,
            completed_at=completed_at,
            score=record.score,
            time_spent_seconds=seconds,
            recorded_by=by,
        )
        audit_record(
            organization=record.organization,
            action="progress.external_approved",
            actor=by,
            target=record,
            after={"external_id": record.pk, "completion_id": completion.pk},
        )
        emit(_external_decided(record, by, approved=True))
    return completion


def external_decline(*, record: ExternalTraining, by: User, reason: str) -> ExternalTraining:
    _require_external_decider(by, record)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": DECLINE_REASON})
    with transaction.atomic():
        if not ExternalTraining.objects.filter(pk=record.pk, status=ExternalTraining.Status.PENDING).update(
            status=ExternalTraining.Status.DECLINED,
            decided_by=by,
            decided_at=clock.now(),
            decision_reason=reason[:2000],
        ):
            raise ValidationError(NOT_PENDING)
        record.refresh_from_db()
        audit_record(
            organization=record.organization,
            action="progress.external_declined",
            actor=by,
            target=record,
            after={"external_id": record.pk},
        )
        emit(_external_decided(record, by, approved=False))
    return record


def _external_decided(record: ExternalTraining, by: User, *, approved: bool) -> events.ExternalTrainingDecided:
    return events.ExternalTrainingDecided(
        organization_id=record.organization_id,
        external_id=record.pk,
        membership_id=record.membership_id,
        actor_id=by.pk,
        approved=approved,
    )


# --- learners moved to another version ---------------------------------------------------------------------------


def recount_after_migration(*, enrollment_ids: list[int]) -> int:
    """Work out again the progress of learners moved to another version: their percent against what that version
    asks (it may go down: the new version asks for more), the score, and where to resume (cleared when the activity
    is gone). Anyone the new version counts as complete is completed. Background work of the system."""
    changed = 0
    for enrollment in Enrollment.objects.filter(pk__in=enrollment_ids, status="active").select_related("organization"):
        if enrollment.version_id is None:
            continue
        current = standing(enrollment)
        uids = requirements(enrollment.version_id).rule_signals
        resume = enrollment.last_activity_uid if str(enrollment.last_activity_uid) in uids else None
        if enrollment_services.progress_summary_replace(
            enrollment_id=enrollment.pk, percent=current.percent, score=current.score, resume_uid=resume
        ):
            changed += 1
        if current.met:
            evaluate(enrollment)
    return changed
