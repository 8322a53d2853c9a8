"""Learning in a real browser with the CSP on: a learner enrolls from the course page (also by keyboard alone),
works through a course in the player to 100% and "Completed", opens the outline's other sections, and the time
spent is reported; axe checks and phone widths for the course page and the player."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from syllabus.catalog.models import Course
from syllabus.enrollment import services
from syllabus.enrollment.models import Enrollment, EnrollmentOptions, Status
from syllabus.progress.models import ActivityProgress
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, axe_check, problems_of, sign_in, url
from tests.factories import PASSWORD, ActivityFactory, CourseFactory, SectionFactory, publish, staff

pytestmark = BROWSER_TEST


def course_of(world: World, sections: list[tuple[str, list[str]]], title: str = "Fire safety") -> Course:
    """A published course of Page activities (each completes when viewed), owned by the instructor."""
    course = CourseFactory(organization=world.org, title=title)
    staff(course, world.instructor, "owner")
    for number, (section_title, activities) in enumerate(sections):
        section = SectionFactory(course=course, title=section_title, position=number)
        for position, activity_title in enumerate(activities):
            ActivityFactory(section=section, title=activity_title, position=position)
    publish(course, world.instructor.user)
    course.refresh_from_db()
    return course


@pytest.fixture
def course(world: World) -> Course:
    return course_of(world, [("Basics", ["Welcome", "Extinguishers"]), ("Leaving", ["Evacuation"])])


def assert_no_problems(page: Page) -> None:
    problems = problems_of(page)
    assert problems.csp_violations == []
    assert problems.page_errors == []


def test_a_learner_enrolls_and_completes_a_course_in_the_player(world: World, course: Course, page: Page) -> None:
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("catalog:course", course.pk))
    panel = page.get_by_role("region", name="Your place in this course")
    panel.get_by_role("button", name="Enroll").click()
    expect(page.get_by_role("status")).to_contain_text("You are enrolled in Fire safety.")
    expect(panel.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")

    panel.get_by_role("link", name="Start").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome")
    outline = page.get_by_role("navigation", name="Course outline")
    bar = outline.get_by_role("progressbar")
    # Opening a page views it: the page already counts it (one of three).
    expect(bar).to_have_attribute("aria-valuenow", "33")
    expect(outline.locator("[data-activity-uid]", has_text="Welcome")).to_contain_text("Completed")
    expect(outline.locator("[data-activity-uid]", has_text="Extinguishers")).to_contain_text("Not started")

    page.get_by_role("link", name="Next: Extinguishers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Extinguishers")
    expect(bar).to_have_attribute("aria-valuenow", "66")

    page.get_by_role("link", name="Next: Evacuation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evacuation")
    expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(outline.get_by_text("Completed", exact=False).first).to_be_visible()
    expect(outline.locator("[data-player-completed]")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Next:"))).to_have_count(0)
    # The last activity is no dead end: the course is completed, with the way to the dashboard and transcript.
    pager = page.get_by_role("navigation", name="Previous and next activity")
    expect(pager).to_contain_text("Course completed")
    expect(pager.get_by_role("link", name="Go to my learning")).to_have_attribute("href", url("progress:dashboard"))
    expect(pager.get_by_role("link", name="See my transcript")).to_have_attribute("href", url("progress:transcript"))
    expect(pager.get_by_role("link", name="Back to the course page")).to_have_attribute(
        "href", url("catalog:course", course.pk)
    )

    page.get_by_role("link", name="Fire safety").click()
    expect(panel).to_contain_text("Completed on")
    expect(panel.get_by_role("link", name="Review course")).to_be_visible()
    enrollment = Enrollment.objects.get(membership=world.learner, course=course)
    assert enrollment.status == Status.COMPLETED and enrollment.progress_percent == 100
    assert_no_problems(page)


def test_a_learner_enrolls_with_the_keyboard_alone(world: World, course: Course, page: Page) -> None:
    EnrollmentOptions.objects.create(organization=world.org, course=course, enrollment_key="blue-fox")
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("catalog:course", course.pk))
    key = page.get_by_label("Enrollment key")
    # Tab from the top of the page to the key field, type it, and submit with Enter.
    for _ in range(40):
        page.keyboard.press("Tab")
        if key.evaluate("element => element === document.activeElement"):
            break
    expect(key).to_be_focused()
    page.keyboard.type("blue-fox")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Enroll")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("You are enrolled in Fire safety.")
    expect(page).to_have_url(re.compile(re.escape(url("catalog:course", course.pk)) + "#enrollment$"))
    assert Enrollment.objects.get(membership=world.learner, course=course).status == Status.ACTIVE


def test_a_wrong_key_is_announced_beside_its_field(world: World, course: Course, page: Page) -> None:
    EnrollmentOptions.objects.create(organization=world.org, course=course, enrollment_key="blue-fox")
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("catalog:course", course.pk))
    page.get_by_label("Enrollment key").fill("red-fox")
    page.get_by_role("button", name="Enroll").click()
    key = page.get_by_label("Enrollment key")
    expect(key).to_have_attribute("aria-invalid", "true")
    expect(key).to_have_accessible_description(re.compile("That enrollment key is not right."))


def test_the_outline_opens_other_sections_on_demand_and_the_time_is_reported(
    world: World, course: Course, page: Page
) -> None:
    services.enrollment_self(course=course, by=world.learner.user)
    sign_in(page, world.learner.user.email, PASSWORD)
    with page.expect_response(lambda response: "/heartbeat/" in response.url) as beat:
        page.goto(url("progress:resume", course.pk))
    assert beat.value.status == 200 and beat.value.json()["state"] == "completed"
    outline = page.get_by_role("navigation", name="Course outline")
    toggle = outline.get_by_role("button", name="Leaving")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(outline.get_by_role("link", name="Evacuation")).to_have_count(0)
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(outline.get_by_role("link", name="Evacuation")).to_be_visible()
    expect(outline.locator("[data-activity-uid]", has_text="Evacuation")).to_contain_text("Not started")
    toggle.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(outline.get_by_role("link", name="Evacuation")).to_be_hidden()
    assert (
        ActivityProgress.objects.filter(enrollment__membership=world.learner).exclude(last_heartbeat_at=None).exists()
    )
    assert_no_problems(page)


def test_the_course_page_and_the_player_pass_axe(world: World, course: Course, axe_page: Page) -> None:
    EnrollmentOptions.objects.create(
        organization=world.org, course=course, self_enrollment="approval", enrollment_key="blue-fox"
    )
    sign_in(axe_page, world.learner.user.email, PASSWORD)
    axe_page.goto(url("catalog:course", course.pk))
    expect(axe_page.get_by_role("button", name="Request a place")).to_be_visible()
    axe_check(axe_page)
    axe_page.get_by_label("Enrollment key").fill("wrong")
    axe_page.get_by_role("button", name="Request a place").click()  # a wrong key: the field shows its error
    expect(axe_page.get_by_label("Enrollment key")).to_have_attribute("aria-invalid", "true")
    axe_check(axe_page)

    EnrollmentOptions.objects.filter(course=course).update(self_enrollment="open", enrollment_key="")
    axe_page.reload()
    axe_page.get_by_role("button", name="Enroll").click()
    expect(axe_page.get_by_role("progressbar")).to_be_visible()
    axe_check(axe_page)
    axe_page.get_by_role("link", name="Start").click()
    expect(axe_page.get_by_role("heading", level=1)).to_have_text("Welcome")
    axe_check(axe_page)
    axe_page.get_by_role("button", name="Leaving").click()
    expect(axe_page.get_by_role("link", name="Evacuation")).to_be_visible()
    axe_check(axe_page)


@pytest.mark.parametrize("where", ["course page", "player"])
def test_learning_reads_on_a_phone(world: World, course: Course, phone_page: Page, where: str) -> None:
    services.enrollment_self(course=course, by=world.learner.user)
    sign_in(phone_page, world.learner.user.email, PASSWORD)
    if where == "course page":
        phone_page.goto(url("catalog:course", course.pk))
        expect(phone_page.get_by_role("link", name="Start")).to_be_visible()
    else:
        phone_page.goto(url("progress:resume", course.pk))
        expect(phone_page.get_by_role("heading", level=1)).to_have_text("Welcome")
        expect(phone_page.get_by_role("progressbar")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert_no_problems(phone_page)


def test_the_course_page_loads_a_section_when_it_is_opened_by_keyboard_and_passes_axe(
    world: World, course: Course, axe_page: Page
) -> None:
    services.enrollment_self(course=course, by=world.learner.user)
    sign_in(axe_page, world.learner.user.email, PASSWORD)
    axe_page.goto(url("catalog:course", course.pk))
    outline = axe_page.locator(".course-outline")
    # The first section is open with its activities; "Leaving" is closed, its activities not even on the page.
    expect(outline.get_by_role("heading", level=3)).to_have_text(["Basics", "Leaving"])
    expect(outline.get_by_role("link", name="Welcome")).to_be_visible()
    expect(outline.get_by_role("link", name="Evacuation")).to_have_count(0)
    leaving = outline.locator("details", has=axe_page.get_by_role("heading", name="Leaving"))
    summary = leaving.locator("summary")
    expect(summary).to_contain_text("1 activity")
    expect(summary).to_contain_text("0 of 1 completed")
    axe_check(axe_page)
    summary.focus()
    with axe_page.expect_response(lambda response: "/sections/" in response.url) as loaded:
        axe_page.keyboard.press("Enter")
    assert loaded.value.status == 200
    expect(leaving).to_have_attribute("open", "")
    expect(leaving.get_by_role("link", name="Evacuation")).to_be_visible()
    expect(leaving).to_contain_text("Not started")
    axe_check(axe_page)
    # Closed and opened again: shown from the page, not asked for again.
    axe_page.keyboard.press("Enter")
    expect(leaving.get_by_role("link", name="Evacuation")).to_be_hidden()
    axe_page.keyboard.press("Enter")
    expect(leaving.get_by_role("link", name="Evacuation")).to_be_visible()
    assert_no_problems(axe_page)


def test_without_javascript_a_closed_section_opens_through_its_link(
    world: World, course: Course, browser: Browser, live_server: Any
) -> None:
    services.enrollment_self(course=course, by=world.learner.user)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("catalog:course", course.pk))
    page.get_by_role("heading", name="Leaving").click()  # the native disclosure opens without script
    page.get_by_role("link", name="Show the activities of “Leaving”").click()
    expect(page.get_by_role("link", name="Evacuation")).to_be_visible()
    assert "section=" in page.url
    context.close()


def test_the_last_activity_leads_to_what_is_left(world: World, course: Course, page: Page) -> None:
    services.enrollment_self(course=course, by=world.learner.user)
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("progress:resume", course.pk))  # the first activity: viewed, so completed
    page.get_by_role("button", name="Leaving").click()
    page.get_by_role("navigation", name="Course outline").get_by_role("link", name="Evacuation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evacuation")
    pager = page.get_by_role("navigation", name="Previous and next activity")
    expect(pager).to_contain_text("1 activity left — next: Extinguishers")
    pager.get_by_role("link", name="next: Extinguishers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Extinguishers")
    assert_no_problems(page)


@pytest.mark.parametrize("phone", [False, True])
def test_the_current_outline_item_keeps_its_state_icon_beside_its_title(
    world: World, open_page: Any, phone: bool
) -> None:
    long_title = "How to choose and use the right extinguisher for electrical and kitchen fires"
    course = course_of(world, [("Basics", ["Welcome", long_title])])
    services.enrollment_self(course=course, by=world.learner.user)
    page = open_page(phone=phone)
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("progress:resume", course.pk))
    page.get_by_role("link", name=f"Next: {long_title}").click()
    outline = page.get_by_role("navigation", name="Course outline")
    current = outline.locator("[aria-current=page]")
    expect(current).to_have_text(long_title)
    icon = outline.locator("[data-activity-uid]", has=page.locator("[aria-current=page]")).locator("[data-state-icon]")
    icon_box, title_box = icon.bounding_box(), current.bounding_box()
    assert icon_box is not None and title_box is not None
    # Side by side: the icon left of the title, on its first line (not on a line of its own above it).
    assert icon_box["x"] + icon_box["width"] <= title_box["x"]
    assert abs(icon_box["y"] - title_box["y"]) < icon_box["height"]
    assert_no_problems(page)
