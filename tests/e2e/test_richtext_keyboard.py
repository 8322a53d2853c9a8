"""The rich-text editor by keyboard only, in a real browser with the CSP on: its toolbar is one Tab stop whose
buttons the arrow keys reach and Enter presses; the link dialog and the image picker work without a mouse. Plus
forms with the editor fit their card on a desktop and a phone, and axe passes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import FileChooser, Page, expect

from syllabus.catalog import services
from syllabus.catalog.models import Activity, Course
from tests.catalog.kinds.builders import FIXTURES
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, OpenPage, axe_check, problems_of, sign_in, url
from tests.factories import PASSWORD

pytestmark = BROWSER_TEST

MAX_TABS = 30
# The ARIA toolbar of the editor's buttons, named by richtext.js from the widget template.
TOOLBAR = "Text formatting"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def course(world: World) -> Course:
    by = world.instructor.user
    course = services.course_create(organization=world.org, by=by, title="Fire safety", summary="Stay safe.")
    services.section_create(course=course, by=by, title="Basics")
    return course


def new_page_path(course: Course) -> str:
    return url("catalog:activity-new", course.pk, course.sections.get().pk) + "?kind=page"


def focused_name(page: Page) -> str:
    """The text (for a toolbar button, its name) of the focused element."""
    return str(page.evaluate("document.activeElement.textContent.trim() || document.activeElement.localName"))


def tab_into_toolbar(page: Page) -> None:
    """From the Title field, press Tab until the focus is in the editor's toolbar."""
    page.get_by_role("textbox", name="Title", exact=True).focus()
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('[role=toolbar]')"):
            return
    pytest.fail("Tab never reached the editor's toolbar")


def arrow_to(page: Page, name: str) -> None:
    for _ in range(MAX_TABS):
        if focused_name(page) == name:
            return
        page.keyboard.press("ArrowRight")
    buttons = page.evaluate(
        "Array.from(document.querySelectorAll('[role=toolbar] button'))"
        ".map((b) => [b.textContent, b.tabIndex, b.disabled, !!b.closest('[hidden]')])"
    )
    pytest.fail(f"the arrow keys never reached {name!r}: {buttons}")


def alt_f10_to_toolbar(page: Page) -> None:
    """Alt+F10 from the text to the toolbar. Trix may pull the focus back into the text once after a render (see
    `settle`), so press again until the focus stays in the toolbar across two frames."""
    for _ in range(10):
        page.keyboard.press("Alt+F10")
        settle(page)
        if page.evaluate("!!document.activeElement.closest('[role=toolbar]')"):
            return
    pytest.fail("Alt+F10 never moved the focus to the toolbar")


def settle(page: Page) -> None:
    """Wait until Trix has rendered what was just typed. Its render is deferred, and putting the selection back in
    the text focuses the editor again: a key pressed a few milliseconds after typing (only a test is that fast)
    would otherwise find the focus back in the text."""
    page.evaluate(
        "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 50))))"
    )


def editor_html(page: Page) -> str:
    html = str(page.locator("trix-editor").evaluate("element => element.innerHTML"))
    return html.replace("<!--block-->", "")


def test_the_toolbar_is_one_tab_stop_and_makes_a_list_by_keyboard(world: World, course: Course, page: Page) -> None:
    sign_in(page, world.instructor.user.email, PASSWORD)
    page.goto(new_page_path(course))
    toolbar = page.get_by_role("toolbar", name=TOOLBAR)
    expect(toolbar).to_be_visible()
    page.get_by_role("textbox", name="Title", exact=True).fill("Exits")

    tab_into_toolbar(page)
    assert focused_name(page) == "Bold"
    # One Tab stop: every other button is out of the Tab order.
    assert toolbar.locator("button[tabindex='0']").count() == 1
    page.keyboard.press("End")
    last = focused_name(page)
    assert last in ("Redo", "Undo", "Attach Files")  # Trix disables undo and redo once it knows there is none
    page.keyboard.press("Home")
    assert focused_name(page) == "Bold"
    page.keyboard.press("ArrowLeft")
    assert focused_name(page) == last  # wraps around
    page.keyboard.press("Home")
    arrow_to(page, "Bullets")
    expect(toolbar.get_by_role("button", name="Bullets")).to_have_attribute("aria-pressed", "false")

    page.keyboard.press("Enter")
    # The list is on and the focus is in the text, where the author types.
    assert page.evaluate("document.activeElement.localName") == "trix-editor"
    page.keyboard.type("Front door")
    page.keyboard.press("Enter")
    page.keyboard.type("Fire escape")
    settle(page)
    assert "<ul><li>Front door</li><li>Fire escape</li></ul>" in editor_html(page)
    expect(toolbar.get_by_role("button", name="Bullets")).to_have_attribute("aria-pressed", "true")

    # Shift+Tab goes back to the toolbar, on the button last used; Tab from there goes on into the text.
    page.keyboard.press("Shift+Tab")
    assert focused_name(page) == "Bullets"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.localName") == "trix-editor"

    page.get_by_role("button", name="Add activity").click()
    expect(page.locator(".messages")).to_contain_text("The activity 'Exits' was added.")
    body = Activity.objects.get(course=course, title="Exits").config["body"]
    assert "<ul><li>Front door</li><li>Fire escape</li></ul>" in body
    assert problems_of(page).csp_violations == []
    assert problems_of(page).page_errors == []


def test_a_heading_and_a_link_by_keyboard(world: World, course: Course, page: Page) -> None:
    sign_in(page, world.instructor.user.email, PASSWORD)
    page.goto(new_page_path(course))
    tab_into_toolbar(page)
    arrow_to(page, "Heading")
    page.keyboard.press(" ")  # Space presses a button too
    page.keyboard.type("Exit map")
    settle(page)
    assert "<h2>Exit map</h2>" in editor_html(page)

    # Select the words, then Alt+F10 jumps from the text to the toolbar.
    page.keyboard.press("Shift+Home")
    settle(page)
    alt_f10_to_toolbar(page)
    page.keyboard.press("Home")
    arrow_to(page, "Link")
    page.keyboard.press("Enter")
    address = page.get_by_role("textbox", name="Link address")
    expect(address).to_be_focused()
    expect(page.get_by_role("group", name="Link")).to_be_visible()
    address.type("https://example.org/exits")
    # The dialog's buttons are in the Tab order, named.
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Link", exact=True).and_(page.locator("input"))).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("input[value=Unlink]")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Link")).to_be_hidden()
    assert re.search(r'<a href="https://example.org/exits"[^>]*>Exit map</a>', editor_html(page))
    settle(page)

    # Escape on the dialog's buttons closes it as well (not only in its field).
    alt_f10_to_toolbar(page)
    arrow_to(page, "Link")
    page.keyboard.press("Enter")
    expect(address).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(page.get_by_role("group", name="Link")).to_be_hidden()
    assert problems_of(page).csp_violations == []


def test_attach_image_opens_the_file_picker_by_keyboard_without_csp_errors(
    world: World, course: Course, page: Page
) -> None:
    # Listen from the start: the browser is told to hand the picker to the test without waiting for an answer,
    # so a listener added just before the key press may come too late.
    chosen: list[FileChooser] = []
    page.on("filechooser", lambda chooser: chosen.append(chooser))
    sign_in(page, world.instructor.user.email, PASSWORD)
    page.goto(new_page_path(course))
    # A list first, then an image: Trix used to re-read its caption editor's inline styles (two CSP errors).
    tab_into_toolbar(page)
    arrow_to(page, "Bullets")
    page.keyboard.press("Enter")
    page.keyboard.type("Assembly point")
    settle(page)
    page.keyboard.press("Shift+Tab")
    arrow_to(page, "Attach Files")
    page.keyboard.press("Enter")
    for _ in range(100):
        if chosen:
            break
        page.wait_for_timeout(50)
    assert chosen, "Enter on “Attach Files” opened no file picker"
    chosen[-1].set_files(str(FIXTURES / "pixel.png"))
    source = page.locator("textarea[data-richtext-source]")
    expect(source).to_have_value(re.compile(rf'src="/courses/{course.pk}/assets/\d+/pixel\.png"'))
    expect(page.locator("trix-editor figure img")).to_be_visible()
    # The image is selected, with its caption editor open: what Trix styled inline is not re-read as style="".
    page.keyboard.type("Meet here.")
    expect(source).to_have_value(re.compile("here"))
    assert problems_of(page).csp_violations == []
    assert problems_of(page).page_errors == []


def test_the_editor_with_its_link_dialog_open_passes_axe(world: World, course: Course, axe_page: Page) -> None:
    sign_in(axe_page, world.instructor.user.email, PASSWORD)
    axe_page.goto(new_page_path(course))
    expect(axe_page.get_by_role("toolbar", name=TOOLBAR)).to_be_visible()
    axe_check(axe_page)
    axe_page.locator("trix-editor").click()
    axe_page.keyboard.type("Exits")
    settle(axe_page)
    axe_page.keyboard.press("Shift+Home")
    settle(axe_page)
    axe_page.keyboard.press("Alt+F10")
    axe_page.keyboard.press("Home")
    arrow_to(axe_page, "Link")
    axe_page.keyboard.press("Enter")
    expect(axe_page.get_by_role("textbox", name="Link address")).to_be_focused()
    axe_check(axe_page)


def overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def fields_sticking_out(page: Page) -> list[str]:
    """Controls of the page's form card whose right edge passes the card's."""
    return list(
        page.evaluate(
            """() => {
                const card = document.querySelector("form.card");
                const edge = card.getBoundingClientRect().right;
                return Array.from(card.querySelectorAll("input, textarea, select, trix-editor, trix-toolbar"))
                    .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().right > edge + 0.5)
                    .map((el) => el.id || el.name || el.localName);
            }"""
        )
    )


def test_forms_with_the_editor_fit_their_card_and_a_phone(world: World, course: Course, open_page: OpenPage) -> None:
    for phone in (False, True):
        page = open_page(phone=phone)
        sign_in(page, world.instructor.user.email, PASSWORD)
        for path in (url("catalog:course-new"), new_page_path(course)):
            page.goto(path)
            expect(page.locator("trix-toolbar")).to_be_visible()
            assert overflow(page) <= 0, f"{path} is {overflow(page)}px wider than the screen (phone={phone})"
            assert fields_sticking_out(page) == [], f"{path} (phone={phone})"
        assert problems_of(page).csp_violations == []
