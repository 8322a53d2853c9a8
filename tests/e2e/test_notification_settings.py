"""The organisation's notification settings in a real browser: an org admin rewords a notification while the preview
follows, saves it and sees it marked customised; what an admin types is never run; the three pages pass axe."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Dialog, Locator, Page, expect

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
        },
        default_channels=(IN_APP, EMAIL),
        org_mandatory_allowed=True,
    )
    registry.register(kind)
    yield kind
    registry.unregister(KEY)


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
    expect(preview.locator("[data-preview-html] p").first).to_have_text("Hi Lena Learner!")
    expect(preview.locator("[data-preview-text]")).to_contain_text("Your course Fire safety")

    # A typo is named in the preview before saving.
    message.fill("Hi {{ learner }}")
    expect(preview).to_contain_text("Unknown placeholder {{ learner }}")
    message.fill("Hi {{ learner_name }}!\n\nYour course {{ course_title }} waits.")
    expect(preview.locator("[data-preview-html]")).to_contain_text("Your course Fire safety waits.")

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
            subject="Reminder",
            body="Hello",
            created_at=clock.now(),
        )
        Delivery.objects.create(
            notification=notification, channel=EMAIL, not_before=clock.now(), status=status, last_error=error
        )
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.goto(url("notifications:admin_log"))
    results = page.get_by_role("table", name="Deliveries, newest first")
    expect(results.get_by_role("row")).to_have_count(3)
    page.get_by_label("Status").select_option(label="Bounced")
    expect(page).to_have_url(re.compile(r"status=bounced"))
    expect(results.get_by_role("row")).to_have_count(2)
    expect(results).to_contain_text("Eddie Engineer")
    expect(results).to_contain_text("550 5.1.1 No such mailbox")
    expect(results).not_to_contain_text("Lena Learner")


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
