"""The UI shell in a real browser: signing in and out, choosing an organisation, keyboard use, phones, the CSP."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from syllabus.accounts.forms import SignInForm
from syllabus.accounts.models import Membership
from tests.conftest import World
from tests.e2e.harness import (
    BROWSER_TEST,
    PAGES_IN_SCOPE,
    PHONE,
    OpenPage,
    PageProblems,
    choose_organization,
    open_page_in_scope,
    path_is,
    problems_of,
    sign_in,
    sign_in_as,
    url,
)
from tests.factories import PASSWORD

pytestmark = BROWSER_TEST

# Admin pages a learner must not reach, and whose links must not be offered to them.
ADMIN_URL_NAMES = (
    "accounts:people",
    "accounts:org-settings",
    "accounts:org-units",
    "accounts:job-roles",
    "accounts:locations",
    "accounts:attributes",
    "access:roles",
    "accounts:platform-organizations",
)


def test_signing_in_lands_on_the_home_page_with_the_persons_name(world: World, page: Page) -> None:
    sign_in(page, world.learner.user.email, PASSWORD)

    expect(page).to_have_url(path_is("web:home"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My learning")
    expect(page.locator(".user-menu")).to_contain_text("Lena Learner")
    expect(page.locator(".site-header .brand")).to_have_text("Acme Health")


def test_a_wrong_password_is_announced_and_keeps_the_person_on_the_sign_in_page(world: World, page: Page) -> None:
    sign_in(page, world.learner.user.email, "not-the-password")

    expect(page).to_have_url(path_is("accounts:sign-in"))
    expect(page.get_by_role("alert")).to_have_text(str(SignInForm.error_messages["invalid_login"]))
    expect(page.get_by_label("Email")).to_have_value(world.learner.user.email)
    expect(page.locator(".user-menu")).to_have_count(0)


def test_signing_out_ends_the_session(world: World, page: Page) -> None:
    sign_in(page, world.learner.user.email, PASSWORD)
    expect(page).to_have_url(path_is("web:home"))

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(path_is("accounts:sign-in"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.goto(url("web:home"))
    expect(page).to_have_url(path_is("accounts:sign-in"))


def test_a_person_in_two_organisations_chooses_one_and_the_header_shows_it(
    two_org_person: Membership, page: Page
) -> None:
    sign_in(page, two_org_person.user.email, PASSWORD)

    expect(page).to_have_url(path_is("accounts:choose-organization"))
    expect(page.get_by_role("button", name="Acme Health", exact=True)).to_be_visible()
    choose_organization(page, "Globex")

    expect(page).to_have_url(path_is("web:home"))
    expect(page).to_have_title(re.compile(r"· Globex ·"))
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Switch organisation")).to_be_visible()


def test_the_first_tab_reaches_the_skip_link_and_enter_moves_focus_to_main(world: World, page: Page) -> None:
    sign_in(page, world.org_admin.user.email, PASSWORD)
    expect(page).to_have_url(path_is("web:home"))

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")

    expect(page.locator("main#main")).to_be_focused()


def test_every_navigation_link_is_reachable_with_tab(world: World, page: Page) -> None:
    sign_in(page, world.org_admin.user.email, PASSWORD)
    nav_links = page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(nav_links.first).to_be_visible()
    wanted = set(nav_links.evaluate_all("links => links.map(link => link.getAttribute('href'))"))
    assert url("accounts:people") in wanted

    reached: set[str] = set()
    # Header (skip link, brand, profile, sign out) plus the nav: a few more presses than links is enough.
    for _ in range(len(wanted) + 8):
        page.keyboard.press("Tab")
        in_nav = page.evaluate("() => !!document.activeElement.closest('nav[aria-label=Main]')")
        href = page.evaluate("() => document.activeElement.getAttribute('href')")
        if in_nav and href:
            reached.add(href)
        if reached == wanted:
            break

    assert reached == wanted


def scroll_width(page: Page) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth"))


def test_the_sign_in_page_does_not_scroll_sideways_on_a_phone(phone_page: Page) -> None:
    phone_page.goto(url("accounts:sign-in"))
    expect(phone_page.get_by_role("heading", level=1)).to_be_visible()

    assert scroll_width(phone_page) <= PHONE["width"]


def test_no_page_of_an_org_admin_scrolls_sideways_on_a_phone(
    world: World, two_org_person: Membership, phone_page: Page
) -> None:
    """Home and the people list above all, and every other page an org admin sees."""
    sign_in(phone_page, world.org_admin.user.email, PASSWORD)
    too_wide = {}
    for name, spec in PAGES_IN_SCOPE.items():
        if spec.persona == "org_admin":
            open_page_in_scope(phone_page, name, world, two_org_person, sign=False)
            if scroll_width(phone_page) > PHONE["width"]:
                too_wide[name] = scroll_width(phone_page)

    assert "home" in PAGES_IN_SCOPE and "people list" in PAGES_IN_SCOPE
    assert too_wide == {}


def test_the_menu_disclosure_opens_the_navigation_on_a_phone(world: World, phone_page: Page) -> None:
    sign_in(phone_page, world.org_admin.user.email, PASSWORD)
    navigation = phone_page.get_by_role("navigation", name="Main")
    expect(phone_page.locator("nav.sidebar")).to_be_hidden()
    expect(navigation).to_be_hidden()

    phone_page.get_by_text("Menu", exact=True).click()

    people = navigation.get_by_role("link", name="People")
    expect(people).to_be_visible()
    expect(people).to_be_in_viewport()
    assert scroll_width(phone_page) <= PHONE["width"]
    people.click()
    expect(phone_page).to_have_url(path_is("accounts:people"))


def test_the_phone_menu_opens_with_the_keyboard(world: World, phone_page: Page) -> None:
    sign_in(phone_page, world.org_admin.user.email, PASSWORD)
    menu = phone_page.get_by_text("Menu", exact=True)
    menu.focus()

    phone_page.keyboard.press("Enter")

    expect(phone_page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning")).to_be_visible()


def test_a_learner_is_refused_the_admin_pages(world: World, page: Page) -> None:
    sign_in(page, world.learner.user.email, PASSWORD)

    for name in ADMIN_URL_NAMES:
        response = page.goto(url(name))
        assert response is not None
        assert response.status in (403, 404), f"{name} answered {response.status}"
        # The error page is a page of the site, with the shell and a way back.
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.get_by_role("main").get_by_role("link", name="Go to the home page")).to_be_visible()


def test_a_learner_is_not_offered_admin_links(world: World, page: Page) -> None:
    sign_in(page, world.learner.user.email, PASSWORD)
    expect(page).to_have_url(path_is("web:home"))

    offered = set(page.locator("a[href]").evaluate_all("links => links.map(link => link.getAttribute('href'))"))

    assert not offered & {url(name) for name in ADMIN_URL_NAMES}
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning")).to_be_visible()


def test_pages_load_without_content_security_policy_violations(
    world: World, two_org_person: Membership, open_page: OpenPage
) -> None:
    problems = PageProblems()
    for persona in dict.fromkeys(spec.persona for spec in PAGES_IN_SCOPE.values()):
        page = open_page()
        sign_in_as(page, persona, world, two_org_person)
        for name, spec in PAGES_IN_SCOPE.items():
            if spec.persona == persona and spec.status == 200:
                open_page_in_scope(page, name, world, two_org_person, sign=False)
                # The scripts are files, so the CSP lets them run: htmx and Alpine are up on every page.
                assert page.evaluate("() => typeof htmx === 'object' && typeof Alpine === 'object'"), name
        problems.console_errors += problems_of(page).console_errors
        problems.page_errors += problems_of(page).page_errors

    assert problems.csp_violations == []
    assert problems.page_errors == []
    # Browsers may ask for /favicon.ico on their own; any other failed request or script error is a bug.
    assert [error for error in problems.console_errors if "/favicon.ico" not in error] == []
