"""Reads of progress for the API: one enrollment's state per activity, completions and a person's transcript.

Who may read what:
- an enrollment's progress: whoever may see the enrollment (`enrollment.policy.can_view`: the person, the course
  team, people with `enrollment.view` over the person);
- completions and transcripts: the person themselves and people with `enrollment.view` over them (their manager
  through the reporting line, an org-unit scope, or organisation-wide).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from syllabus.access.policy import Principal
from syllabus.accounts.models import Membership, Organization
from syllabus.catalog import versions
from syllabus.catalog.models import CourseVersion
from syllabus.enrollment import policy as enrollment_policy
from syllabus.enrollment.models import Enrollment
from syllabus.progress.models import ActivityProgress, Completion, State

# --- one enrollment's progress -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityState:
    uid: str
    section_uid: str
    title: str
    kind: str
    is_required: bool
    state: str
    first_seen_at: dt.datetime | None
    completed_at: dt.datetime | None
    score: Decimal | None
    passed: bool | None
    time_spent_seconds: int


@dataclass(frozen=True)
class EnrollmentProgress:
    enrollment: Enrollment
    version_label: str
    activities: list[ActivityState]

    @property
    def activity_count(self) -> int:
        return len(self.activities)

    @property
    def completed_count(self) -> int:
        return sum(1 for activity in self.activities if activity.state == State.COMPLETED)

    @property
    def required_count(self) -> int:
        return sum(1 for activity in self.activities if activity.is_required)

    @property
    def required_completed_count(self) -> int:
        return sum(1 for a in self.activities if a.is_required and a.state == State.COMPLETED)


def enrollment_progress(*, enrollment: Enrollment) -> EnrollmentProgress:
    """The learner's state on every activity of the version they follow, in outline order (two queries).

    Titles come from that version's snapshot, so they read as the learner saw them. An enrollment without a
    version yet (waiting for approval or a place) shows the course's current version, all not started.
    """
    version_id = enrollment.version_id or (enrollment.course.published_version_id if enrollment.course else None)
    found = (
        CourseVersion.objects.filter(pk=version_id).values_list("snapshot", "major", "minor").first()
        if version_id
        else None
    )
    snapshot: dict[str, Any] = found[0] if found else {}
    label = f"{found[1]}.{found[2]}" if found else ""
    rows = {str(row.activity_uid): row for row in ActivityProgress.objects.filter(enrollment=enrollment)}
    activities = []
    for activity in versions.activities(snapshot):
        row = rows.get(str(activity["uid"]))
        activities.append(
            ActivityState(
                uid=str(activity["uid"]),
                section_uid=str(activity.get("section_uid", "")),
                title=str(activity.get("title", "")),
                kind=str(activity.get("kind", "")),
                is_required=bool(activity.get("is_required", True)),
                state=row.state if row else State.NOT_STARTED,
                first_seen_at=row.first_seen_at if row else None,
                completed_at=row.completed_at if row else None,
                score=row.score if row else None,
                passed=row.passed if row else None,
                time_spent_seconds=row.time_spent_seconds if row else 0,
            )
        )
    return EnrollmentProgress(enrollment=enrollment, version_label=label, activities=activities)


# --- completions and transcripts ---------------------------------------------------------------------------------


def can_view_transcript(principal: Principal, membership: Membership) -> bool:
    """The person themselves, or someone with `enrollment.view` over them (never across organisations)."""
    if membership.organization_id != getattr(principal.organization, "pk", None):
        return False
    return enrollment_policy.is_self(principal, membership.pk) or principal.can("enrollment.view", membership)


def transcript_visible_q(principal: Principal) -> Q:
    """A filter on Completion: the lines of the transcripts this person may read."""
    if principal.is_platform_admin or principal.holds_org_wide("enrollment.view"):
        return Q()
    if not principal.is_member:
        return Q(pk__in=[])
    return Q(membership=principal.membership) | principal.membership_q("enrollment.view", prefix="membership__")


@dataclass(frozen=True)
class CompletionFilter:
    membership_id: int | None = None
    course_id: int | None = None
    since: dt.datetime | None = None


def completion_list(
    *, organization: Organization, principal: Principal, filters: CompletionFilter | None = None
) -> QuerySet[Completion]:
    """Transcript lines this person may read, newest first."""
    filters = filters or CompletionFilter()
    qs = Completion.objects.filter(organization=organization).filter(transcript_visible_q(principal))
    if filters.membership_id is not None:
        qs = qs.filter(membership_id=filters.membership_id)
    if filters.course_id is not None:
        qs = qs.filter(course_id=filters.course_id)
    if filters.since is not None:
        qs = qs.filter(completed_at__gte=filters.since)
    return qs.select_related("membership__user").order_by("-completed_at", "-pk")


def person_get(*, organization: Organization, principal: Principal, membership_id: int) -> Membership | None:
    """The person if this one may read their transcript; None otherwise (answer 404)."""
    membership = (
        Membership.objects.filter(organization=organization, pk=membership_id)
        .select_related("user", "org_unit")
        .first()
    )
    if membership is None or not can_view_transcript(principal, membership):
        return None
    return membership


def transcript(*, membership: Membership) -> QuerySet[Completion]:
    """Every line of one person's transcript, newest first (course completions and approved external training)."""
    return Completion.objects.filter(membership=membership).order_by("-completed_at", "-pk")
