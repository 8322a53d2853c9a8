"""The course team's pages in a real browser: approving a request, grouping learners by keyboard, the enroll
search as one types, phones, and axe checks on every page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from syllabus.catalog.models import Course
from syllabus.celery import app as celery_app
from syllabus.enrollment import services
from syllabus.enrollment.models import Enrollment, SelfEnrollment, Status
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, axe_check, path_is, problems_of, sign_in, url
from tests.factories import PASSWORD, ActivityFactory, CourseFactory, SectionFactory, publish, staff

pytestmark = BROWSER_TEST


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Messages are sent by a Celery task after commit: inline here, in the live server's thread.
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)
    yield


@pytest.fixture
def course(world: World) -> Course:
    """A published course needing approval, owned by the instructor, with two participants and a request."""
    course = CourseFactory(organization=world.org, title="Fire safety")
    staff(course, world.instructor, "owner")
    section = SectionFactory(course=course, title="Basics")
    for title in ("Welcome", "Extinguishers", "Evacuation"):
        ActivityFactory(section=section, title=title)
    publish(course, world.instructor.user)
    course.refresh_from_db()
    by = world.instructor.user
    for person in (world.engineer, world.report):
        services.enrollment_create(course=course, membership=person, by=by)
    services.options_update(course=course, by=by, self_enrollment=SelfEnrollment.APPROVAL, capacity=10)
    services.enrollment_self(course=course, by=world.learner.user, note="I start on the ward next week.")
    services.group_create(course=course, by=by, name="Site North")
    return course


def test_the_instructor_approves_a_request_and_the_learner_appears_as_enrolled(
    world: World, course: Course, page: Page
) -> None:
    sign_in(page, world.instructor.user.email, PASSWORD)
    page.goto(url("enrollment:participants", course.pk))
    requests = page.get_by_role("region", name=re.compile("request waiting"))
    expect(requests).to_contain_text("Lena Learner")
    expect(requests).to_contain_text("I start on the ward next week.")
    requests.get_by_role("button", name="Approve Lena Learner").click()
    expect(page).to_have_url(path_is("enrollment:participants", course.pk))
    expect(page.get_by_role("status").first).to_contain_text("Lena Learner is enrolled.")
    expect(page.get_by_role("region", name=re.compile("request waiting"))).to_have_count(0)
    row = page.get_by_role("row", name=re.compile("Lena Learner"))
    expect(row).to_contain_text("Enrolled")
    assert Enrollment.objects.get(course=course, membership=world.learner).status == Status.ACTIVE
    assert problems_of(page).csp_violations == []
    assert problems_of(page).page_errors == []


def test_the_instructor_puts_two_learners_in_a_group_by_keyboard(world: World, course: Course, page: Page) -> None:
    sign_in(page, world.instructor.user.email, PASSWORD)
    page.goto(url("enrollment:participants", course.pk))
    first = page.get_by_role("checkbox", name="Select Eddie Engineer")
    first.focus()
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    page.get_by_role("checkbox", name="Select Rita Report").focus()
    page.keyboard.press("Space")
    page.get_by_label("With the selected people").focus()
    expect(page.get_by_label("With the selected people")).to_have_value("add_to_group")
    page.keyboard.press("Tab")
    group = page.get_by_label("Group", exact=True).last
    expect(group).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(group).to_have_value(re.compile(r"\d+"))
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Apply")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("2 people added to Site North.")
    for name in ("Eddie Engineer", "Rita Report"):
        expect(page.get_by_role("row", name=re.compile(name))).to_contain_text("Site North")
    expect(page.get_by_role("row", name=re.compile("Lena Learner"))).to_have_count(0)  # still a request


def test_people_to_enroll_appear_as_one_types_and_are_enrolled(world: World, course: Course, page: Page) -> None:
    sign_in(page, world.instructor.user.email, PASSWORD)
    page.goto(url("enrollment:participants", course.pk))
    page.get_by_label("Name or email", exact=True).first.fill("ivan")
    results = page.locator("#enroll-results")
    expect(results.get_by_role("checkbox", name=re.compile("Ivan Indirect"))).to_be_visible()
    results.get_by_role("checkbox", name=re.compile("Ivan Indirect")).check()
    page.get_by_role("button", name="Enroll the people checked").click()
    expect(page.get_by_role("status").first).to_contain_text("Ivan Indirect was enrolled.")
    expect(page.get_by_role("row", name=re.compile("Ivan Indirect"))).to_contain_text("Enrolled by instructor")


def test_the_participants_page_fits_a_phone(world: World, course: Course, phone_page: Page) -> None:
    sign_in(phone_page, world.instructor.user.email, PASSWORD)
    phone_page.goto(url("enrollment:participants", course.pk))
    expect(phone_page.get_by_role("checkbox", name="Select Eddie Engineer")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    enrollment = Enrollment.objects.get(course=course, membership=world.engineer)
    phone_page.goto(url("enrollment:participant", course.pk, enrollment.pk))
    expect(phone_page.get_by_role("heading", name="Activity by activity")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375


def _paths(course: Course, world: World) -> dict[str, Any]:
    enrollment = Enrollment.objects.get(course=course, membership=world.engineer)
    group = course_group(course)
    return {
        "participants": url("enrollment:participants", course.pk),
        "participants with a search": url("enrollment:participants", course.pk) + "?find=e",
        "participant": url("enrollment:participant", course.pk, enrollment.pk),
        "groups": url("enrollment:groups", course.pk),
        "group": url("enrollment:group", course.pk, group.pk) + "?find=e",
        "message": url("enrollment:message", course.pk),
        "options": url("enrollment:options", course.pk),
        "completion": url("progress:completion-settings", course.pk),
    }


def course_group(course: Course) -> Any:
    from syllabus.enrollment.models import CourseGroup

    return CourseGroup.objects.get(course=course)


@pytest.mark.parametrize(
    "name",
    [
        "participants",
        "participants with a search",
        "participant",
        "groups",
        "group",
        "message",
        "options",
        "completion",
    ],
)
def test_course_team_pages_have_no_serious_accessibility_violations(
    world: World, course: Course, axe_page: Page, name: str
) -> None:
    sign_in(axe_page, world.instructor.user.email, PASSWORD)
    response = axe_page.goto(_paths(course, world)[name])
    assert response is not None and response.status == 200
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    axe_check(axe_page)


def test_errors_are_tied_to_their_fields_for_screen_readers(world: World, course: Course, axe_page: Page) -> None:
    sign_in(axe_page, world.instructor.user.email, PASSWORD)
    enrollment = Enrollment.objects.get(course=course, membership=world.engineer)
    axe_page.goto(url("enrollment:participant", course.pk, enrollment.pk))
    axe_page.get_by_role("button", name="Reset progress").click()
    expect(axe_page.locator("[aria-invalid=true]").first).to_be_visible()
    axe_check(axe_page)
    axe_page.goto(url("enrollment:options", course.pk))
    axe_page.get_by_label("Self-enrollment opens").fill("2031-01-02T10:00")
    axe_page.get_by_label("Self-enrollment closes").fill("2031-01-01T10:00")
    axe_page.get_by_role("button", name="Save").click()
    expect(axe_page.get_by_text("Enrollment must open before it closes.", exact=True)).to_be_visible()
    # The summary at the top takes the focus and links to the field.
    summary = axe_page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile("Self-enrollment closes")).click()
    expect(axe_page.get_by_label("Self-enrollment closes")).to_be_focused()
    axe_check(axe_page)


def test_the_bulk_actions_come_after_the_table(world: World, course: Course, page: Page) -> None:
    sign_in(page, world.instructor.user.email, PASSWORD)
    page.goto(url("enrollment:participants", course.pk))
    table = page.get_by_role("table", name="Participants")
    expect(table).to_be_visible()
    # People pick the rows first, then what to do with them: reading and Tab order follow.
    after = page.evaluate(
        """() => {
          const table = document.querySelector("table.participants");
          const bar = document.querySelector("fieldset.bulk-actions");
          return Boolean(table.compareDocumentPosition(bar) & Node.DOCUMENT_POSITION_FOLLOWING);
        }"""
    )
    assert after
    expect(table.locator("td[data-label=Progress]").first).to_have_text(re.compile(r"^\d+%$"))
