"""Reads for the course team's pages: participants (paginated, filtered, constant queries at any course size),
one participant's activity-by-activity state, groups, sent messages, the waiting list, people to enroll, and the
course header these pages share with the catalog's authoring pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, prefetch_related_objects
from django.utils.translation import gettext as _

from syllabus.access.policy import Principal
from syllabus.accounts import selectors as account_selectors
from syllabus.accounts.models import Membership, Organization, User
from syllabus.catalog import course_access, versions
from syllabus.catalog import course_header as catalog_course_header
from syllabus.catalog.models import Course, CourseVersion
from syllabus.enrollment import policy
from syllabus.enrollment.models import (
    LIVE_STATES,
    CourseGroup,
    CourseMessage,
    Enrollment,
    EnrollmentOptions,
    GroupMember,
    Status,
)

# 25 a page, as the catalog (Moodle shows 20): a table a person can scan, and half the rendering of 50.
PARTICIPANTS_PER_PAGE = 25
SEARCH_LIMIT = 20
PENDING_SHOWN = 50
MESSAGES_SHOWN = 50

# Sort keys offered on the participants page -> ORDER BY (pk last, so pages never overlap). The person's name and
# email are the columns `with_person` adds.
SORTS: dict[str, tuple[Any, ...]] = {
    "name": ("person_name", "person_email", "pk"),
    "progress": ("-progress_percent", "person_name", "pk"),
    "activity": (F("last_activity_at").desc(nulls_last=True), "person_name", "pk"),
}
# What the table lists without a status filter: everyone with a place or waiting for one (requests are above).
DEFAULT_STATES = (Status.ACTIVE, Status.COMPLETED, Status.WAITLISTED)
# Up to this many rows, pages follow the sort exactly. Beyond it, sorting by name would read the person of every
# row (10,000 learners: 20,000 index probes, ~50 ms on PostgreSQL) for one page of 25: pages then follow the sort
# without the name (the name sort: enrollment order, walked on the index `enrollment_course_listed`) and each page
# is sorted by name on its own (`Page.sorted_within`, which the table says).
EXACT_SORT_LIMIT = 2000
PAGE_SORTS: dict[str, tuple[Any, ...]] = {
    "name": ("pk",),
    "progress": ("-progress_percent", "pk"),
    "activity": (F("last_activity_at").desc(nulls_last=True), "pk"),
}


# --- the course, and the header of its pages ---------------------------------------------------------------------


def course_for_team(*, organization: Organization, principal: Principal, pk: int) -> Course | None:
    """The course if this person works on it in any way the team pages serve (its team, reviewers, people who
    follow or assign everyone's training, enrollment administrators); None otherwise, which the views answer
    with 404 as the catalog's authoring pages do for people not on the course."""
    course = (
        Course.objects.filter(organization=organization, pk=pk)
        .select_related("organization", "published_version")
        # The team pages read the version's number and revision, never its content: the snapshot of a course of
        # 1,500 activities is 600 KB of JSON, ~10 ms to fetch and decode on every page.
        .defer("published_version__snapshot", "published_version__asset_ids")
        .first()
    )
    if course is None:
        return None
    if (
        course_access.can_see_draft(principal, course)
        or policy.can_view_participants(principal, course)
        or policy.can_edit_options(principal, course)
    ):
        return course
    return None


def course_header(principal: Principal, course: Course, tab: str) -> dict[str, Any]:
    """The course header (catalog.course_header) for the team pages of this app and progress."""
    return catalog_course_header.course_header(principal, course, tab)


def header_flags(principal: Principal, course: Course) -> dict[str, bool]:
    """Which of this app's course pages the header links to (registered with catalog.course_header)."""
    return {
        "can_view_participants": policy.can_view_participants(principal, course),
        "can_manage_participants": policy.can_manage_participants(principal, course),
        "can_edit_enrollment_options": policy.can_edit_options(principal, course),
        "can_manage_enrollment_rules": policy.can_manage_rules(principal, course),
    }


# --- participants ------------------------------------------------------------------------------------------------


def _groups_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "group_memberships",
        queryset=GroupMember.objects.select_related("group").order_by("group__name", "group_id"),
        to_attr="group_list",
    )


def _person(column: str) -> Subquery:
    return Subquery(Membership.objects.filter(pk=OuterRef("membership_id")).order_by().values(f"user__{column}")[:1])


def with_person(queryset: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    """Each enrollment with its person's user id, name and email (`person_user_id`, `person_name`, `person_email`):
    `attach_people` then builds `enrollment.membership.user` from them, with no query.

    Correlated subqueries rather than `select_related("membership__user")`: PostgreSQL evaluates them only for the
    rows of the page (unless the sort needs them), and planning the two joins cost 8-13 ms per query on a table of
    a million enrollments (the planner reads the ends of the join columns' indexes).
    """
    return queryset.annotate(
        person_user_id=_person("id"), person_name=_person("display_name"), person_email=_person("email")
    )


def attach_people(rows: list[Enrollment]) -> list[Enrollment]:
    """`enrollment.membership.user` of rows read through `with_person` (the other fields load on first use, as
    deferred fields do)."""
    membership_fields = [f.attname for f in Membership._meta.concrete_fields if f.attname in ("id", "user_id")]
    user_fields = [f.attname for f in User._meta.concrete_fields if f.attname in ("id", "display_name", "email")]
    for row in rows:
        read = {
            "id": row.person_user_id,  # type: ignore[attr-defined]
            "display_name": row.person_name,  # type: ignore[attr-defined]
            "email": row.person_email,  # type: ignore[attr-defined]
        }
        user = User.from_db(row._state.db, user_fields, [read[name] for name in user_fields])
        member = {"id": row.membership_id, "user_id": user.pk}
        membership = Membership.from_db(row._state.db, membership_fields, [member[name] for name in membership_fields])
        membership.user = user
        row.membership = membership
    return rows


def participants(
    *, course: Course, status: str = "", group_id: int | None = None, search: str = "", sort: str = "name"
) -> QuerySet[Enrollment]:
    """The course's enrollments for the table, filtered and sorted (not yet paginated; read the rows through
    `participants_page`, which attaches each row's person)."""
    qs = with_person(Enrollment.objects.filter(course=course))
    qs = qs.filter(status=status) if status in Status.values else qs.filter(status__in=DEFAULT_STATES)
    if group_id is not None:
        qs = qs.filter(Exists(GroupMember.objects.filter(enrollment=OuterRef("pk"), group_id=group_id)))
    search = search.strip()[:100]
    if search:
        qs = qs.filter(
            Q(membership__user__display_name__icontains=search) | Q(membership__user__email__icontains=search)
        )
    return qs.order_by(*SORTS.get(sort, SORTS["name"]))


def _name_key(row: Enrollment) -> tuple[str, str]:
    user = row.membership.user
    return ((user.display_name or "").casefold(), (user.email or "").casefold())


def _within_page_key(sort: str) -> Any:
    """The full sort of `SORTS`, in Python, for the rows of one page."""
    if sort == "progress":
        return lambda row: (-row.progress_percent, *_name_key(row), row.pk)
    if sort == "activity":
        return lambda row: (
            row.last_activity_at is None,
            -(row.last_activity_at.timestamp() if row.last_activity_at else 0),
            *_name_key(row),
            row.pk,
        )
    return lambda row: (*_name_key(row), row.pk)


def participants_page(queryset: QuerySet[Enrollment], page_number: Any, *, sort: str | None = None) -> Page[Enrollment]:
    """One page of 25, with each row's groups: three queries (count, the page, its groups) at any size.

    With `sort` (a key of SORTS, the one `queryset` was ordered by) and more than EXACT_SORT_LIMIT rows, the pages
    follow PAGE_SORTS and each page is sorted on its own (`page.sorted_within` says when that changes the order by
    name of the pages, not only of ties).
    """
    paginator = Paginator(queryset, PARTICIPANTS_PER_PAGE)
    within = sort is not None and paginator.count > EXACT_SORT_LIMIT
    if within:
        assert sort is not None
        paginator.object_list = queryset.order_by(*PAGE_SORTS.get(sort, PAGE_SORTS["name"]))
    page = paginator.get_page(page_number)
    rows = attach_people(list(page.object_list))
    if within:
        assert sort is not None
        rows.sort(key=_within_page_key(sort))
    # The table says so when the name order holds only within the page (the other sorts break ties by name).
    page.sorted_within = within and sort not in ("progress", "activity")  # type: ignore[attr-defined]
    # Prefetch for the rows of this page only, never the whole course.
    prefetch_related_objects(rows, _groups_prefetch())
    page.object_list = rows
    return page


def pending_requests(*, course: Course) -> list[Enrollment]:
    """Requests for a place, oldest first (the first PENDING_SHOWN; the status filter shows them all)."""
    return attach_people(
        list(
            with_person(Enrollment.objects.filter(course=course, status=Status.PENDING)).order_by("created_at", "pk")[
                :PENDING_SHOWN
            ]
        )
    )


def pending_count(*, course: Course) -> int:
    return Enrollment.objects.filter(course=course, status=Status.PENDING).count()


def enrollment_get(*, course: Course, enrollment_id: int) -> Enrollment | None:
    """One enrollment of this course (another course's id is simply not there)."""
    return (
        Enrollment.objects.filter(course=course, pk=enrollment_id)
        .select_related("organization", "course", "membership__user", "version")
        .first()
    )


def live_enrollment_ids(*, course: Course, ids: list[int]) -> list[int]:
    """Of these ids, the live enrollments of this course (the rest is ignored: stale or forged)."""
    if not ids:
        return []
    return list(
        Enrollment.objects.filter(course=course, pk__in=ids, status__in=LIVE_STATES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def everyone_ids(*, course: Course, group_id: int | None = None, include_completed: bool = True) -> list[int]:
    """Live enrollments of the course (or of one group), for a message to everyone; without those who completed
    the course unless `include_completed`."""
    qs = Enrollment.objects.filter(course=course, status__in=LIVE_STATES)
    if not include_completed:
        qs = qs.exclude(status=Status.COMPLETED)
    if group_id is not None:
        qs = qs.filter(Exists(GroupMember.objects.filter(enrollment=OuterRef("pk"), group_id=group_id)))
    return list(qs.values_list("pk", flat=True))


@dataclass(frozen=True)
class MessageCounts:
    """How many people each choice of the message page reaches: still learning (active, pending, waitlisted) and,
    apart, those who completed the course."""

    learning: int
    completed: int
    groups: dict[int, tuple[int, int]]  # group id -> (learning, completed)


def message_counts(*, course: Course) -> MessageCounts:
    """The recipients' counts of the message page (two queries, however many groups and people)."""
    done = Q(status=Status.COMPLETED)
    totals = Enrollment.objects.filter(course=course, status__in=LIVE_STATES).aggregate(
        learning=Count("pk", filter=~done), completed=Count("pk", filter=done)
    )
    done_member = Q(enrollment__status=Status.COMPLETED)
    rows = (
        GroupMember.objects.filter(group__course=course, enrollment__status__in=LIVE_STATES)
        .values("group_id")
        .annotate(learning=Count("pk", filter=~done_member), completed=Count("pk", filter=done_member))
        .order_by()
    )
    return MessageCounts(
        learning=totals["learning"] or 0,
        completed=totals["completed"] or 0,
        groups={row["group_id"]: (row["learning"], row["completed"]) for row in rows},
    )


# --- people to enroll --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    membership: Membership
    enrolled: bool  # already has a live enrollment: shown, but not offered


def people_to_enroll(*, organization: Organization, course: Course, term: str) -> list[Candidate]:
    """Active members of the organisation matching a name or email (at most SEARCH_LIMIT), each saying whether
    they are already enrolled. Two queries."""
    found = account_selectors.member_search(organization=organization, term=term, visible=Q(), limit=SEARCH_LIMIT)
    live = set(
        Enrollment.objects.filter(
            course=course, membership_id__in=[m.pk for m in found], status__in=LIVE_STATES
        ).values_list("membership_id", flat=True)
    )
    return [Candidate(member, member.pk in live) for member in found]


def memberships_by_ids(*, organization: Organization, ids: list[int]) -> list[Membership]:
    return list(Membership.objects.filter(organization=organization, pk__in=ids, is_active=True).select_related("user"))


# --- one participant ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityLine:
    uid: str
    section: str
    title: str
    kind: str
    required: bool
    state: str  # not_started, in_progress, completed
    state_label: str
    completed_at: dt.datetime | None
    completed_by: str  # who marked it complete for the learner ("" = the learner)
    note: str
    time_spent_seconds: int
    score: Decimal | None

    @property
    def time_spent(self) -> str:
        return duration_text(self.time_spent_seconds)


def duration_text(seconds: int) -> str:
    """Time spent as people say it: "1 h 5 min", "12 min", "under a minute", or "—" for none."""
    if not seconds:
        return "—"
    minutes = seconds // 60
    if minutes == 0:
        return _("under a minute")
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}


def participant_activities(*, enrollment: Enrollment) -> list[ActivityLine]:
    """The learner's state per activity of the version they follow, in outline order (two queries)."""
    from syllabus.progress.models import ActivityProgress, State

    version_id = enrollment.version_id or (enrollment.course.published_version_id if enrollment.course else None)
    snapshot = CourseVersion.objects.filter(pk=version_id or 0).values_list("snapshot", flat=True).first() or {}
    rows = {
        str(row.activity_uid): row
        for row in ActivityProgress.objects.filter(enrollment=enrollment).select_related("completed_by")
    }
    section_titles = {section["uid"]: section.get("title", "") for section in snapshot.get("sections", [])}
    labels = dict(State.choices)
    out = []
    for activity in versions.activities(snapshot):
        row = rows.get(str(activity["uid"]))
        state = row.state if row else State.NOT_STARTED
        out.append(
            ActivityLine(
                uid=str(activity["uid"]),
                section=section_titles.get(activity["section_uid"], ""),
                title=activity.get("title", ""),
                kind=activity.get("kind", ""),
                required=bool(activity.get("is_required", True)),
                state=state,
                state_label=str(labels.get(state, state)),
                completed_at=row.completed_at if row else None,
                completed_by=(row.completed_by.display_name or row.completed_by.email)
                if row and row.completed_by
                else "",
                note=row.completion_note if row else "",
                time_spent_seconds=row.time_spent_seconds if row else 0,
                score=row.score if row else None,
            )
        )
    return out


def participant_groups(*, enrollment: Enrollment) -> list[CourseGroup]:
    return list(CourseGroup.objects.filter(members__enrollment=enrollment).order_by("name", "pk"))


# --- groups, messages, options -----------------------------------------------------------------------------------


def groups_of(*, course: Course) -> list[CourseGroup]:
    """The course's groups with `member_count` (one query)."""
    return list(
        CourseGroup.objects.filter(course=course)
        .annotate(member_count=Count("members", filter=Q(members__enrollment__status__in=LIVE_STATES)))
        .order_by("name", "pk")
    )


def group_get(*, course: Course, group_id: int) -> CourseGroup | None:
    return CourseGroup.objects.filter(course=course, pk=group_id).select_related("course__organization").first()


def group_members(*, group: CourseGroup) -> list[Enrollment]:
    """The live participants in a group, by name (one query)."""
    return list(
        Enrollment.objects.filter(group_memberships__group=group, status__in=LIVE_STATES)
        .select_related("membership__user")
        .order_by("membership__user__display_name", "pk")
    )


def live_participants(*, course: Course) -> QuerySet[Enrollment]:
    """Everyone with a live enrollment, by name: the choices for adding people to a group."""
    return (
        Enrollment.objects.filter(course=course, status__in=LIVE_STATES)
        .select_related("membership__user")
        .order_by("membership__user__display_name", "pk")
    )


def messages_sent(*, course: Course) -> list[CourseMessage]:
    return list(
        CourseMessage.objects.filter(course=course)
        .select_related("sender")
        .order_by("-created_at", "-pk")[:MESSAGES_SHOWN]
    )


def options_of(*, course: Course) -> EnrollmentOptions:
    """The course's enrollment options, or unsaved defaults."""
    found = EnrollmentOptions.objects.filter(course=course).first()
    return found or EnrollmentOptions(organization_id=course.organization_id, course=course)


def seats_taken(*, course: Course) -> int:
    """Places held now (active and completed), counted: the options row may not exist yet."""
    return Enrollment.objects.filter(course=course, status__in=(Status.ACTIVE, Status.COMPLETED)).count()


def waiting_list(*, course: Course) -> list[Enrollment]:
    """The waiting list in the order places are given (first come, first served)."""
    return list(
        Enrollment.objects.filter(course=course, status=Status.WAITLISTED)
        .select_related("membership__user")
        .order_by("created_at", "pk")
    )


def participants_to_add(*, course: Course, group: CourseGroup, term: str) -> list[Enrollment]:
    """Live participants matching a name or email who are not in the group yet (at most SEARCH_LIMIT)."""
    term = term.strip()[:100]
    if not term:
        return []
    return list(
        Enrollment.objects.filter(course=course, status__in=LIVE_STATES)
        .exclude(Exists(GroupMember.objects.filter(enrollment=OuterRef("pk"), group=group)))
        .filter(Q(membership__user__display_name__icontains=term) | Q(membership__user__email__icontains=term))
        .select_related("membership__user")
        .order_by("membership__user__display_name", "pk")[:SEARCH_LIMIT]
    )


def enrollments_named(*, course: Course, ids: list[int]) -> list[Enrollment]:
    """These enrollments of the course with their people, by name (the recipients shown before sending)."""
    if not ids:
        return []
    return list(
        Enrollment.objects.filter(course=course, pk__in=ids)
        .select_related("membership__user")
        .order_by("membership__user__display_name", "pk")
    )
