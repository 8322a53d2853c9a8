"""/api/v1/enrollments/, course groups, enrollment rules and enrollment options: the happy paths, and the attacker's
side (learners, managers outside their scope, other organisations' ids)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from syllabus.accounts.models import Membership
from syllabus.audiences import services as audience_services
from syllabus.catalog.models import Course
from syllabus.core import clock
from syllabus.enrollment import services
from syllabus.enrollment.models import CourseGroup, Enrollment, EnrollmentRule, GroupMember, Method, Status
from tests.api.conftest import V1, error_fields, token_for
from tests.conftest import World
from tests.factories import ActivityFactory, CourseFactory, MembershipFactory, SectionFactory, publish, staff

pytestmark = pytest.mark.django_db

Client = Callable[[Membership], APIClient]


@pytest.fixture
def as_member(db: None) -> Client:
    def make(membership: Membership) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(membership)}")
        return client

    return make


def _later(days: int = 14) -> str:
    return (clock.now() + dt.timedelta(days=days)).isoformat()


def _names(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.json()
    return [row["person"]["display_name"] for row in response.json()["results"]]


@pytest.fixture
def foreign_course(world: World) -> Course:
    """A published course of the other organisation, with the outsider enrolled."""
    course = CourseFactory(organization=world.other_org, title="Globex onboarding")
    staff(course, world.outsider, "owner")
    ActivityFactory(section=SectionFactory(course=course))
    publish(course, world.outsider.user)
    course.refresh_from_db()
    return course


# --- creating ----------------------------------------------------------------------------------------------------


def test_instructor_enrolls_someone_and_the_method_says_api(world: World, published, as_member) -> None:
    response = as_member(world.instructor).post(
        f"{V1}/enrollments/",
        {"course": published.pk, "person": world.learner.pk, "due_at": _later()},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["method"] == "api" and body["status"] == "active"
    assert body["person"] == {"id": world.learner.pk, "display_name": "Lena Learner", "email": world.learner.user.email}
    assert body["course"] == {"id": published.pk, "title": "Fire safety"}
    assert body["created_by"] == "Ingrid Instructor"
    assert body["version"] == "1.0" and body["is_overdue"] is False
    enrollment = Enrollment.objects.get(pk=body["id"])
    assert enrollment.method == Method.API and enrollment.created_by == world.instructor.user


def test_manager_enrolls_someone_in_their_reporting_line(world: World, published, as_member) -> None:
    response = as_member(world.manager).post(
        f"{V1}/enrollments/", {"course": published.pk, "person": world.indirect_report.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["due_at"] is None


def test_learner_cannot_enroll_someone_else(world: World, published, as_member) -> None:
    response = as_member(world.learner).post(
        f"{V1}/enrollments/", {"course": published.pk, "person": world.engineer.pk}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Enrollment.objects.exists()


def test_manager_cannot_enroll_someone_outside_their_team(world: World, published, as_member) -> None:
    response = as_member(world.manager).post(
        f"{V1}/enrollments/", {"course": published.pk, "person": world.learner.pk}, format="json"
    )
    assert response.status_code == 403
    assert not Enrollment.objects.exists()


def test_ids_of_another_organisation_are_field_errors(world: World, published, foreign_course, as_member) -> None:
    client = as_member(world.org_admin)
    response = client.post(
        f"{V1}/enrollments/", {"course": foreign_course.pk, "person": world.learner.pk}, format="json"
    )
    assert response.status_code == 400
    assert "course" in error_fields(response)
    response = client.post(f"{V1}/enrollments/", {"course": published.pk, "person": world.outsider.pk}, format="json")
    assert response.status_code == 400
    assert "person" in error_fields(response)


def test_service_refusals_come_back_as_field_errors(world: World, published, as_member) -> None:
    client = as_member(world.instructor)
    past = (clock.now() - dt.timedelta(days=1)).isoformat()
    response = client.post(
        f"{V1}/enrollments/", {"course": published.pk, "person": world.learner.pk, "due_at": past}, format="json"
    )
    assert response.status_code == 400
    assert error_fields(response) == {"due_at": services.DUE_IN_PAST}
    client.post(f"{V1}/enrollments/", {"course": published.pk, "person": world.learner.pk}, format="json")
    again = client.post(f"{V1}/enrollments/", {"course": published.pk, "person": world.learner.pk}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["message"] == services.ALREADY_ENROLLED.format(name="Lena Learner")


def test_bulk_enrolls_a_team_and_answers_the_summary(world: World, published, as_member) -> None:
    services.enrollment_create(course=published, membership=world.report, by=world.manager.user)
    response = as_member(world.manager).post(
        f"{V1}/enrollments/bulk/",
        {"course": published.pk, "people": [world.report.pk, world.indirect_report.pk], "due_at": _later()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["created"] == 1 and body["already_enrolled"] == 1 and body["skipped"] == 0
    assert body["already_enrolled_people"] == [world.report.pk]
    made = Enrollment.objects.get(pk=body["enrollments"][0])
    assert made.membership == world.indirect_report and made.method == Method.API


def test_bulk_refuses_anyone_the_caller_may_not_enroll_and_changes_nothing(world: World, published, as_member) -> None:
    response = as_member(world.manager).post(
        f"{V1}/enrollments/bulk/",
        {"course": published.pk, "people": [world.report.pk, world.learner.pk]},
        format="json",
    )
    assert response.status_code == 403
    assert not Enrollment.objects.exists()
    learner = as_member(world.learner).post(
        f"{V1}/enrollments/bulk/", {"course": published.pk, "people": [world.learner.pk]}, format="json"
    )
    assert learner.status_code == 403


def test_bulk_names_people_of_another_organisation(world: World, published, as_member) -> None:
    response = as_member(world.org_admin).post(
        f"{V1}/enrollments/bulk/",
        {"course": published.pk, "people": [world.learner.pk, world.outsider.pk]},
        format="json",
    )
    assert response.status_code == 400
    assert str(world.outsider.pk) in error_fields(response)["people"]
    assert not Enrollment.objects.exists()


# --- listing and reading -----------------------------------------------------------------------------------------


@pytest.fixture
def enrolled(world: World, published) -> dict[str, Enrollment]:
    """The learner, the report and the engineer enrolled in the published course."""
    by = world.instructor.user
    return {
        name: services.enrollment_create(course=published, membership=getattr(world, name), by=by)
        for name in ("learner", "report", "engineer")
    }


def test_learner_listing_enrollments_sees_only_their_own(world: World, enrolled, as_member) -> None:
    client = as_member(world.learner)
    assert _names(client.get(f"{V1}/enrollments/")) == ["Lena Learner"]
    # Asking for someone else's by filter finds nothing, not an error that would confirm they exist.
    assert _names(client.get(f"{V1}/enrollments/?person={world.report.pk}")) == []


def test_manager_lists_only_their_reporting_line(world: World, enrolled, as_member) -> None:
    assert _names(as_member(world.manager).get(f"{V1}/enrollments/")) == ["Rita Report"]


def test_course_team_and_org_admin_list_everyone(world: World, enrolled, as_member) -> None:
    expected = {"Lena Learner", "Rita Report", "Eddie Engineer"}
    assert set(_names(as_member(world.instructor).get(f"{V1}/enrollments/"))) == expected
    assert set(_names(as_member(world.org_admin).get(f"{V1}/enrollments/"))) == expected
    assert _names(as_member(world.outsider).get(f"{V1}/enrollments/")) == []


def test_list_filters_combine(world: World, published, enrolled, as_member) -> None:
    client = as_member(world.org_admin)
    other = CourseFactory(organization=world.org, title="Manual handling")
    ActivityFactory(section=SectionFactory(course=other))
    publish(other, world.org_admin.user)
    other.refresh_from_db()
    services.enrollment_create(course=other, membership=world.learner, by=world.org_admin.user, method=Method.API)
    Enrollment.objects.filter(pk=enrolled["report"].pk).update(due_at=clock.now() - dt.timedelta(days=2))
    Enrollment.objects.filter(pk=enrolled["engineer"].pk).update(due_at=clock.now() + dt.timedelta(days=30))
    services.enrollment_withdraw(enrollment=enrolled["learner"], by=world.instructor.user)

    assert len(_names(client.get(f"{V1}/enrollments/?person={world.learner.pk}"))) == 2
    assert _names(client.get(f"{V1}/enrollments/?person={world.learner.pk}&course={other.pk}")) == ["Lena Learner"]
    assert _names(client.get(f"{V1}/enrollments/?method=api")) == ["Lena Learner"]
    assert _names(client.get(f"{V1}/enrollments/?status=withdrawn")) == ["Lena Learner"]
    assert _names(client.get(f"{V1}/enrollments/?overdue=true")) == ["Rita Report"]
    before = (clock.now() + dt.timedelta(days=60)).isoformat()
    assert _names(client.get(f"{V1}/enrollments/", {"due_before": before, "ordering": "-due_at"})) == [
        "Eddie Engineer",
        "Rita Report",
    ]
    overdue = client.get(f"{V1}/enrollments/?overdue=true").json()["results"][0]
    assert overdue["is_overdue"] is True
    bad = client.get(f"{V1}/enrollments/?status=asleep")
    assert bad.status_code == 400 and "status" in error_fields(bad)


@pytest.mark.parametrize("persona", ["org_admin", "manager", "learner"])
def test_enrollment_list_query_count_does_not_grow_with_rows(
    world: World, published, as_member, django_assert_max_num_queries, persona
) -> None:
    viewer = getattr(world, persona)
    client = as_member(viewer)
    client.get(f"{V1}/enrollments/")  # the token's first use records `last_used_at`

    def add(count: int) -> None:
        people = [
            MembershipFactory(organization=world.org, org_unit=world.sales, manager=world.manager) for _ in range(count)
        ]
        services.enrollments_bulk_create(
            course=published, memberships=people, by=world.org_admin.user, method=Method.ADMIN
        )

    add(3)
    with CaptureQueriesContext(connection) as queries:
        few = client.get(f"{V1}/enrollments/")
    add(27)
    with django_assert_max_num_queries(len(queries)):
        many = client.get(f"{V1}/enrollments/")
    if persona == "learner":
        assert many.json()["count"] == few.json()["count"] == 0
    else:
        assert many.json()["count"] == few.json()["count"] + 27
    assert len(queries) <= 10


def test_reading_one_enrollment(world: World, enrolled, foreign_course, as_member) -> None:
    mine = enrolled["learner"]
    assert as_member(world.learner).get(f"{V1}/enrollments/{mine.pk}/").json()["id"] == mine.pk
    assert as_member(world.learner).get(f"{V1}/enrollments/{enrolled['report'].pk}/").status_code == 404
    assert as_member(world.manager).get(f"{V1}/enrollments/{enrolled['report'].pk}/").status_code == 200
    assert as_member(world.manager).get(f"{V1}/enrollments/{mine.pk}/").status_code == 404
    theirs = services.enrollment_self(course=foreign_course, by=world.outsider.user)
    assert as_member(world.org_admin).get(f"{V1}/enrollments/{theirs.pk}/").status_code == 404
    assert as_member(world.outsider).get(f"{V1}/enrollments/{mine.pk}/").status_code == 404


# --- deciding, withdrawing, due dates ----------------------------------------------------------------------------


@pytest.fixture
def request_for_place(world: World, published) -> Enrollment:
    services.options_update(course=published, by=world.instructor.user, self_enrollment="approval")
    return services.enrollment_self(course=published, by=world.report.user, note="For the audit.")


def test_manager_approves_a_request(world: World, request_for_place, as_member) -> None:
    response = as_member(world.manager).post(
        f"{V1}/enrollments/{request_for_place.pk}/approve/", {"reason": "Go ahead."}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "active" and response.json()["reason"] == "Go ahead."
    again = as_member(world.manager).post(f"{V1}/enrollments/{request_for_place.pk}/approve/", {}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["message"] == services.NOT_PENDING


def test_nobody_approves_their_own_request(world: World, request_for_place, as_member) -> None:
    response = as_member(world.report).post(f"{V1}/enrollments/{request_for_place.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    request_for_place.refresh_from_db()
    assert request_for_place.status == Status.PENDING


def test_a_manager_outside_the_scope_finds_no_request(world: World, published, as_member) -> None:
    services.options_update(course=published, by=world.instructor.user, self_enrollment="approval")
    theirs = services.enrollment_self(course=published, by=world.learner.user)
    response = as_member(world.manager).post(f"{V1}/enrollments/{theirs.pk}/approve/", {}, format="json")
    assert response.status_code == 404


def test_declining_needs_a_reason(world: World, request_for_place, as_member) -> None:
    client = as_member(world.instructor)
    response = client.post(f"{V1}/enrollments/{request_for_place.pk}/decline/", {}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"reason": services.REASON_REQUIRED}
    response = client.post(f"{V1}/enrollments/{request_for_place.pk}/decline/", {"reason": "Full."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "declined" and response.json()["reason"] == "Full."


def test_learner_withdraws_from_what_they_chose_but_not_from_an_assignment(world: World, published, as_member) -> None:
    chosen = services.enrollment_self(course=published, by=world.learner.user)
    client = as_member(world.learner)
    response = client.post(f"{V1}/enrollments/{chosen.pk}/withdraw/", {"reason": "Wrong course."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assigned = services.enrollment_create(course=published, membership=world.learner, by=world.instructor.user)
    assert client.post(f"{V1}/enrollments/{assigned.pk}/withdraw/", {}, format="json").status_code == 403
    assert as_member(world.instructor).post(f"{V1}/enrollments/{assigned.pk}/withdraw/").status_code == 200


def test_due_date_changes_by_the_manager_not_the_learner(world: World, enrolled, as_member) -> None:
    report = enrolled["report"]
    due = clock.now() + dt.timedelta(days=20)
    response = as_member(world.manager).patch(
        f"{V1}/enrollments/{report.pk}/", {"due_at": due.isoformat()}, format="json"
    )
    assert response.status_code == 200, response.json()
    report.refresh_from_db()
    assert report.due_at == due
    cleared = as_member(world.manager).patch(f"{V1}/enrollments/{report.pk}/", {"due_at": None}, format="json")
    assert cleared.json()["due_at"] is None
    mine = enrolled["learner"]
    denied = as_member(world.learner).patch(f"{V1}/enrollments/{mine.pk}/", {"due_at": None}, format="json")
    assert denied.status_code == 403


# --- groups ------------------------------------------------------------------------------------------------------


def test_instructor_runs_a_course_group(world: World, published, enrolled, as_member) -> None:
    client = as_member(world.instructor)
    created = client.post(
        f"{V1}/courses/{published.pk}/groups/", {"name": "Night shift", "description": "Thursdays"}, format="json"
    )
    assert created.status_code == 201, created.json()
    group_id = created.json()["id"]
    assert created.json()["member_count"] == 0
    duplicate = client.post(f"{V1}/courses/{published.pk}/groups/", {"name": "Night shift"}, format="json")
    assert duplicate.status_code == 400 and error_fields(duplicate) == {"name": services.GROUP_EXISTS}

    members = client.post(
        f"{V1}/course-groups/{group_id}/members/",
        {"add": [enrolled["learner"].pk, enrolled["report"].pk]},
        format="json",
    )
    assert members.status_code == 200, members.json()
    assert members.json()["added"] == 2 and members.json()["group"]["member_count"] == 2
    moved = client.post(
        f"{V1}/course-groups/{group_id}/members/", {"remove": [enrolled["report"].pk]}, format="json"
    ).json()
    assert moved["removed"] == 1
    assert [m["person"]["display_name"] for m in moved["group"]["members"]] == ["Lena Learner"]

    listed = client.get(f"{V1}/courses/{published.pk}/groups/").json()
    assert [(g["name"], g["member_count"]) for g in listed["results"]] == [("Night shift", 1)]
    renamed = client.patch(f"{V1}/course-groups/{group_id}/", {"name": "Late shift"}, format="json")
    assert renamed.json()["name"] == "Late shift" and renamed.json()["description"] == "Thursdays"
    assert client.get(f"{V1}/course-groups/{group_id}/").json()["members"][0]["enrollment"] == enrolled["learner"].pk
    assert client.delete(f"{V1}/course-groups/{group_id}/").status_code == 204
    assert not CourseGroup.objects.exists()


def test_group_members_must_be_participants_of_the_course(world: World, published, foreign_course, as_member) -> None:
    group = services.group_create(course=published, by=world.instructor.user, name="A")
    elsewhere = services.enrollment_self(course=foreign_course, by=world.outsider.user)
    response = as_member(world.instructor).post(
        f"{V1}/course-groups/{group.pk}/members/", {"add": [elsewhere.pk]}, format="json"
    )
    assert response.status_code == 400
    assert error_fields(response) == {"enrollments": services.NOT_PARTICIPANT}
    assert not GroupMember.objects.exists()


def test_learners_and_other_organisations_cannot_touch_groups(
    world: World, published, foreign_course, as_member
) -> None:
    group = services.group_create(course=published, by=world.instructor.user, name="A")
    learner = as_member(world.learner)
    assert learner.get(f"{V1}/courses/{published.pk}/groups/").status_code == 403
    assert learner.post(f"{V1}/courses/{published.pk}/groups/", {"name": "Mine"}, format="json").status_code == 403
    assert learner.get(f"{V1}/course-groups/{group.pk}/").status_code == 404
    assert learner.delete(f"{V1}/course-groups/{group.pk}/").status_code == 404
    outsider = as_member(world.outsider)
    assert outsider.get(f"{V1}/courses/{published.pk}/groups/").status_code == 404
    assert outsider.patch(f"{V1}/course-groups/{group.pk}/", {"name": "X"}, format="json").status_code == 404
    assert as_member(world.org_admin).get(f"{V1}/courses/{foreign_course.pk}/groups/").status_code == 404
    assert CourseGroup.objects.get().name == "A"


def test_group_list_query_count_does_not_grow_with_rows(
    world: World, published, as_member, django_assert_max_num_queries
) -> None:
    client = as_member(world.instructor)
    client.get(f"{V1}/courses/{published.pk}/groups/")

    def add(count: int, start: int) -> None:
        for index in range(start, start + count):
            services.group_create(course=published, by=world.instructor.user, name=f"Group {index}")

    add(3, 0)
    with CaptureQueriesContext(connection) as queries:
        client.get(f"{V1}/courses/{published.pk}/groups/")
    add(27, 3)
    with django_assert_max_num_queries(len(queries)):
        response = client.get(f"{V1}/courses/{published.pk}/groups/")
    assert response.json()["count"] == 30


# --- rules -------------------------------------------------------------------------------------------------------


@pytest.fixture
def sales_audience(world: World):  # type: ignore[no-untyped-def]
    return audience_services.audience_create(
        organization=world.org,
        by=world.org_admin.user,
        name="Sales",
        rules_tree={"org_unit": world.sales.pk, "include_sub_units": True},
    )


def test_org_admin_manages_an_enrollment_rule(world: World, published, sales_audience, as_member) -> None:
    client = as_member(world.org_admin)
    created = client.post(
        f"{V1}/enrollment-rules/",
        {"course": published.pk, "audience": sales_audience.pk, "due_from": "enrollment", "due_days": 30},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["audience"] == {"id": sales_audience.pk, "name": "Sales"}
    assert body["due_from"] == "enrollment" and body["due_days"] == 30 and body["on_leave"] == "keep"
    rule_id = body["id"]
    twice = client.post(
        f"{V1}/enrollment-rules/", {"course": published.pk, "audience": sales_audience.pk}, format="json"
    )
    assert twice.status_code == 400 and error_fields(twice) == {"audience": services.RULE_EXISTS}

    assert [r["id"] for r in client.get(f"{V1}/enrollment-rules/?course={published.pk}").json()["results"]] == [rule_id]
    assert client.get(f"{V1}/enrollment-rules/?course=0").json()["results"] == []
    changed = client.patch(
        f"{V1}/enrollment-rules/{rule_id}/", {"on_leave": "withdraw", "is_active": False}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["on_leave"] == "withdraw" and changed.json()["is_active"] is False
    assert changed.json()["due_days"] == 30
    missing_days = client.patch(
        f"{V1}/enrollment-rules/{rule_id}/", {"due_from": "hire", "due_days": None}, format="json"
    )
    assert missing_days.status_code == 400 and error_fields(missing_days) == {"due_days": services.DUE_DAYS_REQUIRED}
    assert client.get(f"{V1}/enrollment-rules/{rule_id}/").json()["due_from"] == "enrollment"
    assert client.delete(f"{V1}/enrollment-rules/{rule_id}/").status_code == 204
    assert not EnrollmentRule.objects.exists()


def test_a_rule_enrolls_the_audience_when_applied(
    world: World, published, sales_audience, as_member, django_capture_on_commit_callbacks
) -> None:
    audience_services.audience_recompute(audience=sales_audience, by=world.org_admin.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_member(world.org_admin).post(
            f"{V1}/enrollment-rules/", {"course": published.pk, "audience": sales_audience.pk}, format="json"
        )
    assert response.status_code == 201
    enrolled = set(Enrollment.objects.filter(course=published).values_list("membership_id", flat=True))
    assert {world.report.pk, world.learner.pk} <= enrolled
    listed = as_member(world.org_admin).get(f"{V1}/enrollment-rules/{response.json()['id']}/").json()
    assert listed["enrollment_count"] == len(enrolled)


def test_rules_need_enrollment_manage_and_stay_in_their_organisation(
    world: World, published, foreign_course, sales_audience, as_member
) -> None:
    rule = services.rule_create(course=published, audience=sales_audience, by=world.org_admin.user)
    for persona in ("instructor", "manager", "learner"):
        client = as_member(getattr(world, persona))
        assert client.get(f"{V1}/enrollment-rules/").status_code == 403
        assert client.get(f"{V1}/enrollment-rules/{rule.pk}/").status_code == 403
        response = client.post(
            f"{V1}/enrollment-rules/", {"course": published.pk, "audience": sales_audience.pk}, format="json"
        )
        assert response.status_code == 403
    outsider = as_member(world.outsider)
    assert outsider.get(f"{V1}/enrollment-rules/{rule.pk}/").status_code == 404
    assert outsider.delete(f"{V1}/enrollment-rules/{rule.pk}/").status_code == 404
    assert outsider.get(f"{V1}/enrollment-rules/").json()["results"] == []
    across = outsider.post(
        f"{V1}/enrollment-rules/", {"course": foreign_course.pk, "audience": sales_audience.pk}, format="json"
    )
    assert across.status_code == 400 and "audience" in error_fields(across)
    assert EnrollmentRule.objects.count() == 1


def test_rule_list_query_count_does_not_grow_with_rows(world: World, as_member, django_assert_max_num_queries) -> None:
    client = as_member(world.org_admin)
    client.get(f"{V1}/enrollment-rules/")
    audience = audience_services.audience_create(
        organization=world.org, by=world.org_admin.user, name="Everyone in HQ", rules_tree={"org_unit": world.hq.pk}
    )

    def add(count: int) -> None:
        for _ in range(count):
            course = CourseFactory(organization=world.org)
            ActivityFactory(section=SectionFactory(course=course))
            publish(course, world.org_admin.user)
            course.refresh_from_db()
            services.rule_create(course=course, audience=audience, by=world.org_admin.user)

    add(3)
    with CaptureQueriesContext(connection) as queries:
        client.get(f"{V1}/enrollment-rules/")
    add(27)
    with django_assert_max_num_queries(len(queries)):
        response = client.get(f"{V1}/enrollment-rules/")
    assert response.json()["count"] == 30


# --- options -----------------------------------------------------------------------------------------------------


def test_course_owner_reads_and_changes_enrollment_options(world: World, published, as_member) -> None:
    client = as_member(world.instructor)
    defaults = client.get(f"{V1}/courses/{published.pk}/enrollment-options/")
    assert defaults.status_code == 200
    assert defaults.json()["self_enrollment"] == "open" and defaults.json()["capacity"] is None
    response = client.put(
        f"{V1}/courses/{published.pk}/enrollment-options/",
        {"self_enrollment": "approval", "capacity": 20, "enrollment_key": " blue-door "},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["self_enrollment"] == "approval" and body["capacity"] == 20 and body["enrollment_key"] == "blue-door"
    assert body["waitlist"] is True  # left out: kept
    kept = client.put(f"{V1}/courses/{published.pk}/enrollment-options/", {"capacity": None}, format="json").json()
    assert kept["capacity"] is None and kept["self_enrollment"] == "approval"


def test_enrollment_window_must_open_before_it_closes(world: World, published, as_member) -> None:
    response = as_member(world.instructor).put(
        f"{V1}/courses/{published.pk}/enrollment-options/",
        {"opens_at": _later(10), "closes_at": _later(5)},
        format="json",
    )
    assert response.status_code == 400
    assert error_fields(response) == {"closes_at": services.WINDOW_ORDER}


def test_learners_and_other_organisations_cannot_read_or_change_options(
    world: World, published, foreign_course, as_member
) -> None:
    learner = as_member(world.learner)
    assert learner.get(f"{V1}/courses/{published.pk}/enrollment-options/").status_code == 403
    denied = learner.put(f"{V1}/courses/{published.pk}/enrollment-options/", {"capacity": 1}, format="json")
    assert denied.status_code == 403
    assert as_member(world.outsider).get(f"{V1}/courses/{published.pk}/enrollment-options/").status_code == 404
    admin = as_member(world.org_admin)
    assert admin.get(f"{V1}/courses/{foreign_course.pk}/enrollment-options/").status_code == 404
    assert admin.put(f"{V1}/courses/{foreign_course.pk}/enrollment-options/", {}, format="json").status_code == 404


# --- enrolling oneself -------------------------------------------------------------------------------------------


def test_a_learner_enrolls_themselves_through_the_api(world: World, published: Course, as_member: Client) -> None:
    response = as_member(world.learner).post(f"{V1}/courses/{published.pk}/enroll/", {}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "active" and response.json()["method"] == "self"
    again = as_member(world.learner).post(f"{V1}/courses/{published.pk}/enroll/", {}, format="json")
    assert again.status_code == 400


def test_self_enrollment_through_the_api_asks_for_the_key(world: World, published: Course, as_member: Client) -> None:
    services.options_update(course=published, by=world.instructor.user, enrollment_key="blue-door")
    url = f"{V1}/courses/{published.pk}/enroll/"
    refused = as_member(world.learner).post(url, {"key": "red"}, format="json")
    assert refused.status_code == 400 and "key" in error_fields(refused)
    assert as_member(world.learner).post(url, {"key": "blue-door"}, format="json").status_code == 201


def test_another_organisations_course_cannot_be_self_enrolled(
    world: World, foreign_course: Course, as_member: Client
) -> None:
    url = f"{V1}/courses/{foreign_course.pk}/enroll/"
    assert as_member(world.learner).post(url, {}, format="json").status_code == 404
