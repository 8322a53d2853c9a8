"""Notifications in a real browser with the CSP on: the bell counts a new notification without a reload, marking
read (one, then all) moves the count, the preferences page is saved with the keyboard alone; axe checks of the
centre and the preferences page, and the preferences page on a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import count

import pytest
from playwright.sync_api import Page, expect

from syllabus.accounts.models import Membership
from syllabus.celery import app as celery_app
from syllabus.notifications import services
from syllabus.notifications import types as registry
from syllabus.notifications.models import Notification, Preference
from syllabus.notifications.types import EMAIL, IN_APP, NotificationType
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, PHONE, axe_check, problems_of, sign_in, url
from tests.factories import PASSWORD
from tests.notifications.conftest import SAMPLE_CONTEXT, declare_type

pytestmark = BROWSER_TEST

REMINDER = "e2e.reminder"
SECURITY = "e2e.security"
_keys = count()


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Emails go through the worker after commit: inline here, in the thread that sends them.
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)


@pytest.fixture
def kinds() -> Iterator[tuple[NotificationType, NotificationType]]:
    reminder = declare_type(REMINDER, label="Course reminder", category="Learning", default_channels=(IN_APP, EMAIL))
    security = declare_type(SECURITY, label="Security alert", category="Account security", mandatory=True)
    yield reminder, security
    registry.unregister(REMINDER)
    registry.unregister(SECURITY)


def notify(membership: Membership, *, subject_course: str = "Fire safety") -> Notification:
    """A real notification through the service (rendered, in-app row written), for the learner's organisation."""
    notification = services.notify(
        services.Notice(
            recipient_id=membership.user.pk,
            type=REMINDER,
            dedupe_key=f"e2e:{next(_keys)}",
            context={**SAMPLE_CONTEXT, "course_title": subject_course},
            organization_id=membership.organization_id,
            url=url("progress:dashboard"),
        )
    )
    assert notification is not None
    return notification


def bell(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#notification-bell-link")


def bell_is_loaded(page: Page, unread: int) -> None:
    """The bell has answered (the element polls with the newest notification it knows of) and shows `unread`."""
    expect(page.locator("#notification-bell")).to_have_attribute("hx-get", re.compile(r"\?latest=[0-9]+$"))
    expect(bell(page)).to_have_accessible_name("Notifications" if not unread else f"Notifications, {unread} unread")


def refresh_bell(page: Page) -> None:
    # What the minute's poll does, now: the bell also listens for this event (the centre's answers send it).
    page.evaluate("() => htmx.trigger(document.body, 'notifications-changed')")


def test_the_bell_counts_a_new_notification_without_a_reload(
    world: World, kinds: tuple[NotificationType, NotificationType], page: Page
) -> None:
    notify(world.learner)
    sign_in(page, world.learner.user.email, PASSWORD)
    bell_is_loaded(page, 1)
    expect(page.locator(".bell-badge")).to_have_text("1")
    expect(page.locator("#notification-bell-status")).to_be_empty()

    notify(world.learner, subject_course="Manual handling")
    refresh_bell(page)

    bell_is_loaded(page, 2)
    expect(page.locator(".bell-badge")).to_have_text("2")
    # Said once, politely, in the region that stays in the header.
    expect(page.locator("#notification-bell-status")).to_have_text("New notifications: 2 unread.")
    expect(page.locator("#notification-bell-status")).to_have_attribute("aria-live", "polite")

    bell(page).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.get_by_role("heading", level=2, name="Manual handling starts soon")).to_be_visible()
    problems = problems_of(page)
    assert problems.csp_violations == [] and problems.page_errors == []


def test_marking_read_moves_the_count_and_keeps_the_focus(
    world: World, kinds: tuple[NotificationType, NotificationType], page: Page
) -> None:
    first = notify(world.learner, subject_course="Fire safety")
    notify(world.learner, subject_course="Manual handling")
    notify(world.learner, subject_course="Data protection")
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("notifications:centre"))
    bell_is_loaded(page, 3)

    item = page.locator(f"#notification-{first.pk}")
    toggle = item.get_by_role("button", name="Mark as read — Fire safety starts soon")
    toggle.focus()
    page.keyboard.press("Enter")

    # Swapped in place: the same button, now the other way round, still has the focus.
    expect(item.get_by_role("button", name="Mark as unread — Fire safety starts soon")).to_be_focused()
    expect(page.get_by_role("status")).to_have_text("Marked as read: Fire safety starts soon")
    bell_is_loaded(page, 2)

    page.get_by_role("button", name="Mark all as read").click()

    expect(page.get_by_role("status")).to_have_text("2 notifications are marked as read.")
    bell_is_loaded(page, 0)
    expect(page.locator(".bell-badge")).to_have_count(0)
    expect(page.locator(".badge-unread")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark all as read")).to_be_focused()
    assert not Notification.objects.filter(recipient=world.learner.user, read_at__isnull=True).exists()
    # The bell's own region stays silent: the count went down because of what the person did.
    expect(page.locator("#notification-bell-status")).to_be_empty()


def test_marking_one_unread_again_is_not_announced_as_new(
    world: World, kinds: tuple[NotificationType, NotificationType], page: Page
) -> None:
    first = notify(world.learner, subject_course="Fire safety")
    notify(world.learner, subject_course="Manual handling")
    Notification.objects.filter(recipient=world.learner.user).update(read_at=first.created_at)
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("notifications:centre"))
    bell_is_loaded(page, 0)

    page.locator(f"#notification-{first.pk}").get_by_role("button", name=re.compile("^Mark as unread")).click()

    expect(page.get_by_role("status")).to_have_text("Marked as unread: Fire safety starts soon")
    bell_is_loaded(page, 1)
    # The person did that themselves: nothing new arrived, so the bell says nothing.
    expect(page.locator("#notification-bell-status")).to_be_empty()

    notify(world.learner, subject_course="Data protection")
    refresh_bell(page)

    bell_is_loaded(page, 2)
    expect(page.locator("#notification-bell-status")).to_have_text("New notifications: 2 unread.")


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(
    world: World, kinds: tuple[NotificationType, NotificationType], page: Page
) -> None:
    notification = notify(world.learner)
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("notifications:centre"))

    page.get_by_role("link", name="Fire safety starts soon").click()

    expect(page).to_have_url(re.compile(re.escape(url("progress:dashboard")) + "$"))
    bell_is_loaded(page, 0)
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_preferences_are_saved_with_the_keyboard_alone(
    world: World, kinds: tuple[NotificationType, NotificationType], page: Page
) -> None:
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("notifications:preferences"))
    email = page.get_by_role("checkbox", name="Course reminder, Email")
    expect(email).to_be_checked()
    # A mandatory type is shown on, cannot be changed, and says why.
    locked = page.get_by_role("checkbox", name="Security alert, Email")
    expect(locked).to_be_checked()
    expect(locked).to_be_disabled()
    expect(locked).to_have_accessible_description("Required for your account's security")
    # Types nothing can be changed about (the built-in security messages) are one short list after the choices.
    always = page.get_by_role("region", name="Always sent")
    expect(always.get_by_role("listitem").filter(has_text="Password reset link")).to_have_text(
        "Password reset link — Email"
    )
    expect(page.get_by_role("checkbox", name=re.compile("^Password reset link"))).to_have_count(0)
    when = page.get_by_role("combobox", name="When: Course reminder, Email")
    expect(when).to_be_enabled()

    for _ in range(150):
        page.keyboard.press("Tab")
        if email.evaluate("element => element === document.activeElement"):
            break
    expect(email).to_be_focused()
    page.keyboard.press("Space")
    expect(email).not_to_be_checked()
    # Nothing is emailed, so when to email it no longer applies: greyed out and skipped by Tab.
    expect(when).to_be_disabled()
    save = page.get_by_role("button", name="Save preferences")
    for _ in range(150):
        page.keyboard.press("Tab")
        if save.evaluate("element => element === document.activeElement"):
            break
    expect(save).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text("Your notification preferences are saved.")
    expect(page.get_by_role("checkbox", name="Course reminder, Email")).not_to_be_checked()
    assert Preference.objects.get(user=world.learner.user, type_key=REMINDER, channel=EMAIL).enabled is False
    problems = problems_of(page)
    assert problems.csp_violations == [] and problems.page_errors == []


def test_a_refused_save_puts_the_error_summary_first(
    world: World, kinds: tuple[NotificationType, NotificationType], page: Page
) -> None:
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("notifications:preferences"))
    page.get_by_label("Start of quiet hours").fill("22:00")

    page.get_by_role("button", name="Save preferences").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile("^End of quiet hours:")).click()
    until = page.get_by_label("End of quiet hours")
    expect(until).to_be_focused()
    expect(until).to_have_attribute("aria-invalid", "true")
    expect(until).to_have_accessible_description(re.compile("Give both the start and the end of your quiet hours"))


def test_the_centre_has_no_serious_accessibility_violations(
    world: World, kinds: tuple[NotificationType, NotificationType], axe_page: Page
) -> None:
    read = notify(world.learner, subject_course="Fire safety")
    notify(world.learner, subject_course="Manual handling")
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    sign_in(axe_page, world.learner.user.email, PASSWORD)
    axe_page.goto(url("notifications:centre"))
    bell_is_loaded(axe_page, 1)

    axe_check(axe_page)


def test_the_preferences_page_has_no_serious_accessibility_violations(
    world: World, kinds: tuple[NotificationType, NotificationType], axe_page: Page
) -> None:
    sign_in(axe_page, world.learner.user.email, PASSWORD)
    axe_page.goto(url("notifications:preferences"))
    expect(axe_page.get_by_role("heading", level=1)).to_have_text("Notification preferences")
    axe_check(axe_page)

    axe_page.get_by_label("Start of quiet hours").fill("22:00")
    axe_page.get_by_role("button", name="Save preferences").click()
    expect(axe_page.locator("[data-error-summary]")).to_be_visible()
    axe_check(axe_page)


@pytest.mark.parametrize("name", ["notifications:preferences", "notifications:centre"])
def test_the_pages_do_not_scroll_sideways_on_a_phone(
    world: World, kinds: tuple[NotificationType, NotificationType], phone_page: Page, name: str
) -> None:
    notify(world.learner, subject_course="A course with a rather long title that has to wrap on a phone")
    sign_in(phone_page, world.learner.user.email, PASSWORD)
    phone_page.goto(url(name))
    expect(phone_page.get_by_role("heading", level=1)).to_be_visible()
    bell_is_loaded(phone_page, 1)

    assert phone_page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    if name == "notifications:preferences":
        # Stacked: each choice says its channel, and the checkbox is within the screen.
        email = phone_page.get_by_role("checkbox", name="Course reminder, Email")
        email.scroll_into_view_if_needed()
        box = email.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]
