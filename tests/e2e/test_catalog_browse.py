"""The learners' catalog in a real browser: live search by a word of a page, a category filter, the course page
with its outline, axe checks and a phone-width screen."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from syllabus.catalog import services
from syllabus.catalog.models import Category, Course
from tests.catalog.kinds.builders import upload
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, OpenPage, axe_check, path_is, problems_of, sign_in, url
from tests.factories import PASSWORD, publish

pytestmark = BROWSER_TEST


def build_course(
    world: World, title: str, category: Category, body: str, sections: list[tuple[str, list[str]]]
) -> Course:
    by = world.instructor.user
    course = services.course_create(
        organization=world.org, by=by, title=title, summary=f"{title} for everyone.", category=category
    )
    for section_title, pages in sections:
        section = services.section_create(course=course, by=by, title=section_title)
        for page_title in pages:
            services.activity_create(section=section, by=by, kind="page", title=page_title, data={"body": body})
    publish(course, by=world.org_admin.user)
    return course


@pytest.fixture
def catalog(world: World) -> dict[str, Course]:
    clinical = Category.objects.create(organization=world.org, name="Clinical", slug="clinical")
    safety = Category.objects.create(organization=world.org, name="Safety", slug="safety")
    return {
        "resuscitation": build_course(
            world,
            "Resuscitation",
            clinical,
            "<p>Attach the <strong>defibrillator</strong> pads and follow its voice prompts.</p>",
            [("Before you start", ["Check for danger", "Call for help"]), ("Compressions", ["Hands on the chest"])],
        ),
        "first aid": build_course(
            world,
            "First aid at work",
            safety,
            "<p>Every site keeps a defibrillator by reception.</p>",
            [("Essentials", ["Where things are"])],
        ),
        "budgets": build_course(world, "Budgets", safety, "<p>Spreadsheets and forecasts.</p>", [("One", ["Two"])]),
    }


def cards(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(".catalog-card")


def test_a_learner_finds_a_course_by_a_word_of_its_pages_filters_and_opens_its_outline(
    world: World, catalog: dict[str, Course], page: Page
) -> None:
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("catalog:browse"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Course catalog")
    expect(cards(page)).to_have_count(3)
    expect(page.get_by_role("status")).to_have_text("3 courses available to you.")

    # Live search (htmx): a plural finds the singular in the page text, and the address follows.
    page.get_by_label("Search", exact=True).fill("defibrillators")
    expect(page.get_by_role("status")).to_have_text("2 courses match your search.")
    expect(cards(page)).to_have_count(2)
    expect(page.get_by_role("link", name="Budgets")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"q=defibrillators"))

    page.get_by_label("Category").select_option(label="Clinical")
    expect(page.get_by_role("status")).to_have_text("1 course matches your search.")
    expect(cards(page)).to_have_count(1)
    expect(page).to_have_url(re.compile(r"category=\d+"))

    page.get_by_role("link", name="Resuscitation").click()
    course = catalog["resuscitation"]
    expect(page).to_have_url(path_is("catalog:course", course.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text("Resuscitation")
    outline = page.locator(".course-outline")
    expect(outline.get_by_role("heading", level=3)).to_have_text(["Before you start", "Compressions"])
    expect(outline.locator(".course-activities li").filter(has_text="Check for danger")).to_contain_text(
        "Page Required"
    )
    expect(page.get_by_text("Version 1.0, published")).to_be_visible()
    assert problems_of(page).csp_violations == [] and problems_of(page).page_errors == []


def test_the_catalog_works_without_javascript_through_its_form(
    world: World, catalog: dict[str, Course], open_page: OpenPage
) -> None:
    page = open_page()
    page.context.route(re.compile(r".*\.js(\?.*)?$"), lambda route: route.abort())
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("catalog:browse"))
    page.get_by_label("Search", exact=True).fill("defibrillator")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_have_text("2 courses match your search.")


def test_catalog_and_course_pages_pass_axe(world: World, catalog: dict[str, Course], axe_page: Page) -> None:
    sign_in(axe_page, world.learner.user.email, PASSWORD)
    axe_page.goto(url("catalog:browse") + "?q=defibrillator")
    expect(cards(axe_page)).to_have_count(2)
    axe_check(axe_page)
    axe_page.goto(url("catalog:browse") + "?q=nothing-matches-this")
    expect(axe_page.get_by_text("No course matches your search and filters.")).to_be_visible()
    axe_check(axe_page)
    axe_page.goto(url("catalog:course", catalog["resuscitation"].pk))
    axe_check(axe_page)


def test_the_course_preview_passes_axe(world: World, catalog: dict[str, Course], axe_page: Page) -> None:
    sign_in(axe_page, world.instructor.user.email, PASSWORD)
    axe_page.goto(url("catalog:course-preview", catalog["resuscitation"].pk))
    expect(axe_page.get_by_text("Preview — not published")).to_be_visible()
    axe_check(axe_page)


def test_the_catalog_and_a_course_read_on_a_phone(world: World, catalog: dict[str, Course], phone_page: Page) -> None:
    sign_in(phone_page, world.learner.user.email, PASSWORD)
    for path in (url("catalog:browse"), url("catalog:course", catalog["resuscitation"].pk)):
        phone_page.goto(path)
        expect(phone_page.get_by_role("heading", level=1)).to_be_visible()
        width = phone_page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, f"{path} scrolls sideways on a phone ({width}px)"
    phone_page.goto(url("catalog:browse"))
    expect(cards(phone_page).first).to_be_visible()


def test_a_learner_who_has_not_enrolled_sees_the_course_covers(
    world: World, catalog: dict[str, Course], page: Page, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    course = catalog["resuscitation"]
    services.course_cover_set(
        course=course, by=world.instructor.user, upload=upload("pixel.png", content_type="image/png")
    )
    publish(course, by=world.org_admin.user)
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("catalog:browse"))
    card_cover = cards(page).filter(has_text="Resuscitation").locator("img")
    expect(card_cover).to_have_js_property("complete", True)
    assert card_cover.evaluate("image => image.naturalWidth") > 0
    page.goto(url("catalog:course", course.pk))
    cover = page.locator("img.course-cover")
    expect(cover).to_have_js_property("complete", True)
    assert cover.evaluate("image => image.naturalWidth") > 0
    assert problems_of(page).csp_violations == [] and problems_of(page).page_errors == []
