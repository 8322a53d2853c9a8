"""Compliance programs (issue #9) in a real browser: an officer builds a program with its preview and activates it; a
learner signs a completion by keyboard; gating sends an overdue learner to My compliance at sign-in while the course
stays open; an extension is asked for and approved with a signature; phones; axe on every page on the way; and the
reports dashboard."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.utils.formats import date_format
from playwright.sync_api import Dialog, Locator, Page, expect

from syllabus.accounts.models import Membership
from syllabus.audiences import services as audience_services
from syllabus.audiences.models import Audience
from syllabus.catalog.models import Course
from syllabus.celery import app as celery_app
from syllabus.compliance import evaluation, services
from syllabus.compliance.models import Assignment, Exemption, Program, Signature, StatusCode
from syllabus.compliance.services import completion_signing
from syllabus.compliance.services.signatures import Credentials
from syllabus.core import clock
from syllabus.progress.models import Completion
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, OpenPage, axe_check, path_is, problems_of, sign_in, url
from tests.factories import PASSWORD, ActivityFactory, CourseFactory, MembershipFactory, SectionFactory, grant, publish
from tests.factories import staff as course_staff

pytestmark = BROWSER_TEST

MEANING = "I completed this training and understood it"
# Far more presses than any page here needs to reach a field: the loop fails rather than hang on a keyboard trap.
TAB_LIMIT = 60


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Audience recomputes and program evaluations are Celery tasks queued after commit: inline here, in the live
    # server's thread as in the test's.
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)
    yield


@pytest.fixture(autouse=True)
def forget_cached_flags() -> None:
    # The gate caches "this organisation has a gating program" by organisation id, and ids come back after the
    # flush between transactional tests: start every test from an empty cache.
    cache.clear()


@pytest.fixture
def officer(world: World) -> Membership:
    person = MembershipFactory(organization=world.org, org_unit=world.hq, user__display_name="Carla Compliance")
    grant(person, "compliance_officer")
    return person


@pytest.fixture
def course(world: World) -> Course:
    return _course(world, "Fire safety")


@pytest.fixture
def sales(world: World) -> Audience:
    """Everyone in Sales and below: Max Manager, Rita Report, Ivan Indirect and Lena Learner (recomputed at once)."""
    return audience_services.audience_create(
        organization=world.org,
        by=world.org_admin.user,
        name="Sales team",
        rules_tree={"org_unit": world.sales.pk, "include_sub_units": True},
    )


def _course(world: World, title: str) -> Course:
    course = CourseFactory(organization=world.org, title=title)
    course_staff(course, world.instructor, "owner")
    ActivityFactory(section=SectionFactory(course=course, title="Basics"), title="Welcome")
    publish(course, world.instructor.user)
    course.refresh_from_db()
    return course


def _program(officer: Membership, audience: Audience, course: Course, **fields: Any) -> Program:
    """A program made, activated and evaluated through the services, from the test's thread."""
    data: dict[str, Any] = {
        "name": "Fire safety 2026",
        "audience_id": audience.pk,
        "requirement": "course",
        "course_ids": [course.pk],
        "due_rule": "after_assignment",
        "due_days": 30,
        "enroll": False,
    }
    data.update(fields)
    program = services.program_create(organization=officer.organization, by=officer.user, data=data)
    services.program_activate(program=program, by=officer.user)
    evaluation.evaluate_program(program, full=True)
    program.refresh_from_db()
    return program


def _complete(membership: Membership, course: Course) -> Completion:
    """A completion on the transcript, as progress writes it when the course is completed."""
    return Completion.objects.create(
        organization_id=membership.organization_id,
        membership=membership,
        course=course,
        title=course.title,
        completed_at=clock.now(),
        score=Decimal("90"),
    )


def _assignment(program: Program, membership: Membership) -> Assignment:
    return Assignment.objects.get(program=program, membership=membership, ended_at__isnull=True)


def _day(day: dt.date) -> str:
    return date_format(day, "j F Y")


def _accept(dialog: Dialog) -> None:
    assert dialog.type == "confirm"
    dialog.accept()


def _tab_to(page: Page, target: Locator) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would (nothing if it has it already)."""
    if target.evaluate("el => el === document.activeElement"):
        return
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"{TAB_LIMIT} presses of Tab never reached the field")


def _fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def _no_page_problems(page: Page) -> None:
    assert problems_of(page).csp_violations == []
    assert problems_of(page).page_errors == []


# --- 1. the officer builds a program ---------------------------------------------------------------------------------


def _fill_program_form(page: Page) -> None:
    page.get_by_role("textbox", name="Name", exact=True).fill("Fire safety 2026")
    page.get_by_label("Courses", exact=True).select_option(label="Fire safety")
    page.get_by_label("Applies to").select_option(label="Sales team (4 people)")
    page.get_by_role("group", name="Due").get_by_label("Days after the person is assigned").check()
    page.get_by_label("Days", exact=True).fill("30")
    page.get_by_label("Valid for (months)").fill("12")
    # program_form.js shows the recertification details once the program recurs.
    window = page.get_by_label("Recertification opens (days before expiry)")
    expect(window).to_be_visible()
    window.fill("60")
    page.get_by_role("group", name="Next cycle counted from").get_by_label("The date of completion").check()


def test_an_officer_builds_previews_and_activates_a_program(
    world: World, officer: Membership, course: Course, sales: Audience, page: Page
) -> None:
    sign_in(page, officer.user.email, PASSWORD)
    page.goto(url("compliance:programs"))
    page.get_by_role("link", name="New program").click()
    expect(page).to_have_url(path_is("compliance:program-new"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New compliance program")
    _fill_program_form(page)
    # Fields that do not apply are really hidden (the [hidden] rule beats `.field { display: grid }`).
    expect(page.get_by_label("Statement to acknowledge")).to_be_hidden()
    expect(page.get_by_label("Due date", exact=True)).to_be_hidden()

    page.get_by_role("button", name="Preview who is affected").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("When the program is active, 4 people will be assigned.")
    # The focus follows the outcome: the preview's heading, below the long form.
    expect(page.locator("#preview-heading")).to_be_focused()
    # The preview came by htmx: still the form's page, nothing saved.
    expect(page).to_have_url(path_is("compliance:program-new"))
    assert not Program.objects.exists()

    page.get_by_role("button", name="Create program").click()
    program = Program.objects.get()
    expect(page).to_have_url(path_is("compliance:program", program.pk))
    expect(page.get_by_role("status").first).to_contain_text("was created as a draft")
    rules = page.locator("dl.facts")
    expect(rules).to_contain_text("Due 30 days after assignment")
    expect(rules).to_contain_text("Valid 12 months, recertification opens 60 days before expiry")

    page.once("dialog", _accept)
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("status").first).to_contain_text("The program is active.")
    expect(page.get_by_text("4 people in scope")).to_be_visible()
    table = page.get_by_role("table", name="People in Fire safety 2026")
    lena = _assignment(program, world.learner)
    row = table.get_by_role("row", name=re.compile("Lena Learner"))
    expect(row).to_contain_text(str(StatusCode(lena.status).label))
    expect(row).to_contain_text(_day(lena.due_on))
    assert lena.due_on == evaluation.program_today(program) + dt.timedelta(days=30)
    expect(table.get_by_role("row")).to_have_count(5)  # the header and four people

    # The person's page says why.
    row.get_by_role("link", name="Lena Learner").click()
    expect(page).to_have_url(path_is("compliance:program-person", program.pk, world.learner.pk))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text(_day(lena.due_on))
    _no_page_problems(page)


@pytest.mark.parametrize("name", ["programs", "program-new"])
def test_a_learner_is_refused_the_officer_pages(world: World, page: Page, name: str) -> None:
    sign_in(page, world.learner.user.email, PASSWORD)
    response = page.goto(url(f"compliance:{name}"))
    assert response is not None and response.status == 403


def test_the_program_form_shows_errors_at_their_fields(
    world: World, officer: Membership, course: Course, sales: Audience, page: Page
) -> None:
    sign_in(page, officer.user.email, PASSWORD)
    page.goto(url("compliance:program-new"))
    page.get_by_role("button", name="Create program").click()
    name = page.get_by_role("textbox", name="Name", exact=True)
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_attribute("aria-describedby", re.compile(r"\bid_name_error\b"))
    expect(page.locator("#id_name_error")).to_be_visible()
    assert not Program.objects.exists()


@pytest.mark.parametrize("name", ["form", "form with errors", "preview", "detail", "person", "list"])
def test_officer_pages_have_no_serious_accessibility_violations(
    world: World, officer: Membership, course: Course, sales: Audience, axe_page: Page, name: str
) -> None:
    program = _program(officer, sales, course, valid_months=12, window_days=60)
    sign_in(axe_page, officer.user.email, PASSWORD)
    path = {
        "form": url("compliance:program-new"),
        "form with errors": url("compliance:program-new"),
        "preview": url("compliance:program-new"),
        "detail": url("compliance:program", program.pk),
        "person": url("compliance:program-person", program.pk, world.learner.pk),
        "list": url("compliance:programs"),
    }[name]
    response = axe_page.goto(path)
    assert response is not None and response.status == 200
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    if name == "form with errors":
        axe_page.get_by_role("button", name="Create program").click()
        expect(axe_page.locator("[aria-invalid=true]").first).to_be_visible()
    if name == "preview":
        _fill_program_form(axe_page)
        axe_page.get_by_role("button", name="Preview who is affected").click()
        expect(axe_page.locator("#preview")).to_contain_text("4 people will be assigned")
    axe_check(axe_page)


# --- 2. the learner signs a completion -------------------------------------------------------------------------------


@pytest.fixture
def signed_program(officer: Membership, course: Course, sales: Audience) -> Program:
    return _program(officer, sales, course, require_signature=True, signature_meaning=MEANING)


def test_a_learner_signs_a_completion_with_the_keyboard(
    world: World, signed_program: Program, course: Course, page: Page
) -> None:
    completion = _complete(world.learner, course)
    due = _assignment(signed_program, world.learner).due_on
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("compliance:mine"))
    item = page.get_by_role("article", name="Fire safety 2026")
    expect(item).to_contain_text(_day(due))
    expect(item).not_to_contain_text("Compliant")

    link = item.get_by_role("link", name=re.compile("^Sign your completion"))
    _tab_to(page, link)
    page.keyboard.press("Enter")
    expect(page).to_have_url(
        path_is("compliance:my-sign", _assignment(signed_program, world.learner).pk, completion.pk)
    )
    expect(page.locator(".signature-meaning")).to_have_text(MEANING)

    # A wrong password first: nothing is signed, and the error is linked to the field.
    password = page.get_by_label("Your password")
    _tab_to(page, password)
    page.keyboard.type("not-my-password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Nothing was signed or recorded")
    # The focus starts at the error summary, not at the top of the page.
    expect(page.locator("[data-error-summary]")).to_be_focused()
    password = page.get_by_label("Your password")
    expect(password).to_have_attribute("aria-invalid", "true")
    described = password.get_attribute("aria-describedby") or ""
    assert "id_password_error" in described.split()
    expect(page.locator("#id_password_error")).to_be_visible()
    assert not Signature.objects.exists()

    _tab_to(page, password)
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    manifestation = page.get_by_role("region", name="Signed", exact=True)
    expect(manifestation).to_contain_text("Lena Learner")
    signature = Signature.objects.get()
    expect(page).to_have_url(path_is("compliance:my-signature", signature.pk))
    expect(manifestation).to_contain_text(MEANING)
    expect(manifestation).to_contain_text(signature.record_hash)

    page.get_by_role("link", name="Back to My compliance").click()
    item = page.get_by_role("article", name="Fire safety 2026")
    expect(item.locator(".badge")).to_have_text("Compliant")
    expect(item).to_contain_text(f"Signed by Lena Learner on {_day(signature.signed_at.date())}")
    assert _assignment(signed_program, world.learner).status == StatusCode.COMPLIANT
    _no_page_problems(page)


@pytest.mark.parametrize("name", ["mine", "sign", "sign with an error", "signature"])
def test_learner_pages_have_no_serious_accessibility_violations(
    world: World, signed_program: Program, course: Course, axe_page: Page, name: str
) -> None:
    completion = _complete(world.learner, course)
    assignment = _assignment(signed_program, world.learner)
    path = url("compliance:my-sign", assignment.pk, completion.pk)
    if name == "mine":
        path = url("compliance:mine")
    elif name == "signature":
        signature = completion_signing.completion_sign(
            assignment=assignment,
            completion=completion,
            by=world.learner.user,
            request=None,
            credentials=Credentials(password=PASSWORD, code=""),
        )
        path = url("compliance:my-signature", signature.pk)
    sign_in(axe_page, world.learner.user.email, PASSWORD)
    response = axe_page.goto(path)
    assert response is not None and response.status == 200
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    if name == "sign with an error":
        axe_page.get_by_label("Your password").fill("not-my-password")
        axe_page.get_by_role("button", name="Sign", exact=True).click()
        expect(axe_page.get_by_role("alert")).to_be_visible()
    axe_check(axe_page)


# --- 3. gating at sign-in ------------------------------------------------------------------------------------------


def test_an_overdue_learner_is_sent_to_my_compliance_at_sign_in_and_the_course_stays_open(
    world: World, officer: Membership, course: Course, sales: Audience, page: Page
) -> None:
    _course(world, "Excel tips")
    past = clock.now().date() - dt.timedelta(days=10)
    program = _program(officer, sales, course, name="Fire safety", due_rule="fixed", due_on=past, gating=True)
    assert _assignment(program, world.learner).status == StatusCode.OVERDUE

    sign_in(page, world.learner.user.email, PASSWORD)
    expect(page).to_have_url(path_is("compliance:mine"))
    expect(page.get_by_role("status").first).to_contain_text("You have overdue compliance training.")
    overdue = page.get_by_role("region", name="Overdue")
    expect(overdue.get_by_role("article", name="Fire safety")).to_contain_text("Overdue since")

    page.goto(url("catalog:browse"))
    expect(page).to_have_url(path_is("compliance:mine"))

    overdue = page.get_by_role("region", name="Overdue")
    overdue.get_by_role("link", name="Open the course: Fire safety").click()
    expect(page).to_have_url(path_is("catalog:course", course.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text("Fire safety")
    _no_page_problems(page)


# --- 4. an extension asked for and approved with a signature ---------------------------------------------------------


def test_a_learner_asks_for_an_extension_and_an_officer_approves_it_with_a_signature(
    world: World, officer: Membership, course: Course, sales: Audience, open_page: OpenPage
) -> None:
    program = _program(officer, sales, course)
    due = _assignment(program, world.learner).due_on
    new_due = due + dt.timedelta(days=30)

    learner = open_page()
    sign_in(learner, world.learner.user.email, PASSWORD)
    learner.goto(url("compliance:mine"))
    learner.get_by_role("link", name=re.compile("^Request an exemption or extension")).click()
    expect(learner).to_have_url(path_is("compliance:exemption-new"))
    learner.get_by_role("group", name="What do you ask for?").get_by_label("Extension of the due date").check()
    # Only the date of the kind chosen is shown.
    expect(learner.get_by_label("Exempt until")).to_be_hidden()
    learner.get_by_label("New due date").fill(new_due.isoformat())
    learner.get_by_label("Reason").fill("I am on leave until the end of the month.")
    learner.get_by_role("button", name="Send the request").click()
    expect(learner.get_by_role("status").first).to_contain_text("Your request was sent to the compliance officers.")
    exemption = Exemption.objects.get()
    assert exemption.state == Exemption.State.PENDING
    # Back on My compliance, which says the request waits and offers to withdraw it instead of a new one.
    expect(learner).to_have_url(path_is("compliance:mine"))
    waiting = learner.get_by_role("article", name="Fire safety 2026")
    expect(waiting).to_contain_text("is waiting for a decision")
    expect(waiting.get_by_role("button", name=re.compile("^Withdraw"))).to_be_visible()
    expect(waiting.get_by_role("link", name=re.compile("^Request an exemption"))).to_have_count(0)

    officer_page = open_page()
    sign_in(officer_page, officer.user.email, PASSWORD)
    officer_page.goto(url("compliance:exemptions"))
    officer_page.get_by_role("link", name=re.compile("^Decide on the request of Lena Learner")).click()
    expect(officer_page).to_have_url(path_is("compliance:exemption-decide", exemption.pk))
    officer_page.get_by_role("group", name="Decision").get_by_label("Approve (you sign it)").check()
    officer_page.get_by_label("Your password").fill(PASSWORD)
    officer_page.get_by_role("button", name="Record the decision").click()

    expect(officer_page).to_have_url(path_is("compliance:exemption", exemption.pk))
    expect(officer_page.get_by_role("status").first).to_contain_text("Approved and signed.")
    signature = officer_page.get_by_role("region", name="Electronic signature")
    expect(signature).to_contain_text("Carla Compliance")
    assert _assignment(program, world.learner).due_on == new_due

    learner.goto(url("compliance:mine"))
    item = learner.get_by_role("article", name="Fire safety 2026")
    expect(item).to_contain_text(_day(new_due))
    expect(item).to_contain_text(f"extended from {_day(due)}")
    _no_page_problems(learner)
    _no_page_problems(officer_page)


# --- 5. phones -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["learner", "officer"])
def test_my_compliance_and_the_program_page_fit_a_phone(
    world: World, signed_program: Program, course: Course, officer: Membership, phone_page: Page, who: str
) -> None:
    _complete(world.learner, course)
    if who == "learner":
        sign_in(phone_page, world.learner.user.email, PASSWORD)
        phone_page.goto(url("compliance:mine"))
    else:
        sign_in(phone_page, officer.user.email, PASSWORD)
        phone_page.goto(url("compliance:program", signed_program.pk))
        expect(phone_page.get_by_role("table", name="People in Fire safety 2026")).to_be_visible()
    expect(phone_page.get_by_role("heading", level=1)).to_be_visible()
    assert _fits(phone_page), phone_page.evaluate("document.documentElement.scrollWidth")


# --- 6. the reports ----------------------------------------------------------------------------------------


def test_the_dashboard_shows_the_figures_and_the_chart(
    world: World, officer: Membership, course: Course, sales: Audience, axe_page: Page
) -> None:
    _program(officer, sales, course)
    sign_in(axe_page, officer.user.email, PASSWORD)
    response = axe_page.goto(url("compliance:dashboard"))
    assert response is not None and response.status == 200
    expect(axe_page.get_by_role("heading", level=1)).to_have_text("Compliance dashboard")
    expect(axe_page.get_by_role("table", name="Where Fire safety 2026 stands")).to_be_visible()
    expect(axe_page.locator("canvas[data-chart]").first).to_be_attached()
    axe_check(axe_page)


def test_the_dashboard_draws_its_chart_under_the_content_security_policy(
    world: World, officer: Membership, course: Course, sales: Audience, page: Page
) -> None:
    _program(officer, sales, course)
    sign_in(page, officer.user.email, PASSWORD)
    page.goto(url("compliance:dashboard"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Compliance dashboard")
    # charts.js hands each canvas to Chart.js, loaded from the vendored file: no inline script, no eval.
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]'))")
    _no_page_problems(page)


@pytest.mark.parametrize("name", ["point in time", "point in time answered", "evidence"])
def test_report_pages_have_no_serious_accessibility_violations(
    world: World, officer: Membership, course: Course, sales: Audience, axe_page: Page, name: str
) -> None:
    program = _program(officer, sales, course)
    sign_in(axe_page, officer.user.email, PASSWORD)
    path = url("compliance:evidence") if name == "evidence" else url("compliance:point-in-time")
    if name == "point in time answered":
        path += f"?program={program.pk}&on={evaluation.program_today(program).isoformat()}"
    response = axe_page.goto(path)
    assert response is not None and response.status == 200
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    if name == "point in time answered":
        expect(axe_page.get_by_role("status").filter(has_text="in scope")).to_contain_text("4 people in scope")
    axe_check(axe_page)
