"""Administration in a real browser: an org admin manages a person end to end; every page passes axe-core."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from django.urls import resolve
from playwright.sync_api import Dialog, Page, expect

from syllabus.accounts.models import Membership
from tests.conftest import World
from tests.e2e.harness import (
    BROWSER_TEST,
    PAGES_IN_SCOPE,
    OpenPage,
    axe_check,
    open_page_in_scope,
    path_is,
    problems_of,
    sign_in,
    url,
)
from tests.factories import PASSWORD, AttributeDefinitionFactory, JobRoleFactory, LocationFactory

pytestmark = BROWSER_TEST


def pk_in_url(page: Page) -> int:
    return int(resolve(urlparse(page.url).path).kwargs["pk"])


def accept_confirmation(dialog: Dialog) -> None:
    assert dialog.type == "confirm"
    dialog.accept()


def test_an_org_admin_adds_a_person_gives_them_a_role_and_deactivates_them(world: World, page: Page) -> None:
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page).to_have_url(path_is("accounts:people"))

    # Add a person through the form.
    page.get_by_role("link", name="Add a person").click()
    expect(page).to_have_url(path_is("accounts:person-create"))
    page.get_by_label("Email").fill("nora.newcomer@example.test")
    page.get_by_label("Display name").fill("Nora Newcomer")
    page.get_by_label("Department").select_option(value=str(world.sales.pk))
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nora Newcomer")
    expect(page.get_by_role("status")).to_contain_text("Nora Newcomer was added.")
    person_pk = pk_in_url(page)

    # Find them in the people list.
    page.goto(url("accounts:people"))
    page.get_by_role("searchbox", name="Search").fill("newcomer")
    page.get_by_role("button", name="Filter").click()
    results = page.locator("#people-results")
    expect(results.get_by_role("row")).to_have_count(2)  # the header row and Nora
    expect(results).to_contain_text("1 person")
    results.get_by_role("link", name="Nora Newcomer").click()
    expect(page).to_have_url(path_is("accounts:person-detail", person_pk))
    expect(page.locator(".facts")).to_contain_text("nora.newcomer@example.test")
    expect(page.locator(".facts")).to_contain_text("Sales")

    # Make them an instructor for the whole organisation.
    page.get_by_role("link", name="Manage roles").click()
    expect(page).to_have_url(path_is("access:person-roles", person_pk))
    expect(page.get_by_role("heading", level=1)).to_have_text("Roles of Nora Newcomer")
    page.get_by_role("combobox", name="Role", exact=True).select_option(label="Instructor")
    page.get_by_label("Whole organisation").check()
    page.get_by_role("button", name="Assign role").click()
    assignments = page.get_by_role("table", name="Role assignments")
    expect(assignments.get_by_role("row", name=re.compile("Instructor"))).to_contain_text("Whole organisation")

    # Deactivate them (the button asks for confirmation first).
    page.goto(url("accounts:person-detail", person_pk))
    page.once("dialog", accept_confirmation)
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("status")).to_contain_text("Nora Newcomer was deactivated.")
    expect(page.locator(".facts .badge-inactive")).to_have_text("Inactive")
    expect(page.get_by_role("button", name="Reactivate")).to_be_visible()
    assert problems_of(page).csp_violations == []


# --- accessibility -------------------------------------------------------------------------------------------


@pytest.fixture
def furnished_world(world: World) -> World:
    """The world with something in every admin list, so that axe checks tables and not only empty states."""
    JobRoleFactory(organization=world.org, name="Nurse")
    LocationFactory(organization=world.org, name="Leeds")
    AttributeDefinitionFactory(organization=world.org, key="shift", label="Shift")
    return world


@pytest.mark.parametrize("name", list(PAGES_IN_SCOPE))
def test_page_has_no_serious_accessibility_violations(
    furnished_world: World, two_org_person: Membership, axe_page: Page, name: str
) -> None:
    open_page_in_scope(axe_page, name, furnished_world, two_org_person)

    axe_check(axe_page)


def test_the_phone_menu_has_no_serious_accessibility_violations(world: World, open_page: OpenPage) -> None:
    page = open_page(phone=True, bypass_csp=True)
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.get_by_text("Menu", exact=True).click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="People")).to_be_visible()

    axe_check(page)
