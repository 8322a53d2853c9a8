"""Audience-driven enrollment rules: set-based enrollment of an audience, people who join or leave it later,
due dates, capacity, idempotence, and who may manage rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.accounts import services as accounts_services
from syllabus.accounts.models import Membership
from syllabus.audiences import services as audience_services
from syllabus.audiences.models import Audience
from syllabus.audit.models import AuditRecord
from syllabus.catalog.models import Course
from syllabus.core import clock
from syllabus.core.events import subscribe, unsubscribe
from syllabus.enrollment import events, services, tasks
from syllabus.enrollment.models import Enrollment, EnrollmentRule, Method, Status
from tests.conftest import World
from tests.factories import CourseFactory, MembershipFactory, OrgUnitFactory, publish, staff

SALES_PEOPLE = {"Max Manager", "Rita Report", "Ivan Indirect", "Lena Learner"}


@pytest.fixture
def captured() -> Iterator[list[object]]:
    seen: list[object] = []
    kinds = (events.EnrollmentCreated, events.EnrollmentsCreated, events.EnrollmentWithdrawn)
    for kind in kinds:
        subscribe(kind, seen.append)
    yield seen
    for kind in kinds:
        unsubscribe(kind, seen.append)


def _audience(world: World, name: str, rules: dict[str, object]) -> Audience:
    audience = audience_services.audience_create(
        organization=world.org, by=world.org_admin.user, name=name, rules_tree=rules
    )
    audience_services.audience_recompute(audience=audience)
    audience.refresh_from_db()
    return audience


@pytest.fixture
def sales(world: World) -> Audience:
    """Everyone in Sales and below: the manager, their report, the indirect report and the learner."""
    return _audience(world, "Sales", {"org_unit": world.sales.pk, "include_sub_units": True})


def _names(course: Course, **filters: object) -> set[str]:
    rows = Enrollment.objects.filter(course=course, **filters).values_list("membership__user__display_name", flat=True)
    return set(rows)


def _audit(world: World, action: str) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(organization=world.org, action=action))


def _create_rule(world: World, course: Course, audience: Audience, capture, **options: object) -> EnrollmentRule:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return services.rule_create(course=course, audience=audience, by=world.org_admin.user, **options)  # type: ignore[arg-type]


# --- enrolling the audience ----------------------------------------------------------------------------------------


def test_creating_a_rule_enrolls_every_member_in_one_set_based_operation(
    world: World, published: Course, sales: Audience, captured: list[object], django_capture_on_commit_callbacks
) -> None:
    rule = _create_rule(world, published, sales, django_capture_on_commit_callbacks)
    rows = list(Enrollment.objects.filter(course=published).select_related("membership__user"))
    assert {row.membership.user.display_name for row in rows} == SALES_PEOPLE
    assert {(row.status, row.method, row.rule_id, row.created_by_id) for row in rows} == {
        (Status.ACTIVE, Method.AUDIENCE, rule.pk, None)
    }
    assert {row.version_id for row in rows} == {published.published_version_id}
    summaries = _audit(world, "enrollment.bulk_created")
    assert len(summaries) == 1
    assert summaries[0].summary["count"] == 4 and summaries[0].summary["rule_id"] == rule.pk
    assert not _audit(world, "enrollment.created")  # no record per person
    bulk = [event for event in captured if isinstance(event, events.EnrollmentsCreated)]
    assert len(bulk) == 1 and len(bulk[0].enrollment_ids) == 4 and bulk[0].method == Method.AUDIENCE
    assert not [event for event in captured if isinstance(event, events.EnrollmentCreated)]
    rule.refresh_from_db()
    assert rule.last_applied_at is not None
    assert len(_audit(world, "enrollment.rule_created")) == 1


def test_a_person_created_later_who_matches_is_enrolled_automatically(
    world: World, published: Course, sales: Audience, captured: list[object], django_capture_on_commit_callbacks
) -> None:
    rule = _create_rule(world, published, sales, django_capture_on_commit_callbacks)
    captured.clear()
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = accounts_services.person_create(
            organization=world.org,
            by=world.org_admin.user,
            person=accounts_services.PersonInput(email="nora@example.test", display_name="Nora Newcomer"),
            org_unit=world.sales_east,
        )
    enrollment = Enrollment.objects.get(course=published, membership=newcomer)
    assert (enrollment.status, enrollment.method, enrollment.rule_id) == (Status.ACTIVE, Method.AUDIENCE, rule.pk)
    assert [type(event) for event in captured] == [events.EnrollmentsCreated]
    # Someone created outside the audience is not enrolled.
    with django_capture_on_commit_callbacks(execute=True):
        outside = accounts_services.person_create(
            organization=world.org,
            by=world.org_admin.user,
            person=accounts_services.PersonInput(email="eve@example.test", display_name="Eve Engineer"),
            org_unit=world.engineering,
        )
    assert not Enrollment.objects.filter(course=published, membership=outside).exists()


def _move(world: World, membership: Membership, unit: object, capture) -> None:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        accounts_services.membership_update(membership=membership, by=world.org_admin.user, org_unit=unit)


def test_people_who_leave_are_withdrawn_when_the_rule_says_so_but_never_once_completed(
    world: World, published: Course, sales: Audience, captured: list[object], django_capture_on_commit_callbacks
) -> None:
    _create_rule(world, published, sales, django_capture_on_commit_callbacks, on_leave=EnrollmentRule.OnLeave.WITHDRAW)
    finished = Enrollment.objects.get(course=published, membership=world.report)
    services.enrollment_mark_completed(enrollment_id=finished.pk, at=clock.now())
    captured.clear()
    _move(world, world.learner, world.engineering, django_capture_on_commit_callbacks)
    _move(world, world.report, world.engineering, django_capture_on_commit_callbacks)
    learner = Enrollment.objects.get(course=published, membership=world.learner)
    assert (learner.status, learner.reason) == (Status.WITHDRAWN, services.LEFT_AUDIENCE)
    assert Enrollment.objects.get(pk=finished.pk).status == Status.COMPLETED
    withdrawn = [event for event in captured if isinstance(event, events.EnrollmentWithdrawn)]
    assert [event.membership_id for event in withdrawn] == [world.learner.pk]
    assert len(_audit(world, "enrollment.bulk_withdrawn")) == 1
    assert services.options_for(published).pk is None  # no capacity: nothing to count

    # Coming back enrolls them again, as a new row (the withdrawn one stays as history).
    _move(world, world.learner, world.sales_east, django_capture_on_commit_callbacks)
    assert list(
        Enrollment.objects.filter(course=published, membership=world.learner).values_list("status", flat=True)
    ) == [Status.ACTIVE, Status.WITHDRAWN]


def test_people_who_leave_keep_their_enrollment_when_the_rule_says_keep(
    world: World, published: Course, sales: Audience, django_capture_on_commit_callbacks
) -> None:
    _create_rule(world, published, sales, django_capture_on_commit_callbacks, on_leave=EnrollmentRule.OnLeave.KEEP)
    _move(world, world.learner, world.engineering, django_capture_on_commit_callbacks)
    assert Enrollment.objects.get(course=published, membership=world.learner).status == Status.ACTIVE
    assert not _audit(world, "enrollment.bulk_withdrawn")


def test_a_leaver_still_held_by_another_rule_of_the_course_stays_enrolled(
    world: World, published: Course, sales: Audience, django_capture_on_commit_callbacks
) -> None:
    _create_rule(world, published, sales, django_capture_on_commit_callbacks, on_leave=EnrollmentRule.OnLeave.WITHDRAW)
    everyone = _audience(world, "Everyone", {"all": []})
    _create_rule(world, published, everyone, django_capture_on_commit_callbacks)
    _move(world, world.learner, world.engineering, django_capture_on_commit_callbacks)
    assert Enrollment.objects.get(course=published, membership=world.learner).status == Status.ACTIVE


# --- due dates -------------------------------------------------------------------------------------------------------


@dataclass
class Clock:
    now: dt.datetime


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Clock:
    # 23:30 in London is already the next morning in Tokyo: the due day follows the organisation's zone.
    current = Clock(dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC))
    monkeypatch.setattr(clock, "now", lambda: current.now)
    return current


def test_due_date_relative_to_enrollment_is_the_end_of_that_day_in_the_organisations_zone(
    world: World, published: Course, sales: Audience, frozen: Clock, django_capture_on_commit_callbacks
) -> None:
    world.org.default_time_zone = "Asia/Tokyo"
    world.org.save(update_fields=["default_time_zone"])
    _create_rule(
        world,
        published,
        sales,
        django_capture_on_commit_callbacks,
        due_from=EnrollmentRule.DueFrom.ENROLLMENT,
        due_days=7,
    )
    expected = dt.datetime(2026, 3, 10, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert set(Enrollment.objects.filter(course=published).values_list("due_at", flat=True)) == {expected}


def test_due_date_relative_to_hire_date_and_none_without_one(
    world: World, published: Course, sales: Audience, frozen: Clock, django_capture_on_commit_callbacks
) -> None:
    world.org.default_time_zone = "Europe/Paris"
    world.org.save(update_fields=["default_time_zone"])
    Membership.objects.filter(pk=world.learner.pk).update(hire_date=dt.date(2026, 2, 20))
    _create_rule(
        world, published, sales, django_capture_on_commit_callbacks, due_from=EnrollmentRule.DueFrom.HIRE, due_days=30
    )
    learner = Enrollment.objects.get(course=published, membership=world.learner)
    assert learner.due_at == dt.datetime(2026, 3, 22, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert Enrollment.objects.get(course=published, membership=world.manager).due_at is None


def test_a_due_rule_needs_a_number_of_days_and_choices_are_checked(
    world: World, published: Course, sales: Audience
) -> None:
    by = world.org_admin.user
    with pytest.raises(ValidationError) as missing:
        services.rule_create(course=published, audience=sales, by=by, due_from=EnrollmentRule.DueFrom.HIRE)
    assert missing.value.message_dict == {"due_days": [services.DUE_DAYS_REQUIRED]}
    with pytest.raises(ValidationError) as bad:
        services.rule_create(course=published, audience=sales, by=by, on_leave="forget")
    assert bad.value.message_dict == {"on_leave": [services.RULE_CHOICE]}
    assert not EnrollmentRule.objects.exists()


# --- capacity, idempotence, inactive and deleted rules ---------------------------------------------------------------


def test_a_rule_on_a_course_with_capacity_fills_the_places_then_the_waiting_list(
    world: World, published: Course, sales: Audience, django_capture_on_commit_callbacks
) -> None:
    services.options_update(course=published, by=world.instructor.user, capacity=3)
    services.enrollment_self(course=published, by=world.engineer.user)  # one place is taken already
    _create_rule(world, published, sales, django_capture_on_commit_callbacks)
    statuses = list(Enrollment.objects.filter(course=published, rule__isnull=False).values_list("status", flat=True))
    assert sorted(statuses) == [Status.ACTIVE, Status.ACTIVE, Status.WAITLISTED, Status.WAITLISTED]
    assert services.options_for(published).seats_taken == 3


def test_applying_twice_creates_nothing_twice(
    world: World, published: Course, sales: Audience, django_capture_on_commit_callbacks
) -> None:
    rule = _create_rule(world, published, sales, django_capture_on_commit_callbacks)
    assert services.rule_apply(rule=rule).created == []
    with django_capture_on_commit_callbacks(execute=True):
        tasks.apply_all_rules.delay()  # the nightly catch-up
    assert Enrollment.objects.filter(course=published).count() == 4
    assert len(_audit(world, "enrollment.bulk_created")) == 1


def test_someone_withdrawn_by_hand_stays_out_until_they_leave_the_audience_and_join_again(
    world: World, published: Course, sales: Audience, django_capture_on_commit_callbacks
) -> None:
    rule = _create_rule(world, published, sales, django_capture_on_commit_callbacks)
    services.enrollment_withdraw(
        enrollment=Enrollment.objects.get(course=published, membership=world.learner), by=world.org_admin.user
    )
    # The nightly run does not undo the withdrawal.
    assert services.rule_apply(rule=rule).created == []
    assert not Enrollment.objects.filter(course=published, membership=world.learner, status=Status.ACTIVE).exists()
    # A new stay in the audience is a new enrollment.
    _move(world, world.learner, world.engineering, django_capture_on_commit_callbacks)
    _move(world, world.learner, world.sales_east, django_capture_on_commit_callbacks)
    assert Enrollment.objects.filter(course=published, membership=world.learner, status=Status.ACTIVE).exists()


def test_an_inactive_rule_does_nothing(
    world: World, published: Course, sales: Audience, django_capture_on_commit_callbacks
) -> None:
    rule = services.rule_create(course=published, audience=sales, by=world.org_admin.user)  # queued, not run
    with django_capture_on_commit_callbacks(execute=True):
        services.rule_update(
            rule=rule, by=world.org_admin.user, due_from="none", due_days=None, on_leave="keep", is_active=False
        )
    assert services.rule_apply(rule=rule).created == []
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.person_create(
            organization=world.org,
            by=world.org_admin.user,
            person=accounts_services.PersonInput(email="nora@example.test", display_name="Nora Newcomer"),
            org_unit=world.sales,
        )
    assert not Enrollment.objects.filter(course=published).exists()
    assert len(_audit(world, "enrollment.rule_changed")) == 1


def test_deleting_a_rule_keeps_the_enrollments_it_made(
    world: World, published: Course, sales: Audience, django_capture_on_commit_callbacks
) -> None:
    rule = _create_rule(world, published, sales, django_capture_on_commit_callbacks)
    services.rule_delete(rule=rule, by=world.org_admin.user)
    assert not EnrollmentRule.objects.exists()
    kept = Enrollment.objects.filter(course=published)
    assert kept.count() == 4 and set(kept.values_list("status", "method", "rule")) == {
        (Status.ACTIVE, Method.AUDIENCE, None)
    }
    assert len(_audit(world, "enrollment.rule_deleted")) == 1


def test_a_rule_on_an_unpublished_course_is_refused(world: World, sales: Audience) -> None:
    draft = CourseFactory(organization=world.org)
    with pytest.raises(ValidationError, match="not published"):
        services.rule_create(course=draft, audience=sales, by=world.org_admin.user)


def test_one_rule_per_audience_and_course(world: World, published: Course, sales: Audience) -> None:
    services.rule_create(course=published, audience=sales, by=world.org_admin.user)
    with pytest.raises(ValidationError) as twice:
        services.rule_create(course=published, audience=sales, by=world.org_admin.user)
    assert twice.value.message_dict == {"audience": [services.RULE_EXISTS]}


# --- who may -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["learner", "manager", "instructor", "outsider"])
def test_only_enrollment_administrators_manage_rules(
    world: World, published: Course, sales: Audience, persona: str
) -> None:
    # The instructor owns the course, and still may not enroll a whole audience in it.
    by = getattr(world, persona).user
    with pytest.raises(PermissionDenied):
        services.rule_create(course=published, audience=sales, by=by)
    rule = services.rule_create(course=published, audience=sales, by=world.org_admin.user)
    with pytest.raises(PermissionDenied):
        services.rule_update(rule=rule, by=by, due_from="none", due_days=None, on_leave="keep", is_active=False)
    with pytest.raises(PermissionDenied):
        services.rule_delete(rule=rule, by=by)
    assert EnrollmentRule.objects.filter(pk=rule.pk, is_active=True).exists()


def test_an_audience_of_another_organisation_is_refused(world: World, published: Course) -> None:
    theirs = audience_services.audience_create(
        organization=world.other_org, by=world.outsider.user, name="Globex", rules_tree={"all": []}
    )
    with pytest.raises(ValidationError) as refused:
        services.rule_create(course=published, audience=theirs, by=world.org_admin.user)
    assert refused.value.message_dict == {"audience": [services.RULE_AUDIENCE_OTHER_ORG]}


# --- cost ------------------------------------------------------------------------------------------------------------


def _queries_to_apply(world: World, people: int) -> tuple[list[str], int]:
    unit = OrgUnitFactory(organization=world.org, name=f"Crowd of {people}", parent=world.hq)
    for _ in range(people):
        MembershipFactory(organization=world.org, org_unit=unit)
    audience = _audience(world, f"Crowd of {people}", {"org_unit": unit.pk})
    course = CourseFactory(organization=world.org)
    staff(course, world.instructor, "owner")
    from tests.factories import ActivityFactory, SectionFactory

    ActivityFactory(section=SectionFactory(course=course))
    publish(course, world.instructor.user)
    course.refresh_from_db()
    Membership.objects.filter(org_unit=unit).update(hire_date=dt.date(2026, 1, 5))
    rule = services.rule_create(
        course=course, audience=audience, by=world.org_admin.user, due_from="hire", due_days=30
    )  # the queued run never happens: no commit in this test
    with CaptureQueriesContext(connection) as queries:
        result = services.rule_apply(rule=rule)
    return [query["sql"] for query in queries.captured_queries], len(result.created)


def _inserts(queries: list[str]) -> int:
    return sum(1 for sql in queries if sql.startswith('INSERT INTO "enrollment_enrollment"'))


def test_applying_a_rule_costs_the_same_number_of_queries_for_10_or_200_people(world: World) -> None:
    small, small_created = _queries_to_apply(world, 10)
    large, large_created = _queries_to_apply(world, 200)
    assert (small_created, large_created) == (10, 200)
    # The same statements whatever the size; only the insert is cut in batches (SQLite binds at most 999 values
    # in one statement, so about 50 rows; PostgreSQL takes the 200 at once).
    assert len(large) - _inserts(large) == len(small) - _inserts(small)
    assert _inserts(small) == 1 and _inserts(large) <= 200 // 40


def test_the_apply_task_of_a_rule_deleted_meanwhile_does_nothing(world: World) -> None:
    assert tasks.apply_rule.delay(987654).get() == {}
    assert tasks.audience_changed.delay(987654, [world.learner.pk], []).get() is None
