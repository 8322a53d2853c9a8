"""Account security in a real browser: two-factor sign-in and set-up, and every new page passes axe-core."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from syllabus.accounts.models import User
from syllabus.celery import app as celery_app
from tests.accounts.security.conftest import enrol, totp_code
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, axe_check, path_is, problems_of, sign_in, url
from tests.factories import PASSWORD

pytestmark = BROWSER_TEST


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    # The reset email is sent by a task: run it inline, off the real broker.
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)


def type_code(page: Page, code: str) -> None:
    page.get_by_role("textbox", name="Code", exact=True).fill(code)
    page.get_by_role("button", name="Continue").click()


def enrol_in_the_browser(page: Page, user: User) -> None:
    """Set up two-factor sign-in through the pages, typing the code an app would show; ends on the codes page."""
    page.goto(url("accounts:two-factor-enrol"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.get_by_label("Code from the app").fill(totp_code(device))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page).to_have_url(path_is("accounts:recovery-codes"))


# --- journeys -----------------------------------------------------------------------------------------------


def test_a_person_with_two_factor_signs_in_with_the_code_from_their_app(world: World, page: Page) -> None:
    device = enrol(world.learner.user)
    sign_in(page, world.learner.user.email, PASSWORD)

    expect(page).to_have_url(path_is("accounts:sign-in-two-factor"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    expect(page.locator(".user-menu")).to_have_count(0)

    type_code(page, totp_code(device))
    expect(page).to_have_url(path_is("web:home"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My learning")
    assert problems_of(page).csp_violations == []


def test_a_wrong_code_is_announced_and_a_recovery_code_gets_in(world: World, page: Page) -> None:
    enrol(world.learner.user, codes=("k7m2p9qa",))
    sign_in(page, world.learner.user.email, PASSWORD)

    type_code(page, "000000")
    expect(page.get_by_role("alert")).to_contain_text("Please correct the errors below.")
    expect(page.locator("#id_code_error")).to_contain_text("That code is not right")
    expect(page.get_by_role("textbox", name="Code", exact=True)).to_have_attribute("aria-invalid", "true")

    type_code(page, "K7M2-P9QA")
    expect(page).to_have_url(path_is("web:home"))
    expect(page.get_by_role("status")).to_contain_text("You used a recovery code; 0 are left.")


def test_setting_up_two_factor_shows_the_qr_code_under_the_csp_then_the_codes(world: World, page: Page) -> None:
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("accounts:profile"))
    page.get_by_role("link", name="Manage sign-in and security").click()
    page.get_by_role("link", name="Set up two-factor sign-in").click()

    qr = page.get_by_role("img", name="QR code for your authenticator app", exact=False)
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth > 0", qr.element_handle())
    enrol_in_the_browser(page, world.learner.user)
    expect(page.get_by_role("list", name="Your recovery codes").get_by_role("listitem")).to_have_count(10)
    assert problems_of(page).csp_violations == []


def test_a_person_who_must_use_two_factor_is_taken_to_set_it_up(world: World, page: Page) -> None:
    world.org.two_factor_required_roles = ["instructor"]
    world.org.save()
    sign_in(page, world.instructor.user.email, PASSWORD)

    expect(page).to_have_url(path_is("accounts:two-factor-enrol"))
    expect(page.get_by_role("status")).to_contain_text("Your organisation requires two-factor sign-in")
    enrol_in_the_browser(page, world.instructor.user)
    page.get_by_role("link", name="I have saved them").click()
    page.goto(url("web:home"))
    expect(page).to_have_url(path_is("web:home"))


# --- axe-core on every new page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SecurityPage:
    """How to reach one page: sign in as whom (None: nobody), then what to do in the browser."""

    persona: str | None
    go: Callable[[Page, World], None]


def _second_step(page: Page, world: World) -> None:
    enrol(world.learner.user)
    sign_in(page, world.learner.user.email, PASSWORD)


def _second_step_error(page: Page, world: World) -> None:
    _second_step(page, world)
    type_code(page, "000000")
    expect(page.locator("#id_code_error")).to_be_visible()


def _locked_sign_in(page: Page, world: World) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(page, world.learner.user.email, "wrong-password-1")
    expect(page.get_by_role("alert")).to_contain_text("locked")


def _enrolment(page: Page, world: World) -> None:
    page.goto(url("accounts:two-factor-enrol"))


def _enrolment_error(page: Page, world: World) -> None:
    _enrolment(page, world)
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator("#id_code_error")).to_be_visible()


def _recovery_codes(page: Page, world: World) -> None:
    enrol_in_the_browser(page, world.learner.user)


def _recovery_codes_later(page: Page, world: World) -> None:
    enrol_in_the_browser(page, world.learner.user)
    page.goto(url("accounts:recovery-codes"))


def _security_with_two_factor(page: Page, world: World) -> None:
    enrol_in_the_browser(page, world.learner.user)
    page.goto(url("accounts:security"))


def _disable(page: Page, world: World) -> None:
    enrol_in_the_browser(page, world.learner.user)
    page.goto(url("accounts:two-factor-disable"))


def _goto(name: str, *args: object) -> Callable[[Page, World], None]:
    return lambda page, world: page.goto(url(name, *args))  # type: ignore[func-returns-value]


def _password_change_errors(page: Page, world: World) -> None:
    page.goto(url("accounts:password-change"))
    page.get_by_label("Current password").fill("nope")
    page.locator("#id_new_password1").fill("short")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#id_new_password1_error")).to_be_visible()


def _reset_sent(page: Page, world: World) -> None:
    page.goto(url("accounts:password-reset"))
    page.get_by_label("Email").fill(world.learner.user.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page).to_have_url(path_is("accounts:password-reset-sent"))


def _reset_link(world: World) -> str:
    user = world.learner.user
    return url(
        "accounts:password-reset-confirm",
        urlsafe_base64_encode(force_bytes(user.pk)),
        default_token_generator.make_token(user),
    )


def _reset_form(page: Page, world: World) -> None:
    page.goto(_reset_link(world))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")


def _reset_form_errors(page: Page, world: World) -> None:
    _reset_form(page, world)
    page.locator("#id_new_password1").fill("1234567890")
    page.locator("#id_new_password2").fill("1234567890")
    page.get_by_role("button", name="Save my new password").click()
    expect(page.locator("#id_new_password1_error")).to_be_visible()


def _reset_complete(page: Page, world: World) -> None:
    _reset_form(page, world)
    page.locator("#id_new_password1").fill("plum-orchard-lantern-42")
    page.locator("#id_new_password2").fill("plum-orchard-lantern-42")
    page.get_by_role("button", name="Save my new password").click()
    expect(page).to_have_url(path_is("accounts:password-reset-complete"))


def _locked_person_for_an_admin(page: Page, world: World) -> None:
    AccessAttempt.objects.create(
        username=world.learner.user.email,
        ip_address="127.0.0.1",
        user_agent="test",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        attempt_time=timezone.now(),
        get_data="",
        post_data="",
        http_accept="",
        path_info="",
    )
    page.goto(url("accounts:person-detail", world.learner.pk))
    expect(page.get_by_role("button", name="Unlock sign-in")).to_be_visible()


SECURITY_PAGES: dict[str, SecurityPage] = {
    "sign-in, second step": SecurityPage(None, _second_step),
    "sign-in, second step with an error": SecurityPage(None, _second_step_error),
    "sign-in, locked": SecurityPage(None, _locked_sign_in),
    "sign-in and security": SecurityPage("learner", _goto("accounts:security")),
    "sign-in and security, two-factor on": SecurityPage("learner", _security_with_two_factor),
    "two-factor set-up": SecurityPage("learner", _enrolment),
    "two-factor set-up with an error": SecurityPage("learner", _enrolment_error),
    "recovery codes, just made": SecurityPage("learner", _recovery_codes),
    "recovery codes, later": SecurityPage("learner", _recovery_codes_later),
    "two-factor off": SecurityPage("learner", _disable),
    "sessions": SecurityPage("learner", _goto("accounts:sessions")),
    "password change with errors": SecurityPage("learner", _password_change_errors),
    "password reset request": SecurityPage(None, _goto("accounts:password-reset")),
    "password reset sent": SecurityPage(None, _reset_sent),
    "password reset form": SecurityPage(None, _reset_form),
    "password reset form with errors": SecurityPage(None, _reset_form_errors),
    "password reset done": SecurityPage(None, _reset_complete),
    "password reset, spent link": SecurityPage(None, _goto("accounts:password-reset-confirm", "MQ", "spent-token")),
    "person page of a locked person": SecurityPage("org_admin", _locked_person_for_an_admin),
}


@pytest.mark.parametrize("name", list(SECURITY_PAGES))
def test_security_pages_pass_axe(world: World, axe_page: Page, name: str) -> None:
    spec = SECURITY_PAGES[name]
    if spec.persona is not None:
        sign_in(axe_page, getattr(world, spec.persona).user.email, PASSWORD)
    spec.go(axe_page, world)
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    axe_check(axe_page)


@pytest.mark.parametrize("name", ["sessions", "two-factor set-up", "sign-in, second step"])
def test_security_pages_fit_a_phone(world: World, phone_page: Page, name: str) -> None:
    spec = SECURITY_PAGES[name]
    if spec.persona is not None:
        sign_in(phone_page, getattr(world, spec.persona).user.email, PASSWORD)
    spec.go(phone_page, world)
    expect(phone_page.get_by_role("heading", level=1)).to_be_visible()
    overflow = phone_page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} is {overflow}px wider than the phone"
