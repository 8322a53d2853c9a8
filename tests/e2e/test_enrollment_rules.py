"""Enrollment rules in a real browser: an org admin attaches an audience to a course, then adds a person who belongs
to the audience, and that person is enrolled; the rule pages pass axe and fit a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from syllabus.accounts.models import Membership
from syllabus.audiences import services as audience_services
from syllabus.audiences.models import Audience
from syllabus.catalog.models import Course
from syllabus.celery import app as celery_app
from syllabus.enrollment import services
from syllabus.enrollment.models import Enrollment, EnrollmentRule, Method, Status
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, axe_check, path_is, problems_of, sign_in, url
from tests.factories import PASSWORD, ActivityFactory, CourseFactory, SectionFactory, publish, staff

pytestmark = BROWSER_TEST


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Audience recomputes and rule runs are Celery tasks queued after commit: inline here, in the live server.
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)
    yield


@pytest.fixture
def course(world: World) -> Course:
    course = CourseFactory(organization=world.org, title="Fire safety")
    staff(course, world.instructor, "owner")
    section = SectionFactory(course=course, title="Basics")
    for title in ("Welcome", "Extinguishers"):
        ActivityFactory(section=section, title=title)
    publish(course, world.instructor.user)
    course.refresh_from_db()
    return course


@pytest.fixture
def sales(world: World) -> Audience:
    """Everyone in Sales and below (four people), recomputed at once (eager tasks)."""
    return audience_services.audience_create(
        organization=world.org,
        by=world.org_admin.user,
        name="Sales team",
        rules_tree={"org_unit": world.sales.pk, "include_sub_units": True},
    )


def _rules_row(page: Page) -> object:
    return page.get_by_role("table", name="Enrollment rules of Fire safety").get_by_role(
        "row", name=re.compile("Sales team")
    )


def test_an_org_admin_attaches_an_audience_and_a_person_added_later_is_enrolled(
    world: World, course: Course, sales: Audience, page: Page
) -> None:
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.goto(url("enrollment:rules", course.pk))
    expect(page.get_by_role("heading", level=2, name="Enrollment rules")).to_be_visible()
    # The course header with its tabs, as on the course's other pages.
    tabs = page.get_by_role("navigation", name="Course pages")
    expect(tabs.get_by_role("link", name="Enrollment rules")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("No rules yet")).to_be_visible()

    page.get_by_role("link", name="Add a rule").click()
    expect(page).to_have_url(path_is("enrollment:rule-create", course.pk))
    page.get_by_label("Audience").select_option(label="Sales team (4 people)")
    page.get_by_role("group", name="Due date").get_by_label("Days after hire date").check()
    page.get_by_label("Days until due").fill("30")
    page.get_by_role("group", name="When someone leaves the audience").get_by_label(
        "Withdraw them (unless completed)"
    ).check()
    page.get_by_role("button", name="Add rule").click()

    expect(page).to_have_url(path_is("enrollment:rules", course.pk))
    expect(page.get_by_role("status")).to_contain_text("Enrolling 4 people from Sales team in the background.")
    page.reload()
    row = _rules_row(page)
    expect(row).to_contain_text("30 days after hire date")
    expect(row).to_contain_text("Withdrawn (unless completed)")
    expect(row.get_by_role("cell").nth(5)).to_have_text("4")  # enrollments made

    # A new person in Sales East, added through the People pages, joins the audience and is enrolled.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_role("link", name="Add a person").click()
    page.get_by_label("Email").fill("nora.newcomer@example.test")
    page.get_by_label("Display name").fill("Nora Newcomer")
    page.get_by_label("Department").select_option(value=str(world.sales_east.pk))
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_role("status")).to_contain_text("Nora Newcomer was added.")

    page.goto(url("enrollment:rules", course.pk))
    row = _rules_row(page)
    expect(row.get_by_role("cell").nth(0)).to_have_text("5")  # members
    expect(row.get_by_role("cell").nth(5)).to_have_text("5")  # enrollments made
    nora = Enrollment.objects.get(course=course, membership__user__email="nora.newcomer@example.test")
    assert (nora.status, nora.method, nora.rule_id) == (Status.ACTIVE, Method.AUDIENCE, EnrollmentRule.objects.get().pk)
    assert nora.due_at is None  # no hire date given: no due date from it
    assert problems_of(page).csp_violations == []
    assert problems_of(page).page_errors == []


def test_deleting_a_rule_asks_first_and_keeps_the_people_enrolled(
    world: World, course: Course, sales: Audience, page: Page
) -> None:
    services.rule_create(course=course, audience=sales, by=world.org_admin.user)
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.goto(url("enrollment:rules", course.pk))
    page.get_by_role("link", name="Delete the rule for Sales team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete the rule for Sales team?")
    page.get_by_role("button", name="Delete the rule").click()
    expect(page.get_by_role("status")).to_contain_text("The people it enrolled stay enrolled.")
    expect(page.get_by_text("No rules yet")).to_be_visible()
    assert Enrollment.objects.filter(course=course, status=Status.ACTIVE).count() == 4


def test_the_rules_page_fits_a_phone(world: World, course: Course, sales: Audience, phone_page: Page) -> None:
    services.rule_create(course=course, audience=sales, by=world.org_admin.user)
    sign_in(phone_page, world.org_admin.user.email, PASSWORD)
    for path in (url("enrollment:rules", course.pk), url("enrollment:rule-create", course.pk)):
        phone_page.goto(path)
        expect(phone_page.get_by_role("heading", level=1)).to_be_visible()
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375, path
    phone_page.goto(url("enrollment:rules", course.pk))
    expect(phone_page.get_by_role("link", name="Edit the rule for Sales team")).to_be_visible()


# --- accessibility ---------------------------------------------------------------------------------------------


def _older_version_learner(world: World, course: Course) -> None:
    services.enrollment_self(course=course, by=world.engineer.user)
    ActivityFactory(section=SectionFactory(course=course, title="More"), title="Fire doors")
    publish(course, world.instructor.user)


@pytest.mark.parametrize("name", ["list", "list with older versions", "add", "add with errors", "edit", "delete"])
def test_rule_pages_have_no_serious_accessibility_violations(
    world: World, course: Course, sales: Audience, axe_page: Page, name: str
) -> None:
    rule = services.rule_create(course=course, audience=sales, by=world.org_admin.user)
    if name == "list with older versions":
        _older_version_learner(world, course)  # and the four people of the rule
    if name.startswith("add"):
        audience_services.audience_create(
            organization=world.org,
            by=world.org_admin.user,
            name="Engineers",
            rules_tree={"org_unit": world.engineering.pk},
        )
    sign_in(axe_page, world.org_admin.user.email, PASSWORD)
    path = {
        "list": url("enrollment:rules", course.pk),
        "list with older versions": url("enrollment:rules", course.pk),
        "add": url("enrollment:rule-create", course.pk),
        "add with errors": url("enrollment:rule-create", course.pk),
        "edit": url("enrollment:rule-edit", course.pk, rule.pk),
        "delete": url("enrollment:rule-delete", course.pk, rule.pk),
    }[name]
    response = axe_page.goto(path)
    assert response is not None and response.status == 200
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    if name == "list with older versions":
        expect(axe_page.get_by_role("button", name="Move 5 learners to version 2.0")).to_be_visible()
    if name == "add with errors":
        axe_page.get_by_label("Days after enrollment").check()
        axe_page.get_by_role("button", name="Add rule").click()
        expect(axe_page.locator("#id_due_days_error")).to_be_visible()
    axe_check(axe_page)


def test_a_learner_is_refused_the_rules_page(world: World, course: Course, page: Page) -> None:
    sign_in(page, world.learner.user.email, PASSWORD)
    response = page.goto(url("enrollment:rules", course.pk))
    assert response is not None and response.status == 403
    assert not Membership.objects.filter(pk=world.learner.pk, enrollments__isnull=False).exists()
