"""Scale data for enrollments and progress: `manage.py generate_scale --course-size S|M|L`, `--enrollments N`
and `--team-manager N`, registered with `syllabus.core.scale` by `register_scale()` (EnrollmentConfig.ready()).

- `--course-size S|M|L` builds one published course the size of Moodle's test-course generator (admin/tool/
  generator: S = 100 learners and 10 sections, M = 1,000 learners, 100 sections and ~300 activities, L = 10,000
  learners, 500 sections and ~1,500 activities; see `SIZES`) through `catalog.scale.build_sized_course`, then
  enrolls that many people of the organisation (adding people when it has too few) with a realistic mix: some not
  started, most part of the way (activity rows for what they did), some completed (every activity, and the
  `Completion` line of their transcript). Long courses are finished by fewer people, and nobody in progress has
  gone far into 1,500 pages, which also keeps L under a minute.
- `--enrollments N` spreads N enrollments over the organisation's people and its published courses nobody is
  enrolled in yet (building MIN_FREE_COURSES catalog courses first when there are fewer): about N / people each,
  popular courses more often, every status (active, completed with its transcript line, pending, waitlisted,
  withdrawn, declined), due dates on most assigned training and some of them overdue. Summary fields only: no
  activity rows (1,000,000 enrollments would need about ten million).
- `--team-manager N` gives one manager a reporting line of N people (direct reports plus indirect), as the manager
  team page is measured for: the manager whose line is closest below N, who then takes over whole teams (and a
  few single people) from elsewhere in the organisation until the line holds exactly N.

Fast on purpose, like the other generators: rows go straight into the tables in batches (COPY on PostgreSQL,
see `TableWriter`) inside one transaction, with no per-row services, events or audit records — one audit summary
per run (`enrollment.bulk_created`, with the count and a digest of the ids). The course itself is published by the
catalog's own code. Deterministic for a given --seed. Planner statistics are refreshed at the end (ANALYZE).
Timings on the reference machine are in bench/README.md ("Enrollments, dashboards and throughput").
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.management import CommandError
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef

from syllabus.accounts.management.commands.generate_scale import FIRST_NAMES, LAST_NAMES, email_domain
from syllabus.accounts.models import Membership, Organization, User
from syllabus.audit.services import audit_record_bulk
from syllabus.catalog import scale as catalog_scale
from syllabus.catalog import versions
from syllabus.catalog.models import Activity, CatalogEntry, Course, CourseVersion
from syllabus.core import clock, scale
from syllabus.enrollment.models import Enrollment, Method, Status
from syllabus.progress.models import ActivityProgress, Completion, State


@dataclass(frozen=True)
class CourseSize:
    key: str
    learners: int
    sections: int
    activities: int
    completed_share: float  # of the learners, who finished the course
    furthest: int  # how many activities at most someone still in progress has reached


SIZES: dict[str, CourseSize] = {
    size.key: size
    for size in (
        CourseSize("S", learners=100, sections=10, activities=50, completed_share=0.30, furthest=49),
        CourseSize("M", learners=1_000, sections=100, activities=300, completed_share=0.15, furthest=120),
        CourseSize("L", learners=10_000, sections=500, activities=1_500, completed_share=0.01, furthest=30),
    )
}
NOT_STARTED_SHARE = 0.25
# Of the people with a due date and training still to do, how many are past it.
OVERDUE_SHARE = 0.2
# Below this many courses free of enrollments, --enrollments builds catalog courses first.
MIN_FREE_COURSES = 500
# How many learners of a sized course are planned and inserted at once (their activity rows go with them).
LEARNERS_PER_ROUND = 1_000

SIZED_METHODS = (
    (Method.SELF, 55),
    (Method.MANAGER, 20),
    (Method.AUDIENCE, 15),
    (Method.ADMIN, 5),
    (Method.INSTRUCTOR, 5),
)
METHODS = ((Method.SELF, 35), (Method.MANAGER, 20), (Method.AUDIENCE, 30), (Method.ADMIN, 10), (Method.IMPORT, 5))
ASSIGNED = frozenset({Method.MANAGER, Method.AUDIENCE, Method.ADMIN, Method.IMPORT})
STATUSES = (
    (Status.COMPLETED, 34),
    (Status.ACTIVE, 46),
    (Status.PENDING, 3),
    (Status.WAITLISTED, 2),
    (Status.WITHDRAWN, 10),
    (Status.DECLINED, 5),
)
WITHDRAW_REASONS = ("Changed role.", "No longer required.", "Left the team.", "Enrolled by mistake.")
DECLINE_REASONS = ("Not needed for your role.", "Please take the refresher instead.", "The course is full this term.")
COURSE_SIZE_HELP = (
    "Build one published course of Moodle's test-course sizes and enroll its learners with progress: "
    "S = 100 learners, 10 sections; M = 1,000 learners, 100 sections, 300 activities; "
    "L = 10,000 learners, 500 sections, 1,500 activities."
)
ENROLLMENTS_HELP = (
    "How many enrollments to spread over the organisation's people and published courses (mixed statuses, "
    "due dates, some overdue)."
)
TEAM_TOO_SMALL = "The organisation has nobody who could manage {size} people: build it with more --users."
TEAM_HELP = "Give one manager a reporting line of this many people (direct and indirect), e.g. 2000."


def register_scale() -> None:
    """Add this app's options to `manage.py generate_scale` (called from EnrollmentConfig.ready())."""
    scale.register(
        scale.ScaleGenerator(option="course-size", help=COURSE_SIZE_HELP, build=build_sized, choices=tuple(SIZES))
    )
    scale.register(scale.ScaleGenerator(option="enrollments", help=ENROLLMENTS_HELP, build=build_enrollments))
    scale.register(scale.ScaleGenerator(option="team-manager", help=TEAM_HELP, build=build_team))


# --- finding what was built (for bench/) -----------------------------------------------------------------------------


def sized_course(organization: Organization, size: str) -> Course | None:
    """The newest published course built by `--course-size size` in this organisation."""
    suffix = catalog_scale.SIZED_TITLE.format(topic="", size=size)
    return (
        Course.objects.filter(organization=organization, title__endswith=suffix, published_version__isnull=False)
        .order_by("-pk")
        .first()
    )


def team_manager(organization: Organization, size: int = 2_000) -> Membership | None:
    """The person whose reporting line is closest to `size` people."""
    tree = ReportingTree(Membership.objects.filter(organization=organization).values_list("pk", "manager_id"))
    managers = [pk for pk in tree.sizes if tree.sizes[pk] > 0]
    if not managers:
        return None
    best = min(managers, key=lambda pk: (abs(tree.sizes[pk] - size), pk))
    return Membership.objects.select_related("user").get(pk=best)


# --- shared helpers ------------------------------------------------------------------------------------------------


def weighted(context: scale.ScaleContext, choices: Sequence[tuple[Any, int]]) -> Any:
    return context.random.choices([value for value, _ in choices], weights=[weight for _, weight in choices])[0]


def inserted(rows: list[Any], model: Any, batch_size: int) -> list[Any]:
    created = model.objects.bulk_create(rows, batch_size=batch_size)
    assert all(row.pk is not None for row in created), "the database must return the ids of bulk inserts"
    return list(created)


def analyze(models: Iterable[Any]) -> None:
    """Refresh the planner statistics of the tables just filled (stale ones make PostgreSQL pick slow plans)."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def audit_summary(context: scale.ScaleContext, ids: list[int], **details: Any) -> None:
    audit_record_bulk(
        organization=context.organization,
        action="enrollment.bulk_created",
        actor=None,
        target_type="enrollment.enrollment",
        ids=ids,
        details={"source": "generate_scale", **details},
    )


def people(context: scale.ScaleContext, wanted: int) -> list[int]:
    """Ids of at least `wanted` active people of the organisation, adding people when it has too few."""
    organization = context.organization
    ids = list(
        Membership.objects.filter(organization=organization, is_active=True).order_by("pk").values_list("pk", flat=True)
    )
    if len(ids) < wanted:
        ids.extend(add_people(context, wanted - len(ids)))
    return ids


def add_people(context: scale.ScaleContext, count: int) -> list[int]:
    """`count` more people like the generated ones: each joins the team of an existing person (same unit, manager,
    role, location), with the organisation's shared scale password and the accounts generator's email domain (so
    `generate_scale --reset` deletes them too)."""
    organization, rnd = context.organization, context.random
    members = Membership.objects.filter(organization=organization)
    total = members.count()
    password = members.values_list("user__password", flat=True).order_by("pk").first() or "!"
    leaves: list[tuple[Any, ...]] = list(
        members.filter(is_active=True, manager__isnull=False)
        .exclude(Exists(Membership.objects.filter(manager=OuterRef("pk"))))
        .order_by("pk")
        .values_list("org_unit_id", "manager_id", "job_role_id", "location_id", "attributes")[:5_000]
    )
    if not leaves:
        top = members.order_by("pk").values_list("org_unit_id", "pk", "job_role_id", "location_id").first()
        leaves = [(*top, {})] if top else [(None, None, None, None, {})]
    domain, now, today = email_domain(organization.slug), clock.now(), clock.today()
    created: list[int] = []
    for start in range(0, count, context.batch_size):
        pairs = []
        for number in range(total + start + 1, total + min(count, start + context.batch_size) + 1):
            first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
            unit_id, manager_id, role_id, location_id, attributes = rnd.choice(leaves)
            # The accounts generator numbers people from 0 in emails and from 1 in employee ids; continue both.
            user = User(
                email=f"{first}.{last}.{number - 1}@{domain}".lower(),
                display_name=f"{first} {last}",
                password=password,
                date_joined=now,
            )
            membership = Membership(
                organization=organization,
                org_unit_id=unit_id,
                manager_id=manager_id,
                job_role_id=role_id,
                location_id=location_id,
                employee_id=f"E{number:07d}",
                hire_date=today - dt.timedelta(days=rnd.randint(0, 20 * 365)),
                attributes=dict(attributes or {}),
            )
            pairs.append((user, membership))
        users = inserted([user for user, _ in pairs], User, context.batch_size)
        for user, (_, membership) in zip(users, pairs, strict=True):
            membership.user_id = user.pk
        created.extend(m.pk for m in inserted([m for _, m in pairs], Membership, context.batch_size))
    who = "person" if count == 1 else "people"
    context.report.append(f"Added {count:,} {who} to {organization.slug!r} (it had {total:,}).")
    return created


def due_date(context: scale.ScaleContext, asked: dt.datetime, now: dt.datetime, *, still_open: bool) -> dt.datetime:
    """A due date for training asked for at `asked`: for training still to do, overdue for OVERDUE_SHARE of people
    (by up to three months) and ahead for the others; for training finished or ended, some weeks after `asked`."""
    rnd = context.random
    if not still_open:
        return asked + dt.timedelta(days=rnd.randint(14, 180))
    if rnd.random() < OVERDUE_SHARE:
        return max(asked + dt.timedelta(days=7), now - dt.timedelta(days=rnd.randint(1, 90)))
    return now + dt.timedelta(days=rnd.randint(7, 180))


def moment_between(context: scale.ScaleContext, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    if end <= start:
        return start
    return start + (end - start) * context.random.random()


# --- rows straight into tables ------------------------------------------------------------------------------------


class TableWriter:
    """Rows into one table without model instances: COPY on PostgreSQL, executemany on SQLite.

    Building a model instance and preparing each value through its field costs ~40 µs a row, and PostgreSQL's
    COPY loads rows several times faster than INSERT: together the difference between 3 minutes and 30 seconds
    for a Moodle-size L course. A row is a dict of attribute names (`course_id`); missing ones take the field's
    default, `created_at` / `updated_at` the start of the run. Ids, when wanted, are reserved up front
    (`reserve_ids`) so related rows can point at them before they are written.
    """

    def __init__(self, model: Any, *, now: dt.datetime, with_ids: bool = False) -> None:
        self.model = model
        self.table = model._meta.db_table
        fields = [f for f in model._meta.concrete_fields if with_ids or not f.primary_key]
        self.names = [f.attname for f in fields]
        self.columns = [f.column for f in fields]
        self.defaults: dict[str, Any] = {}
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = now
            elif not f.primary_key:
                self.defaults[f.attname] = f.get_default()
        self.adapters = [self.adapter(f) for f in fields]

    @staticmethod
    def adapter(f: Any) -> Any:
        """How a Python value goes to the database for this field (None: as it is)."""
        from django.db import models

        if isinstance(f, models.JSONField):
            return json.dumps
        if connection.vendor == "postgresql":
            return None  # psycopg adapts datetimes, UUIDs and decimals itself
        if isinstance(f, models.DateTimeField):
            return connection.ops.adapt_datetimefield_value
        if isinstance(f, models.UUIDField):
            return lambda value: value.hex
        if isinstance(f, models.DecimalField):
            return str
        return None

    def reserve_ids(self, count: int) -> list[int]:
        """`count` ids for new rows. PostgreSQL takes them from the table's sequence; SQLite numbers on from the
        largest id (this transaction holds SQLite's only write lock once it has written, so run it alone)."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [self.table, count]
                )
                return [row[0] for row in cursor.fetchall()]
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(self.table)}")  # noqa: S608
            start = cursor.fetchone()[0] + 1
            return list(range(start, start + count))

    def tuples(self, rows: Iterable[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
        names, defaults, adapters = self.names, self.defaults, self.adapters
        for row in rows:
            values = []
            for name, adapt in zip(names, adapters, strict=True):
                value = row[name] if name in row else defaults[name]
                values.append(adapt(value) if adapt is not None and value is not None else value)
            yield tuple(values)

    def write(self, rows: Iterable[dict[str, Any]]) -> int:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(column) for column in self.columns)
        written = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Table and column names come from model metadata, never from input.
                with cursor.cursor.copy(f"COPY {quote(self.table)} ({columns}) FROM STDIN") as copy:
                    for values in self.tuples(rows):
                        copy.write_row(values)
                        written += 1
                return written
            marks = ", ".join(["%s"] * len(self.columns))
            values_list = list(self.tuples(rows))
            cursor.executemany(f"INSERT INTO {quote(self.table)} ({columns}) VALUES ({marks})", values_list)  # noqa: S608
            return len(values_list)


# --- one course of a given size ---------------------------------------------------------------------------------------


def build_sized(context: scale.ScaleContext, size_key: str) -> None:
    """`--course-size S|M|L`: see the module docstring."""
    size = SIZES[size_key]
    started = time.perf_counter()
    with transaction.atomic():
        everyone = people(context, size.learners + 1)
        chosen = context.random.sample(everyone, size.learners + 1)
        owner_id, learner_ids = chosen[0], sorted(chosen[1:])
        course = catalog_scale.build_sized_course(
            context, size=size.key, sections=size.sections, activities=size.activities, owner_id=owner_id
        )
        built_at = time.perf_counter()
        version = CourseVersion.objects.get(pk=course.published_version_id or 0)
        # Published a year ago, so the learners' year of enrollments and progress comes after it.
        published_at = clock.now() - dt.timedelta(days=365)
        CourseVersion.objects.filter(pk=version.pk).update(published_at=published_at)
        CatalogEntry.objects.filter(course=course).update(published_at=published_at)
        plan = SizedPlan(context, size, course, version, published_at)
        ids: list[int] = []
        for start in range(0, len(learner_ids), LEARNERS_PER_ROUND):
            ids.extend(plan.insert(learner_ids[start : start + LEARNERS_PER_ROUND]))
        audit_summary(
            context,
            ids,
            course_id=course.pk,
            size=size.key,
            activity_rows=plan.activity_rows,
            completions=plan.completions,
        )
    analyze((Enrollment, ActivityProgress, Completion, Activity))
    elapsed = time.perf_counter() - started
    context.report.append(
        f"Built course {course.pk} {course.title!r}: {size.sections} sections, {size.activities} activities "
        f"in {built_at - started:.1f} s; enrolled {len(ids):,} learners ({plan.completions:,} completed, "
        f"{plan.activity_rows:,} activity progress rows); {elapsed:.1f} s in all."
    )


class SizedPlan:
    """Enrollments with activity progress for the learners of one freshly built course."""

    def __init__(
        self,
        context: scale.ScaleContext,
        size: CourseSize,
        course: Course,
        version: CourseVersion,
        published_at: dt.datetime,
    ) -> None:
        self.context, self.size, self.course, self.version = context, size, course, version
        outline = versions.activities(version.snapshot)
        self.uids = [uuid.UUID(str(activity["uid"])) for activity in outline]
        self.required = [bool(activity.get("is_required", True)) for activity in outline]
        self.required_count = sum(self.required) or 1
        self.published_at = published_at
        self.now = clock.now()
        self.enrollments = TableWriter(Enrollment, now=self.now, with_ids=True)
        self.progress = TableWriter(ActivityProgress, now=self.now)
        self.transcript = TableWriter(Completion, now=self.now)
        self.activity_rows = 0
        self.completions = 0

    def insert(self, learner_ids: Sequence[int]) -> list[int]:
        """Plan and write the enrollments of these learners, their activity rows and transcript lines."""
        rnd, size, org_id = self.context.random, self.size, self.course.organization_id
        ids = self.enrollments.reserve_ids(len(learner_ids))
        enrollments: list[dict[str, Any]] = []
        progress: list[dict[str, Any]] = []
        completions: list[dict[str, Any]] = []
        for enrollment_id, membership_id in zip(ids, learner_ids, strict=True):
            enrolled_at = moment_between(self.context, self.published_at, self.now - dt.timedelta(days=1))
            method = weighted(self.context, SIZED_METHODS)
            roll = rnd.random()
            if roll < size.completed_share:
                reached = len(self.uids)
            elif roll < size.completed_share + NOT_STARTED_SHARE:
                reached = 0
            else:
                reached = rnd.randint(1, min(size.furthest, len(self.uids) - 1))
            finished = reached == len(self.uids)
            due_at = None
            if method != Method.SELF or rnd.random() < 0.2:
                due_at = due_date(self.context, enrolled_at, self.now, still_open=not finished)
            last_at = moment_between(self.context, enrolled_at, self.now)
            rows = self.progress_rows(enrollment_id, reached, enrolled_at, last_at, finished=finished)
            done = sum(
                1 for row, required in zip(rows, self.required, strict=False) if required and row["completed_at"]
            )
            spent = sum(row["time_spent_seconds"] for row in rows)
            enrollments.append(
                {
                    "id": enrollment_id,
                    "organization_id": org_id,
                    "membership_id": membership_id,
                    "course_id": self.course.pk,
                    "status": Status.COMPLETED if finished else Status.ACTIVE,
                    "method": method,
                    "version_id": self.version.pk,
                    "due_at": due_at,
                    "enrolled_at": enrolled_at,
                    "status_changed_at": last_at if finished else enrolled_at,
                    "progress_percent": 100 if finished else min(99, done * 100 // self.required_count),
                    "last_activity_at": rows[-1]["last_seen_at"] if rows else None,
                    "last_activity_uid": rows[-1]["activity_uid"] if rows else None,
                    "time_spent_seconds": spent,
                    "completed_at": last_at if finished else None,
                }
            )
            progress.extend(rows)
            if finished:
                completions.append(
                    {
                        "organization_id": org_id,
                        "membership_id": membership_id,
                        "source": Completion.Source.COURSE,
                        "course_id": self.course.pk,
                        "enrollment_id": enrollment_id,
                        "version_id": self.version.pk,
                        "title": self.course.title,
                        "version_label": self.version.label,
                        "completed_at": last_at,
                        "time_spent_seconds": spent,
                    }
                )
        self.enrollments.write(enrollments)
        self.activity_rows += self.progress.write(progress)
        self.completions += self.transcript.write(completions)
        return ids

    def progress_rows(
        self, enrollment_id: int, reached: int, start: dt.datetime, end: dt.datetime, *, finished: bool
    ) -> list[dict[str, Any]]:
        """The first `reached` activities in outline order, seen one after another between `start` and `end`; the
        last one is still in progress half of the time when the course is not finished."""
        rnd, rows = self.context.random, []
        step = (end - start) / max(1, reached)
        for index in range(reached):
            seen = start + step * index
            spent = rnd.randint(30, 600)
            last_seen = min(end, seen + dt.timedelta(seconds=spent))
            open_now = not finished and index == reached - 1 and rnd.random() < 0.5
            rows.append(
                {
                    "organization_id": self.course.organization_id,
                    "enrollment_id": enrollment_id,
                    "activity_uid": self.uids[index],
                    "state": State.IN_PROGRESS if open_now else State.COMPLETED,
                    "first_seen_at": seen,
                    "last_seen_at": last_seen,
                    "completed_at": None if open_now else last_seen,
                    "completed_version_id": None if open_now else self.version.pk,
                    "signals": [] if open_now else ["viewed"],
                    "time_spent_seconds": spent,
                    "last_heartbeat_at": last_seen,
                }
            )
        return rows


# --- many enrollments over many courses ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseFacts:
    pk: int
    version_id: int
    version_label: str
    title: str
    activity_uids: tuple[uuid.UUID, ...]


def free_courses(organization: Organization) -> list[CourseFacts]:
    """Published courses of the organisation nobody is enrolled in, with what an enrollment row needs of them."""
    rows = list(
        Course.objects.filter(organization=organization, published_version__isnull=False, archived_at__isnull=True)
        .exclude(Exists(Enrollment.objects.filter(course=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", "published_version_id", "published_version__major", "published_version__minor", "title")
    )
    uids: dict[int, list[uuid.UUID]] = defaultdict(list)
    for course_id, uid in (
        Activity.objects.filter(course_id__in=[row[0] for row in rows]).order_by("pk").values_list("course_id", "uid")
    ):
        uids[course_id].append(uid)
    return [
        CourseFacts(pk, version_id, f"{major}.{minor}", title, tuple(uids[pk]))
        for pk, version_id, major, minor, title in rows
    ]


def build_enrollments(context: scale.ScaleContext, count: int) -> None:
    """`--enrollments N`: see the module docstring."""
    started = time.perf_counter()
    organization = context.organization
    with transaction.atomic():
        courses = free_courses(organization)
        if len(courses) < MIN_FREE_COURSES:
            catalog_scale.build_courses(context, MIN_FREE_COURSES - len(courses))
            courses = free_courses(organization)
        everyone = people(context, 1)
        per_person = shares(context, count, len(everyone), cap=len(courses))
        plan = EnrollmentPlan(context, courses)
        ids: list[int] = []
        for membership_ids, wanted in plan.rounds(everyone, per_person):
            ids.extend(plan.insert(membership_ids, wanted))
        audit_summary(context, ids, courses=len(courses), completions=plan.completions)
    analyze((Enrollment, Completion))
    statuses = ", ".join(f"{plan.statuses[status]:,} {status}" for status, _ in STATUSES)
    context.report.append(
        f"Built {len(ids):,} enrollments of {len(everyone):,} people in {len(courses):,} courses ({statuses}; "
        f"{plan.overdue:,} overdue; {plan.completions:,} transcript lines) in {time.perf_counter() - started:.1f} s."
    )


def shares(context: scale.ScaleContext, total: int, people_count: int, *, cap: int) -> list[int]:
    """How many enrollments each person gets: about total / people each, from a third to nearly twice that,
    adding up to `total` (as far as `cap` courses per person allow)."""
    rnd = context.random
    weights = [rnd.uniform(0.3, 1.7) for _ in range(people_count)]
    scale_by = total / sum(weights)
    counts = [min(cap, int(weight * scale_by)) for weight in weights]
    missing = total - sum(counts)
    order = list(range(people_count))
    rnd.shuffle(order)
    while missing > 0:
        progressed = False
        for index in order:
            if missing == 0:
                break
            if counts[index] < cap:
                counts[index] += 1
                missing -= 1
                progressed = True
        if not progressed:
            break
    return counts


class EnrollmentPlan:
    def __init__(self, context: scale.ScaleContext, courses: list[CourseFacts]) -> None:
        self.context, self.courses = context, courses
        # Popularity falls with rank (a few courses everyone takes, a long tail), in a shuffled order.
        ranked = list(range(len(courses)))
        context.random.shuffle(ranked)
        weights = [0.0] * len(courses)
        for rank, index in enumerate(ranked):
            weights[index] = 1 / (rank + 1) ** 0.8
        self.cumulative: list[float] = []
        running = 0.0
        for weight in weights:
            running += weight
            self.cumulative.append(running)
        self.now = clock.now()
        self.enrollments = TableWriter(Enrollment, now=self.now, with_ids=True)
        self.transcript = TableWriter(Completion, now=self.now)
        self.statuses: dict[str, int] = defaultdict(int)
        self.overdue = 0
        self.completions = 0

    def pick(self, wanted: int) -> list[int]:
        """`wanted` distinct course indexes, popular ones more likely."""
        rnd, chosen = self.context.random, dict[int, None]()
        while len(chosen) < wanted:
            for index in rnd.choices(range(len(self.courses)), cum_weights=self.cumulative, k=wanted - len(chosen)):
                chosen[index] = None
        return list(chosen)[:wanted]

    def rounds(self, everyone: Sequence[int], per_person: Sequence[int]) -> Iterator[tuple[list[int], list[int]]]:
        """People in groups of about `batch_size` enrollments."""
        group: list[int] = []
        wanted: list[int] = []
        for membership_id, count in zip(everyone, per_person, strict=True):
            group.append(membership_id)
            wanted.append(count)
            if sum(wanted) >= self.context.batch_size:
                yield group, wanted
                group, wanted = [], []
        if group:
            yield group, wanted

    def insert(self, membership_ids: Sequence[int], wanted: Sequence[int]) -> list[int]:
        ids = self.enrollments.reserve_ids(sum(wanted))
        enrollments: list[dict[str, Any]] = []
        completions: list[dict[str, Any]] = []
        next_id = iter(ids)
        for membership_id, count in zip(membership_ids, wanted, strict=True):
            for index in self.pick(count):
                enrollment, completion = self.row(next(next_id), membership_id, self.courses[index])
                enrollments.append(enrollment)
                if completion is not None:
                    completions.append(completion)
        self.enrollments.write(enrollments)
        self.completions += self.transcript.write(completions)
        return ids

    def row(
        self, enrollment_id: int, membership_id: int, course: CourseFacts
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        rnd, now, org_id = self.context.random, self.now, self.context.organization.pk
        status = weighted(self.context, STATUSES)
        method = weighted(self.context, METHODS)
        self.statuses[status] += 1
        asked = now - dt.timedelta(days=rnd.uniform(0, 720))
        due_at = None
        if rnd.random() < (0.75 if method in ASSIGNED else 0.15):
            still_open = status in (Status.ACTIVE, Status.PENDING, Status.WAITLISTED)
            due_at = due_date(self.context, asked, now, still_open=still_open)
        row: dict[str, Any] = {
            "id": enrollment_id,
            "organization_id": org_id,
            "membership_id": membership_id,
            "course_id": course.pk,
            "status": status,
            "method": method,
            "due_at": due_at,
            "status_changed_at": asked,
        }
        if status in (Status.ACTIVE, Status.COMPLETED, Status.WITHDRAWN):
            row.update(enrolled_at=asked, version_id=course.version_id)
        if status == Status.COMPLETED:
            done_at = moment_between(self.context, asked, now)
            row.update(
                progress_percent=100,
                completed_at=done_at,
                status_changed_at=done_at,
                score=Decimal(rnd.randint(60, 100)) if rnd.random() < 0.3 else None,
            )
        elif status in (Status.ACTIVE, Status.WITHDRAWN):
            row["progress_percent"] = rnd.randint(5, 95) if rnd.random() > 0.35 else 0
            if status == Status.WITHDRAWN:
                row.update(
                    status_changed_at=moment_between(self.context, asked, now), reason=rnd.choice(WITHDRAW_REASONS)
                )
            elif due_at is not None and due_at < now:
                self.overdue += 1
        elif status == Status.DECLINED:
            decided = moment_between(self.context, asked, min(now, asked + dt.timedelta(days=10)))
            row.update(decided_at=decided, status_changed_at=decided, reason=rnd.choice(DECLINE_REASONS))
        if row.get("progress_percent") and course.activity_uids:
            row.update(
                last_activity_at=moment_between(self.context, asked, row.get("completed_at") or now),
                last_activity_uid=rnd.choice(course.activity_uids),
                time_spent_seconds=row["progress_percent"] * rnd.randint(6, 60),
            )
        if status != Status.COMPLETED:
            return row, None
        return row, {
            "organization_id": org_id,
            "membership_id": membership_id,
            "source": Completion.Source.COURSE,
            "course_id": course.pk,
            "enrollment_id": enrollment_id,
            "version_id": course.version_id,
            "title": course.title,
            "version_label": course.version_label,
            "completed_at": row["completed_at"],
            "score": row["score"],
            "time_spent_seconds": row.get("time_spent_seconds", 0),
        }


# --- a manager of N people ------------------------------------------------------------------------------------------


class ReportingTree:
    """The organisation's reporting lines in memory: who manages whom, and how many people each line holds."""

    def __init__(self, pairs: Iterable[tuple[int, int | None]]) -> None:
        self.manager: dict[int, int | None] = dict(pairs)
        self.reports: dict[int, list[int]] = defaultdict(list)
        for pk, manager_id in self.manager.items():
            if manager_id is not None and manager_id in self.manager:
                self.reports[manager_id].append(pk)
        # Sizes bottom-up: walk from the tops, then add each person's line to their manager's in reverse.
        order: list[int] = []
        seen: set[int] = set()
        tops = [pk for pk, manager_id in self.manager.items() if manager_id is None or manager_id not in self.manager]
        stack = list(tops)
        while stack:
            pk = stack.pop()
            if pk in seen:
                continue
            seen.add(pk)
            order.append(pk)
            stack.extend(self.reports.get(pk, ()))
        self.sizes: dict[int, int] = dict.fromkeys(self.manager, 0)
        for pk in reversed(order):
            manager_id = self.manager[pk]
            if manager_id is not None and manager_id in self.sizes:
                self.sizes[manager_id] += self.sizes[pk] + 1

    def line(self, pk: int) -> set[int]:
        found: set[int] = set()
        stack = list(self.reports.get(pk, ()))
        while stack:
            person = stack.pop()
            if person not in found:
                found.add(person)
                stack.extend(self.reports.get(person, ()))
        return found

    def ancestors(self, pk: int) -> set[int]:
        found: set[int] = set()
        manager_id = self.manager.get(pk)
        while manager_id is not None and manager_id not in found:
            found.add(manager_id)
            manager_id = self.manager.get(manager_id)
        return found


def build_team(context: scale.ScaleContext, size: int) -> None:
    """`--team-manager N`: see the module docstring."""
    started = time.perf_counter()
    organization = context.organization
    with transaction.atomic():
        tree = ReportingTree(
            Membership.objects.filter(organization=organization, is_active=True).values_list("pk", "manager_id")
        )
        # The biggest line that fits (someone with no reports at worst), never the top of the organisation.
        fitting = [pk for pk, line in tree.sizes.items() if line <= size and tree.manager[pk] is not None]
        if not fitting:
            raise CommandError(TEAM_TOO_SMALL.format(size=size))
        chosen = max(fitting, key=lambda pk: (tree.sizes[pk], -pk))
        gap = size - tree.sizes[chosen]
        blocked = tree.line(chosen) | tree.ancestors(chosen) | {chosen}
        # Biggest whole lines first (teams with their lead), single people last; never someone above the manager.
        movable = sorted(
            (pk for pk, manager_id in tree.manager.items() if manager_id is not None and pk not in blocked),
            key=lambda pk: (-tree.sizes[pk], pk),
        )
        moved: list[int] = []
        for pk in movable:
            if gap == 0:
                break
            if pk in blocked or tree.sizes[pk] + 1 > gap:
                continue
            moved.append(pk)
            gap -= tree.sizes[pk] + 1
            blocked |= tree.line(pk) | tree.ancestors(pk) | {pk}
        Membership.objects.filter(pk__in=moved).update(manager_id=chosen)
    analyze((Membership,))
    manager = Membership.objects.select_related("user").get(pk=chosen)
    line = size - gap
    direct = Membership.objects.filter(manager=manager).aggregate(n=Count("pk"))["n"]
    context.report.append(
        f"Manager {manager.user.email} (membership {manager.pk}) has {line:,} people in their reporting line "
        f"({direct:,} direct reports; {len(moved):,} moved in) in {time.perf_counter() - started:.1f} s."
    )
