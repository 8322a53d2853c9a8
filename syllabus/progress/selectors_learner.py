"""Reads for the learner's own pages: the dashboard, the transcript and external training (and the approvals list
of the people who decide external training).

Every section is read with its own indexed filter (`Enrollment (membership, status)`, `Completion (membership,
-completed_at)`) and a LIMIT, so the dashboard costs the same handful of queries for a person with 3 enrollments
or 300, among a million rows. "Show all" lists are paginated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from syllabus.access.policy import Principal
from syllabus.accounts.models import Membership, Organization
from syllabus.catalog import course_access
from syllabus.catalog.models import CatalogEntry, Course
from syllabus.core import clock, links
from syllabus.enrollment.models import LIVE_STATES, Enrollment, Method, Status
from syllabus.progress.models import Completion, ExternalTraining

SECTION_SIZE = 10
RECOMMENDED_SIZE = 6
ALL_PAGE_SIZE = 25


# --- small formatting helpers shared by the pages, the CSV and the PDF --------------------------------------------


def hours_minutes(seconds: int | None) -> str:
    """Time spent as h:mm (95 minutes: "1:35")."""
    seconds = max(0, int(seconds or 0))
    return f"{seconds // 3600}:{(seconds % 3600) // 60:02d}"


def percent_text(value: Decimal | None) -> str:
    """A score without needless decimals: 85.50 -> "85.5", 100.00 -> "100"; "" when there is none."""
    if value is None:
        return ""
    text = f"{Decimal(value):.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _url(name: str, *args: Any) -> str:
    """A link to another area's page, or "" until that area is installed (the URL names are agreed in advance)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _course_link(name: str, course_id: int) -> str:
    # The dashboard links each of its ~20 items twice: one reverse() per process, not one per link.
    try:
        return links.by_id(name)(course_id)
    except NoReverseMatch:
        return ""


def course_url(course_id: int | None) -> str:
    return _course_link("catalog:course", course_id) if course_id else ""


def resume_url(course_id: int | None) -> str:
    """Where "Continue" leads: the player's resume point, else the course page."""
    if not course_id:
        return ""
    return _course_link("progress:resume", course_id) or course_url(course_id)


# --- the dashboard ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LearningItem:
    """One enrollment as the dashboard shows it."""

    enrollment_id: int
    course_id: int | None
    title: str
    course_url: str
    resume_url: str
    percent: int
    status: str
    status_label: str
    due_at: dt.datetime | None
    overdue: bool
    started: bool
    assigned: bool

    @property
    def can_continue(self) -> bool:
        return self.status in (Status.ACTIVE, Status.COMPLETED) and bool(self.resume_url)


@dataclass(frozen=True)
class CompletedItem:
    """One completion (a transcript line) as the dashboard and the transcript show it."""

    completion_id: int
    course_id: int | None
    title: str
    course_url: str
    resume_url: str
    source: str
    source_label: str
    provider: str
    version_label: str
    completed_at: dt.datetime
    expires_at: dt.datetime | None
    expired: bool
    score: str  # "85.5", or "" when none
    time_spent: str  # h:mm
    time_spent_seconds: int


@dataclass(frozen=True)
class Recommendation:
    course_id: int
    title: str
    summary: str
    url: str
    duration_minutes: int
    related: bool  # shares a category or a skill with the person's courses


@dataclass(frozen=True)
class Section:
    key: str
    heading: Any
    empty_text: Any
    items: Sequence[Any]
    has_more: bool

    @property
    def more_url(self) -> str:
        return reverse("progress:dashboard-section", args=[self.key]) if self.has_more else ""


SECTIONS: dict[str, tuple[Any, Any]] = {
    "assigned": (_("Assigned to you"), _("Nothing is assigned to you right now.")),
    "in-progress": (_("In progress"), _("No course in progress.")),
    "not-started": (_("Not started"), _("Nothing waiting to be started.")),
    "waiting": (_("Waiting"), _("No request waiting for approval or a place.")),
    "completed": (_("Completed"), _("Nothing completed yet.")),
}
ENROLLMENT_SECTIONS = ("assigned", "in-progress", "not-started", "waiting")


def _started_q() -> Q:
    return Q(last_activity_at__isnull=False) | Q(progress_percent__gt=0)


def section_enrollments(*, membership: Membership, key: str) -> QuerySet[Enrollment]:
    """The person's enrollments of one dashboard section, in the order shown. Every section filters on
    (membership, status) first, which the `enrollment_member_status` index answers.

    - assigned: active, made by someone else (manager, rule, admin...): by due date, so overdue come first,
      then the rest, and those without a due date last;
    - in-progress / not-started: active, chosen by the person, by last activity / by enrollment date;
    - waiting: a request waiting for approval, or a place on the waiting list.
    """
    qs = Enrollment.objects.filter(membership=membership, course__isnull=False)
    if key == "assigned":
        qs = qs.filter(status=Status.ACTIVE).exclude(method=Method.SELF)
        order: list[Any] = [F("due_at").asc(nulls_last=True), "-pk"]
    elif key == "in-progress":
        qs = qs.filter(_started_q(), status=Status.ACTIVE, method=Method.SELF)
        order = [F("last_activity_at").desc(nulls_last=True), "-pk"]
    elif key == "not-started":
        qs = qs.filter(status=Status.ACTIVE, method=Method.SELF, last_activity_at__isnull=True, progress_percent=0)
        order = [F("enrolled_at").desc(nulls_last=True), "-pk"]
    elif key == "waiting":
        qs = qs.filter(status__in=[Status.PENDING, Status.WAITLISTED])
        order = ["-status_changed_at", "-pk"]
    else:
        raise ValueError(f"Unknown dashboard section {key!r}")
    return (
        qs.annotate(shown_title=Coalesce("course__catalog_entry__title", "course__title"))
        .only(
            "pk",
            "course_id",
            "status",
            "method",
            "progress_percent",
            "due_at",
            "last_activity_at",
            "enrolled_at",
            "status_changed_at",
        )
        .order_by(*order)
    )


def learning_items(enrollments: Iterable[Enrollment], *, now: dt.datetime | None = None) -> list[LearningItem]:
    now = now or clock.now()
    labels = dict(Status.choices)
    items = []
    for row in enrollments:
        items.append(
            LearningItem(
                enrollment_id=row.pk,
                course_id=row.course_id,
                title=getattr(row, "shown_title", "") or "",
                course_url=course_url(row.course_id),
                resume_url=resume_url(row.course_id),
                percent=int(row.progress_percent or 0),
                status=row.status,
                status_label=str(labels.get(row.status, row.status)),
                due_at=row.due_at,
                overdue=row.status == Status.ACTIVE and row.due_at is not None and row.due_at < now,
                started=row.last_activity_at is not None or (row.progress_percent or 0) > 0,
                assigned=row.method != Method.SELF,
            )
        )
    return items


def completions_of(*, membership: Membership) -> QuerySet[Completion]:
    """Every transcript line of the person, newest first (index `completion_member_date`)."""
    return Completion.objects.filter(membership=membership).order_by("-completed_at", "-pk")


def completed_items(completions: Iterable[Completion], *, now: dt.datetime | None = None) -> list[CompletedItem]:
    now = now or clock.now()
    sources = dict(Completion.Source.choices)
    items = []
    for row in completions:
        items.append(
            CompletedItem(
                completion_id=row.pk,
                course_id=row.course_id,
                title=row.title,
                course_url=course_url(row.course_id),
                resume_url=resume_url(row.course_id) if row.source == Completion.Source.COURSE else "",
                source=row.source,
                source_label=str(sources.get(row.source, row.source)),
                provider=row.provider,
                version_label=row.version_label,
                completed_at=row.completed_at,
                expires_at=row.expires_at,
                expired=row.expires_at is not None and row.expires_at <= now,
                score=percent_text(row.score),
                time_spent=hours_minutes(row.time_spent_seconds),
                time_spent_seconds=int(row.time_spent_seconds or 0),
            )
        )
    return items


def recommendations(
    *, principal: Principal, organization: Organization, limit: int = RECOMMENDED_SIZE
) -> list[Recommendation]:
    """Published courses the person may see in the catalog and is not enrolled in: those sharing a category or a
    skill with their courses first, then the newest. One query (the person's courses are subqueries)."""
    if not principal.is_member:
        return []
    mine = Enrollment.objects.filter(
        membership=principal.membership, status__in=LIVE_STATES, course__isnull=False
    ).values("course_id")
    categories = Course.objects.filter(pk__in=mine, category__isnull=False).values("category_id")
    skills = Course.skills.through.objects.filter(course_id__in=mine).values("skill_id")
    shares_skill = Exists(
        CatalogEntry.skills.through.objects.filter(catalogentry_id=OuterRef("pk"), skill_id__in=skills)
    )
    rows = (
        CatalogEntry.objects.filter(organization=organization)
        .filter(course_access.learner_visible_q(principal))
        .exclude(course_id__in=mine)
        .annotate(
            related=Case(
                When(Q(category_id__in=categories) | Q(shares_skill), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-related", "-published_at", "-pk")
        .values_list("course_id", "title", "summary", "duration_minutes", "related")[:limit]
    )
    return [
        Recommendation(
            course_id=course_id,
            title=title,
            summary=summary,
            url=course_url(course_id),
            duration_minutes=duration,
            related=bool(related),
        )
        for course_id, title, summary, duration, related in rows
    ]


def dashboard(*, principal: Principal, organization: Organization) -> dict[str, Any]:
    """Everything the dashboard shows, in a fixed number of queries (one per section, LIMIT SECTION_SIZE + 1)."""
    if not principal.is_member:
        return {"sections": [], "recommended": []}
    assert principal.membership is not None
    membership = principal.membership
    now = clock.now()
    sections = []
    for key in ENROLLMENT_SECTIONS:
        rows = list(section_enrollments(membership=membership, key=key)[: SECTION_SIZE + 1])
        heading, empty = SECTIONS[key]
        sections.append(
            Section(key, heading, empty, learning_items(rows[:SECTION_SIZE], now=now), len(rows) > SECTION_SIZE)
        )
    done = list(completions_of(membership=membership)[: SECTION_SIZE + 1])
    heading, empty = SECTIONS["completed"]
    completed = Section(
        "completed", heading, empty, completed_items(done[:SECTION_SIZE], now=now), len(done) > SECTION_SIZE
    )
    return {
        "sections": sections,
        "completed": completed,
        "recommended": recommendations(principal=principal, organization=organization),
        "overdue_count": sum(1 for item in sections[0].items if item.overdue),
    }


# --- the transcript -----------------------------------------------------------------------------------------------


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The year in the viewer's time zone, as an instant range the completion index can use."""
    zone = timezone.get_current_timezone()
    return dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone)


def transcript(*, membership: Membership, year: int | None = None) -> QuerySet[Completion]:
    """The person's transcript lines (course completions and approved external training), newest first."""
    qs = completions_of(membership=membership)
    if year is not None:
        start, end = _year_bounds(year)
        qs = qs.filter(completed_at__gte=start, completed_at__lt=end)
    return qs


def transcript_years(*, membership: Membership) -> list[int]:
    """The years (in the viewer's time zone) that have completions, newest first: the year filter's choices."""
    moments = Completion.objects.filter(membership=membership).datetimes(
        "completed_at", "year", order="DESC", tzinfo=timezone.get_current_timezone()
    )
    return [moment.year for moment in moments]


def person_for_transcript(*, principal: Principal, organization: Organization, membership_id: int) -> Membership | None:
    """The person whose transcript is asked for, if the asker may read it: themselves, or someone holding
    enrollment.view over them (their manager, an org-unit scope, an org admin). None otherwise (a 404)."""
    person = (
        Membership.objects.filter(organization=organization, pk=membership_id)
        .select_related("user", "org_unit")
        .first()
    )
    if person is None:
        return None
    if principal.is_member and principal.membership is not None and principal.membership.pk == person.pk:
        return person
    return person if principal.can("enrollment.view", person) else None


# --- external training --------------------------------------------------------------------------------------------


def external_of(*, membership: Membership) -> QuerySet[ExternalTraining]:
    return ExternalTraining.objects.filter(membership=membership).order_by("-created_at", "-pk")


def external_pending_for(*, principal: Principal, organization: Organization) -> QuerySet[ExternalTraining]:
    """Submissions waiting for a decision, of the people this person may assign training to (never their own)."""
    qs = (
        ExternalTraining.objects.filter(organization=organization, status=ExternalTraining.Status.PENDING)
        .filter(principal.membership_q("enrollment.assign", prefix="membership__"))
        .select_related("membership__user")
        .order_by("created_at", "pk")
    )
    if principal.membership is not None:
        qs = qs.exclude(membership=principal.membership)
    return qs


def external_get(*, organization: Organization, pk: int) -> ExternalTraining | None:
    return (
        ExternalTraining.objects.filter(organization=organization, pk=pk)
        .select_related("membership__user", "membership__org_unit")
        .first()
    )


def may_decide_external(principal: Principal, record: ExternalTraining) -> bool:
    """Approve or decline: someone who may assign training to the person, never the person themselves."""
    if principal.membership is not None and principal.membership.pk == record.membership_id:
        return False
    return principal.can("enrollment.assign", record.membership)


def may_read_evidence(principal: Principal, record: ExternalTraining) -> bool:
    """The evidence file: its owner and the people who may decide."""
    if principal.is_member and principal.membership is not None and principal.membership.pk == record.membership_id:
        return True
    return may_decide_external(principal, record)
