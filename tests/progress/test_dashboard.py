"""The learner's dashboard: assigned training with overdue first, in progress, not started, waiting, recommended,
completed (with expiry), in the person's time zone, in a number of queries that does not grow with enrollments."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from syllabus.accounts.models import Membership
from syllabus.audiences.models import Audience
from syllabus.catalog.models import Category, Course, Visibility
from syllabus.core import clock
from syllabus.enrollment.models import Enrollment, Method, Status
from syllabus.progress import selectors_learner as selectors
from syllabus.progress.models import Completion
from tests.conftest import World
from tests.factories import ActivityFactory, CourseFactory, SectionFactory, publish

DASHBOARD = reverse("progress:dashboard")


def make_course(world: World, title: str, **fields: Any) -> Course:
    course = CourseFactory(organization=world.org, title=title, **fields)
    ActivityFactory(section=SectionFactory(course=course))
    publish(course, world.instructor.user)
    course.refresh_from_db()
    return course


def enroll(
    membership: Membership,
    course: Course,
    *,
    method: str = Method.SELF,
    status: str = Status.ACTIVE,
    due_at: dt.datetime | None = None,
    percent: int = 0,
    started: bool = False,
) -> Enrollment:
    now = clock.now()
    return Enrollment.objects.create(
        organization_id=membership.organization_id,
        membership=membership,
        course=course,
        status=status,
        method=method,
        due_at=due_at,
        enrolled_at=now,
        status_changed_at=now,
        version_id=course.published_version_id,
        progress_percent=percent,
        last_activity_at=now if started else None,
    )


def complete(
    membership: Membership, course: Course | None, *, title: str = "", days_ago: int = 1, expires_in: int | None = None
) -> Completion:
    now = clock.now()
    return Completion.objects.create(
        organization_id=membership.organization_id,
        membership=membership,
        course=course,
        title=title or (course.title if course else "Elsewhere"),
        version_label="1.0",
        completed_at=now - dt.timedelta(days=days_ago),
        expires_at=now + dt.timedelta(days=expires_in) if expires_in is not None else None,
        score=None,
        time_spent_seconds=3900,
    )


def html(client: Any, path: str = DASHBOARD) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def section_html(page: str, heading: str) -> str:
    """The markup of one dashboard section, found by its heading."""
    match = re.search(
        rf'<section class="dashboard-section"[^>]*>\s*<h2[^>]*>{re.escape(heading)}</h2>(.*?)</section>', page, re.S
    )
    assert match, f"no section {heading!r}"
    return match.group(1)


def items_of(section: str) -> list[str]:
    return section.split('<li class="dashboard-item')[1:]


# --- sections --------------------------------------------------------------------------------------------------


def test_assigned_training_shows_overdue_first_marked_overdue_then_by_due_date(world: World, client: Any) -> None:
    now = clock.now()
    later = enroll(
        world.learner, make_course(world, "Due later"), method=Method.MANAGER, due_at=now + dt.timedelta(days=9)
    )
    enroll(world.learner, make_course(world, "No due date"), method=Method.AUDIENCE)
    enroll(world.learner, make_course(world, "Long overdue"), method=Method.ADMIN, due_at=now - dt.timedelta(days=2))
    enroll(world.learner, make_course(world, "Due soon"), method=Method.MANAGER, due_at=now + dt.timedelta(days=1))
    enroll(world.learner, make_course(world, "Chosen myself"), due_at=now - dt.timedelta(days=1))
    client.force_login(world.learner.user)
    page = html(client)
    assigned = section_html(page, "Assigned to you")
    titles = re.findall(r'<h3 class="dashboard-title"><a href="[^"]+">([^<]+)</a>', assigned)
    assert titles == ["Long overdue", "Due soon", "Due later", "No due date"]
    overdue_item = assigned.split("Due soon")[0]
    assert "Overdue" in overdue_item and assigned.count(">Overdue<") == 1
    assert "One assignment is overdue." in page
    assert "Chosen myself" not in assigned
    assert later.due_at is not None and later.due_at.date().isoformat() in assigned


def test_sections_sort_training_by_where_the_person_is(world: World, client: Any) -> None:
    enroll(world.learner, make_course(world, "Half way"), percent=50, started=True)
    enroll(world.learner, make_course(world, "Untouched"))
    enroll(world.learner, make_course(world, "Asked for"), status=Status.PENDING)
    enroll(world.learner, make_course(world, "Queued"), status=Status.WAITLISTED)
    finished = make_course(world, "Finished")
    enroll(world.learner, finished, status=Status.COMPLETED, percent=100, started=True)
    complete(world.learner, finished, expires_in=30)
    complete(world.learner, None, title="Old first aid", days_ago=400, expires_in=-35)
    client.force_login(world.learner.user)
    page = html(client)
    in_progress = section_html(page, "In progress")
    assert "Half way" in in_progress and 'value="50"' in in_progress and "50% complete" in in_progress
    assert "Continue" in in_progress
    not_started = section_html(page, "Not started")
    assert "Untouched" in not_started and "Start" in not_started
    waiting = section_html(page, "Waiting")
    assert "Asked for" in waiting and "Waiting for approval" in waiting
    assert "Queued" in waiting and "On the waiting list" in waiting
    assert "Continue" not in waiting and "Start<" not in waiting  # nothing to open yet
    finished_item, old_item = items_of(section_html(page, "Completed"))
    assert "Finished" in finished_item and "Valid until" in finished_item and "Expired" not in finished_item
    assert "Old first aid" in old_item and ">Expired<" in old_item and "Expired on" in old_item


def test_each_item_links_the_course_and_continues_where_the_player_resumes(world: World, client: Any) -> None:
    course = make_course(world, "Fire safety")
    enroll(world.learner, course, percent=33, started=True)
    client.force_login(world.learner.user)
    page = html(client)
    assert f'href="{reverse("catalog:course", args=[course.pk])}"' in page
    try:
        resume = reverse("progress:resume", args=[course.pk])
    except NoReverseMatch:  # the player's pages are another area's; until then Continue opens the course page
        resume = reverse("catalog:course", args=[course.pk])
    assert re.search(rf'<a class="button" href="{re.escape(resume)}">Continue', page)


def test_due_dates_are_shown_in_the_persons_time_zone(world: World, client: Any) -> None:
    user = world.learner.user
    user.time_zone = "Asia/Tokyo"
    user.save()
    due = dt.datetime(2099, 3, 1, 20, 0, tzinfo=dt.UTC)  # 2 March, 05:00 in Tokyo
    enroll(world.learner, make_course(world, "Night shift"), method=Method.MANAGER, due_at=due)
    client.force_login(user)
    page = html(client)
    assert 'datetime="2099-03-02T05:00:00+09:00"' in page


def test_recommendations_are_visible_unenrolled_courses_related_ones_first(world: World, client: Any) -> None:
    safety = Category.objects.create(organization=world.org, name="Safety", slug="safety")
    mine = make_course(world, "Fire safety", category=safety)
    enroll(world.learner, mine)
    make_course(world, "Ladder safety", category=safety)
    newest = make_course(world, "Newest other")  # published last but unrelated
    for n in range(6):
        make_course(world, f"Filler {n}")
    newest.refresh_from_db()
    hidden = CourseFactory(organization=world.org, title="Secret board course")
    ActivityFactory(section=SectionFactory(course=hidden))
    hidden.visibility = Visibility.AUDIENCE
    hidden.audience = Audience.objects.create(organization=world.org, name="Board", rules={"all": []})
    hidden.save()
    publish(hidden, world.instructor.user)
    other_org = CourseFactory(organization=world.other_org, title="Globex course")
    ActivityFactory(section=SectionFactory(course=other_org))
    publish(other_org, world.outsider.user)
    client.force_login(world.learner.user)
    recommended = section_html(html(client), "Recommended")
    titles = re.findall(r'<h3 class="dashboard-title"><a href="[^"]+">([^<]+)</a>', recommended)
    assert titles[0] == "Ladder safety" and "Related to your courses" in recommended
    assert len(titles) == selectors.RECOMMENDED_SIZE
    assert "Fire safety" not in titles and "Secret board course" not in titles and "Globex course" not in titles
    assert titles[1] == "Filler 5"  # then the newest


def test_long_sections_show_ten_and_link_to_all_of_them_page_by_page(world: World, client: Any) -> None:
    now = clock.now()
    for n in range(30):
        enroll(
            world.learner,
            make_course(world, f"Assigned {n:02d}"),
            method=Method.MANAGER,
            due_at=now + dt.timedelta(days=n + 1),
        )
    client.force_login(world.learner.user)
    assigned = section_html(html(client), "Assigned to you")
    assert assigned.count('class="dashboard-title"') == selectors.SECTION_SIZE
    more = reverse("progress:dashboard-section", args=["assigned"])
    assert f'href="{more}"' in assigned
    first = html(client, more)
    assert first.count('class="dashboard-title"') == selectors.ALL_PAGE_SIZE and "Assigned 00" in first
    second = html(client, more + "?page=2")
    assert second.count('class="dashboard-title"') == 5 and "Assigned 29" in second
    assert client.get(reverse("progress:dashboard-section", args=["everything"])).status_code == 404


def test_another_persons_enrollments_never_show(world: World, client: Any) -> None:
    enroll(world.report, make_course(world, "Rita's course"), method=Method.MANAGER)
    complete(world.report, None, title="Rita's certificate")
    client.force_login(world.learner.user)
    page = html(client)
    for heading in ("Assigned to you", "In progress", "Not started", "Waiting", "Completed"):
        assert "Rita&#x27;s" not in section_html(page, heading)


def test_someone_who_is_not_a_member_is_told_so(world: World, client: Any) -> None:
    from syllabus.accounts.middleware import SESSION_KEY

    client.force_login(world.platform_admin)
    session = client.session
    session[SESSION_KEY] = world.org.pk
    session.save()
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert "not a member of this organisation" in response.content.decode()
    assert client.get(reverse("progress:transcript")).status_code == 403


# --- home ------------------------------------------------------------------------------------------------------


def test_home_is_the_dashboard_of_a_member(world: World, client: Any) -> None:
    client.force_login(world.learner.user)
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    assert "My learning" in response.content.decode()


def test_pages_need_sign_in(client: Any) -> None:
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))


# --- scale -----------------------------------------------------------------------------------------------------


def _fill(world: World, count: int) -> None:
    """`count` enrollments spread over every section, and as many completions, plus catalog courses."""
    now = clock.now()
    kinds = [
        {"method": Method.MANAGER, "due_at": now - dt.timedelta(days=1)},
        {"method": Method.AUDIENCE, "due_at": now + dt.timedelta(days=3)},
        {"percent": 40, "started": True},
        {},
        {"status": Status.PENDING},
        {"status": Status.COMPLETED, "percent": 100},
    ]
    start = Course.objects.filter(organization=world.org).count()
    for n in range(count):
        course = make_course(world, f"Course {start + n}")
        if n % 4 == 3:
            continue  # left in the catalog, for the recommendations
        enroll(world.learner, course, **kinds[n % len(kinds)])
        complete(world.learner, course, days_ago=n, expires_in=(n % 3) - 1)


def _queries(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("path", [DASHBOARD, reverse("progress:dashboard-section", args=["assigned"])])
def test_the_dashboard_costs_the_same_queries_for_3_or_30_enrollments(
    world: World, client: Any, django_assert_max_num_queries: Any, path: str
) -> None:
    client.force_login(world.learner.user)
    _fill(world, 3)
    few = _queries(client, path)
    _fill(world, 30)
    with django_assert_max_num_queries(few):
        client.get(path)
    # Sign-in, organisation and grants (7: whether anyone reports to them comes with the membership, how many
    # organisations they act in with the organisation), navigation (1), the session (3), then one query per section,
    # and one per panel other apps add through web.panels (certificates: the person's latest valid certificates;
    # grades: the courses with grades to read).
    assert few <= 18
