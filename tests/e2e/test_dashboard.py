"""The learner's dashboard, transcript and external training in a real browser: overdue first, an external course
submitted with a PDF and approved by the manager onto the transcript, the CSV and PDF downloads, axe, phones."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from syllabus.catalog.models import Course
from syllabus.core import clock
from syllabus.enrollment.models import Enrollment, Method, Status
from syllabus.progress.models import Completion
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, axe_check, path_is, problems_of, sign_in, url
from tests.factories import PASSWORD, ActivityFactory, CourseFactory, SectionFactory, publish

pytestmark = BROWSER_TEST

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _course(world: World, title: str) -> Course:
    course = CourseFactory(organization=world.org, title=title)
    ActivityFactory(section=SectionFactory(course=course))
    publish(course, world.instructor.user)
    course.refresh_from_db()
    return course


def _enroll(world: World, course: Course, **fields: Any) -> Enrollment:
    now = clock.now()
    defaults: dict[str, Any] = {
        "organization_id": world.org.pk,
        "membership": world.report,
        "course": course,
        "status": Status.ACTIVE,
        "method": Method.SELF,
        "enrolled_at": now,
        "status_changed_at": now,
        "version_id": course.published_version_id,
    }
    return Enrollment.objects.create(**{**defaults, **fields})


@pytest.fixture
def learning(world: World) -> None:
    """Rita (the manager's report) at every stage: assigned (one overdue), in progress, not started, completed."""
    now = clock.now()
    _enroll(world, _course(world, "Data protection"), method=Method.MANAGER, due_at=now + dt.timedelta(days=20))
    _enroll(world, _course(world, "Fire safety"), method=Method.AUDIENCE, due_at=now - dt.timedelta(days=3))
    _enroll(world, _course(world, "Customer care"), progress_percent=60, last_activity_at=now)
    _enroll(world, _course(world, "Negotiation basics"))
    done = _course(world, "Manual handling")
    _enroll(world, done, status=Status.COMPLETED, progress_percent=100, completed_at=now)
    Completion.objects.create(
        organization=world.org,
        membership=world.report,
        course=done,
        title="Manual handling",
        version_label="1.0",
        completed_at=now - dt.timedelta(days=2),
        expires_at=now + dt.timedelta(days=365),
        time_spent_seconds=2700,
    )
    _course(world, "Leadership 101")  # in the catalog, not enrolled: recommended


def test_the_dashboard_shows_the_overdue_assignment_first(world: World, learning: None, page: Page) -> None:
    sign_in(page, world.report.user.email, PASSWORD)
    expect(page).to_have_url(path_is("web:home"))  # a member's home is their dashboard
    expect(page.get_by_role("heading", level=1)).to_have_text("My learning")
    assigned = page.get_by_role("region", name="Assigned to you")
    titles = assigned.get_by_role("heading", level=3)
    expect(titles).to_have_count(2)
    expect(titles.first).to_contain_text("Fire safety")
    expect(titles.first).to_contain_text("Overdue")
    expect(titles.nth(1)).to_have_text("Data protection")
    expect(page.get_by_text("One assignment is overdue.")).to_be_visible()
    expect(page.get_by_role("region", name="In progress").get_by_role("progressbar")).to_have_attribute("value", "60")
    expect(page.get_by_role("region", name="In progress")).to_contain_text("60% complete")
    expect(page.get_by_role("region", name="Recommended")).to_contain_text("Leadership 101")
    expect(page.get_by_role("region", name="Completed")).to_contain_text("Manual handling")
    # The title opens the course.
    assigned.get_by_role("link", name="Fire safety", exact=True).click()
    expect(page).to_have_url(re.compile(r"/courses/\d+/$"))
    assert problems_of(page).csp_violations == []
    assert problems_of(page).page_errors == []


def test_external_training_is_submitted_approved_and_lands_on_the_transcript(
    world: World, open_page: Any, tmp_path: Path
) -> None:
    evidence = tmp_path / "first-aid-certificate.pdf"
    evidence.write_bytes(PDF)
    rita = open_page()
    sign_in(rita, world.report.user.email, PASSWORD)
    rita.goto(url("progress:external"))
    rita.get_by_label("Course title").fill("First aid at work")
    rita.get_by_label("Provider").fill("Red Cross")
    rita.get_by_label("Completed on").fill((clock.today() - dt.timedelta(days=5)).isoformat())
    rita.get_by_label("Hours").fill("7.5")
    rita.get_by_label("Score (%)").fill("90")
    rita.get_by_label("Evidence file").set_input_files(str(evidence))
    rita.get_by_role("button", name="Submit for approval").click()
    expect(rita.get_by_role("status")).to_contain_text("your manager will review")
    submissions = rita.get_by_role("table", name="Your external training submissions")
    expect(submissions.get_by_role("row", name=re.compile("First aid at work"))).to_contain_text("Waiting for approval")

    max_page = open_page()
    sign_in(max_page, world.manager.user.email, PASSWORD)
    max_page.goto(url("progress:external-approvals"))
    request = max_page.locator(".external-request", has_text="First aid at work")
    expect(request).to_contain_text("Rita Report")
    expect(request.get_by_role("link", name=re.compile(r"first-aid-certificate.*\.pdf"))).to_be_visible()
    request.get_by_role("button", name="Approve First aid at work").click()
    expect(max_page.get_by_role("status")).to_contain_text("is approved and now on Rita Report")
    expect(max_page.get_by_text("Nothing is waiting for your decision.")).to_be_visible()

    rita.goto(url("progress:transcript"))
    row = rita.get_by_role("row", name=re.compile("First aid at work"))
    expect(row).to_contain_text("External training")
    expect(row).to_contain_text("Red Cross")
    expect(row).to_contain_text("7:30")
    expect(row).to_contain_text("90%")


def test_a_refused_evidence_file_is_named_on_its_field(world: World, page: Page, tmp_path: Path) -> None:
    hostile = tmp_path / "report.html"
    hostile.write_bytes(b"<!doctype html><script>alert(1)</script>")
    sign_in(page, world.report.user.email, PASSWORD)
    page.goto(url("progress:external"))
    page.get_by_label("Course title").fill("Sneaky")
    page.get_by_label("Provider").fill("Nowhere")
    page.get_by_label("Completed on").fill(clock.today().isoformat())
    page.get_by_label("Evidence file").set_input_files(str(hostile))
    page.get_by_role("button", name="Submit for approval").click()
    field = page.get_by_label("Evidence file")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("report.html is not a PDF"))


def test_the_transcript_downloads_as_csv_and_pdf(world: World, learning: None, page: Page) -> None:
    sign_in(page, world.report.user.email, PASSWORD)
    page.goto(url("progress:transcript"))
    expect(page.get_by_role("row", name=re.compile("Manual handling"))).to_contain_text("0:45")
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download CSV").click()
    assert csv_download.value.suggested_filename == "transcript-rita-report.csv"
    text = Path(csv_download.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("Completed on,Title,Version") and "Manual handling" in text
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download PDF").click()
    assert pdf_download.value.suggested_filename == "transcript-rita-report.pdf"
    assert Path(pdf_download.value.path()).read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("name", ["dashboard", "transcript", "external", "external with errors", "approvals"])
def test_learner_pages_have_no_serious_accessibility_violations(
    world: World, learning: None, axe_page: Page, name: str
) -> None:
    from syllabus.progress import services

    services.external_submit(
        membership=world.report,
        by=world.report.user,
        title="Forklift licence",
        provider="Depot academy",
        completed_on=clock.today(),
    )
    person = world.manager if name == "approvals" else world.report
    sign_in(axe_page, person.user.email, PASSWORD)
    path = {
        "dashboard": url("progress:dashboard"),
        "transcript": url("progress:transcript"),
        "external": url("progress:external"),
        "external with errors": url("progress:external"),
        "approvals": url("progress:external-approvals"),
    }[name]
    response = axe_page.goto(path)
    assert response is not None and response.status == 200
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    if name == "external with errors":
        axe_page.get_by_role("button", name="Submit for approval").click()
        expect(axe_page.locator("[aria-invalid=true]").first).to_be_visible()
    if name == "approvals":
        axe_page.get_by_text("Decline…").click()
        axe_page.get_by_role("button", name="Decline Forklift licence").click()
        # Back on the approvals page (not the POST-only decide address), the error at the field.
        expect(axe_page).to_have_url(re.compile(r"/learn/external/approvals/#decline-\d+$"))
        expect(axe_page.get_by_label("Reason for declining")).to_have_attribute("aria-invalid", "true")
        expect(axe_page.get_by_role("alert")).to_contain_text("was not declined")
    axe_check(axe_page)


@pytest.mark.parametrize("name", ["progress:dashboard", "progress:transcript", "progress:external"])
def test_learner_pages_fit_a_phone(world: World, learning: None, phone_page: Page, name: str) -> None:
    sign_in(phone_page, world.report.user.email, PASSWORD)
    phone_page.goto(url(name))
    expect(phone_page.get_by_role("heading", level=1)).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
