"""The activity player in a real browser with the CSP on: every kind, the video's watched intervals, the PDF
viewer, the acknowledgement, the rich-text editor, axe checks and phone widths."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from syllabus.catalog.activity_kinds.acknowledgement.models import Acknowledgement
from syllabus.catalog.activity_kinds.video.models import WatchProgress
from tests.catalog.kinds.builders import EveryKind, course_of_every_kind, fixture_bytes
from tests.catalog.learners import enroll
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, axe_check, problems_of, sign_in, url
from tests.factories import PASSWORD

pytestmark = BROWSER_TEST

KINDS = ["page", "video", "file", "link", "acknowledgement"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def every(world: World) -> EveryKind:
    """The course of every kind, with the learner enrolled (learners open activities only once enrolled)."""
    made = course_of_every_kind(world)
    enroll(made.course, world.learner)
    return made


def activity_path(every: EveryKind, name: str, view: str = "catalog:activity") -> str:
    return url(view, every.course.pk, getattr(every, name).uid)


def assert_no_problems(page: Page) -> None:
    problems = problems_of(page)
    assert problems.csp_violations == []
    assert problems.page_errors == []


def test_a_learner_opens_every_kind_of_activity_under_the_csp(world: World, every: EveryKind, page: Page) -> None:
    sign_in(page, world.learner.user.email, PASSWORD)

    page.goto(activity_path(every, "page"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome")
    expect(page.get_by_role("heading", level=2, name="Exits")).to_be_visible()
    outline = page.get_by_role("navigation", name="Course outline")
    expect(outline.locator("[aria-current=page]")).to_have_text("Welcome")

    page.get_by_role("link", name="Next: Induction video").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Induction video")
    video = page.locator("video")
    expect(video).to_be_visible()
    # The default captions track loads (readyState 2 = LOADED) from the asset view under the CSP.
    expect(page.locator("video track")).to_have_js_property("readyState", 2)
    assert page.evaluate("document.querySelector('video').textTracks[0].cues.length") == 2
    expect(page.get_by_role("region", name="Transcript")).to_contain_text("Know where the exits are.")

    page.get_by_role("link", name="Next: Policy PDF").click()
    viewer = page.locator("[data-pdf-viewer]")
    expect(viewer).to_have_attribute("data-pdf-rendered", "1")
    expect(page.locator("canvas[data-pdf-canvas]")).to_have_attribute("aria-label", "Page 1 of 2")
    assert page.evaluate("document.querySelector('canvas[data-pdf-canvas]').width") > 100
    expect(viewer.locator("[data-pdf-text]")).to_contain_text("Fire safety policy")
    page.get_by_role("button", name="Next page").click()
    expect(viewer).to_have_attribute("data-pdf-rendered", "2")
    page.get_by_role("region", name="Policy PDF: document").press("ArrowLeft")
    expect(viewer).to_have_attribute("data-pdf-rendered", "1")
    page.get_by_role("button", name="Zoom in").click()
    expect(viewer.locator("[data-pdf-zoom]")).to_have_text("125%")
    expect(page.get_by_role("link", name="Download the PDF")).to_have_attribute("href", re.compile(r"download=1$"))

    page.get_by_role("link", name="Next: National guidance").click()
    open_link = page.get_by_role("link", name="Open National guidance")
    expect(open_link).to_have_attribute("target", "_blank")
    expect(open_link).to_have_attribute("href", activity_path(every, "link", "catalog:activity-open"))

    page.get_by_role("link", name="Next: Fire policy").click()
    expect(page.locator("[data-pdf-viewer]")).to_have_attribute("data-pdf-rendered", "1")
    page.get_by_label("I have read and understood this policy.").check()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("You confirmed this on")).to_be_visible()
    assert Acknowledgement.objects.filter(user=world.learner.user, version=every.version).count() == 1

    assert_no_problems(page)


def test_watching_the_video_to_the_end_completes_it_but_seeking_there_does_not(
    world: World, every: EveryKind, page: Page
) -> None:
    sign_in(page, world.learner.user.email, PASSWORD)
    # No heartbeat: whatever the outline shows below comes from the video's own reports.
    page.route("**/heartbeat/", lambda route: route.abort())
    page.goto(activity_path(every, "video"))
    expect(page.locator("video")).to_have_attribute("data-video-tracking", "")
    outline = page.get_by_role("navigation", name="Course outline")
    item = outline.locator("[data-activity-uid]", has_text="Induction video")
    bar = outline.get_by_role("progressbar")
    expect(item).to_contain_text("In progress")
    before = int(bar.get_attribute("aria-valuenow") or "0")
    # Jump to the last half second and play from there: only that half second counts.
    page.evaluate(
        "() => { const v = document.querySelector('video'); v.muted = true; v.currentTime = 3.5; return v.play(); }"
    )
    expect(page.locator("video")).to_have_js_property("ended", True, timeout=15_000)
    expect(page.locator("[data-video-progress]")).to_contain_text("You have watched")
    progress = WatchProgress.objects.get(user=world.learner.user)
    assert progress.watched_seconds < 1.0 and progress.watched_at is None

    # Now from the start, to the end: 4 seconds watched of 4, over the 50% the author asked for.
    page.evaluate("() => { const v = document.querySelector('video'); v.currentTime = 0; return v.play(); }")
    expect(page.locator("video")).to_have_js_property("ended", True, timeout=15_000)
    # Playback starts a few milliseconds in, and ends on the last frame: "all of it" is 99 or 100%.
    expect(page.locator("[data-video-progress]")).to_have_text(
        re.compile(r"You have watched (99|100)% of this video\.")
    )
    progress.refresh_from_db()
    assert progress.watched_at is not None and progress.watched_seconds > 3.5
    # Watched: the outline ticks the video and the progress bar moves at once, without waiting for a heartbeat.
    expect(item).to_contain_text("Completed")
    expect(item.locator("[data-state-icon]")).to_have_text("✓")
    expect(bar).not_to_have_attribute("aria-valuenow", str(before))
    assert int(bar.get_attribute("aria-valuenow") or "0") > before
    assert_no_problems(page)


def test_a_report_the_server_refuses_tells_the_learner_why(world: World, every: EveryKind, page: Page) -> None:
    """A stretch played faster than it could be watched is refused (`accepted: false`, see test_player's
    too-fast test): the live region says why rather than a percentage."""
    sign_in(page, world.learner.user.email, PASSWORD)
    page.route(
        "**/signal/",
        lambda route: route.fulfill(
            json={
                "signals": [],
                "accepted": False,
                "coverage": 0,
                "percent": 50,
                "message": "This stretch was played too fast to count; watch it at normal speed.",
            }
        ),
    )
    page.goto(activity_path(every, "video"))
    status = page.get_by_role("status").filter(has_text="too fast")
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
    expect(page.locator("video")).to_have_js_property("ended", True, timeout=15_000)
    expect(status).to_have_text("This stretch was played too fast to count; watch it at normal speed.")
    assert_no_problems(page)


def test_the_preview_is_bannered_and_its_forms_record_nothing(world: World, every: EveryKind, page: Page) -> None:
    sign_in(page, world.instructor.user.email, PASSWORD)
    page.goto(activity_path(every, "acknowledgement", "catalog:activity-preview"))
    expect(page.get_by_role("note")).to_contain_text("Preview")
    expect(page.get_by_label("I have read and understood this policy.")).to_be_disabled()
    expect(page.locator("[data-pdf-viewer]")).to_have_attribute("data-pdf-rendered", "1")
    assert_no_problems(page)


@pytest.mark.parametrize("name", KINDS)
def test_the_player_passes_axe(world: World, every: EveryKind, axe_page: Page, name: str) -> None:
    sign_in(axe_page, world.learner.user.email, PASSWORD)
    axe_page.goto(activity_path(every, name))
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    if name in ("file", "acknowledgement"):
        expect(axe_page.locator("[data-pdf-viewer]")).to_have_attribute("data-pdf-rendered", "1")
    axe_check(axe_page)


def test_the_preview_passes_axe(world: World, every: EveryKind, axe_page: Page) -> None:
    sign_in(axe_page, world.instructor.user.email, PASSWORD)
    axe_page.goto(activity_path(every, "video", "catalog:activity-preview"))
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    axe_check(axe_page)


@pytest.mark.parametrize("name", KINDS)
def test_every_kind_reads_on_a_phone(world: World, every: EveryKind, phone_page: Page, name: str) -> None:
    sign_in(phone_page, world.learner.user.email, PASSWORD)
    phone_page.goto(activity_path(every, name))
    expect(phone_page.get_by_role("heading", level=1)).to_be_visible()
    if name in ("file", "acknowledgement"):
        expect(phone_page.locator("[data-pdf-viewer]")).to_have_attribute("data-pdf-rendered", "1")
    assert phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert_no_problems(phone_page)


def test_the_rich_text_editor_works_under_the_csp(world: World, every: EveryKind, page: Page) -> None:
    sign_in(page, world.instructor.user.email, PASSWORD)
    page.goto(url("catalog:activity-edit", every.course.pk, every.page.pk))
    editor = page.locator("trix-editor")
    expect(editor).to_be_visible()
    expect(page.locator("trix-toolbar")).to_be_visible()
    expect(page.locator("textarea[data-richtext-source]")).to_be_hidden()
    expect(page.get_by_role("textbox", name="Page text")).to_be_visible()
    editor.click()
    page.keyboard.press("End")
    page.keyboard.type(" Typed in the browser.")
    # Trix writes its HTML into the (hidden) textarea the form submits.
    source = page.locator("textarea[data-richtext-source]")
    expect(source).to_have_value(re.compile("Typed in the browser"))
    # Its default styles come from our stylesheet: the inline <style> it would inject never reaches the page.
    assert page.evaluate("document.querySelectorAll('style[data-tag-name]').length") == 0
    assert page.evaluate("getComputedStyle(document.querySelector('trix-editor')).display") == "block"

    # An image added to the text is uploaded as an asset of the course and kept when the page is saved.
    page.evaluate(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            document.querySelector("trix-editor").editor.insertFile(new File([bytes], "map.png", {type: "image/png"}));
        }""",
        base64.b64encode(fixture_bytes("pixel.png")).decode(),
    )
    expect(source).to_have_value(re.compile(rf'src="/courses/{every.course.pk}/assets/\d+/map\.png"'))
    page.get_by_role("button", name="Save activity").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    every.page.refresh_from_db()
    assert "Typed in the browser." in every.page.config["body"]
    assert re.search(rf'<img alt="" src="/courses/{every.course.pk}/assets/\d+/map\.png"', every.page.config["body"])
    assert_no_problems(page)
