"""The organisation's notification settings in a real browser: an org admin rewords a notification while the preview
follows (announcing its problems, marking unknown placeholders), saves it and sees it marked customised; a failed
save leads to its error summary; mandatory types are switched by two named actions; the delivery log filters live;
what an admin types is never run; the three pages pass axe."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, expect

from syllabus.core import clock
from syllabus.notifications import services
from syllabus.notifications import types as registry
from syllabus.notifications.models import Delivery, DeliveryStatus, Notification
from syllabus.notifications.types import EMAIL, IN_APP, NotificationType, Placeholder
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, axe_check, path_is, problems_of, sign_in, url
from tests.factories import PASSWORD

pytestmark = BROWSER_TEST

KEY = "e2e.course_reminder"


@pytest.fixture
def reminder_type() -> Iterator[NotificationType]:
    """A throwaway type: the real ones are declared by the apps that send them, and may change."""
    kind = NotificationType(
        key=KEY,
        label="Course reminder (browser test)",
        description="Reminds a learner of a course they have not finished.",
        category="Browser tests",
        subject="Reminder: {{ course_title }}",
        body="Hello {{ learner_name }},\n\nPlease finish {{ course_title }}.",
        placeholders={
            "learner_name": Placeholder(label="Learner's name", sample="Lena Learner"),
            "course_title": Placeholder(label="Course title", sample="Fire safety"),
            # A long name, as real types have: its Insert button must not squeeze it.
            "enrollment_request_decision_url": Placeholder(label="Decision link", sample="https://example.org/x"),
        },
        default_channels=(IN_APP, EMAIL),
        org_mandatory_allowed=True,
    )
    registry.register(kind)
    yield kind
    registry.unregister(KEY)


# Each button names its type for screen readers (visually hidden): "Make mandatory for everyone: Course reminder".
LOCK = re.compile(r"^Make mandatory for everyone\W+Course reminder \(browser test\)$")
UNLOCK = re.compile(r"^Let each person choose\W+Course reminder \(browser test\)$")


def _preview(page: Page) -> Locator:
    return page.get_by_role("region", name="Preview with example values")


def test_an_org_admin_rewords_a_notification_with_a_live_preview_and_saves_it(
    world: World, reminder_type: NotificationType, page: Page
) -> None:
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notification settings").click()
    expect(page).to_have_url(path_is("notifications:admin_types"))
    row = page.get_by_role("row", name=re.compile("Course reminder \\(browser test\\)"))
    expect(row).to_contain_text("English: Built-in wording")

    row.get_by_role("link", name="Edit the English wording of Course reminder (browser test)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("English wording of “Course reminder (browser test)”")
    preview = _preview(page)
    expect(preview.locator("[data-preview-subject]")).to_have_text("Reminder: Fire safety")
    expect(preview.locator("[data-preview-html]")).to_contain_text("Hello Lena Learner,")

    page.get_by_label("Subject").fill("Don't forget {{ course_title }}")
    message = page.get_by_label("Message")
    message.fill("Hi {{ learner_name }}!\n\nYour course ")
    # The placeholder buttons insert where the cursor is; the preview follows typing without a click.
    message.press("End")
    page.get_by_role("button", name="Insert {{ course_title }}").click()
    expect(message).to_have_value("Hi {{ learner_name }}!\n\nYour course {{ course_title }}")
    expect(preview.locator("[data-preview-subject]")).to_have_text("Don't forget Fire safety")
    expect(preview.locator("[data-preview-paragraph]").first).to_have_text("Hi Lena Learner!")
    expect(preview.locator("[data-preview-text]")).to_contain_text("Your course Fire safety")

    # A typo is named in the preview before saving, in a polite live region, and shown where it stands, marked.
    message.fill("Hi {{ learner }}")
    live_problems = page.locator("#preview-problems")
    expect(live_problems).to_have_attribute("aria-live", "polite")
    expect(live_problems).to_contain_text("Unknown placeholder {{ learner }}")
    expect(preview.locator("[data-preview-paragraph] mark")).to_have_text("{{ learner }}")
    message.fill("Hi {{ learner|upper }}")
    expect(live_problems).to_contain_text("“{{ learner|upper }}” is not a placeholder")
    message.fill("Hi {{ learner_name }}!\n\nYour course {{ course_title }} waits.")
    expect(preview.locator("[data-preview-html]")).to_contain_text("Your course Fire safety waits.")
    expect(live_problems).to_be_empty()

    page.get_by_role("button", name="Save wording").click()
    expect(page).to_have_url(path_is("notifications:admin_types"))
    expect(page.get_by_role("status")).to_contain_text(
        "The English wording of “Course reminder (browser test)” was saved."
    )
    row = page.get_by_role("row", name=re.compile("Course reminder \\(browser test\\)"))
    expect(row).to_contain_text("English: Customised on")
    expect(row).to_contain_text("by Olivia Admin")

    problems = problems_of(page)
    assert problems.csp_violations == [] and problems.page_errors == []


def test_a_failed_save_moves_the_focus_to_the_error_summary_whose_links_reach_the_fields(
    world: World, reminder_type: NotificationType, page: Page
) -> None:
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.goto(url("notifications:admin_template", KEY, "en"))
    page.get_by_label("Message").fill("Hi {{ nobody }}")
    page.get_by_role("button", name="Save wording").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Message: Unknown placeholder {{ nobody }}")
    message = page.get_by_label("Message")
    expect(message).to_have_attribute("aria-invalid", "true")
    summary.get_by_role("link", name=re.compile("^Message:")).click()
    expect(message).to_be_focused()


def test_a_long_placeholder_name_sits_above_its_insert_button(
    world: World, reminder_type: NotificationType, page: Page
) -> None:
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.goto(url("notifications:admin_template", KEY, "en"))
    row = page.get_by_role("row", name=re.compile("enrollment_request_decision_url"))
    token = row.locator("code").bounding_box()
    button = row.get_by_role("button", name="Insert {{ enrollment_request_decision_url }}").bounding_box()
    assert token is not None and button is not None
    assert button["y"] >= token["y"] + token["height"] - 1, "the button is under the token, not beside it"
    # The token breaks at its spaces at most: its name is never cut in pieces beside the button.
    lines = row.locator("code").evaluate("el => el.getClientRects().length")
    assert lines <= 3


def test_mandatory_is_switched_by_two_named_actions_and_unlocking_asks_first(
    world: World, reminder_type: NotificationType, page: Page
) -> None:
    questions: list[str] = []
    answer = {"accept": False}

    def reply(dialog: Dialog) -> None:
        questions.append(dialog.message)
        if answer["accept"]:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", reply)
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.goto(url("notifications:admin_types"))

    def row() -> Locator:
        return page.get_by_role("row", name=re.compile("Course reminder \\(browser test\\)"))

    row().get_by_role("button", name=LOCK).click()
    expect(page.get_by_role("status")).to_contain_text("is now mandatory")
    expect(row()).to_contain_text("Mandatory for everyone")
    expect(row().get_by_role("button", name=LOCK)).to_have_count(0)
    unlock = row().get_by_role("button", name=UNLOCK)
    expect(unlock).not_to_have_attribute("aria-pressed", re.compile(".*"))
    unlock.click()
    assert questions and "Anyone may then turn it off" in questions[0]
    expect(row()).to_contain_text("Mandatory for everyone")  # refused: nothing changed
    answer["accept"] = True
    unlock.click()
    expect(page.get_by_role("status")).to_contain_text("People may turn")
    expect(row()).to_contain_text("Each person chooses")
    expect(row().get_by_role("button", name=LOCK)).to_be_visible()


def test_what_an_admin_types_is_shown_and_never_run(world: World, reminder_type: NotificationType, page: Page) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.goto(url("notifications:admin_template", KEY, "en"))
    hostile = "<img src=x onerror=\"document.title='pwned'\"><script>alert('pwned')</script> {{ learner_name }}"
    page.get_by_label("Subject").fill("<b>bold</b> {{ course_title }}")
    page.get_by_label("Message").fill(hostile)
    preview = _preview(page)
    expect(preview.locator("[data-preview-html]")).to_contain_text("<script>alert('pwned')</script> Lena Learner")
    expect(preview.locator("[data-preview-subject]")).to_have_text("<b>bold</b> Fire safety")
    assert preview.locator("img, script, b").count() == 0
    assert page.title() != "pwned" and dialogs == []


def test_the_delivery_log_filters_as_the_admin_chooses(
    world: World, reminder_type: NotificationType, page: Page
) -> None:
    for index, (status, error) in enumerate(
        [(DeliveryStatus.SENT, ""), (DeliveryStatus.BOUNCED, "550 5.1.1 No such mailbox")]
    ):
        recipient = (world.learner, world.engineer)[index].user
        notification = Notification.objects.create(
            recipient=recipient,
            organization=world.org,
            type_key=KEY,
            dedupe_key=f"e2e:{index}",
            subject=f"Reminder number {index}",
            body="Hello",
            created_at=clock.now() - dt.timedelta(days=3 * index),
        )
        Delivery.objects.create(
            notification=notification, channel=EMAIL, not_before=clock.now(), status=status, last_error=error
        )
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.goto(url("notifications:admin_log"))
    results = page.get_by_role("table", name="Deliveries, newest first")
    expect(results.get_by_role("row")).to_have_count(3)
    expect(results.get_by_role("columnheader", name="Subject")).to_be_visible()
    expect(results.get_by_role("columnheader", name="Error")).to_be_visible()
    expect(results).to_contain_text("Reminder number 0")
    # Each of date and time stays on one line at desktop width (no "2026-11-" / "27").
    for one in results.locator(".log-time").all():
        assert one.evaluate("el => el.getClientRects().length") == 1
    assert not re.search(r"\d{4}-\d{2}-\d{2}", results.inner_text())

    # Typing a name filters as the admin types (htmx), and the address follows.
    page.get_by_label("Recipient").fill("eddie")
    expect(page).to_have_url(re.compile(r"recipient=eddie"))
    expect(results.get_by_role("row")).to_have_count(2)
    expect(results).to_contain_text("Eddie Engineer")
    expect(results).to_contain_text("550 5.1.1 No such mailbox")
    expect(results).not_to_contain_text("Lena Learner")
    page.get_by_label("Recipient").fill("")
    expect(results.get_by_role("row")).to_have_count(3)

    page.get_by_label("Status").select_option(label="Bounced")
    expect(page).to_have_url(re.compile(r"status=bounced"))
    expect(results.get_by_role("row")).to_have_count(2)
    expect(results).to_contain_text("Eddie Engineer")
    expect(results).not_to_contain_text("Lena Learner")
    page.get_by_label("Status").select_option(label="Any status")
    expect(results.get_by_role("row")).to_have_count(3)

    # The creation days: only the recent delivery from yesterday on.
    yesterday = (clock.now() - dt.timedelta(days=1)).date().isoformat()
    page.get_by_label("Created from").fill(yesterday)
    expect(page).to_have_url(re.compile(rf"date_from={yesterday}"))
    expect(results.get_by_role("row")).to_have_count(2)
    expect(results).to_contain_text("Lena Learner")
    expect(results).not_to_contain_text("Eddie Engineer")


def test_the_delivery_log_filters_without_javascript(
    world: World, reminder_type: NotificationType, browser: Browser, live_server: Any
) -> None:
    notification = Notification.objects.create(
        recipient=world.engineer.user,
        organization=world.org,
        type_key=KEY,
        dedupe_key="e2e:nojs",
        subject="Reminder",
        body="Hello",
        created_at=clock.now(),
    )
    Delivery.objects.create(notification=notification, channel=EMAIL, not_before=clock.now())
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, world.org_admin.user.email, PASSWORD)
        page.goto(url("notifications:admin_log"))
        page.get_by_label("Recipient").fill("nobody-of-that-name")
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(re.compile(r"recipient=nobody-of-that-name"))
        expect(page.get_by_text("No deliveries match these filters.")).to_be_visible()
    finally:
        context.close()


# --- accessibility ---------------------------------------------------------------------------------------------


@pytest.fixture
def furnished(world: World, reminder_type: NotificationType) -> World:
    """A customised wording, a mandatory flag and a failed delivery, so that axe sees every state of the pages."""
    services.template_save(
        organization=world.org,
        type_key=KEY,
        language="en",
        subject="Reminder: {{ course_title }}",
        body="Hi {{ learner_name }}",
        by=world.org_admin.user,
    )
    services.type_mandatory_set(organization=world.org, type_key=KEY, mandatory=True, by=world.org_admin.user)
    notification = Notification.objects.create(
        recipient=world.learner.user,
        organization=world.org,
        type_key=KEY,
        dedupe_key="e2e:axe",
        subject="Reminder",
        body="Hello",
        created_at=clock.now(),
    )
    Delivery.objects.create(
        notification=notification,
        channel=EMAIL,
        not_before=clock.now(),
        status=DeliveryStatus.FAILED,
        attempts=5,
        last_error="Connection refused",
    )
    return world


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(lambda: url("notifications:admin_types"), id="types"),
        pytest.param(lambda: url("notifications:admin_template", KEY, "en"), id="wording"),
        pytest.param(lambda: url("notifications:admin_log"), id="delivery log"),
    ],
)
def test_the_settings_pages_have_no_serious_accessibility_violations(
    furnished: World, axe_page: Page, path: Callable[[], str]
) -> None:
    sign_in(axe_page, furnished.org_admin.user.email, PASSWORD)
    response = axe_page.goto(path())
    assert response is not None and response.status == 200
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    axe_check(axe_page)


def test_the_wording_page_with_errors_has_no_serious_accessibility_violations(furnished: World, axe_page: Page) -> None:
    sign_in(axe_page, furnished.org_admin.user.email, PASSWORD)
    axe_page.goto(url("notifications:admin_template", KEY, "en"))
    axe_page.get_by_label("Message").fill("Hi {{ nobody }}")
    axe_page.get_by_role("button", name="Save wording").click()
    expect(axe_page.get_by_text("Unknown placeholder {{ nobody }}").first).to_be_visible()
    axe_check(axe_page)
