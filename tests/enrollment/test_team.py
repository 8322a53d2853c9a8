"""The manager's team pages: the team with training counts, one person's training, assigning a course to one person
or the whole team. Written from the attacker's side too: learners, people outside the scope, other organisations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.accounts.models import Membership
from syllabus.audit.models import AuditRecord
from syllabus.catalog.models import Course
from syllabus.core import clock
from syllabus.enrollment import selectors_team, services
from syllabus.enrollment.models import Enrollment, Method, SelfEnrollment, Status
from tests.conftest import World
from tests.factories import ActivityFactory, CourseFactory, MembershipFactory, SectionFactory, grant, publish, staff

pytestmark = pytest.mark.django_db

TEAM = reverse("enrollment:team")
ASSIGN = reverse("enrollment:team-assign")
COURSES = reverse("enrollment:team-assign-courses")


def person_url(membership: Membership) -> str:
    return reverse("enrollment:team-person", args=[membership.pk])


def due_url(enrollment: Enrollment) -> str:
    return reverse("enrollment:team-person-due", args=[enrollment.membership_id, enrollment.pk])


def withdraw_url(enrollment: Enrollment) -> str:
    return reverse("enrollment:team-person-withdraw", args=[enrollment.membership_id, enrollment.pk])


@pytest.fixture
def as_person(client):  # type: ignore[no-untyped-def]
    def sign_in(membership: Membership):  # type: ignore[no-untyped-def]
        client.force_login(membership.user)
        return client

    return sign_in


def make_course(world: World, title: str, owner: Membership | None = None) -> Course:
    owner = owner or world.instructor
    course = CourseFactory(organization=owner.organization, title=title)
    staff(course, owner, "owner")
    ActivityFactory(section=SectionFactory(course=course))
    publish(course, owner.user)
    course.refresh_from_db()
    return course


@pytest.fixture
def second(world: World) -> Course:
    return make_course(world, "Data protection")


def overdue(enrollment: Enrollment, days: int = 3) -> Enrollment:
    # Due dates in the past cannot be set through the service: time passed since.
    Enrollment.objects.filter(pk=enrollment.pk).update(due_at=clock.now() - dt.timedelta(days=days))
    enrollment.refresh_from_db()
    return enrollment


def rows_by_name(response) -> dict[str, selectors_team.TrainingCounts]:  # type: ignore[no-untyped-def]
    return {row.membership.user.display_name: row.counts for row in response.context["rows"]}


# --- who may open the team -----------------------------------------------------------------------------------------


def test_learner_is_refused_the_team_pages_like_the_people_pages(as_person, world: World, published) -> None:
    client = as_person(world.learner)
    assert client.get(reverse("accounts:people")).status_code == 403
    for url in (TEAM, ASSIGN, COURSES, person_url(world.report), person_url(world.engineer)):
        assert client.get(url).status_code == 403, url
    response = client.post(ASSIGN, {"course": published.pk, "who": "team", "action": "confirm"})
    assert response.status_code == 403
    assert not Enrollment.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, world: World) -> None:
    response = client.get(TEAM)
    assert response.status_code == 302 and reverse("accounts:sign-in") in response["Location"]


def test_manager_sees_their_whole_reporting_line_and_nobody_else(as_person, world: World) -> None:
    response = as_person(world.manager).get(TEAM)
    assert response.status_code == 200
    assert set(rows_by_name(response)) == {"Rita Report", "Ivan Indirect"}
    html = response.content.decode()
    assert "Lena Learner" not in html and "Eddie Engineer" not in html and "Oscar Outsider" not in html
    assert "Direct reports only" in html


def test_direct_reports_only_leaves_out_the_indirect_ones(as_person, world: World) -> None:
    response = as_person(world.manager).get(TEAM, {"direct": "on"})
    assert set(rows_by_name(response)) == {"Rita Report"}


def test_org_admin_sees_the_organisation_but_not_another_one(as_person, world: World) -> None:
    response = as_person(world.org_admin).get(TEAM)
    names = set(rows_by_name(response))
    assert {"Max Manager", "Rita Report", "Ivan Indirect", "Lena Learner", "Eddie Engineer"} <= names
    assert "Oscar Outsider" not in names and "Olivia Admin" not in names
    assert "Direct reports only" not in response.content.decode()


def test_unit_scoped_manager_sees_the_subtree(as_person, world: World) -> None:
    grant(world.engineer, "manager", org_unit=world.sales_east)
    response = as_person(world.engineer).get(TEAM)
    assert set(rows_by_name(response)) == {"Ivan Indirect", "Lena Learner"}


def test_outsider_sees_none_of_acme(as_person, world: World) -> None:
    response = as_person(world.outsider).get(TEAM)
    assert response.status_code == 200
    assert rows_by_name(response) == {}
    assert as_person(world.outsider).get(person_url(world.report)).status_code == 404


def test_counts_per_person(as_person, world: World, published, second) -> None:
    manager = world.manager.user
    assigned = services.enrollment_create(course=published, membership=world.report, by=manager)
    overdue(assigned)
    Enrollment.objects.filter(pk=assigned.pk).update(progress_percent=40, last_activity_at=clock.now())
    services.enrollment_self(course=second, by=world.report.user)  # self-made: not "assigned"
    done = services.enrollment_create(course=second, membership=world.indirect_report, by=manager)
    services.enrollment_mark_completed(enrollment_id=done.pk, at=clock.now())

    counts = rows_by_name(as_person(world.manager).get(TEAM))
    rita, ivan = counts["Rita Report"], counts["Ivan Indirect"]
    assert (rita.assigned, rita.in_progress, rita.overdue, rita.completed) == (1, 1, 1, 0)
    assert rita.last_activity_at is not None
    assert (ivan.assigned, ivan.in_progress, ivan.overdue, ivan.completed) == (1, 0, 0, 1)


def test_search_department_and_overdue_filters(as_person, world: World, published) -> None:
    client = as_person(world.org_admin)
    assert set(rows_by_name(client.get(TEAM, {"q": "rita"}))) == {"Rita Report"}
    assert set(rows_by_name(client.get(TEAM, {"q": world.engineer.user.email}))) == {"Eddie Engineer"}
    assert set(rows_by_name(client.get(TEAM, {"org_unit": world.sales_east.pk}))) == {"Ivan Indirect", "Lena Learner"}
    overdue(services.enrollment_create(course=published, membership=world.learner, by=world.org_admin.user))
    services.enrollment_create(course=published, membership=world.engineer, by=world.org_admin.user)
    assert set(rows_by_name(client.get(TEAM, {"overdue": "on"}))) == {"Lena Learner"}
    # Another organisation's unit is not a valid filter: ignored, not an error.
    other_unit = world.outsider.org_unit
    assert client.get(TEAM, {"org_unit": other_unit.pk}).status_code == 200


def test_htmx_filters_answer_with_the_results_only(as_person, world: World) -> None:
    response = as_person(world.manager).get(TEAM, {"q": "ivan"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and "Ivan Indirect" in html
    assert "HX-Request" in response["Vary"]


def _team_of(world: World, size: int, course: Course) -> None:
    for index in range(size):
        member = MembershipFactory(organization=world.org, org_unit=world.sales, manager=world.manager)
        enrollment = services.enrollment_create(course=course, membership=member, by=world.org_admin.user)
        if index % 2:
            overdue(enrollment)


@pytest.mark.parametrize("size", [3, 30])
def test_team_page_queries_do_not_grow_with_the_team(
    as_person, world: World, published, size: int, django_assert_max_num_queries
) -> None:
    _team_of(world, size, published)
    client = as_person(world.manager)
    with django_assert_max_num_queries(16):
        response = client.get(TEAM)
    assert len(response.context["rows"]) == size + 2
    with django_assert_max_num_queries(15):
        client.get(TEAM, {"overdue": "on", "q": "e", "direct": "on"})


def test_counts_come_from_one_query(world: World, published, django_assert_num_queries) -> None:
    _team_of(world, 5, published)
    ids = list(Membership.objects.filter(manager=world.manager).values_list("pk", flat=True))
    with django_assert_num_queries(1):
        counts = selectors_team.training_counts(membership_ids=ids)
    assert sum(c.assigned for c in counts.values()) == 5 and sum(c.overdue for c in counts.values()) == 2


def test_team_is_paginated_by_fifty(as_person, world: World) -> None:
    for _ in range(51):
        MembershipFactory(organization=world.org, manager=world.manager)
    response = as_person(world.manager).get(TEAM)
    assert len(response.context["rows"]) == 50
    assert len(as_person(world.manager).get(TEAM, {"page": 2}).context["rows"]) == 3


# --- one person ------------------------------------------------------------------------------------------------------


def test_manager_sees_a_persons_training_with_overdue_marked_in_text(as_person, world: World, published, second):
    late = overdue(
        services.enrollment_create(course=published, membership=world.indirect_report, by=world.manager.user)
    )
    done = services.enrollment_create(course=second, membership=world.indirect_report, by=world.manager.user)
    services.enrollment_mark_completed(enrollment_id=done.pk, at=clock.now())
    response = as_person(world.manager).get(person_url(world.indirect_report))
    assert response.status_code == 200
    assert [row.enrollment.pk for row in response.context["rows"]] == [late.pk]
    assert [row.pk for row in response.context["completed"]] == [done.pk]
    html = response.content.decode()
    assert "Overdue" in html and "Fire safety" in html and "Data protection" in html
    assert response.context["rows"][0].withdraw_form is not None


def test_manager_gets_404_for_people_outside_their_line_and_other_organisations(as_person, world: World) -> None:
    client = as_person(world.manager)
    for membership in (world.engineer, world.learner, world.outsider, world.manager):
        assert client.get(person_url(membership)).status_code == 404, membership


@pytest.mark.parametrize("size", [3, 30])
def test_person_page_queries_do_not_grow_with_their_courses(
    as_person, world: World, size: int, django_assert_max_num_queries
) -> None:
    for index in range(size):
        course = make_course(world, f"Course {index}")
        services.enrollment_create(course=course, membership=world.report, by=world.manager.user)
    client = as_person(world.manager)
    with django_assert_max_num_queries(15):
        response = client.get(person_url(world.report))
    assert len(response.context["rows"]) == size


def test_manager_changes_a_due_date_and_it_is_audited(as_person, world: World, published) -> None:
    enrollment = services.enrollment_create(course=published, membership=world.report, by=world.manager.user)
    day = (clock.now() + dt.timedelta(days=30)).date()
    response = as_person(world.manager).post(due_url(enrollment), {f"due-{enrollment.pk}-due": day.isoformat()})
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.due_at is not None and enrollment.due_at.date() in (day, day + dt.timedelta(days=1))
    assert AuditRecord.objects.filter(action="enrollment.due_changed").count() == 1
    # An empty date clears it.
    as_person(world.manager).post(due_url(enrollment), {f"due-{enrollment.pk}-due": ""})
    enrollment.refresh_from_db()
    assert enrollment.due_at is None


def test_a_due_date_in_the_past_is_refused_on_the_form(as_person, world: World, published) -> None:
    enrollment = services.enrollment_create(course=published, membership=world.report, by=world.manager.user)
    past = (clock.now() - dt.timedelta(days=2)).date().isoformat()
    response = as_person(world.manager).post(due_url(enrollment), {f"due-{enrollment.pk}-due": past})
    assert response.status_code == 200
    assert services.DUE_IN_PAST in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.due_at is None


def test_manager_withdraws_an_assignment_with_a_reason(as_person, world: World, published) -> None:
    enrollment = services.enrollment_create(course=published, membership=world.report, by=world.manager.user)
    client = as_person(world.manager)
    response = client.post(withdraw_url(enrollment), {f"withdraw-{enrollment.pk}-reason": ""})
    assert response.status_code == 200 and response.context["open_form"] == enrollment.pk
    enrollment.refresh_from_db()
    assert enrollment.status == Status.ACTIVE
    response = client.post(withdraw_url(enrollment), {f"withdraw-{enrollment.pk}-reason": "Changed role"})
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.reason) == (Status.WITHDRAWN, "Changed role")


def test_manager_cannot_touch_enrollments_of_people_outside_their_line(as_person, world: World, published) -> None:
    theirs = services.enrollment_create(course=published, membership=world.engineer, by=world.org_admin.user)
    client = as_person(world.manager)
    assert client.post(due_url(theirs), {f"due-{theirs.pk}-due": "2099-01-01"}).status_code == 404
    assert client.post(withdraw_url(theirs), {f"withdraw-{theirs.pk}-reason": "x"}).status_code == 404
    # Nor through a person they do see, with someone else's enrollment id.
    forged = reverse("enrollment:team-person-withdraw", args=[world.report.pk, theirs.pk])
    assert client.post(forged, {f"withdraw-{theirs.pk}-reason": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.ACTIVE and theirs.due_at is None


# --- assigning -----------------------------------------------------------------------------------------------------


def test_assign_page_offers_courses_people_and_the_team(as_person, world: World, published, second) -> None:
    response = as_person(world.manager).get(ASSIGN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Fire safety" in html and "Data protection" in html
    assert "Your direct reports only" in html
    people = {m.pk for m in response.context["form"].fields["person"].queryset}
    assert people == {world.report.pk, world.indirect_report.pk}


def test_course_search_lists_only_published_unarchived_courses_of_the_organisation(
    as_person, world: World, published, second
) -> None:
    CourseFactory(organization=world.org, title="Fire drill draft")  # never published
    archived = make_course(world, "Fire archive")
    Course.objects.filter(pk=archived.pk).update(archived_at=clock.now())
    make_course(world, "Fire at Globex", owner=world.outsider)
    response = as_person(world.manager).get(COURSES, {"course_q": "fire"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Fire safety" in html
    assert "Data protection" not in html and "draft" not in html and "archive" not in html and "Globex" not in html


def test_people_search_offers_only_the_assigners_scope(as_person, world: World) -> None:
    people = reverse("enrollment:team-assign-people")
    client = as_person(world.manager)
    html = client.get(people, {"person_q": "i"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Rita Report" in html and "Ivan Indirect" in html
    assert "Ingrid" not in html and "Lena" not in html and "Eddie" not in html and "Max Manager" not in html
    html = client.get(people, {"person_q": "ivan"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Ivan Indirect" in html and "Rita Report" not in html
    # A person linked from their page is preselected, whatever the search.
    page = client.get(ASSIGN, {"person": world.report.pk})
    assert page.context["form"].initial["who"] == "person"
    assert f'value="{world.report.pk}"' in page.content.decode()


def test_whole_team_assignment_confirms_then_enrolls_everyone_with_the_due_date(
    as_person, world: World, published, django_capture_on_commit_callbacks
) -> None:
    services.enrollment_create(course=published, membership=world.report, by=world.manager.user)
    day = (clock.now() + dt.timedelta(days=14)).date().isoformat()
    data = {"course": published.pk, "who": "team", "due": day}
    client = as_person(world.manager)

    review = client.post(ASSIGN, {**data, "action": "review"})
    assert review.status_code == 200
    assert (review.context["people"], review.context["already"], review.context["to_enroll"]) == (2, 1, 1)
    assert "1 person will be enrolled." in review.content.decode()
    # The new due date does not touch the people already enrolled, and the page says so.
    assert "The person already enrolled keeps their enrollment and their current due date: the new due date " in (
        review.content.decode()
    )
    assert Enrollment.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(ASSIGN, {**data, "action": "confirm"}, follow=True)
    assert done.redirect_chain[-1][0] == TEAM
    summary = " ".join(str(m) for m in done.context["messages"])
    assert "1 person enrolled" in summary and "1 already enrolled" in summary and "0 on the waiting list" in summary
    ivan = Enrollment.objects.get(membership=world.indirect_report, course=published)
    assert ivan.method == Method.MANAGER and ivan.status == Status.ACTIVE and ivan.created_by == world.manager.user
    assert ivan.due_at is not None and ivan.due_at > clock.now()
    assert rows_by_name(done)["Ivan Indirect"].assigned == 1
    assert Enrollment.objects.filter(course=published).count() == 2


def test_direct_reports_only_assignment(as_person, world: World, published) -> None:
    as_person(world.manager).post(ASSIGN, {"course": published.pk, "who": "direct", "action": "confirm"})
    assert set(Enrollment.objects.values_list("membership_id", flat=True)) == {world.report.pk}


def test_org_admin_whole_team_assignment_is_recorded_as_admin(as_person, world: World, published) -> None:
    as_person(world.org_admin).post(ASSIGN, {"course": published.pk, "who": "team", "action": "confirm"})
    enrolled = Enrollment.objects.filter(course=published)
    assert enrolled.count() == Membership.objects.filter(organization=world.org).count() - 1
    assert set(enrolled.values_list("method", flat=True)) == {Method.ADMIN}
    assert not enrolled.filter(membership=world.org_admin).exists()


def test_assigning_one_person(as_person, world: World, published) -> None:
    response = as_person(world.manager).post(
        ASSIGN, {"course": published.pk, "who": "person", "person": world.indirect_report.pk, "action": "confirm"}
    )
    assert response.status_code == 302 and response["Location"] == person_url(world.indirect_report)
    enrollment = Enrollment.objects.get()
    assert (enrollment.membership, enrollment.method) == (world.indirect_report, Method.MANAGER)


def test_assigning_one_person_already_enrolled_says_so(as_person, world: World, published) -> None:
    services.enrollment_create(course=published, membership=world.report, by=world.manager.user)
    response = as_person(world.manager).post(
        ASSIGN, {"course": published.pk, "who": "person", "person": world.report.pk, "action": "confirm"}
    )
    assert response.status_code == 200
    assert "already enrolled" in response.content.decode()
    assert Enrollment.objects.count() == 1


def test_manager_cannot_assign_someone_outside_their_scope(as_person, world: World, published) -> None:
    client = as_person(world.manager)
    for person in (world.engineer, world.learner, world.outsider, world.manager):
        for action in ("review", "confirm"):
            response = client.post(
                ASSIGN, {"course": published.pk, "who": "person", "person": person.pk, "action": action}
            )
            assert response.status_code == 200
            assert "You cannot assign training to this person." in response.content.decode()
    assert not Enrollment.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="enrollment.").exists()


def test_courses_that_cannot_be_assigned_are_refused(as_person, world: World, published) -> None:
    draft = CourseFactory(organization=world.org, title="Draft")
    other = make_course(world, "Globex course", owner=world.outsider)
    archived = make_course(world, "Old")
    Course.objects.filter(pk=archived.pk).update(archived_at=clock.now())
    client = as_person(world.manager)
    for course in (draft, other, archived):
        response = client.post(ASSIGN, {"course": course.pk, "who": "team", "action": "confirm"})
        assert response.status_code == 200
        assert "Choose one of the listed courses." in response.content.decode()
    assert not Enrollment.objects.exists()


def test_a_full_course_waitlists_the_rest_and_the_summary_says_so(as_person, world: World, published) -> None:
    services.options_update(
        course=published, by=world.instructor.user, capacity=1, self_enrollment=SelfEnrollment.CLOSED
    )
    done = as_person(world.manager).post(
        ASSIGN, {"course": published.pk, "who": "team", "action": "confirm"}, follow=True
    )
    summary = " ".join(str(m) for m in done.context["messages"])
    assert "1 person enrolled" in summary and "1 on the waiting list" in summary


def test_a_due_date_in_the_past_is_refused_when_assigning(as_person, world: World, published) -> None:
    past = (clock.now() - dt.timedelta(days=1)).date().isoformat()
    response = as_person(world.manager).post(
        ASSIGN, {"course": published.pk, "who": "team", "due": past, "action": "confirm"}
    )
    assert response.status_code == 200 and "The due date must be in the future." in response.content.decode()
    assert not Enrollment.objects.exists()


def test_back_from_the_confirmation_keeps_the_choices(as_person, world: World, published) -> None:
    response = as_person(world.manager).post(
        ASSIGN, {"course": published.pk, "who": "direct", "due": "", "action": "back"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{published.pk}"' in html and "checked" in html
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("size", [3, 30])
def test_assign_pages_queries_do_not_grow(as_person, world: World, size: int, django_assert_max_num_queries) -> None:
    for index in range(size):
        make_course(world, f"Course {index}")
        MembershipFactory(organization=world.org, manager=world.manager)
    client = as_person(world.manager)
    with django_assert_max_num_queries(16):
        client.get(ASSIGN)
    course = Course.objects.filter(organization=world.org).first()
    assert course is not None
    with django_assert_max_num_queries(17):
        client.post(ASSIGN, {"course": course.pk, "who": "team", "action": "review"})


# --- at scale ----------------------------------------------------------------------------------------------------


def test_a_managers_department_filter_offers_the_units_of_their_people_and_above(as_person, world: World) -> None:
    choices = dict(as_person(world.manager).get(TEAM).context["form"].fields["org_unit"].choices)
    # Rita in Sales, Ivan in Sales East, under HQ; Engineering has none of their people.
    assert {world.hq.pk, world.sales.pk, world.sales_east.pk} <= set(choices)
    assert world.engineering.pk not in choices
    # The unit chosen stays on offer, even without their people.
    chosen = as_person(world.manager).get(TEAM, {"org_unit": world.engineering.pk})
    assert world.engineering.pk in dict(chosen.context["form"].fields["org_unit"].choices)
    # Someone who sees everyone is offered every unit.
    every = dict(as_person(world.org_admin).get(TEAM).context["form"].fields["org_unit"].choices)
    assert world.engineering.pk in every


def test_the_team_page_filters_on_the_ids_of_the_line_read_once(as_person, world: World, published) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _team_of(world, 3, published)
    client = as_person(world.manager)
    client.get(TEAM)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(TEAM)
    assert len(response.context["rows"]) == 5
    assert sum("RECURSIVE" in query["sql"] for query in queries.captured_queries) == 1
    # The people's names come with the page's query: no query per row when the table is drawn.
    assert [row.membership.user.display_name for row in response.context["rows"]][:2] == sorted(
        row.membership.user.display_name for row in response.context["rows"]
    )[:2]


def _team_queries(client, params: dict[str, str] | None = None, **headers: str) -> list[str]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(TEAM, params or {}, **headers)
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_the_team_page_costs_the_same_queries_for_2_and_62_people(as_person, world: World, published) -> None:
    # A manager's line is read whole in the page's order, in one query: its length is the count, a page a slice of
    # it, its units those the department filter offers. Nothing of it runs per person or per page.
    client = as_person(world.manager)
    client.get(TEAM)
    before = {key: len(_team_queries(client, params)) for key, params in (("all", {}), ("filtered", {"q": "e"}))}
    _team_of(world, 60, published)
    assert len(_team_queries(client)) == before["all"]
    assert len(_team_queries(client, {"page": "2"})) == before["all"]
    assert len(_team_queries(client, {"q": "e"})) == before["filtered"]
    response = client.get(TEAM, {"page": "2"})
    assert len(response.context["rows"]) == 12 and "62 people" in response.content.decode()


def test_htmx_results_leave_the_department_choices_unread(as_person, world: World) -> None:
    client = as_person(world.manager)
    client.get(TEAM)
    page = _team_queries(client, {"q": "ivan"})
    results = _team_queries(client, {"q": "ivan"}, HTTP_HX_REQUEST="true")
    choices = 'AS "has_team"'  # the department choices' query
    assert any(choices in sql for sql in page) and not any(choices in sql for sql in results)
    assert len(results) == len(page) - 1


def test_a_line_longer_than_the_list_read_whole_is_paged_in_sql_alike(
    as_person, world: World, published, monkeypatch
) -> None:
    _team_of(world, 5, published)
    client = as_person(world.manager)

    def shown(params: dict[str, str]) -> tuple[list[int], dict[int, str], bool]:
        response = client.get(TEAM, params)
        rows = [row.membership.pk for row in response.context["rows"]]
        return rows, dict(response.context["form"].fields["org_unit"].choices), "7 people" in response.content.decode()

    read_whole = [shown(params) for params in ({}, {"direct": "on"}, {"org_unit": str(world.sales.pk)})]
    monkeypatch.setattr(selectors_team, "LIST_MAX", 3)
    assert [shown(params) for params in ({}, {"direct": "on"}, {"org_unit": str(world.sales.pk)})] == read_whole
    assert read_whole[0][2] and len(read_whole[0][0]) == 7


def test_the_department_choices_read_apart_are_those_read_from_every_unit(
    as_person, world: World, published, monkeypatch
) -> None:
    # The units of a manager's people and those above them, read by id, are the choices a pass over every unit of
    # the organisation gives (with the unit chosen now, even without their people).
    _team_of(world, 5, published)
    client = as_person(world.manager)

    def choices(params: dict[str, str]) -> list[tuple[Any, str]]:
        return list(client.get(TEAM, params).context["form"].fields["org_unit"].choices)

    asked = ({}, {"org_unit": str(world.engineering.pk)}, {"page": "1"})
    apart = [choices(params) for params in asked]
    monkeypatch.setattr(selectors_team, "TEAM_UNITS_READ_APART", 0)
    assert [choices(params) for params in asked] == apart
    assert world.engineering.pk in dict(apart[1]) and world.engineering.pk not in dict(apart[0])


# --- the review's fixes: Enter, the person picker, errors at the top, the organisation's time zone -------------


def test_the_searches_are_a_form_of_their_own_so_enter_reviews_and_no_token_reaches_a_url(
    as_person, world: World, published
) -> None:
    import re

    body = as_person(world.manager).get(ASSIGN).content.decode()
    search = re.search(r'<form method="get"[^>]*id="assign-search".*?</form>', body, re.S)
    assert search is not None and "csrfmiddlewaretoken" not in search.group(0)
    post = body[body.index('id="assign-form"') :]
    # Every search field and "Find" button belongs to the GET form; the POST form's first submit button is Review.
    assert 'name="course_q"' in post and 'name="person_q"' in post
    searches = re.findall(r"<input[^>]*name=\"(?:course|person)_q\"[^>]*>", post)
    assert len(searches) == 2 and all('form="assign-search"' in tag for tag in searches)
    buttons = re.findall(r"<button[^>]*>", post)
    assert next(b for b in buttons if 'form="assign-search"' not in b).count('value="review"') == 1
    # The htmx searches do not send the form (and its token) either.
    assert 'hx-include="closest form"' not in body


def test_a_search_keeps_the_picks_carried_by_the_get_form(as_person, world: World, published) -> None:
    body = (
        as_person(world.manager)
        .get(ASSIGN, {"course_q": "zzz", "course": published.pk, "who": "person", "person": world.report.pk})
        .content.decode()
    )
    assert f'name="course" value="{published.pk}" data-carry="course"' in body
    assert 'name="who" value="person" data-carry="who"' in body
    assert f'name="person" value="{world.report.pk}" data-carry="person"' in body


def test_the_assign_due_date_names_the_organisations_time_zone(as_person, world: World, published) -> None:
    world.org.default_time_zone = "Europe/London"
    world.org.save()
    body = as_person(world.manager).get(ASSIGN).content.decode()
    assert "Optional. Due at the end of that day (Europe/London)." in body


def test_assign_errors_are_summarised_at_the_top_linking_to_the_fields(as_person, world: World, published) -> None:
    response = as_person(world.manager).post(ASSIGN, {"who": "person", "action": "review"})
    body = response.content.decode()
    assert "data-error-summary" in body
    assert body.index("data-error-summary") < body.index('id="assign-form"')
    assert 'href="#id_course_0"' in body and 'href="#id_person_0"' in body
