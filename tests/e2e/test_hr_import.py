"""The HR import in a real browser: upload a file, watch the dry run's progress, read the report, apply, watch
the apply finish, find the people. The pages pass axe-core.

The background work is queued, not run inline: the test replaces the queue (`services._enqueue`) and runs each
task itself at the moment it chooses, so the page's htmx polling is what shows the progress — no sleeps.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Dialog, Page, expect

from syllabus.accounts.hr_import import services
from syllabus.accounts.models import ImportJob, Membership
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, OpenPage, axe_check, path_is, problems_of, sign_in, url
from tests.factories import PASSWORD, JobRoleFactory, LocationFactory

pytestmark = BROWSER_TEST

FILE = (
    b"email,name,employee_id,org_unit,job_role,location,manager_email,hire_date\n"
    b"nina.north@acme.test,Nina North,E100,Acme HQ/Sales,Nurse,Leeds,,2024-02-01\n"
    b"omar.oak@acme.test,Omar Oak,E101,Acme HQ/Sales/Sales East,Nurse,Leeds,nina.north@acme.test,2024-03-15\n"
)
BAD_FILE = b"email,name,hire_date\nnot-an-email,Bad Row,someday\n"


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Tasks the pages queue, recorded instead of run."""
    jobs: list[tuple[str, int]] = []
    monkeypatch.setattr(services, "_enqueue", lambda name, job_id: jobs.append((name, job_id)))
    return jobs


@pytest.fixture
def acme(world: World) -> World:
    JobRoleFactory(organization=world.org, name="Nurse")
    LocationFactory(organization=world.org, name="Leeds")
    return world


def upload(page: Page, content: bytes) -> None:
    page.goto(url("accounts:hr-imports"))
    page.get_by_role("link", name="New import").click()
    expect(page).to_have_url(path_is("accounts:hr-import-create"))
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": content}]
    )
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import people.csv")


def progress(page: Page):
    return page.locator("#import-status").get_by_role("progressbar")


def accept(dialog: Dialog) -> None:
    assert dialog.type == "confirm"
    dialog.accept()


def test_an_org_admin_dry_runs_a_file_then_applies_it_watching_the_progress(
    acme: World, page: Page, queued: list[tuple[str, int]]
) -> None:
    sign_in(page, acme.org_admin.user.email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="HR import").click()
    expect(page).to_have_url(path_is("accounts:hr-imports"))
    upload(page, FILE)

    # Queued: the page polls and shows the progress as the worker reports it.
    ((name, job_id),) = queued
    assert name == "validate"
    status = page.get_by_role("status").filter(has_text="check")
    expect(status).to_have_text("Waiting to be checked…")
    expect(progress(page)).to_have_attribute("value", "0")
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.VALIDATING, progress=40)
    expect(page.locator("#import-phase")).to_have_text("Checking the file: 40%")
    expect(progress(page)).to_have_attribute("value", "40")
    services.import_job_run_validation(job_id=job_id)

    # The dry-run report.
    expect(page.locator("#import-phase")).to_have_text("Checked: ready to apply.")
    expect(progress(page)).to_have_attribute("value", "100")
    expect(page.locator('[data-count="create"]')).to_have_text("2")
    preview = page.get_by_role("table", name="First changes")
    expect(preview.get_by_role("row")).to_have_count(3)
    expect(preview).to_contain_text("Omar Oak")
    assert not Membership.objects.filter(user__email="nina.north@acme.test").exists()

    # Apply: the page polls again until the work is done, then stops.
    page.once("dialog", accept)
    page.get_by_role("button", name="Apply the import").click()
    expect(page.locator("#import-phase")).to_have_text("Applying the changes…")
    expect(progress(page)).not_to_have_attribute("value", re.compile(".*"))  # indeterminate while one transaction runs
    assert queued[-1] == ("apply", job_id)
    services.import_job_run_apply(job_id=job_id)
    expect(page.locator("#import-phase")).to_have_text("Applied.")
    expect(progress(page)).to_have_attribute("value", "100")
    expect(page.locator('[data-count="create"]')).to_have_text("2")
    expect(page.locator("#import-status")).not_to_have_attribute("hx-trigger", re.compile(".*"))

    # The people are there.
    page.get_by_role("link", name="See the people").click()
    expect(page).to_have_url(path_is("accounts:people"))
    expect(page.locator("#people-results")).to_contain_text("Nina North")
    expect(page.locator("#people-results").get_by_role("row", name=re.compile("Omar Oak"))).to_contain_text(
        "Nina North"
    )
    assert problems_of(page).csp_violations == []
    assert problems_of(page).page_errors == []


def test_a_file_with_errors_shows_each_row_column_and_reason_and_cannot_be_applied(
    acme: World, page: Page, queued: list[tuple[str, int]]
) -> None:
    sign_in(page, acme.org_admin.user.email, PASSWORD)
    upload(page, BAD_FILE)
    services.import_job_run_validation(job_id=queued[0][1])
    expect(page.locator("#import-phase")).to_have_text("Checked: this file cannot be applied as it is.")
    errors = page.get_by_role("table", name="2 errors")
    expect(errors.get_by_role("row", name=re.compile("email"))).to_contain_text("“not-an-email” is not a valid email")
    expect(errors.get_by_role("row", name=re.compile("hire_date"))).to_contain_text("YYYY-MM-DD")
    expect(page.get_by_role("button", name="Apply the import")).to_have_count(0)
    expect(page.get_by_role("link", name="Download the error report (CSV)")).to_be_visible()


def test_the_import_pages_have_no_serious_accessibility_violations(
    acme: World, open_page: OpenPage, queued: list[tuple[str, int]]
) -> None:
    page = open_page(bypass_csp=True)
    sign_in(page, acme.org_admin.user.email, PASSWORD)
    page.goto(url("accounts:hr-imports"))
    axe_check(page)  # empty list
    upload(page, BAD_FILE)
    axe_check(page)  # waiting, polling
    services.import_job_run_validation(job_id=queued[0][1])
    expect(page.locator("#import-phase")).to_have_text("Checked: this file cannot be applied as it is.")
    axe_check(page)  # report with errors
    page.goto(url("accounts:hr-imports"))
    axe_check(page)  # list with a job
    page.goto(url("accounts:hr-import-create"))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator("[aria-invalid=true]").first).to_be_visible()
    axe_check(page)  # form with errors


def test_the_import_report_fits_a_phone(acme: World, open_page: OpenPage, queued: list[tuple[str, int]]) -> None:
    page = open_page(phone=True, bypass_csp=True)
    sign_in(page, acme.org_admin.user.email, PASSWORD)
    upload(page, BAD_FILE)
    services.import_job_run_validation(job_id=queued[0][1])
    expect(page.locator("#import-phase")).to_have_text("Checked: this file cannot be applied as it is.")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375
    axe_check(page)
