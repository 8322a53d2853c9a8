"""The audit trail and the privacy pages in a real browser: filters, details, verify now, the CSV download, an
erasure end to end; each page passes axe-core and fits a phone."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from syllabus.access.models import Role
from syllabus.access.services import role_assign
from syllabus.accounts import services as accounts_services
from syllabus.audit import services as audit_services
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, PHONE, OpenPage, axe_check, path_is, problems_of, sign_in, url
from tests.factories import PASSWORD, grant

pytestmark = BROWSER_TEST


@pytest.fixture
def audited(world: World) -> World:
    """A trail with a few records (events fire at commit: these tests are transactional), an anchor, and an
    auditor (the engineer)."""
    grant(world.engineer, "auditor")
    instructor = Role.objects.get(organization__isnull=True, key="instructor")
    role_assign(membership=world.learner, role=instructor, by=world.org_admin.user)
    accounts_services.membership_deactivate(membership=world.report, by=world.org_admin.user)
    accounts_services.membership_update(membership=world.learner, by=world.org_admin.user, employee_id="E-1")
    audit_services.audit_anchor_all()
    return world


def results(page: Page):
    return page.locator("#audit-results")


def test_an_auditor_filters_the_trail_opens_a_record_and_verifies_the_chain(audited: World, axe_page: Page) -> None:
    page = axe_page
    sign_in(page, audited.engineer.user.email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit trail").click()
    expect(page).to_have_url(path_is("audit:trail"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")

    page.get_by_role("combobox", name="Action").select_option(label="Role assigned")
    expect(results(page)).to_contain_text("1 record")
    row = results(page).get_by_role("row", name="Role assigned")
    expect(row).to_contain_text("Olivia Admin")
    expect(row).to_contain_text("Lena Learner")
    row.get_by_text("Show").click()
    expect(row.get_by_role("cell", name="instructor", exact=True)).to_be_visible()

    page.get_by_role("link", name="Verify now").click()
    expect(page.locator("#verify-result")).to_contain_text("the chain is intact")
    expect(page.get_by_role("table", name="Latest anchors")).to_be_visible()

    axe_check(page)


def test_the_export_link_downloads_the_filtered_trail_as_csv(audited: World, page: Page) -> None:
    sign_in(page, audited.org_admin.user.email, PASSWORD)
    page.goto(url("audit:trail"))
    page.get_by_role("searchbox", name="Search").fill("Lena")
    page.get_by_role("button", name="Filter").click()
    expect(results(page)).to_contain_text("2 records")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("audit-acme-") and download.suggested_filename.endswith(".csv")
    path = download.path()
    assert path is not None
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert sorted(row["action"] for row in rows) == ["membership.changed", "role.assigned"], rows
    assert {row["target"] for row in rows} == {"Lena Learner"}
    assert all(len(row["hash"]) == 64 for row in rows)
    assert problems_of(page).csp_violations == []


def test_an_org_admin_erases_a_person_and_the_trail_shows_an_erased_person(audited: World, axe_page: Page) -> None:
    page = axe_page
    sign_in(page, audited.org_admin.user.email, PASSWORD)
    page.goto(url("accounts:person-detail", audited.learner.pk))
    page.get_by_role("link", name="Personal data").click()
    expect(page).to_have_url(path_is("audit:person-privacy", audited.learner.pk))
    axe_check(page)

    page.get_by_role("link", name="Erase this person…").click()
    page.get_by_label("Email address of the person").fill("wrong@example.test")
    page.get_by_role("button", name="Erase permanently").click()
    expect(page.get_by_role("alert")).to_be_visible()
    axe_check(page)

    page.get_by_label("Email address of the person").fill(audited.learner.user.email)
    page.get_by_role("button", name="Erase permanently").click()
    expect(page).to_have_url(path_is("accounts:person-detail", audited.learner.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text("Erased person")
    expect(page.get_by_role("status")).to_contain_text("The person was erased.")

    page.goto(url("audit:trail") + "?action=person.erased")
    row = results(page).get_by_role("row", name="Person erased")
    expect(row).to_contain_text("Olivia Admin")
    expect(row).to_contain_text("Erased person")
    page.get_by_role("link", name="Verify now").click()
    expect(page.locator("#verify-result")).to_contain_text("the chain is intact")


def test_the_audit_pages_fit_a_phone(audited: World, open_page: OpenPage) -> None:
    page = open_page(phone=True, bypass_csp=True)
    sign_in(page, audited.org_admin.user.email, PASSWORD)
    for path in (url("audit:trail"), url("audit:verify"), url("audit:person-erase", audited.learner.pk)):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        for summary in page.locator("#audit-results summary").all():
            summary.click()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width}px wide"
        axe_check(page)
