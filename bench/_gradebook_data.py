"""The data of bench/gradebook.py, made once per database and found again on the next run.

- An organisation `gradebench` built by `manage.py generate_scale` (org-unit tree, people with memberships),
  more people added when a bigger gradebook asks for them.
- One published course "Gradebook bench (10,000 × 500)" per size: `items` graded activities in CATEGORIES sections
  (quizzes, and every ASSIGNMENT_EVERY-th an assignment), every quiz on the same QUESTIONS real questions of the
  course's bank; an owner; `learners` enrolled people (a tenth completed) spread over GROUPS course groups.
- Its gradebook: settings with a pass mark, CATEGORIES weighted categories (one per section), one grade item per
  activity, a grade for about GRADED of the cells (a person's ability plus the item's difficulty plus noise; a few
  hidden, a few overridden with a reason) and a CourseGrade per learner (the mean of the category means, weighted).
- `attempts` finished first attempts of the course's first quiz, one QuestionAnswer per slot each, right more often
  for abler people, so the item statistics mean something.

Set-based on PostgreSQL (INSERT ... SELECT over generate_series, COPY for the small tables): 4.5 million grades
go in without a row passing through Python. On SQLite the same shapes are made row by row in Python (seeded), for
the smoke test's tiny sizes. The course is made in one transaction (a half-built course never exists); the attempts
in another, replaced when their number changes.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ORG = "gradebench"
SEED = 42
CATEGORIES = 10
GROUPS = 20
GRADED = 0.9  # of the cells, graded
HIDDEN = 0.02  # of the grades, hidden from the learner
OVERRIDDEN = 0.005  # of the grades, overridden by a grader
COMPLETED = 0.1  # of the enrollments
ASSIGNMENT_EVERY = 5  # every fifth activity is an assignment, the others quizzes
ASSIGNMENT_MAX = Decimal(100)
QUESTIONS = 20
PASS_MARK = Decimal(50)
QUIZ_PASS_MARK = Decimal(60)
UNIT_SHARE = 0.1  # the org-unit filter picks a unit holding about this share of the learners


@dataclass(frozen=True)
class Gradebook:
    """What the measuring part needs, found again on every run."""

    organization_id: int
    course_id: int
    version_id: int
    owner_user_id: int  # the course owner, who opens the gradebook
    learners: int
    items: int
    grades: int
    course_grades: int
    categories: tuple[int, ...]
    unit_id: int  # an org unit (with its sub-units) holding about UNIT_SHARE of the learners
    unit_learners: int
    group_id: int
    group_learners: int
    quiz_uid: str  # the quiz with the attempts
    attempts: int
    answers: int


def course_title(learners: int, items: int) -> str:
    return f"Gradebook bench ({learners:,} × {items})"


def build(*, learners: int, items: int, attempts: int, log: Callable[[str], None] = print) -> Gradebook:
    """The gradebook of this size and the quiz's attempts, made when missing (see the module docstring)."""
    from syllabus.catalog.models import Course

    organization = _organization(learners + 2, log)  # and the org admin, and the owner
    course = Course.objects.filter(organization=organization, title=course_title(learners, items)).first()
    if course is None:
        started = time.perf_counter()
        course = _course(organization, learners=learners, items=items, log=log)
        log(f"built the gradebook in {time.perf_counter() - started:.1f} s")
        _sync_items(course, log)
    quiz_uid = _quiz_uid(course)
    have = _attempt_count(course, quiz_uid)
    if have != attempts:
        started = time.perf_counter()
        _attempts(course, quiz_uid, attempts=attempts, log=log)
        log(f"made {attempts:,} attempts (there were {have:,}) in {time.perf_counter() - started:.1f} s")
    return found(course, quiz_uid)


# --- the organisation --------------------------------------------------------------------------------------------


def _organization(people: int, log: Callable[[str], None]) -> Any:
    from django.core.management import call_command

    from syllabus.accounts.models import Membership, Organization
    from syllabus.core import scale
    from syllabus.enrollment import scale as enrollment_scale

    organization = Organization.objects.filter(slug=ORG).first()
    if organization is None:
        started = time.perf_counter()
        # generate_scale's smallest organisation is 10 people.
        call_command("generate_scale", users=max(10, people), organization=ORG, verbosity=0)
        organization = Organization.objects.get(slug=ORG)
        log(f"generate_scale --users {max(10, people):,} in {time.perf_counter() - started:.1f} s")
    elif Membership.objects.filter(organization=organization, is_active=True).count() < people:
        context = scale.ScaleContext(organization, random.Random(SEED), 5000, [])
        enrollment_scale.people(context, people)
        log(" ".join(context.report))
    return organization


# --- the course and its gradebook -------------------------------------------------------------------------------


def _course(organization: Any, *, learners: int, items: int, log: Callable[[str], None]) -> Any:
    from django.db import connection, transaction

    from bench import quiz_submit
    from syllabus.accounts.models import Membership
    from syllabus.assessment.services import questions as question_services
    from syllabus.catalog import services as catalog_services
    from syllabus.catalog.models import Activity, Course, CourseStaff, Section

    rnd = random.Random(SEED)
    with transaction.atomic():
        course = Course.objects.create(
            organization=organization,
            title=course_title(learners, items),
            summary="The gradebook benchmark (bench/gradebook.py).",
        )
        bank = question_services.bank_for_course(course=course)
        category = bank.categories.get()
        question_ids = []
        for index in range(QUESTIONS):
            clean = question_services.validate(organization=organization, values=quiz_submit.question_fields(index))
            question = question_services.question_create_clean(bank=bank, category=category, clean=clean, by=None)
            question_ids.append(question.pk)
        sections = Section.objects.bulk_create(
            [Section(course=course, title=f"Unit {n + 1}", position=n) for n in range(CATEGORIES)]
        )
        slots = [{"type": "fixed", "question_id": q, "mark": ""} for q in question_ids]
        activities = []
        for index in range(items):
            section = index * CATEGORIES // items
            assignment = index % ASSIGNMENT_EVERY == ASSIGNMENT_EVERY - 1
            activities.append(
                Activity(
                    course=course,
                    section=sections[section],
                    kind="assignment" if assignment else "quiz",
                    title=f"{'Assignment' if assignment else 'Quiz'} {index + 1}",
                    position=index,
                    completion={"rule": "submitted"},
                    config=_assignment_config() if assignment else _quiz_config(slots),
                )
            )
        Activity.objects.bulk_create(activities, batch_size=1000)
        catalog_services.course_publish_unchecked(course=course, by=None, notes="Gradebook benchmark")
        course.refresh_from_db()
        members = list(
            Membership.objects.filter(organization=organization, is_active=True)
            .order_by("pk")
            .values_list("pk", "user_id")
        )
        # The chief executive (the first person) is the org admin: the owner is a plain person, the last one.
        owner, chosen = members[-1], sorted(rnd.sample(members[1:-1], learners))
        CourseStaff.objects.create(course=course, membership_id=owner[0], role=CourseStaff.Role.OWNER)
        enrollment_ids = _enrollments(course, chosen, rnd)
        _groups(course, enrollment_ids)
        item_ids = _gradebook(course, activities)
        user_ids = [user for _pk, user in chosen]
        if connection.vendor == "postgresql":
            _grades_sql(course, learners=learners)
        else:
            _grades_python(course, item_ids, user_ids, rnd)
        _course_grades(course)
    _analyze(
        "enrollment_enrollment",
        "enrollment_groupmember",
        "grades_gradeitem",
        "grades_gradecategory",
        "grades_grade",
        "grades_coursegrade",
    )
    log(f"course {course.pk}: {items} items in {CATEGORIES} categories, {learners:,} learners")
    return course


def _quiz_config(slots: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "slots": slots,
        "questions_per_page": 1,
        "behaviour": "deferred",
        "attempts_allowed": 0,
        "grading_method": "highest",
        "pass_mark": str(QUIZ_PASS_MARK),
    }


def _assignment_config() -> dict[str, Any]:
    return {
        "intro": "<p>Write up the case study.</p>",
        "submission_text": True,
        "submission_files": False,
        "grading": {"method": "points", "max_points": str(ASSIGNMENT_MAX), "rubric": None, "guide": None},
        "pass_mark": str(PASS_MARK),
    }


def _enrollments(course: Any, chosen: list[tuple[int, int]], rnd: random.Random) -> list[int]:
    from syllabus.core import clock
    from syllabus.enrollment.models import Enrollment, Method, Status
    from syllabus.enrollment.scale import TableWriter

    now = clock.now()
    writer = TableWriter(Enrollment, now=now, with_ids=True)
    ids = writer.reserve_ids(len(chosen))
    rows = []
    for pk, (membership_id, _user) in zip(ids, chosen, strict=True):
        completed = rnd.random() < COMPLETED
        enrolled = now - dt.timedelta(days=rnd.randint(30, 300))
        rows.append(
            {
                "id": pk,
                "organization_id": course.organization_id,
                "membership_id": membership_id,
                "course_id": course.pk,
                "status": Status.COMPLETED if completed else Status.ACTIVE,
                "method": Method.ADMIN,
                "version_id": course.published_version_id,
                "enrolled_at": enrolled,
                "status_changed_at": enrolled,
                "progress_percent": 100 if completed else rnd.randint(5, 95),
                "completed_at": now - dt.timedelta(days=rnd.randint(1, 29)) if completed else None,
            }
        )
    writer.write(rows)
    return ids


def _groups(course: Any, enrollment_ids: list[int]) -> None:
    from syllabus.core import clock
    from syllabus.enrollment.models import CourseGroup, GroupMember
    from syllabus.enrollment.scale import TableWriter

    groups = CourseGroup.objects.bulk_create(
        [
            CourseGroup(organization_id=course.organization_id, course=course, name=f"Cohort {n + 1:02d}")
            for n in range(GROUPS)
        ]
    )
    writer = TableWriter(GroupMember, now=clock.now())
    writer.write(
        {"group_id": groups[index % GROUPS].pk, "enrollment_id": pk} for index, pk in enumerate(enrollment_ids)
    )


def _gradebook(course: Any, activities: list[Any]) -> list[int]:
    """Settings, categories and one item per activity (items a sync already made are reused); the items' ids."""
    from syllabus.grades.models import GradebookSettings, GradeCategory, GradeItem, ItemSource

    org = course.organization_id
    GradebookSettings.objects.update_or_create(course=course, defaults={"organization_id": org, "pass_mark": PASS_MARK})
    categories = GradeCategory.objects.bulk_create(
        [
            GradeCategory(organization_id=org, course=course, name=f"Unit {n + 1}", weight=1 + n % 3, position=n)
            for n in range(CATEGORIES)
        ]
    )
    existing = {item.activity_uid: item for item in GradeItem.objects.filter(course=course)}
    new, changed = [], []
    for index, activity in enumerate(activities):
        item = existing.get(activity.uid) or GradeItem(
            organization_id=org, course=course, source=ItemSource.ACTIVITY, activity_uid=activity.uid
        )
        item.kind, item.name, item.position = activity.kind, activity.title, index
        item.max_points = ASSIGNMENT_MAX if activity.kind == "assignment" else Decimal(QUESTIONS)
        item.category = categories[index * CATEGORIES // len(activities)]
        (changed if item.pk else new).append(item)
    GradeItem.objects.bulk_create(new, batch_size=1000)
    fields = ["kind", "name", "position", "max_points", "category"]
    GradeItem.objects.bulk_update(changed, fields, batch_size=1000)
    return list(GradeItem.objects.filter(course=course).order_by("position").values_list("pk", flat=True))


def _grades_sql(course: Any, *, learners: int) -> None:
    """PostgreSQL: every grade with one INSERT ... SELECT over the items and the enrolled people."""
    from django.db import connection

    with connection.cursor() as cursor:
        _skip_foreign_key_checks(cursor)
        cursor.execute("SELECT setseed(%s)", [SEED / 100])
        # ability: 0..1 per person (a hash of the id); difficulty: -20..20 per item; noise: +-15.
        cursor.execute(
            """
            INSERT INTO grades_grade (created_at, updated_at, organization_id, item_id, user_id, raw, override,
                                      override_reason, overridden_by_id, overridden_at, final, feedback, hidden)
            SELECT now(), now(), %(org)s, item_id, user_id, raw,
                   CASE WHEN r2 < %(overridden)s THEN LEAST(raw + 10, 100) END,
                   CASE WHEN r2 < %(overridden)s THEN 'Marked again after an appeal.' ELSE '' END,
                   NULL, CASE WHEN r2 < %(overridden)s THEN now() END,
                   CASE WHEN r2 < %(overridden)s THEN LEAST(raw + 10, 100) ELSE raw END,
                   '', r2 > 1 - %(hidden)s
            FROM (
                SELECT i.id AS item_id, m.user_id,
                       ROUND(GREATEST(0, LEAST(100,
                           35 + 60 * ((m.user_id * 2654435761) %% 1009) / 1009.0
                           + ((i.id * 40503) %% 41 - 20) + (random() - 0.5) * 30))::numeric, 2) AS raw,
                       random() AS r1, random() AS r2
                FROM grades_gradeitem i
                CROSS JOIN enrollment_enrollment e
                JOIN accounts_membership m ON m.id = e.membership_id
                WHERE i.course_id = %(course)s AND e.course_id = %(course)s
            ) cells
            WHERE r1 < %(graded)s
            """,
            {
                "org": course.organization_id,
                "course": course.pk,
                "graded": GRADED,
                "hidden": HIDDEN,
                "overridden": OVERRIDDEN,
            },
        )


def _skip_foreign_key_checks(cursor: Any) -> None:
    """For this transaction, when the role may: no foreign-key triggers. Django's foreign keys are DEFERRABLE
    INITIALLY DEFERRED, so PostgreSQL queues one check per key and row and runs them at COMMIT: for 4.5 million
    grades (four keys) the COMMIT alone took minutes. The rows are made from ids just read, so they hold."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if cursor.fetchone()[0]:
        cursor.execute("SET LOCAL session_replication_role = replica")


def _grades_python(course: Any, item_ids: list[int], user_ids: list[int], rnd: random.Random) -> None:
    """SQLite (small sizes): the same grades, row by row."""
    from syllabus.core import clock
    from syllabus.enrollment.scale import TableWriter
    from syllabus.grades.models import Grade

    now = clock.now()

    def rows() -> Iterator[dict[str, Any]]:
        for item in item_ids:
            for user in user_ids:
                if rnd.random() >= GRADED:
                    continue
                ability = (user * 2654435761) % 1009 / 1009
                noise = (rnd.random() - 0.5) * 30
                raw = Decimal(max(0.0, min(100.0, 35 + 60 * ability + ((item * 40503) % 41 - 20) + noise)))
                raw = raw.quantize(Decimal("0.01"))
                chance = rnd.random()
                override = min(raw + 10, Decimal(100)) if chance < OVERRIDDEN else None
                yield {
                    "organization_id": course.organization_id,
                    "item_id": item,
                    "user_id": user,
                    "raw": raw,
                    "override": override,
                    "override_reason": "Marked again after an appeal." if override is not None else "",
                    "overridden_at": now if override is not None else None,
                    "final": raw if override is None else override,
                    "hidden": chance > 1 - HIDDEN,
                }

    TableWriter(Grade, now=now).write(rows())


def _course_grades(course: Any) -> None:
    """One CourseGrade per enrolled person: the categories' means weighted by the categories' weights (what the
    gradebook's aggregation makes of equal item weights and only graded items counted), in portable SQL."""
    from django.db import connection

    from syllabus.core import clock

    now = clock.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO grades_coursegrade (created_at, updated_at, organization_id, course_id, user_id, percent,
                                            points, max_points, passed, learner_percent, computed_at)
            SELECT %(now)s, %(now)s, %(org)s, %(course)s, m.user_id, totals.percent, totals.points,
                   totals.max_points,
                   CASE WHEN totals.percent IS NULL THEN NULL WHEN totals.percent >= %(pass)s THEN TRUE ELSE FALSE END,
                   NULL, %(now)s
            FROM enrollment_enrollment e
            JOIN accounts_membership m ON m.id = e.membership_id
            LEFT JOIN (
                SELECT user_id, ROUND(SUM(mean * weight) / SUM(weight), 2) AS percent,
                       ROUND(SUM(points), 2) AS points, SUM(max_points) AS max_points
                FROM (
                    SELECT g.user_id, c.weight, AVG(g.final) AS mean,
                           SUM(g.final * i.max_points / 100) AS points, SUM(i.max_points) AS max_points
                    FROM grades_grade g
                    JOIN grades_gradeitem i ON i.id = g.item_id
                    JOIN grades_gradecategory c ON c.id = i.category_id
                    WHERE i.course_id = %(course)s
                    GROUP BY g.user_id, c.id, c.weight
                ) per_category
                GROUP BY user_id
            ) totals ON totals.user_id = m.user_id
            WHERE e.course_id = %(course)s
            """,
            {"now": now, "org": course.organization_id, "course": course.pk, "pass": PASS_MARK},
        )


def _sync_items(course: Any, log: Callable[[str], None]) -> None:
    """Let the gradebook's own sync see the published version once (outside the clock), when it exists."""
    try:
        from syllabus.grades.services import items_sync  # type: ignore[attr-defined]
    except ImportError:
        log("grades.services.items_sync does not exist yet: items made by the generator only")
        return
    started = time.perf_counter()
    items_sync(course=course)
    log(f"items_sync of {course.pk} in {time.perf_counter() - started:.2f} s")


def _analyze(*tables: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


# --- the quiz's attempts ----------------------------------------------------------------------------------------


def _quiz_uid(course: Any) -> str:
    from syllabus.catalog import versions

    snapshot = course.published_version.snapshot
    return str(next(a["uid"] for a in versions.activities(snapshot) if a["kind"] == "quiz"))


def _attempt_count(course: Any, quiz_uid: str) -> int:
    from syllabus.assessment.models import Attempt

    return Attempt.objects.filter(course=course, activity_uid=quiz_uid, preview=False).count()


def _slots(course: Any, quiz_uid: str) -> list[tuple[int, int, Decimal, str]]:
    """(slot, question version, mark, type) of the quiz as published."""
    from syllabus.assessment.models import Question
    from syllabus.catalog import versions

    activity = next(a for a in versions.activities(course.published_version.snapshot) if str(a["uid"]) == quiz_uid)
    wanted = [slot["question_id"] for slot in activity["config"]["slots"]]
    questions = {q.pk: q for q in Question.objects.filter(pk__in=wanted).select_related("latest")}
    out = []
    for number, slot in enumerate(activity["config"]["slots"], start=1):
        version = questions[slot["question_id"]].latest
        out.append((number, version.pk, version.default_mark, version.qtype))
    return out


def _attempts(course: Any, quiz_uid: str, *, attempts: int, log: Callable[[str], None]) -> None:
    from django.db import connection, transaction

    from syllabus.assessment.models import Attempt, QuestionAnswer

    slots = _slots(course, quiz_uid)
    with transaction.atomic():
        old = Attempt.objects.filter(course=course, activity_uid=quiz_uid)
        QuestionAnswer.objects.filter(attempt__in=old)._raw_delete(QuestionAnswer.objects.db)  # type: ignore[attr-defined]
        old._raw_delete(Attempt.objects.db)  # type: ignore[attr-defined]
        if attempts:
            if connection.vendor == "postgresql":
                _attempts_sql(course, quiz_uid, slots, attempts=attempts)
            else:
                _attempts_python(course, quiz_uid, slots, attempts=attempts)
            _attempt_totals(course, quiz_uid)
    _analyze("assessment_attempt", "assessment_questionanswer")


def _started(rnd: random.Random, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(minutes=rnd.randint(60, 60 * 24 * 200))


def _attempts_sql(course: Any, quiz_uid: str, slots: list[tuple[int, int, Decimal, str]], *, attempts: int) -> None:
    """PostgreSQL: the attempts of the enrolled people (first ones, then second ones... when there are more
    attempts than people) and their answers, set-based."""
    from django.db import connection

    layout = json.dumps([[number] for number, *_ in slots])
    max_marks = sum(mark for _n, _v, mark, _t in slots)
    with connection.cursor() as cursor:
        _skip_foreign_key_checks(cursor)
        cursor.execute("SELECT setseed(%s)", [SEED / 100 + 0.01])
        cursor.execute(
            """
            INSERT INTO assessment_attempt (created_at, updated_at, organization_id, public_id, user_id, course_id,
                version_id, activity_uid, number, state, preview, settings, layout, started_at, deadline,
                finished_at, current_page, marks, max_marks, grade, passed, submitted_late, revision)
            SELECT now(), now(), %(org)s, gen_random_uuid(), people.user_id, %(course)s, %(version)s, %(quiz)s,
                   n, 'finished', FALSE, '{"behaviour": "deferred"}'::jsonb, %(layout)s::jsonb, started,
                   NULL, started + (random() * interval '40 minutes') + interval '5 minutes', 0, NULL,
                   %(max_marks)s, NULL, NULL, FALSE, 1
            FROM (
                SELECT m.user_id, row_number() OVER (ORDER BY e.id) AS rn,
                       now() - interval '200 days' * random() AS started
                FROM enrollment_enrollment e JOIN accounts_membership m ON m.id = e.membership_id
                WHERE e.course_id = %(course)s
            ) people
            CROSS JOIN generate_series(1, %(rounds)s) n
            WHERE (n - 1) * %(people)s + rn <= %(attempts)s
            """,
            {
                "org": course.organization_id,
                "course": course.pk,
                "version": course.published_version_id,
                "quiz": quiz_uid,
                "layout": layout,
                "max_marks": max_marks,
                "rounds": -(-attempts // _learner_count(course)),
                "people": _learner_count(course),
                "attempts": attempts,
            },
        )
        # Right with a chance that grows with the person's ability (a hash of the attempt's user) and falls with
        # the slot's difficulty; multiple-response slots are half right now and then.
        values = ", ".join(["(%s, %s, %s, %s)"] * len(slots))
        params: list[Any] = []
        for number, version, mark, qtype in slots:
            params += [number, version, mark, qtype == "multiple"]
        cursor.execute(
            f"""
            INSERT INTO assessment_questionanswer (attempt_id, slot, question_version_id, max_mark, variant,
                response, state, fraction, mark, tries, penalty, locked, feedback, comment, graded_by_id, graded_at,
                saved_at, history)
            SELECT attempt_id, slot, version_id, max_mark, '{{}}'::jsonb, '{{}}'::jsonb,
                   CASE fraction WHEN 1 THEN 'right' WHEN 0 THEN 'wrong' ELSE 'partial' END,
                   fraction, fraction * max_mark, 1, 0, FALSE, '[]'::jsonb, '', NULL, NULL, finished_at, '[]'::jsonb
            FROM (
                SELECT attempt_id, finished_at, slot, version_id, max_mark,
                       CASE WHEN r < chance THEN 1.0 WHEN partial AND r < chance + 0.2 THEN 0.5 ELSE 0.0 END
                           AS fraction
                FROM (
                    SELECT a.id AS attempt_id, a.finished_at, s.slot, s.version_id, s.max_mark, s.partial,
                           LEAST(0.97, GREATEST(0.03, 0.4 + 0.85 * ((a.user_id * 2654435761) %% 1009) / 1009.0
                                                      - 0.03 * s.slot)) AS chance,
                           random() AS r
                    FROM assessment_attempt a
                    CROSS JOIN (VALUES {values}) AS s(slot, version_id, max_mark, partial)
                    WHERE a.course_id = %s AND a.activity_uid = %s
                ) cells
            ) answers
            """,  # the f-string adds only "%s" markers to VALUES; every value goes as a query parameter
            [*params, course.pk, quiz_uid],
        )


def _attempts_python(course: Any, quiz_uid: str, slots: list[tuple[int, int, Decimal, str]], *, attempts: int) -> None:
    """SQLite (small sizes): the same attempts and answers, row by row."""
    import uuid

    from syllabus.assessment.models import Attempt, QuestionAnswer
    from syllabus.core import clock
    from syllabus.enrollment.models import Enrollment
    from syllabus.enrollment.scale import TableWriter

    rnd, now = random.Random(SEED + 1), clock.now()
    users = list(Enrollment.objects.filter(course=course).order_by("pk").values_list("membership__user_id", flat=True))
    layout = [[number] for number, *_ in slots]
    max_marks = sum(mark for _n, _v, mark, _t in slots)
    writer = TableWriter(Attempt, now=now, with_ids=True)
    ids = writer.reserve_ids(attempts)
    rows, answers = [], []
    for index, pk in enumerate(ids):
        user = users[index % len(users)]
        started = _started(rnd, now)
        finished = started + dt.timedelta(minutes=rnd.randint(5, 45))
        rows.append(
            {
                "id": pk,
                "organization_id": course.organization_id,
                "public_id": uuid.UUID(int=rnd.getrandbits(128), version=4),
                "user_id": user,
                "course_id": course.pk,
                "version_id": course.published_version_id,
                "activity_uid": uuid.UUID(quiz_uid),
                "number": index // len(users) + 1,
                "state": "finished",
                "settings": {"behaviour": "deferred"},
                "layout": layout,
                "started_at": started,
                "finished_at": finished,
                "max_marks": max_marks,
                "revision": 1,
            }
        )
        ability = 0.1 + 0.85 * ((user * 2654435761) % 1009) / 1009
        for number, version, mark, qtype in slots:
            chance, r = min(0.97, max(0.03, ability + 0.3 - 0.03 * number)), rnd.random()
            fraction = Decimal(1) if r < chance else Decimal("0.5") if qtype == "multiple" and r < chance + 0.2 else 0
            state = {Decimal(1): "right", Decimal(0): "wrong"}.get(Decimal(fraction), "partial")
            answers.append(
                {
                    "attempt_id": pk,
                    "slot": number,
                    "question_version_id": version,
                    "max_mark": mark,
                    "state": state,
                    "fraction": Decimal(fraction),
                    "mark": Decimal(fraction) * mark,
                    "tries": 1,
                    "saved_at": finished,
                }
            )
    writer.write(rows)
    TableWriter(QuestionAnswer, now=now).write(answers)


def _attempt_totals(course: Any, quiz_uid: str) -> None:
    """Marks, grade and pass of every attempt from its answers (portable SQL)."""
    from django.db import connection

    from syllabus.assessment.models import Attempt

    uid = Attempt._meta.get_field("activity_uid").get_db_prep_value(quiz_uid, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE assessment_attempt SET marks = (
                SELECT SUM(mark) FROM assessment_questionanswer WHERE attempt_id = assessment_attempt.id
            ) WHERE course_id = %s AND activity_uid = %s
            """,
            [course.pk, uid],
        )
        cursor.execute(
            """
            UPDATE assessment_attempt SET grade = ROUND(marks * 100 / max_marks, 2),
                   passed = (marks * 100 / max_marks >= %s)
            WHERE course_id = %s AND activity_uid = %s
            """,
            [QUIZ_PASS_MARK, course.pk, uid],
        )


def _learner_count(course: Any) -> int:
    from syllabus.enrollment.models import Enrollment

    return Enrollment.objects.filter(course=course).count()


# --- found again ------------------------------------------------------------------------------------------------


def found(course: Any, quiz_uid: str) -> Gradebook:
    """The figures of what the database holds (counted, never assumed)."""
    from syllabus.accounts.models import OrgUnit
    from syllabus.assessment.models import Attempt, QuestionAnswer
    from syllabus.catalog.models import CourseStaff
    from syllabus.enrollment.models import Enrollment, GroupMember
    from syllabus.grades.models import CourseGrade, Grade, GradeCategory, GradeItem

    owner = CourseStaff.objects.filter(course=course, role=CourseStaff.Role.OWNER).select_related("membership").first()
    assert owner is not None
    enrolled = Enrollment.objects.filter(course=course)
    # The unit filter: a unit whose subtree holds about UNIT_SHARE of the learners.
    direct = Counter(enrolled.values_list("membership__org_unit_id", flat=True))
    parents = dict(OrgUnit.objects.filter(organization_id=course.organization_id).values_list("pk", "parent_id"))
    subtree: Counter[int] = Counter()
    for unit, count in direct.items():
        while unit is not None:
            subtree[unit] += count
            unit = parents.get(unit)
    goal = UNIT_SHARE * enrolled.count()
    unit_id = min(subtree, key=lambda pk: (abs(subtree[pk] - goal), pk)) if subtree else 0
    groups = Counter(GroupMember.objects.filter(enrollment__course=course).values_list("group_id", flat=True))
    group_id = min(groups) if groups else 0
    attempts = Attempt.objects.filter(course=course, activity_uid=quiz_uid, preview=False)
    return Gradebook(
        organization_id=course.organization_id,
        course_id=course.pk,
        version_id=course.published_version_id,
        owner_user_id=owner.membership.user_id,
        learners=enrolled.count(),
        items=GradeItem.objects.filter(course=course).count(),
        grades=Grade.objects.filter(item__course=course).count(),
        course_grades=CourseGrade.objects.filter(course=course).count(),
        categories=tuple(GradeCategory.objects.filter(course=course).values_list("pk", flat=True)),
        unit_id=unit_id,
        unit_learners=subtree[unit_id],
        group_id=group_id,
        group_learners=groups[group_id],
        quiz_uid=quiz_uid,
        attempts=attempts.count(),
        answers=QuestionAnswer.objects.filter(attempt__in=attempts).count(),
    )
