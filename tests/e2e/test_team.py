"""The manager's pages in a real browser: assigning a course to the whole team and seeing the counts move, declining
a request by keyboard, phones, and axe checks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from syllabus.catalog.models import Course
from syllabus.celery import app as celery_app
from syllabus.core import clock
from syllabus.enrollment import services
from syllabus.enrollment.models import Enrollment, SelfEnrollment, Status
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, axe_check, path_is, problems_of, sign_in, url
from tests.factories import PASSWORD, ActivityFactory, CourseFactory, SectionFactory, publish, staff

pytestmark = BROWSER_TEST


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Reactions to enrollments run after commit as Celery tasks: inline here, in the live server's thread.
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)
    yield


def _course(world: World, title: str) -> Course:
    course = CourseFactory(organization=world.org, title=title)
    staff(course, world.instructor, "owner")
    ActivityFactory(section=SectionFactory(course=course, title="Basics"), title="Welcome")
    publish(course, world.instructor.user)
    course.refresh_from_db()
    return course


@pytest.fixture
def fire_safety(world: World) -> Course:
    return _course(world, "Fire safety")


@pytest.fixture
def requested(world: World) -> Enrollment:
    """Rita asked for a place in a course that needs approval."""
    course = _course(world, "Leadership basics")
    services.options_update(course=course, by=world.instructor.user, self_enrollment=SelfEnrollment.APPROVAL)
    return services.enrollment_self(course=course, by=world.report.user, note="I lead a team now")


def _team_row(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("table", name="Training of your team").get_by_role("row", name=re.compile(name))


def test_a_manager_assigns_a_course_with_a_due_date_to_the_whole_team(
    world: World, fire_safety: Course, page: Page
) -> None:
    _course(world, "Data protection")
    sign_in(page, world.manager.user.email, PASSWORD)
    page.goto(url("enrollment:team"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My team")
    expect(_team_row(page, "Rita Report").locator("td").first).to_have_text("0")

    page.get_by_role("link", name="Assign a course").click()
    expect(page).to_have_url(path_is("enrollment:team-assign"))
    page.get_by_label("Find a course").fill("fire")
    # The course list follows the search (htmx), without leaving the page.
    expect(page.get_by_role("radio", name="Data protection")).to_have_count(0)
    page.get_by_role("radio", name="Fire safety").check()
    page.get_by_role("radio", name=re.compile("Your whole team")).check()
    due = (clock.now() + dt.timedelta(days=30)).date()
    page.get_by_label("Due date").fill(due.isoformat())
    page.get_by_role("button", name="Review").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the assignment")
    expect(page.locator("#confirm-summary")).to_contain_text("2 people will be enrolled.")
    assert not Enrollment.objects.exists()
    page.get_by_role("button", name="Enroll 2 people").click()

    expect(page).to_have_url(path_is("enrollment:team"))
    expect(page.get_by_role("status").first).to_contain_text("Fire safety: 2 people enrolled")
    for name in ("Rita Report", "Ivan Indirect"):
        expect(_team_row(page, name).locator("td").first).to_have_text("1")
    enrolled = Enrollment.objects.filter(course=fire_safety, status=Status.ACTIVE)
    assert enrolled.count() == 2
    assert all(e.due_at is not None and e.due_at.date() >= due - dt.timedelta(days=1) for e in enrolled)

    page.get_by_role("link", name="Ivan Indirect").click()
    expect(page.get_by_role("table", name="Current training")).to_contain_text("Fire safety")
    assert problems_of(page).csp_violations == []
    assert problems_of(page).page_errors == []


def test_a_manager_declines_a_request_with_a_reason_by_keyboard(
    world: World, requested: Enrollment, page: Page
) -> None:
    sign_in(page, world.manager.user.email, PASSWORD)
    page.goto(url("enrollment:approvals"))
    row = page.get_by_role("row", name=re.compile("Rita Report"))
    expect(row).to_contain_text("I lead a team now")
    summary = row.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")  # opens the disclosure
    page.keyboard.press("Tab")
    reason = row.get_by_role("textbox", name="Reason")
    expect(reason).to_be_focused()
    page.keyboard.type("The next session suits your team better.")
    page.keyboard.press("Tab")
    expect(row.get_by_role("button", name=re.compile("^Decline"))).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status").first).to_contain_text("was declined")
    expect(page.get_by_text("No enrollment request is waiting for your decision.")).to_be_visible()
    requested.refresh_from_db()
    assert (requested.status, requested.reason) == (Status.DECLINED, "The next session suits your team better.")


def test_declining_without_a_reason_shows_the_error_at_the_request(
    world: World, requested: Enrollment, page: Page
) -> None:
    sign_in(page, world.manager.user.email, PASSWORD)
    page.goto(url("enrollment:approvals"))
    row = page.get_by_role("row", name=re.compile("Rita Report"))
    row.locator("summary").click()
    reason = row.get_by_role("textbox", name="Reason")
    # The browser's own check first (the field is required)...
    reason.evaluate("el => el.removeAttribute('required')")
    row.get_by_role("button", name=re.compile("^Decline")).click()
    # ...and the server's, linked to the field.
    row = page.get_by_role("row", name=re.compile("Rita Report"))
    expect(row.get_by_role("textbox", name="Reason")).to_have_attribute("aria-invalid", "true")
    expect(row.locator(".errorlist")).to_be_visible()


@pytest.mark.parametrize("name", ["team", "person", "assign", "confirm", "approvals"])
def test_team_pages_have_no_serious_accessibility_violations(
    world: World, fire_safety: Course, requested: Enrollment, axe_page: Page, name: str
) -> None:
    services.enrollment_create(course=fire_safety, membership=world.report, by=world.manager.user)
    sign_in(axe_page, world.manager.user.email, PASSWORD)
    path = {
        "team": url("enrollment:team"),
        "person": url("enrollment:team-person", world.report.pk),
        "assign": url("enrollment:team-assign"),
        "confirm": url("enrollment:team-assign"),
        "approvals": url("enrollment:approvals"),
    }[name]
    response = axe_page.goto(path)
    assert response is not None and response.status == 200
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    if name == "person":
        axe_page.locator("main summary").first.click()
    if name == "approvals":
        axe_page.locator("main summary").first.click()
    if name == "confirm":
        axe_page.get_by_role("radio", name="Fire safety").check()
        axe_page.get_by_role("button", name="Review").click()
        expect(axe_page.get_by_role("heading", level=1)).to_have_text("Confirm the assignment")
    axe_check(axe_page)


def test_assign_errors_pass_axe(world: World, fire_safety: Course, axe_page: Page) -> None:
    sign_in(axe_page, world.manager.user.email, PASSWORD)
    axe_page.goto(url("enrollment:team-assign"))
    axe_page.get_by_role("radio", name="One person").check()
    axe_page.get_by_role("button", name="Review").click()
    expect(axe_page.locator("[aria-invalid=true]").first).to_be_visible()
    axe_check(axe_page)


@pytest.mark.parametrize("name", ["team", "person", "assign", "approvals"])
def test_team_pages_fit_a_phone(
    world: World, fire_safety: Course, requested: Enrollment, phone_page: Page, name: str
) -> None:
    services.enrollment_create(course=fire_safety, membership=world.report, by=world.manager.user)
    sign_in(phone_page, world.manager.user.email, PASSWORD)
    path = {
        "team": url("enrollment:team"),
        "person": url("enrollment:team-person", world.report.pk),
        "assign": url("enrollment:team-assign"),
        "approvals": url("enrollment:approvals"),
    }[name]
    phone_page.goto(path)
    expect(phone_page.get_by_role("heading", level=1)).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375


# --- the review's fixes --------------------------------------------------------------------------------------------


def test_enter_in_the_course_search_searches_without_putting_the_token_in_the_address(
    world: World, fire_safety: Course, page: Page
) -> None:
    _course(world, "Data protection")
    sign_in(page, world.manager.user.email, PASSWORD)
    page.goto(url("enrollment:team-assign"))
    page.get_by_role("radio", name=re.compile("Your whole team")).check()
    search = page.get_by_label("Find a course")
    search.fill("fire")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"course_q=fire"))
    assert "csrfmiddlewaretoken" not in page.url
    # The pick made before the search is kept (assign.js carries it through the search form).
    expect(page.get_by_role("radio", name=re.compile("Your whole team"))).to_be_checked()
    expect(page.get_by_role("radio", name="Data protection")).to_have_count(0)
    assert problems_of(page).csp_violations == [] and problems_of(page).page_errors == []


def test_enter_in_the_due_date_reviews(world: World, fire_safety: Course, page: Page) -> None:
    sign_in(page, world.manager.user.email, PASSWORD)
    page.goto(url("enrollment:team-assign"))
    page.get_by_role("radio", name="Fire safety").check()
    due = page.get_by_label("Due date")
    due.fill((clock.now() + dt.timedelta(days=30)).date().isoformat())
    due.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the assignment")
    assert "csrfmiddlewaretoken" not in page.url


def test_the_person_picker_shows_only_for_one_person(world: World, fire_safety: Course, page: Page) -> None:
    sign_in(page, world.manager.user.email, PASSWORD)
    page.goto(url("enrollment:team-assign"))
    expect(page.get_by_label("Find a person")).to_be_hidden()
    page.get_by_role("radio", name="One person").check()
    expect(page.get_by_label("Find a person")).to_be_visible()
    page.get_by_role("radio", name=re.compile("Your direct reports")).check()
    expect(page.get_by_label("Find a person")).to_be_hidden()


def test_assign_errors_are_summarised_and_focused(world: World, fire_safety: Course, page: Page) -> None:
    sign_in(page, world.manager.user.email, PASSWORD)
    page.goto(url("enrollment:team-assign"))
    page.get_by_role("radio", name="One person").check()
    page.get_by_role("button", name="Review").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile("^Course")).click()
    expect(page.get_by_role("radio", name="Fire safety")).to_be_focused()


@pytest.mark.parametrize("who", ["team", "person"])
def test_the_assign_page_has_no_sideways_scroll_at_390px(
    world: World, fire_safety: Course, open_page: Any, who: str
) -> None:
    _course(world, "A course with a rather long title that a phone has to wrap somewhere sensible")
    page = open_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, world.manager.user.email, PASSWORD)
    page.goto(url("enrollment:team-assign") + (f"?person={world.report.pk}" if who == "person" else ""))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
