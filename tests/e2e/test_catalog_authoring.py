"""Authoring and review in a real browser: an instructor builds a course (a section, Page activities typed in the
Trix editor), reorders them with the keyboard only, previews and submits it; a reviewer reads the diff and
approves; the course shows as published. Plus axe checks on every authoring and review page, and the outline
editor on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from syllabus.catalog import services
from syllabus.catalog.models import Activity, Category, Course
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, OpenPage, axe_check, path_is, problems_of, sign_in, url
from tests.factories import PASSWORD, publish

pytestmark = BROWSER_TEST

MAX_TABS = 60


def add_page(page: Page, section: str, title: str, text: str) -> None:
    """From the outline: add a Page activity to `section`, typing its text in the rich-text editor."""
    page.get_by_role("link", name=f"Add an activity to {section}").click()
    expect(page.get_by_role("group", name="What kind of activity?")).to_be_visible()
    page.get_by_role("radio", name=re.compile(r"^Page")).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("textbox", name="Title", exact=True).fill(title)
    editor = page.locator("trix-editor")
    expect(editor).to_be_visible()
    editor.click()
    page.keyboard.type(text)
    page.get_by_role("button", name="Add activity").click()
    expect(page.locator(".messages")).to_contain_text(f"The activity '{title}' was added.")


def tab_to(page: Page, name: str) -> None:
    """Press Tab until the button called `name` has the focus (the keyboard is the only input)."""
    target = page.get_by_role("button", name=name)
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"Tab never reached the button {name!r}")


def activity_titles(page: Page) -> list[str]:
    return page.locator(".outline-activity .outline-activity-main > a").all_inner_texts()


def test_an_instructor_builds_reorders_with_the_keyboard_and_submits_and_a_reviewer_approves(
    world: World, open_page: OpenPage
) -> None:
    author = open_page()
    sign_in(author, world.instructor.user.email, PASSWORD)
    author.get_by_role("navigation", name="Main").get_by_role("link", name="Courses").click()
    expect(author).to_have_url(path_is("catalog:authoring"))
    author.get_by_role("link", name="New course").click()
    author.get_by_role("textbox", name="Title", exact=True).fill("Fire safety")
    author.get_by_label("Summary").fill("What to do when the alarm rings.")
    author.get_by_role("button", name="Create course").click()

    course = Course.objects.get(title="Fire safety")
    expect(author).to_have_url(path_is("catalog:course-outline", course.pk))
    author.get_by_label("Section title").fill("Basics")
    author.get_by_role("button", name="Add section").click()
    expect(author.get_by_role("heading", name=re.compile("Basics"))).to_be_visible()

    add_page(author, "Basics", "Welcome", "Fire extinguishers are red.")
    add_page(author, "Basics", "Evacuation", "Leave by the nearest exit.")
    assert Activity.objects.get(title="Welcome").config["body"] == "<div>Fire extinguishers are red.</div>"
    expect(author.locator(".outline-activity")).to_have_count(2)
    assert activity_titles(author) == ["Welcome", "Evacuation"]

    # Keyboard only: Tab to "Move down: Welcome", press Enter; the outline is swapped, the focus stays put.
    author.locator("main").focus()
    tab_to(author, "Move down: Welcome")
    author.keyboard.press("Enter")
    expect(author.locator("#outline-status")).to_have_text("Moved 'Welcome' to position 2 of 2.")
    expect(author.locator(".outline-activity").first).to_contain_text("Evacuation")
    assert activity_titles(author) == ["Evacuation", "Welcome"]
    moved_button = author.get_by_role("button", name="Move down: Welcome")
    expect(moved_button).to_be_focused()
    expect(moved_button).to_have_attribute("aria-disabled", "true")
    # At the bottom already: pressing again explains instead of moving.
    author.keyboard.press("Enter")
    expect(author.locator("#outline-status")).to_have_text("'Welcome' is already last.")
    expect(moved_button).to_be_focused()
    assert [a.title for a in Activity.objects.order_by("position")] == ["Evacuation", "Welcome"]

    author.get_by_role("link", name="Preview as a learner").click()
    expect(author).to_have_url(path_is("catalog:course-preview", course.pk))
    expect(author.get_by_text("Evacuation").first).to_be_visible()
    author.go_back()

    author.get_by_role("navigation", name="Course pages").get_by_role("link", name="Submit for review").click()
    expect(author.get_by_text("This will be version 1.0.")).to_be_visible()
    expect(author.get_by_role("radio", name="Minor")).to_have_count(0)
    author.get_by_label("Notes for the reviewer").fill("First version, ready for review.")
    author.get_by_role("button", name="Submit for review").click()
    expect(author.get_by_role("heading", name="Waiting for review")).to_be_visible()
    assert problems_of(author).csp_violations == []
    assert problems_of(author).page_errors == []

    reviewer = open_page()
    sign_in(reviewer, world.reviewer.user.email, PASSWORD)
    reviewer.get_by_role("navigation", name="Main").get_by_role("link", name="Reviews").click()
    reviewer.get_by_role("link", name="Fire safety").click()
    expect(reviewer.get_by_role("heading", level=1)).to_have_text("Review of Fire safety")
    expect(reviewer.get_by_text("Activity added: Welcome (Page)")).to_be_visible()
    expect(reviewer.get_by_text("First version, ready for review.")).to_be_visible()
    reviewer.get_by_role("button", name="Approve").click()
    expect(reviewer.locator(".messages")).to_contain_text("Approved: Fire safety version 1.0 is published.")

    author.goto(url("catalog:authoring"))
    row = author.get_by_role("row", name=re.compile("Fire safety"))
    expect(row).to_contain_text("Published v1.0")
    assert problems_of(reviewer).csp_violations == []


def test_drag_and_drop_reorders_the_outline(world: World, page: Page) -> None:
    by = world.instructor.user
    course = services.course_create(organization=world.org, by=by, title="Drag me")
    section = services.section_create(course=course, by=by, title="Only section")
    for title in ("First", "Second", "Third"):
        services.activity_create(section=section, by=by, kind="page", title=title, data={"body": f"<p>{title}</p>"})
    sign_in(page, by.email, PASSWORD)
    page.goto(url("catalog:course-outline", course.pk))
    handles = page.locator(".outline-activity .activity-handle")
    expect(handles.first).to_be_visible()
    handles.nth(2).drag_to(page.locator(".outline-activity").first)
    expect(page.locator("#outline-status")).to_contain_text("The new order was saved.")
    assert [a.title for a in Activity.objects.filter(course=course).order_by("position")] == [
        "Third",
        "First",
        "Second",
    ]
    assert problems_of(page).csp_violations == []


@pytest.fixture
def full_course(world: World) -> Course:
    """A course with a published version, a later change in review, a comment, a category and a team."""
    by = world.instructor.user
    Category.objects.create(organization=world.org, name="Safety", slug="safety")
    course = services.course_create(organization=world.org, by=by, title="Fire safety", summary="Stay safe.")
    section = services.section_create(course=course, by=by, title="Basics")
    for title in ("Welcome", "Evacuation"):
        services.activity_create(section=section, by=by, kind="page", title=title, data={"body": f"<p>{title}.</p>"})
    publish(course, by=by)
    welcome = Activity.objects.get(course=course, title="Welcome")
    services.activity_update(activity=welcome, by=by, title="Welcome aboard", data={"body": "<p>Welcome, all.</p>"})
    services.staff_set(course=course, by=by, membership=world.engineer, role="editor")
    return course


def in_review(world: World, course: Course) -> int:
    review = services.course_submit(course=course, by=world.instructor.user, notes="Friendlier welcome.")
    services.review_comment_add(review=review, by=world.reviewer.user, body="Nice.", about_uid=None)
    return review.pk


def test_every_authoring_page_passes_axe(world: World, full_course: Course, axe_page: Page) -> None:
    course = full_course
    section = course.sections.get()
    activity = Activity.objects.get(course=course, title="Welcome aboard")
    version = course.versions.get()
    sign_in(axe_page, world.instructor.user.email, PASSWORD)
    pages = [
        url("catalog:authoring"),
        url("catalog:course-new"),
        url("catalog:course-edit", course.pk),
        url("catalog:course-outline", course.pk),
        url("catalog:section-edit", course.pk, section.pk),
        url("catalog:activity-new", course.pk, section.pk),
        url("catalog:activity-new", course.pk, section.pk) + "?kind=page",
        url("catalog:activity-edit", course.pk, activity.pk),
        url("catalog:course-submit", course.pk),
        url("catalog:course-history", course.pk),
        url("catalog:course-version", course.pk, version.pk),
        url("catalog:course-version-restore", course.pk, version.pk),
        url("catalog:course-team", course.pk) + "?q=eddie",
    ]
    for path in pages:
        response = axe_page.goto(path)
        assert response is not None and response.status == 200, path
        expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
        axe_check(axe_page)

    # Forms with their errors.
    axe_page.goto(url("catalog:course-new"))
    axe_page.get_by_role("button", name="Create course").click()
    expect(axe_page.locator("[aria-invalid=true]").first).to_be_visible()
    axe_check(axe_page)
    axe_page.goto(url("catalog:activity-new", course.pk, section.pk) + "?kind=page")
    axe_page.get_by_role("textbox", name="Title", exact=True).fill("An empty page")
    axe_page.get_by_role("button", name="Add activity").click()
    expect(axe_page.get_by_text("Write the page: it is empty.")).to_be_visible()
    axe_check(axe_page)
    # The outline after a keyboard move (the swapped fragment and its live region).
    axe_page.goto(url("catalog:course-outline", course.pk))
    axe_page.get_by_role("button", name="Move down: Welcome aboard").press("Enter")
    expect(axe_page.locator("#outline-status")).to_contain_text("Moved 'Welcome aboard'")
    axe_check(axe_page)


def test_every_review_page_and_the_catalog_settings_pass_axe(
    world: World, full_course: Course, open_page: OpenPage
) -> None:
    review_pk = in_review(world, full_course)
    reviewer = open_page(bypass_csp=True)
    sign_in(reviewer, world.reviewer.user.email, PASSWORD)
    for path in (url("catalog:reviews"), url("catalog:review", review_pk)):
        reviewer.goto(path)
        expect(reviewer.get_by_role("heading", level=1)).to_be_visible()
        axe_check(reviewer)
    reviewer.get_by_role("button", name="Send back").click()
    expect(reviewer.locator("[aria-invalid=true]").first).to_be_visible()
    axe_check(reviewer)

    author = open_page(bypass_csp=True)
    sign_in(author, world.instructor.user.email, PASSWORD)
    author.goto(url("catalog:course-edit", full_course.pk))
    expect(author.get_by_text("This course is in review.")).to_be_visible()
    axe_check(author)

    admin = open_page(bypass_csp=True)
    sign_in(admin, world.org_admin.user.email, PASSWORD)
    admin.goto(url("catalog:settings"))
    expect(admin.get_by_role("heading", level=1)).to_have_text("Categories and publishing")
    axe_check(admin)


def test_the_outline_editor_fits_a_phone_and_its_buttons_work(
    world: World, full_course: Course, phone_page: Page
) -> None:
    sign_in(phone_page, world.instructor.user.email, PASSWORD)
    phone_page.goto(url("catalog:course-outline", full_course.pk))
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Fire safety")
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the outline is {overflow}px wider than the phone"
    phone_page.get_by_role("button", name="Move up: Evacuation").click()
    expect(phone_page.locator("#outline-status")).to_have_text("Moved 'Evacuation' to position 1 of 2.")
    assert phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert problems_of(phone_page).csp_violations == []


def test_an_author_reads_why_the_course_was_sent_back_and_the_reviewer_sees_the_earlier_round(
    world: World, full_course: Course, open_page: OpenPage
) -> None:
    course = full_course
    review = services.course_submit(course=course, by=world.instructor.user, notes="Friendlier welcome.")
    welcome = Activity.objects.get(course=course, title="Welcome aboard")
    services.review_comment_add(
        review=review, by=world.reviewer.user, body="Which extinguisher?", about_uid=welcome.uid
    )
    services.review_reject(review=review, by=world.reviewer.user, reason="Name the extinguisher types.")

    author = open_page(bypass_csp=True)
    sign_in(author, world.instructor.user.email, PASSWORD)
    author.goto(url("catalog:authoring"))
    row = author.get_by_role("row", name=re.compile("Fire safety"))
    expect(row).to_contain_text("Sent back for changes")
    expect(row).to_contain_text("Name the extinguisher types.")
    axe_check(author)
    row.get_by_role("link", name=re.compile("Read the reviewer's comment")).click()
    feedback = author.get_by_role("region", name="Sent back for changes")
    expect(feedback).to_contain_text("Name the extinguisher types.")
    feedback.get_by_role("link", name="Activity: Welcome aboard").click()
    expect(author).to_have_url(re.compile(rf"#activity-{welcome.pk}$"))
    axe_check(author)

    services.course_submit(course=course, by=world.instructor.user, notes="Named them.")
    reviewer = open_page(bypass_csp=True)
    sign_in(reviewer, world.reviewer.user.email, PASSWORD)
    reviewer.goto(url("catalog:reviews"))
    reviewer.get_by_role("link", name="Fire safety").click()
    expect(reviewer.get_by_role("heading", name="Earlier rounds")).to_be_visible()
    expect(reviewer.get_by_text("Which extinguisher?")).to_be_hidden()
    reviewer.locator(".earlier-rounds summary").first.click()
    expect(reviewer.get_by_text("Which extinguisher?")).to_be_visible()
    expect(reviewer.get_by_text("about Activity: Welcome aboard")).to_be_visible()
    axe_check(reviewer)


def test_the_details_page_hides_the_audience_until_chosen_and_focuses_the_error_summary(
    world: World, full_course: Course, page: Page
) -> None:
    sign_in(page, world.instructor.user.email, PASSWORD)
    page.goto(url("catalog:course-edit", full_course.pk))
    audience = page.get_by_label("Audience", exact=True)
    expect(audience).to_be_hidden()
    page.get_by_role("radio", name="An audience").check()
    expect(audience).to_be_visible()
    page.get_by_role("radio", name="Everyone in the organisation").check()
    expect(audience).to_be_hidden()

    page.locator("#id_cover").set_input_files(
        files=[{"name": "cover.png", "mimeType": "image/png", "buffer": b"not an image"}]
    )
    page.get_by_role("button", name="Upload the cover image").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("Please correct the errors below.")
    expect(summary).to_be_focused()
    summary.get_by_role("link").first.click()
    expect(page.locator("#id_cover")).to_be_focused()
    assert problems_of(page).csp_violations == []
    assert problems_of(page).page_errors == []
