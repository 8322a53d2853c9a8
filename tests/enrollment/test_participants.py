"""The participants pages of a course: the table (filters, sort, pages of 25, constant queries), requests,
enrolling people, bulk actions, one participant, removing them, and the attacker's side."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from syllabus.audit.models import AuditRecord
from syllabus.catalog.models import Course
from syllabus.core import clock
from syllabus.enrollment import services
from syllabus.enrollment.models import CourseGroup, Enrollment, GroupMember, Method, SelfEnrollment, Status
from tests.conftest import World
from tests.factories import CourseFactory, MembershipFactory, staff

pytestmark = pytest.mark.django_db


def url(name: str, *args: Any) -> str:
    return reverse(f"enrollment:{name}", args=args)


@pytest.fixture
def as_person(client: Client) -> Any:
    def sign_in(membership: Any) -> Client:
        client.force_login(membership.user)
        return client

    return sign_in


@pytest.fixture
def stranger_instructor(world: World) -> Any:
    """An instructor who owns another course and has no organisation-wide role: an attacker here."""
    member = MembershipFactory(organization=world.org, org_unit=world.hq, user__display_name="Sam Stranger")
    staff(CourseFactory(organization=world.org, title="Their own course"), member, "owner")
    return member


def enroll(course: Course, world: World, *names: str) -> list[Enrollment]:
    people = [MembershipFactory(organization=world.org, user__display_name=name) for name in names]
    return [services.enrollment_create(course=course, membership=p, by=world.instructor.user) for p in people]


def html_of(response: Any) -> str:
    return str(response.content.decode())


# --- the table ---------------------------------------------------------------------------------------------------


def test_the_instructor_sees_the_participants_with_their_progress_groups_and_method(as_person, world, published):
    alice, _bob = enroll(published, world, "Alice Able", "Bob Baker")
    group = services.group_create(course=published, by=world.instructor.user, name="Site North")
    services.group_members_change(group=group, by=world.instructor.user, add=[alice.pk])
    Enrollment.objects.filter(pk=alice.pk).update(progress_percent=67, score=80)
    response = as_person(world.instructor).get(url("participants", published.pk))
    assert response.status_code == 200
    html = html_of(response)
    assert "Alice Able" in html and "Bob Baker" in html
    assert "67" in html and "Site North" in html and "Enrolled by instructor" in html
    rows = list(response.context["page_obj"].object_list)
    assert [r.membership.user.display_name for r in rows] == ["Alice Able", "Bob Baker"]
    assert [m.group.name for m in rows[0].group_list] == ["Site North"]
    # The header links to the team pages.
    assert url("participants", published.pk) in html and url("groups", published.pk) in html
    assert url("options", published.pk) in html and reverse("progress:completion-settings", args=[published.pk]) in html


# The table's rows as the template drew them before the view drew them in Python (views_course.participants).
ROWS_TEMPLATE = (Path(__file__).parent / "participant_rows.html").read_text(encoding="utf-8").removesuffix("\n")


@pytest.mark.parametrize("can_manage", [True, False])
def test_the_rows_drawn_in_python_are_the_template_markup_byte_for_byte(world, published, can_manage):
    from django.template import Context, Template
    from django.utils import timezone

    from syllabus.enrollment import selectors_course
    from syllabus.enrollment.views_course.participants import _rows_html

    alice, bob, _cara = enroll(published, world, 'Alice <b>"Able"</b> & co', "", "Cara Cole")
    group = services.group_create(course=published, by=world.instructor.user, name="North & <South>")
    other = services.group_create(course=published, by=world.instructor.user, name="Another")
    services.group_members_change(group=group, by=world.instructor.user, add=[alice.pk])
    services.group_members_change(group=other, by=world.instructor.user, add=[alice.pk])
    at = dt.datetime(2026, 3, 4, 17, 5, 9, tzinfo=dt.UTC)
    Enrollment.objects.filter(pk=alice.pk).update(progress_percent=67, score="80.50", last_activity_at=at, due_at=at)
    Enrollment.objects.filter(pk=bob.pk).update(score="100.00", status=Status.WAITLISTED)
    page = selectors_course.participants_page(selectors_course.participants(course=published), 1, sort="name")
    rows = list(page.object_list)
    with timezone.override("Europe/Paris"):
        drawn = _rows_html(published, rows, can_manage=can_manage)
        context = Context({"rows": rows, "course": published, "can_manage": can_manage})
        expected = Template(ROWS_TEMPLATE).render(context)
    assert str(drawn) == expected
    assert "&lt;b&gt;" in drawn and "Another, North &amp; &lt;South&gt;" in drawn


def test_filters_by_status_group_and_search_and_sorts_by_progress(as_person, world, published):
    alice, bob, cara = enroll(published, world, "Alice Able", "Bob Baker", "Cara Cole")
    Enrollment.objects.filter(pk=bob.pk).update(progress_percent=90)
    Enrollment.objects.filter(pk=cara.pk).update(progress_percent=40)
    services.enrollment_withdraw(enrollment=alice, by=world.instructor.user, reason="Left")
    group = services.group_create(course=published, by=world.instructor.user, name="Night shift")
    services.group_members_change(group=group, by=world.instructor.user, add=[cara.pk])
    client = as_person(world.instructor)

    def names(**params: Any) -> list[str]:
        response = client.get(url("participants", published.pk), params)
        return [r.membership.user.display_name for r in response.context["page_obj"].object_list]

    assert names() == ["Bob Baker", "Cara Cole"]  # withdrawn people are history, not participants
    assert names(status="withdrawn") == ["Alice Able"]
    assert names(group=group.pk) == ["Cara Cole"]
    assert names(q="bak") == ["Bob Baker"]
    assert names(q=bob.membership.user.email) == ["Bob Baker"]
    assert names(sort="progress") == ["Bob Baker", "Cara Cole"]
    assert names(sort="activity", status="bogus", group="nan") == ["Bob Baker", "Cara Cole"]  # bad filters: ignored


def test_the_table_pages_twenty_five_at_a_time(as_person, world, published):
    people = [MembershipFactory(organization=world.org) for _ in range(28)]
    services.enrollments_bulk_create(course=published, memberships=people, by=world.instructor.user, method="admin")
    client = as_person(world.instructor)
    first = client.get(url("participants", published.pk))
    assert len(first.context["page_obj"].object_list) == 25
    second = client.get(url("participants", published.pk), {"page": 2})
    assert len(second.context["page_obj"].object_list) == 3
    assert "Page 2 of 2" in html_of(second)


@pytest.mark.parametrize("count", [3, 30])
def test_the_participants_page_keeps_a_constant_number_of_queries(
    as_person, world, published, django_assert_max_num_queries, count
):
    people = [MembershipFactory(organization=world.org) for _ in range(count)]
    services.enrollments_bulk_create(course=published, memberships=people, by=world.instructor.user, method="admin")
    groups = [services.group_create(course=published, by=world.instructor.user, name=f"G{i}") for i in range(3)]
    ids = list(Enrollment.objects.filter(course=published).values_list("pk", flat=True))
    for group in groups:
        services.group_members_change(group=group, by=world.instructor.user, add=ids)
    for person in [MembershipFactory(organization=world.org) for _ in range(count // 3)]:
        Enrollment.objects.create(
            organization=world.org,
            membership=person,
            course=published,
            method=Method.SELF,
            status=Status.PENDING,
            status_changed_at=clock.now(),
        )
    client = as_person(world.instructor)
    client.get(url("participants", published.pk))  # warm the session and caches
    with django_assert_max_num_queries(20):
        response = client.get(url("participants", published.pk), {"find": "person"})
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == min(count, 25)  # a page holds 25


def test_the_table_itself_takes_three_queries_for_3_or_30_rows(world, published, django_assert_num_queries):
    from syllabus.enrollment import selectors_course as selectors

    for count in (3, 30):
        Enrollment.objects.filter(course=published).delete()
        people = [MembershipFactory(organization=world.org) for _ in range(count)]
        services.enrollments_bulk_create(course=published, memberships=people, by=world.instructor.user, method="admin")
        group = CourseGroup.objects.get_or_create(organization=world.org, course=published, name="G")[0]
        GroupMember.objects.bulk_create(
            [GroupMember(group=group, enrollment=e) for e in Enrollment.objects.filter(course=published)]
        )
        with django_assert_num_queries(3):  # count, the page, the page's groups
            page = selectors.participants_page(selectors.participants(course=published), 1)
            assert all(len(row.group_list) == 1 for row in page.object_list)


# --- requests ----------------------------------------------------------------------------------------------------


@pytest.fixture
def approval(world: World, published: Course) -> Course:
    services.options_update(course=published, by=world.instructor.user, self_enrollment=SelfEnrollment.APPROVAL)
    return published


def test_pending_requests_show_at_the_top_and_the_instructor_approves_one(as_person, world, approval):
    request = services.enrollment_self(course=approval, by=world.learner.user, note="For my new role")
    client = as_person(world.instructor)
    html = html_of(client.get(url("participants", approval.pk)))
    assert "1 request waiting for a decision" in html and "For my new role" in html
    response = client.post(url("participant-approve", approval.pk, request.pk), {"back": "status=active&evil=1"})
    assert response.status_code == 302
    assert response["Location"] == url("participants", approval.pk) + "?status=active"
    request.refresh_from_db()
    assert request.status == Status.ACTIVE and request.decided_by == world.instructor.user


def test_declining_needs_a_reason_and_records_it(as_person, world, approval):
    request = services.enrollment_self(course=approval, by=world.learner.user)
    client = as_person(world.instructor)
    client.post(url("participant-decline", approval.pk, request.pk), {"reason": "  "})
    request.refresh_from_db()
    assert request.status == Status.PENDING
    client.post(url("participant-decline", approval.pk, request.pk), {"reason": "The course is for nurses."})
    request.refresh_from_db()
    assert request.status == Status.DECLINED and request.reason == "The course is for nurses."


# --- enrolling people --------------------------------------------------------------------------------------------


def test_the_search_finds_people_of_the_organisation_only_and_says_who_is_enrolled(as_person, world, published):
    services.enrollment_create(course=published, membership=world.learner, by=world.instructor.user)
    for i in range(25):
        MembershipFactory(organization=world.org, user__display_name=f"Lena Namesake {i}")
    client = as_person(world.instructor)
    response = client.get(url("participants-search", published.pk), {"find": "lena"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    candidates = response.context["candidates"]
    assert len(candidates) == 20
    found = {c.membership.pk: c.enrolled for c in candidates}
    assert found.get(world.learner.pk) is True
    outsider = client.get(url("participants-search", published.pk), {"find": "oscar"}, headers={"HX-Request": "true"})
    assert outsider.context["candidates"] == []
    # Without htmx the search lands on the page, which shows the same results.
    plain = client.get(url("participants-search", published.pk), {"find": "lena"})
    assert plain.status_code == 302 and "find=lena" in plain["Location"]


def test_the_instructor_enrolls_one_person_with_a_due_date(as_person, world, published):
    due = (clock.now() + dt.timedelta(days=10)).date()
    response = as_person(world.instructor).post(
        url("participants-enroll", published.pk), {"members": [world.learner.pk], "due_on": due.isoformat()}
    )
    assert response.status_code == 302
    enrollment = Enrollment.objects.get(course=published, membership=world.learner)
    assert enrollment.status == Status.ACTIVE and enrollment.method == Method.INSTRUCTOR
    assert enrollment.due_at is not None and enrollment.due_at.date() == due


def test_several_people_are_enrolled_in_one_go(as_person, world, published):
    response = as_person(world.instructor).post(
        url("participants-enroll", published.pk), {"members": [world.learner.pk, world.engineer.pk, world.report.pk]}
    )
    assert response.status_code == 302
    assert Enrollment.objects.filter(course=published, status=Status.ACTIVE).count() == 3
    assert AuditRecord.objects.filter(action="enrollment.bulk_created").count() == 1


def test_enrolling_without_anyone_or_with_a_past_due_date_shows_the_error(as_person, world, published):
    client = as_person(world.instructor)
    empty = client.post(url("participants-enroll", published.pk), {"members": []})
    assert empty.status_code == 400 and "Choose at least one person" in html_of(empty)
    past = client.post(
        url("participants-enroll", published.pk), {"members": [world.learner.pk], "due_on": "2001-01-01"}
    )
    assert past.status_code == 400 and services.DUE_IN_PAST in html_of(past)
    assert not Enrollment.objects.filter(course=published).exists()


def test_another_organisations_person_cannot_be_enrolled(as_person, world, published):
    response = as_person(world.instructor).post(
        url("participants-enroll", published.pk), {"members": [world.outsider.pk]}
    )
    assert response.status_code == 404
    assert not Enrollment.objects.filter(course=published).exists()


# --- bulk actions ------------------------------------------------------------------------------------------------


def test_bulk_add_to_a_group_and_remove_from_it(as_person, world, published):
    alice, bob, _cara = enroll(published, world, "Alice Able", "Bob Baker", "Cara Cole")
    group = services.group_create(course=published, by=world.instructor.user, name="Site North")
    client = as_person(world.instructor)
    response = client.post(
        url("participants-bulk", published.pk),
        {"action": "add_to_group", "group": group.pk, "selected": [alice.pk, bob.pk]},
    )
    assert response.status_code == 302
    assert set(GroupMember.objects.filter(group=group).values_list("enrollment_id", flat=True)) == {alice.pk, bob.pk}
    client.post(
        url("participants-bulk", published.pk), {"action": "remove_from_group", "group": group.pk, "selected": [bob.pk]}
    )
    assert set(GroupMember.objects.filter(group=group).values_list("enrollment_id", flat=True)) == {alice.pk}


def test_bulk_actions_need_a_selection_and_a_group(as_person, world, published):
    (alice,) = enroll(published, world, "Alice Able")
    client = as_person(world.instructor)
    none = client.post(url("participants-bulk", published.pk), {"action": "add_to_group", "selected": []})
    assert none.status_code == 400 and "Select at least one person" in html_of(none)
    no_group = client.post(url("participants-bulk", published.pk), {"action": "add_to_group", "selected": [alice.pk]})
    assert no_group.status_code == 400 and "Choose the group" in html_of(no_group)


def test_bulk_message_leads_to_the_message_form_with_the_people_selected(as_person, world, published):
    alice, bob = enroll(published, world, "Alice Able", "Bob Baker")
    response = as_person(world.instructor).post(
        url("participants-bulk", published.pk), {"action": "message", "selected": [alice.pk, bob.pk]}
    )
    assert response.status_code == 302 and response["Location"].startswith(url("message", published.pk))
    page = as_person(world.instructor).get(response["Location"])
    assert page.context["selected_ids"] == [alice.pk, bob.pk]
    assert "Alice Able" in html_of(page)


def test_a_group_of_another_course_cannot_be_used(as_person, world, published):
    (alice,) = enroll(published, world, "Alice Able")
    other = CourseFactory(organization=world.org)
    foreign = CourseGroup.objects.create(organization=world.org, course=other, name="Elsewhere")
    response = as_person(world.instructor).post(
        url("participants-bulk", published.pk), {"action": "add_to_group", "group": foreign.pk, "selected": [alice.pk]}
    )
    assert response.status_code == 400  # not one of this course's groups
    assert not GroupMember.objects.exists()


# --- one participant ---------------------------------------------------------------------------------------------


def test_one_participant_shows_each_activity_and_the_time_spent(
    as_person, world, published, django_assert_max_num_queries
):
    (alice,) = enroll(published, world, "Alice Able")
    Enrollment.objects.filter(pk=alice.pk).update(time_spent_seconds=3900)
    client = as_person(world.instructor)
    client.get(url("participant", published.pk, alice.pk))
    with django_assert_max_num_queries(20):
        response = client.get(url("participant", published.pk, alice.pk))
    html = html_of(response)
    assert [line.title for line in response.context["activities"]] == ["Welcome", "Extinguishers", "Evacuation"]
    assert "1 h 5 min" in html and html.count("Mark complete") >= 3


def test_the_instructor_removes_a_participant_with_a_reason(as_person, world, published):
    (alice,) = enroll(published, world, "Alice Able")
    client = as_person(world.instructor)
    missing = client.post(url("participant-remove", published.pk, alice.pk), {"reason": ""})
    assert missing.status_code == 400
    done = client.post(url("participant-remove", published.pk, alice.pk), {"reason": "Left the company"})
    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.status == Status.WITHDRAWN and alice.reason == "Left the company"


def test_an_enrollment_of_another_course_is_not_found_through_this_one(as_person, world, published):
    other = CourseFactory(organization=world.org)
    staff(other, world.instructor)
    from tests.factories import ActivityFactory, SectionFactory, publish

    ActivityFactory(section=SectionFactory(course=other))
    publish(other, world.instructor.user)
    other.refresh_from_db()
    foreign = services.enrollment_create(course=other, membership=world.learner, by=world.instructor.user)
    client = as_person(world.instructor)
    assert client.get(url("participant", published.pk, foreign.pk)).status_code == 404
    assert client.post(url("participant-remove", published.pk, foreign.pk), {"reason": "x"}).status_code == 404


# --- the attacker's side -----------------------------------------------------------------------------------------


def _every_request(course: Course, enrollment: Enrollment) -> list[tuple[str, str, dict[str, Any]]]:
    pk, eid = course.pk, enrollment.pk
    return [
        ("get", url("participants", pk), {}),
        ("get", url("participants-search", pk), {"find": "a"}),
        ("post", url("participants-enroll", pk), {"members": [enrollment.membership_id]}),
        ("post", url("participants-bulk", pk), {"action": "message", "selected": [eid]}),
        ("get", url("participant", pk, eid), {}),
        ("post", url("participant-approve", pk, eid), {}),
        ("post", url("participant-decline", pk, eid), {"reason": "no"}),
        ("post", url("participant-remove", pk, eid), {"reason": "no"}),
        ("get", url("message", pk), {}),
        ("post", url("message", pk), {"to": "everyone", "subject": "Hi", "body": "Hello"}),
        ("get", url("groups", pk), {}),
        ("post", url("groups", pk), {"name": "Mine"}),
        ("get", url("options", pk), {}),
        ("post", url("options", pk), {"self_enrollment": "open"}),
        ("get", reverse("progress:completion-settings", args=[pk]), {}),
        ("post", reverse("progress:completion-settings", args=[pk]), {"rule": "all_required"}),
    ]


@pytest.mark.parametrize("persona", ["learner", "stranger", "outsider"])
def test_people_outside_the_course_team_get_404_everywhere(as_person, world, published, stranger_instructor, persona):
    (alice,) = enroll(published, world, "Alice Able")
    who = {"learner": world.learner, "stranger": stranger_instructor, "outsider": world.outsider}[persona]
    client = as_person(who)
    for method, path, data in _every_request(published, alice):
        response = getattr(client, method)(path, data)
        assert response.status_code == 404, (persona, method, path)
    alice.refresh_from_db()
    assert alice.status == Status.ACTIVE
    assert not CourseGroup.objects.exists()


def test_a_reviewer_sees_the_course_but_not_its_participants(as_person, world, published):
    (alice,) = enroll(published, world, "Alice Able")
    client = as_person(world.reviewer)
    assert client.get(url("participants", published.pk)).status_code == 403
    assert client.get(url("participant", published.pk, alice.pk)).status_code == 403
    assert client.post(url("participant-remove", published.pk, alice.pk), {"reason": "x"}).status_code == 403


def test_a_non_editing_instructor_manages_participants_but_not_options_or_completion(as_person, world, published):
    teacher = MembershipFactory(organization=world.org, user__display_name="Nora Nonediting")
    staff(published, teacher, "instructor")
    client = as_person(teacher)
    response = client.get(url("participants", published.pk))
    assert response.status_code == 200
    html = html_of(response)
    assert url("options", published.pk) not in html
    assert reverse("progress:completion-settings", args=[published.pk]) not in html
    assert client.get(url("options", published.pk)).status_code == 403
    assert client.get(reverse("progress:completion-settings", args=[published.pk])).status_code == 403


def test_an_org_admin_not_on_the_team_reaches_every_team_page_and_the_rules_tab(as_person, world, published):
    client = as_person(world.org_admin)
    for name in ("participants", "groups", "options", "message"):
        assert client.get(url(name, published.pk)).status_code == 200, name
    html = html_of(client.get(url("participants", published.pk)))
    try:
        rules = url("rules", published.pk)
    except NoReverseMatch:  # the rules page is another area's; the tab appears once it exists
        return
    assert rules in html and "Enrollment rules" in html
    # Only holders of enrollment.manage see that tab.
    assert "Enrollment rules" not in html_of(as_person(world.instructor).get(url("participants", published.pk)))


def test_the_catalogs_course_pages_link_to_the_team_pages_by_right(as_person, world, published):
    team_page = reverse("catalog:course-team", args=[published.pk])
    html = html_of(as_person(world.instructor).get(team_page))
    for path in (url("participants", published.pk), url("groups", published.pk), url("options", published.pk)):
        assert path in html
    assert reverse("progress:completion-settings", args=[published.pk]) in html
    teacher = MembershipFactory(organization=world.org)
    staff(published, teacher, "instructor")
    html = html_of(as_person(teacher).get(team_page))
    assert url("participants", published.pk) in html
    assert url("options", published.pk) not in html
    assert reverse("progress:completion-settings", args=[published.pk]) not in html


# --- large courses -----------------------------------------------------------------------------------------------


def test_a_large_course_pages_in_enrollment_order_each_page_sorted_by_name(as_person, world, published, monkeypatch):
    from syllabus.enrollment import selectors_course

    monkeypatch.setattr(selectors_course, "EXACT_SORT_LIMIT", 3)
    monkeypatch.setattr(selectors_course, "PARTICIPANTS_PER_PAGE", 2)
    enroll(published, world, "Zoe Zed", "Adam Ant", "Yann Yew", "Bea Bee", "Carl Cox")
    client = as_person(world.instructor)

    def page(**params: Any) -> tuple[list[str], Any]:
        response = client.get(url("participants", published.pk), params)
        rows = response.context["page_obj"].object_list
        return [r.membership.user.display_name for r in rows], response

    from syllabus.enrollment.models import Enrollment

    in_enrollment_order = list(
        Enrollment.objects.filter(course=published)
        .order_by("pk")
        .values_list("membership__user__display_name", flat=True)
    )
    first, response = page()
    assert first == sorted(in_enrollment_order[:2])  # the first two enrolled, by name
    assert response.context["page_obj"].sorted_within
    assert "each page is sorted on its own" in html_of(response)
    assert page(page=2)[0] == sorted(in_enrollment_order[2:4])
    assert page(page=3)[0] == in_enrollment_order[4:]
    # A search narrows it below the limit: one order again.
    narrowed, response = page(q="Bee")
    assert narrowed == ["Bea Bee"] and not response.context["page_obj"].sorted_within


def test_a_large_course_sorted_by_progress_keeps_the_progress_order_across_pages(
    as_person, world, published, monkeypatch
):
    from syllabus.enrollment import selectors_course

    monkeypatch.setattr(selectors_course, "EXACT_SORT_LIMIT", 3)
    monkeypatch.setattr(selectors_course, "PARTICIPANTS_PER_PAGE", 2)
    rows = enroll(published, world, "Zoe Zed", "Adam Ant", "Yann Yew", "Bea Bee")
    for row, percent in zip(rows, (10, 80, 50, 80), strict=True):
        Enrollment.objects.filter(pk=row.pk).update(progress_percent=percent)
    client = as_person(world.instructor)
    names = [
        [
            r.membership.user.display_name
            for r in client.get(url("participants", published.pk), {"sort": "progress", "page": n})
            .context["page_obj"]
            .object_list
        ]
        for n in (1, 2)
    ]
    assert names == [["Adam Ant", "Bea Bee"], ["Yann Yew", "Zoe Zed"]]


def test_rows_carry_their_person_without_a_query_per_row(world, published, django_assert_num_queries):
    from syllabus.enrollment import selectors_course as selectors

    enroll(published, world, "Alice Able", "Bob Baker")
    with django_assert_num_queries(3):  # count, the page, its groups
        page = selectors.participants_page(selectors.participants(course=published), 1, sort="name")
        people = [(row.membership.user.display_name, row.membership.user.email) for row in page.object_list]
    assert [name for name, _email in people] == ["Alice Able", "Bob Baker"] and all(email for _n, email in people)
