"""Reads of the manager's pages: the team with each person's training counts, one person's training, the courses
a manager may assign, who "the whole team" is, and the requests waiting for the viewer's decision.

The team page must cost the same few queries for a manager of 2,000 people over a million enrollments: people are
paginated in SQL, and the counts of one page come from one aggregate query over that page's membership ids
(conditional `Count(..., filter=Q(...))`), never a query per person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)

from syllabus.access.policy import Principal
from syllabus.accounts.models import Membership, Organization, OrgUnit, User
from syllabus.catalog.models import Course, CourseStaff
from syllabus.core import clock
from syllabus.enrollment.models import LIVE_STATES, Enrollment, Method, Status
from syllabus.progress.models import ExternalTraining

# Search results offered as choices at once (courses, people): type more to narrow them.
CHOICES_SHOWN = 20


# --- the team ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamFilter:
    search: str = ""
    org_unit: OrgUnit | None = None
    overdue_only: bool = False
    direct_only: bool = False


@dataclass(frozen=True)
class TrainingCounts:
    assigned: int = 0
    in_progress: int = 0
    overdue: int = 0
    completed: int = 0
    last_activity_at: dt.datetime | None = None


def _overdue_q(now: dt.datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}status": Status.ACTIVE, f"{prefix}due_at__lt": now})


def _not_me(principal: Principal) -> Q:
    # Your own training is on your dashboard; the team pages are about the people you look after.
    return ~Q(pk=principal.membership.pk) if principal.membership is not None else Q()


def read_reporting_line(principal: Principal) -> None:
    """Read the viewer's reporting line once, before anything asks whether they manage anyone (one query).

    `has_reports` then comes from it, and the scope filters on the ids of a line of up to
    `access.policy.LINE_IDS_INLINE` people instead of walking the tree again in the count and in the page's query.
    Someone who sees the whole organisation has nothing to read.
    """
    if principal.is_member and not principal.holds_org_wide("enrollment.view"):
        _ = principal.reporting_line_ids


# Up to this many units of the viewer's people, `org_unit_choices` reads only those and the units above them.
TEAM_UNITS_READ_APART = 200


def org_unit_choices(
    *,
    organization: Organization,
    principal: Principal | None = None,
    also: int | None = None,
    team_units: Collection[int | None] | None = None,
) -> list[tuple[int, str]]:
    """(id, indented name) of units in tree order, siblings by name: the department filter's choices. One query
    (two with `team_units`: theirs first, then those and the units above them).

    With `principal` (who does not see the whole organisation): only the units where their people are, with the
    units above them for the tree, and `also` (the unit chosen now). A select of every unit of a large organisation
    (2,000 here) took 300 ms to render, for a manager whose 2,000 people are in 40 of them. Without member counts:
    `accounts.selectors.org_unit_choices` counts them, reading the whole membership table (90 ms at 100,000 people).
    `team_units`: the units of the viewer's people when the caller has read them already (`team_order`), which
    saves reading the people again here (7 ms for a line of 2,000).
    """
    narrow = principal is not None and not principal.holds_org_wide("enrollment.view")
    has_team: Any = Value(True)
    if narrow and team_units is None:
        assert principal is not None
        people = Membership.objects.filter(team_scope(organization=organization, principal=principal), is_active=True)
        has_team = ExpressionWrapper(Q(pk__in=people.values("org_unit_id")), output_field=BooleanField())
    units = OrgUnit.objects.for_organization(organization)
    wanted = {pk for pk in team_units if pk is not None} if narrow and team_units is not None else None
    if wanted is not None and len(wanted) <= TEAM_UNITS_READ_APART:
        # The units of the viewer's people are known: read those and the units above them (their paths name them)
        # rather than every unit of the organisation (2,000 rows turned into tuples and walked, ~5 ms, for 40).
        for path in units.filter(pk__in=sorted(wanted)).values_list("path", flat=True):
            wanted.update(int(part) for part in path.strip("/").split("/") if part.isdigit())
        if also is not None:
            wanted.add(also)
        units = units.filter(pk__in=sorted(wanted))
    rows: list[tuple[int, str, int, int | None, str, bool]] = list(
        units.annotate(has_team=has_team).values_list("pk", "name", "depth", "parent_id", "path", "has_team")  # type: ignore[misc]
    )
    if narrow:
        shown: set[int] = {also} if also is not None else set()
        teams = set(team_units) if team_units is not None else None
        for pk, _name, _depth, _parent, path, has_team in rows:
            if (pk in teams) if teams is not None else has_team:
                shown.add(pk)
                # The path holds the ids of the units above ("/3/17/42/").
                shown.update(int(part) for part in path.strip("/").split("/") if part.isdigit())
        rows = [row for row in rows if row[0] in shown]
    children: dict[int | None, list[tuple[int, str, int]]] = {}
    known = {row[0] for row in rows}
    for pk, name, depth, parent, _path, _has_team in rows:
        # A unit whose parent is not listed is shown as a root, as the tree of the people pages does.
        children.setdefault(parent if parent in known else None, []).append((pk, name, depth))
    out: list[tuple[int, str]] = []

    def walk(parent: int | None) -> None:
        for pk, name, depth in sorted(children.get(parent, []), key=lambda unit: unit[1].lower()):
            out.append((pk, "\u2014 " * depth + name))
            walk(pk)

    walk(None)
    return out


def team_scope(*, organization: Organization, principal: Principal, capability: str = "enrollment.view") -> Q:
    """People of the organisation whose training this person may see (or assign, with `enrollment.assign`)."""
    return Q(organization=organization) & principal.membership_q(capability) & _not_me(principal)


def team_list(
    *, organization: Organization, principal: Principal, filters: TeamFilter | None = None
) -> QuerySet[Membership]:
    """Active people in the viewer's scope, by name (paginate it: the counts come from `training_counts`)."""
    filters = filters or TeamFilter()
    qs = (
        Membership.objects.filter(team_scope(organization=organization, principal=principal), is_active=True)
        .select_related("org_unit")
        # What the table shows: not the attributes document.
        .only("organization", "user", "org_unit", "manager", "is_active", "org_unit__name", "org_unit__path")
        # The person's name and email as correlated subqueries rather than a join: the sort then probes the users
        # of the scope by primary key (2,000 probes for a line of 2,000), where a join hashed the whole user
        # table (100,000 rows) for it. `with_people` turns them back into `membership.user`.
        .annotate(
            person_name=Subquery(User.objects.filter(pk=OuterRef("user_id")).order_by().values("display_name")[:1]),
            person_email=Subquery(User.objects.filter(pk=OuterRef("user_id")).order_by().values("email")[:1]),
        )
        .order_by("person_name", "pk")
    )
    if filters.direct_only:
        qs = qs.filter(manager=principal.membership) if principal.membership is not None else qs.none()
    if filters.search:
        term = filters.search.strip()
        qs = qs.filter(Q(user__display_name__icontains=term) | Q(user__email__icontains=term))
    if filters.org_unit is not None:
        qs = qs.filter(OrgUnit.subtree_q(filters.org_unit.path, prefix="org_unit__"))
    if filters.overdue_only:
        overdue = Enrollment.objects.filter(_overdue_q(clock.now()), membership=OuterRef("pk"), course__isnull=False)
        qs = qs.filter(Exists(overdue))
    return qs


# A reporting line of up to this many people is read whole, in the page's order, in one query (`team_order`).
LIST_MAX = 5000


def team_order(
    *, organization: Organization, principal: Principal, filters: TeamFilter | None = None
) -> list[tuple[int, int | None]] | None:
    """(membership id, org unit id) of everyone `team_list` lists, in its order, when the viewer's scope is their
    reporting line of up to `LIST_MAX` people; None otherwise (the whole organisation, a unit's subtree, a longer
    line): page `team_list` itself then. One query.

    For a line of 2,000 this one pass over the people (10 ms) stands for two: the count and the page, which each
    probed the 2,000 people (and the page their names) again. Its length is the count, a slice of it a page
    (`team_people`), and unfiltered its units are those of the department choices (`org_unit_choices`).
    """
    view = "enrollment.view"
    if principal.holds_org_wide(view) or any(view in caps for caps in principal.unit_capabilities.values()):
        return None
    if len(principal.reporting_line_ids) > LIST_MAX:
        return None
    people = team_list(organization=organization, principal=principal, filters=filters)
    return list(people.values_list("pk", "org_unit_id"))


def team_people(membership_ids: Sequence[int]) -> list[Membership]:
    """The people of one page of `team_order`, in that order, with their name, email and unit. One query."""
    found = {
        member.pk: member
        for member in Membership.objects.filter(pk__in=list(membership_ids))
        .select_related("user", "org_unit")
        .only(
            "organization",
            "user",
            "org_unit",
            "manager",
            "is_active",
            "user__display_name",
            "user__email",
            "org_unit__name",
            "org_unit__path",
        )
    }
    return [found[pk] for pk in membership_ids if pk in found]


def with_people(members: list[Membership]) -> list[Membership]:
    """`membership.user` of rows of `team_list`, from the name and email the query read (no query; the user's
    other fields load on first use, as deferred fields do)."""
    for member in members:
        read = {"id": member.user_id, "display_name": member.person_name, "email": member.person_email}  # type: ignore[attr-defined]
        # from_db takes the values in the model's field order.
        names = [field.attname for field in User._meta.concrete_fields if field.attname in read]
        member.user = User.from_db(member._state.db, names, [read[name] for name in names])
    return members


def training_counts(*, membership_ids: Sequence[int], now: dt.datetime | None = None) -> dict[int, TrainingCounts]:
    """Per person: assigned (live, not self-made), in progress, overdue, completed, last activity. One query."""
    if not membership_ids:
        return {}
    now = now or clock.now()
    rows = (
        Enrollment.objects.filter(membership_id__in=list(membership_ids), course__isnull=False)
        .values("membership_id")
        .order_by()
        .annotate(
            assigned=Count("pk", filter=Q(status__in=LIVE_STATES) & ~Q(method=Method.SELF)),
            in_progress=Count(
                "pk",
                filter=Q(status=Status.ACTIVE) & (Q(progress_percent__gt=0) | Q(last_activity_at__isnull=False)),
            ),
            overdue=Count("pk", filter=_overdue_q(now)),
            completed=Count("pk", filter=Q(status=Status.COMPLETED)),
            last_activity=Max("last_activity_at"),
        )
    )
    return {
        row["membership_id"]: TrainingCounts(
            assigned=row["assigned"],
            in_progress=row["in_progress"],
            overdue=row["overdue"],
            completed=row["completed"],
            last_activity_at=row["last_activity"],
        )
        for row in rows
    }


def team_member_ids(*, organization: Organization, principal: Principal, direct_only: bool = False) -> list[int]:
    """Everyone "the whole team" means for an assignment: active people this person may assign training to."""
    qs = Membership.objects.filter(
        team_scope(organization=organization, principal=principal, capability="enrollment.assign"), is_active=True
    )
    if direct_only:
        qs = qs.filter(manager=principal.membership) if principal.membership is not None else qs.none()
    return list(qs.order_by("pk").values_list("pk", flat=True))


def assignable_people(*, organization: Organization, principal: Principal) -> QuerySet[Membership]:
    """People this person may assign a course to, one by one (the assign page's person choice)."""
    return (
        Membership.objects.filter(
            team_scope(organization=organization, principal=principal, capability="enrollment.assign"), is_active=True
        )
        .select_related("user")
        .order_by("user__display_name", "pk")
    )


def people_search(
    *, organization: Organization, principal: Principal, query: str, limit: int = CHOICES_SHOWN
) -> list[Membership]:
    """The first people in the assignment scope whose name or email contains the words (a page of choices)."""
    qs = assignable_people(organization=organization, principal=principal)
    for word in (query or "").split()[:5]:
        qs = qs.filter(Q(user__display_name__icontains=word) | Q(user__email__icontains=word))
    return list(qs[:limit])


def live_count(*, course: Course, membership_ids: Sequence[int]) -> int:
    """How many of these people already have a live enrollment in the course (left as they are on assignment)."""
    if not membership_ids:
        return 0
    return Enrollment.objects.filter(
        course=course, membership_id__in=list(membership_ids), status__in=LIVE_STATES
    ).count()


# --- one person --------------------------------------------------------------------------------------------------


def team_person_get(*, organization: Organization, principal: Principal, membership_id: int) -> Membership | None:
    """One person of the viewer's scope, or None (another organisation, or outside the scope: both are 404)."""
    return (
        Membership.objects.filter(team_scope(organization=organization, principal=principal), pk=membership_id)
        .select_related("user", "org_unit", "manager__user")
        .first()
    )


@dataclass(frozen=True)
class PersonTraining:
    current: list[Enrollment]  # pending, waitlisted and active: overdue first, then by due date
    completed: list[Enrollment]  # most recent first


def person_training(*, membership: Membership, now: dt.datetime | None = None) -> PersonTraining:
    now = now or clock.now()
    rows = list(
        Enrollment.objects.filter(membership=membership, status__in=LIVE_STATES, course__isnull=False)
        .select_related("course", "organization", "membership__org_unit")
        .order_by("due_at", "-created_at", "pk")
    )
    current = [row for row in rows if row.status != Status.COMPLETED]
    for row in current:
        row.is_overdue = row.status == Status.ACTIVE and row.due_at is not None and row.due_at < now  # type: ignore[attr-defined]
    # Overdue first; then the rest by due date with undated ones last.
    current.sort(key=lambda row: (not row.is_overdue, row.due_at is None, row.due_at or now))  # type: ignore[attr-defined]
    completed = sorted(
        (row for row in rows if row.status == Status.COMPLETED),
        key=lambda row: row.completed_at or row.status_changed_at,
        reverse=True,
    )
    return PersonTraining(current=current, completed=completed)


def team_enrollment_get(*, membership: Membership, enrollment_id: int) -> Enrollment | None:
    """One live enrollment of this person (the caller found the person in their scope first)."""
    return (
        Enrollment.objects.filter(pk=enrollment_id, membership=membership, status__in=LIVE_STATES)
        .select_related("course__organization", "organization", "membership__org_unit", "membership__user")
        .first()
    )


# --- courses to assign -------------------------------------------------------------------------------------------


def assignable_courses(*, organization: Organization) -> QuerySet[Course]:
    """Published, unarchived courses of the organisation: what anyone may be assigned."""
    return Course.objects.filter(
        organization=organization, published_version__isnull=False, archived_at__isnull=True
    ).order_by("title", "pk")


def course_search(*, organization: Organization, query: str, limit: int = CHOICES_SHOWN) -> list[Course]:
    qs = assignable_courses(organization=organization)
    words = (query or "").split()
    for word in words[:5]:
        qs = qs.filter(title__icontains=word)
    return list(qs[:limit])


# --- approvals ---------------------------------------------------------------------------------------------------


def decidable_requests_q(principal: Principal) -> Q:
    """A filter on Enrollment mirroring `policy.can_decide`: requests of the viewer's people, or for the courses
    they teach; never their own unless they assign organisation-wide."""
    if not principal.is_platform_admin and not principal.is_member:
        return Q(pk__in=[])
    if principal.holds_org_wide("enrollment.assign"):
        return Q()
    mine = ~Q(membership=principal.membership) if principal.membership is not None else Q()
    if principal.holds_org_wide("course.teach"):
        return mine
    people = principal.membership_q("enrollment.assign", prefix="membership__")
    taught = CourseStaff.objects.filter(membership=principal.membership).values("course_id")
    return (people | Q(course_id__in=taught)) & mine


def pending_requests(*, organization: Organization, principal: Principal) -> QuerySet[Enrollment]:
    return (
        Enrollment.objects.filter(
            decidable_requests_q(principal), organization=organization, status=Status.PENDING, course__isnull=False
        )
        .select_related("course", "membership__user", "membership__org_unit")
        .order_by("created_at", "pk")
    )


def pending_request_get(*, organization: Organization, principal: Principal, enrollment_id: int) -> Enrollment | None:
    return (
        pending_requests(organization=organization, principal=principal)
        .filter(pk=enrollment_id)
        .select_related("organization", "course__organization")
        .first()
    )


def may_approve_anything(principal: Principal) -> bool:
    """Has any reason to open the approvals page: assigns training to someone, or teaches a course."""
    if principal.is_platform_admin:
        return True
    if not principal.is_member:
        return False
    capabilities = principal.capabilities
    if "enrollment.assign" in capabilities or "course.teach" in capabilities:
        return True
    return CourseStaff.objects.filter(membership=principal.membership).exists()


def pending_external_count(*, organization: Organization, principal: Principal) -> int:
    """External training of the viewer's people waiting for a decision (decided on the progress app's page)."""
    return (
        ExternalTraining.objects.filter(organization=organization, status=ExternalTraining.Status.PENDING)
        .filter(principal.membership_q("enrollment.assign", prefix="membership__"))
        .exclude(membership=principal.membership)
        .count()
    )
