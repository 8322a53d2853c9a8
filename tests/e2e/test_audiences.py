"""Audiences in a real browser: the rule builder with its live preview, keyboard use, phones, and axe checks."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from syllabus.audiences import services
from syllabus.audiences.models import Audience
from syllabus.celery import app as celery_app
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, OpenPage, axe_check, path_is, problems_of, sign_in, url
from tests.factories import PASSWORD, AttributeDefinitionFactory, JobRoleFactory

pytestmark = BROWSER_TEST

NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Recomputes run after commit as Celery tasks: inline here, in the live server's thread.
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)
    yield


@pytest.fixture
def nurses(world: World) -> Audience:
    """An audience with members and a history, and the reference data the builder offers."""
    nurse = JobRoleFactory(organization=world.org, name="Nurse")
    AttributeDefinitionFactory(organization=world.org, key="grade", label="Grade", type="choice", choices=["A", "B"])
    world.learner.job_role = nurse
    world.learner.save()
    audience = services.audience_create(
        organization=world.org,
        by=world.org_admin.user,
        name="Sales and nurses",
        description="Everyone in sales, and every nurse.",
        rules_tree={"any": [{"org_unit": world.sales.pk}, {"job_role": [nurse.pk]}]},
    )
    audience.refresh_from_db()
    return audience


def test_an_org_admin_builds_an_audience_previews_it_and_saves_it(world: World, nurses: Audience, page: Page) -> None:
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audiences").click()
    expect(page).to_have_url(path_is("audiences:list"))
    row = page.get_by_role("row", name=re.compile("Sales and nurses"))
    expect(row.get_by_role("cell").first).to_have_text("4")
    page.get_by_role("link", name="New audience").click()
    expect(page).to_have_url(path_is("audiences:create"))

    # The builder replaces the JSON field.
    expect(page.get_by_role("group", name="People who match")).to_be_visible()
    expect(page.get_by_label("Rule (JSON)")).to_be_hidden()
    page.get_by_label("Name").fill("Sales East without nurses")
    page.get_by_role("button", name="Add a condition").click()
    page.get_by_label("Condition 1: Department").select_option(label=NBSP * 6 + "Sales East")
    page.get_by_role("button", name="Add a condition").last.click()
    page.get_by_label("Condition 2: type").select_option("job_role")
    page.get_by_label("Condition 2: is or is not").select_option("not")
    page.get_by_label("Condition 2: Job role").select_option(label="Nurse")

    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview.get_by_role("status")).to_have_text("1 person matches now.")
    expect(preview.get_by_role("row", name=re.compile("Ivan Indirect"))).to_be_visible()
    expect(preview).not_to_contain_text("Lena Learner")
    expect(preview).to_contain_text("Not: Job role is one of: Nurse")
    assert not Audience.objects.filter(name="Sales East without nurses").exists()

    page.get_by_role("button", name="Create audience").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sales East without nurses")
    expect(page.locator(".facts")).to_contain_text("1")
    expect(page.get_by_role("table", name="Current members")).to_contain_text("Ivan Indirect")
    assert problems_of(page).csp_violations == []
    assert problems_of(page).page_errors == []


def test_the_builder_works_with_the_keyboard_and_keeps_the_focus_in_place(world: World, page: Page) -> None:
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.goto(url("audiences:create"))
    add = page.get_by_role("button", name="Add a condition")
    add.focus()
    page.keyboard.press("Enter")
    # The new condition's type is focused, so the person carries on from there.
    expect(page.get_by_label("Condition 1: type")).to_be_focused()
    page.keyboard.press("End")  # the last kind: member of another audience
    expect(page.get_by_label("Condition 1: type")).to_have_value("audience")
    expect(page.get_by_label("Condition 1: type")).to_be_focused()
    page.get_by_role("button", name="Add a group").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Match (Group 2)")).to_be_focused()
    page.get_by_role("button", name="Remove this group Group 2").press("Enter")
    expect(page.get_by_role("group", name="Group 2")).to_have_count(0)
    expect(page.get_by_role("button", name="Add a condition")).to_be_focused()
    rule = page.locator("#id_rules").input_value()
    assert rule == '{"all":[{"audience":null}]}'


def test_without_javascript_the_json_field_and_a_server_preview_work(world: World, open_page: OpenPage) -> None:
    page = open_page()
    page.context.route(re.compile(r".*\.js$"), lambda route: route.abort())
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.goto(url("audiences:create"))
    page.get_by_label("Name").fill("Engineering")
    page.get_by_label("Rule (JSON)").fill(f'{{"org_unit": {world.engineering.pk}}}')
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview").get_by_role("status")).to_have_text("1 person matches now.")
    page.get_by_role("button", name="Create audience").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Engineering")


def test_the_builder_fits_a_phone(world: World, nurses: Audience, phone_page: Page) -> None:
    sign_in(phone_page, world.org_admin.user.email, PASSWORD)
    phone_page.goto(url("audiences:edit", nurses.pk))
    expect(phone_page.get_by_label("Condition 2: Job role")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375


# --- accessibility ---------------------------------------------------------------------------------------------


def _builder_with_every_kind(page: Page) -> None:
    for kind in ("org_unit", "job_role", "location", "hire_date", "attribute", "audience"):
        page.get_by_role("button", name="Add a condition").first.click()
        last = page.locator(".rb-condition").last
        last.get_by_label(re.compile(r"Condition \d+: type")).select_option(kind)
    page.get_by_role("button", name="Add a group").first.click()
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview h2, #preview [role=alert]").first).to_be_visible()


@pytest.mark.parametrize(
    "name", ["list", "builder", "builder with every condition and a preview", "detail", "members at"]
)
def test_audience_pages_have_no_serious_accessibility_violations(
    world: World, nurses: Audience, axe_page: Page, name: str
) -> None:
    sign_in(axe_page, world.org_admin.user.email, PASSWORD)
    path = {
        "list": url("audiences:list"),
        "builder": url("audiences:edit", nurses.pk),
        "builder with every condition and a preview": url("audiences:create"),
        "detail": url("audiences:detail", nurses.pk),
        "members at": url("audiences:detail", nurses.pk) + "?at=2020-01-01T10:00",
    }[name]
    response = axe_page.goto(path)
    assert response is not None and response.status == 200
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    if name.startswith("builder with"):
        _builder_with_every_kind(axe_page)
    axe_check(axe_page)
