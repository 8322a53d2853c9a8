"""The skills framework in a real browser: import a CSV and see the tree, keyboard use, phones, and axe checks."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Dialog, Page, expect

from syllabus.skills import demo, services
from syllabus.skills.models import Skill
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, axe_check, path_is, problems_of, sign_in, url
from tests.factories import PASSWORD

pytestmark = BROWSER_TEST

FILE = (
    b"code,name,parent_code,description,scale\r\n"
    # A child before its parent, a quoted description with a comma, and the scale spelt with a hyphen.
    b'hand-hygiene,Hand hygiene,infection-control,"The five moments, and the technique.",1-5\r\n'
    b"infection-control,Infection control,patient-safety,,1-5\r\n"
    b"patient-safety,Patient safety,,Keeping patients from avoidable harm.,\r\n"
    b"coaching,Coaching,leadership,,1-5\r\n"
    b"leadership,Leadership,,,\r\n"
)


def accept(dialog: Dialog) -> None:
    assert dialog.type == "confirm"
    dialog.accept()


def upload(page: Page, content: bytes) -> None:
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "skills.csv", "mimeType": "text/csv", "buffer": content}]
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=2, name="Preview")).to_be_visible()


def test_an_org_admin_imports_a_csv_and_sees_the_tree(world: World, page: Page) -> None:
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Skills").click()
    expect(page).to_have_url(path_is("skills:framework"))
    expect(page.get_by_text("The framework is empty.")).to_be_visible()

    # No scale yet: the page offers the default one.
    page.get_by_role("button", name="Create the 1–5 scale").click()
    expect(page.get_by_role("status")).to_contain_text("The scale 1–5 was created.")

    page.get_by_role("link", name="Import CSV").click()
    expect(page).to_have_url(path_is("skills:import"))
    # A file with a problem first: every problem by line and column, nothing imported.
    upload(page, FILE + b"gloves,Glove use,nowhere,,\r\n")
    problems = page.get_by_role("table", name="Problems")
    expect(problems.get_by_role("row", name=re.compile("7 parent_code"))).to_contain_text(
        "No skill with code “nowhere” in the file or the framework."
    )
    expect(page.get_by_role("button", name="Apply the import")).to_have_count(0)

    upload(page, FILE)
    expect(page.get_by_role("status")).to_have_text("5 to create, 0 to update, 0 unchanged. Nothing has changed yet.")
    expect(page.get_by_role("row", name=re.compile("hand-hygiene"))).to_contain_text("Create")
    assert not Skill.objects.exists()
    page.get_by_role("button", name="Apply the import").click()

    expect(page).to_have_url(path_is("skills:framework"))
    expect(page.get_by_role("status")).to_contain_text("Imported: 5 skills created, 0 updated.")
    tree = page.locator("ul.skill-tree")
    safety = tree.locator(":scope > li").filter(has=page.get_by_role("link", name="Patient safety", exact=True))
    # Hand hygiene is nested two levels below Patient safety: under Infection control.
    nested = safety.locator(":scope > ul > li > ul > li")
    expect(nested).to_have_count(1)
    expect(nested.get_by_role("link", name="Hand hygiene", exact=True)).to_be_visible()
    expect(nested).to_contain_text("1–5")
    expect(tree.locator(":scope > li")).to_have_count(2)  # Leadership, Patient safety

    # The skill page shows the scale's levels; deactivating asks first and takes the sub-skills along.
    page.get_by_role("link", name="Infection control", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Infection control")
    expect(page.get_by_role("table", name="Levels (1–5)")).to_contain_text("Practitioner")
    page.once("dialog", accept)
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("status")).to_contain_text("Infection control and 1 sub-skill were deactivated.")
    assert not Skill.objects.get(code="hand-hygiene").is_active
    assert problems_of(page).csp_violations == []


def test_a_manager_moves_a_skill_with_the_keyboard(world: World, page: Page) -> None:
    demo.seed_skills(world.org)
    sign_in(page, world.org_admin.user.email, PASSWORD)
    page.goto(url("skills:framework"))
    search = page.get_by_role("searchbox", name="Search")
    search.focus()
    page.keyboard.type("coaching")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2)).to_have_text("Skills matching “coaching”")
    edit = page.get_by_role("link", name="Edit Coaching")
    edit.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(path_is("skills:edit", Skill.objects.get(code="coaching").pk))
    parent = page.get_by_label("Parent skill")
    parent.focus()
    parent.select_option(label="Communication")
    page.get_by_role("button", name="Save changes").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Coaching")
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    expect(breadcrumb).to_contain_text("Communication")
    coaching = Skill.objects.get(code="coaching")
    assert coaching.parent.code == "communication"


def test_the_framework_and_the_import_preview_fit_a_phone(world: World, phone_page: Page) -> None:
    demo.seed_skills(world.org)
    sign_in(phone_page, world.org_admin.user.email, PASSWORD)
    phone_page.goto(url("skills:framework"))
    expect(phone_page.get_by_role("link", name="Hand hygiene", exact=True)).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    phone_page.goto(url("skills:import"))
    upload(phone_page, FILE)
    expect(phone_page.get_by_role("button", name="Apply the import")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375


# --- accessibility ---------------------------------------------------------------------------------------------


def _import_with_problems(page: Page) -> None:
    upload(page, FILE + b"gloves,,nowhere,,Stars\r\n")


def _import_preview(page: Page) -> None:
    upload(page, FILE)


def _scale_form_with_errors(page: Page) -> None:
    page.get_by_label("Level 2 name").fill("")
    page.get_by_label("Level 3 name").fill("Awareness")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_be_visible()


def _skill_form_with_errors(page: Page) -> None:
    page.get_by_label("Code").fill("not a code")
    page.get_by_role("button", name="Add skill").click()
    expect(page.get_by_role("alert")).to_be_visible()


@pytest.mark.parametrize(
    "name",
    [
        "framework",
        "framework of a learner",
        "framework search",
        "empty framework",
        "skill",
        "deactivated skill",
        "add form with errors",
        "edit form",
        "scales",
        "scale form with errors",
        "new scale",
        "import",
        "import with problems",
        "import preview",
    ],
)
def test_skills_pages_have_no_serious_accessibility_violations(world: World, axe_page: Page, name: str) -> None:
    if name != "empty framework":
        demo.seed_skills(world.org)
    persona = world.learner if name == "framework of a learner" else world.org_admin
    if name == "deactivated skill":
        services.skill_deactivate(skill=Skill.objects.get(code="leadership"), by=world.org_admin.user)
    sign_in(axe_page, persona.user.email, PASSWORD)

    def skill(code: str) -> int:
        return Skill.objects.get(organization=world.org, code=code).pk

    steps = {
        "framework": (lambda: url("skills:framework"), None),
        "framework of a learner": (lambda: url("skills:framework"), None),
        "framework search": (lambda: url("skills:framework") + "?q=hygiene", None),
        "empty framework": (lambda: url("skills:framework"), None),
        "skill": (lambda: url("skills:detail", skill("hand-hygiene")), None),
        "deactivated skill": (lambda: url("skills:detail", skill("coaching")), None),
        "add form with errors": (lambda: url("skills:create"), _skill_form_with_errors),
        "edit form": (lambda: url("skills:edit", skill("infection-prevention")), None),
        "scales": (lambda: url("skills:scales"), None),
        "scale form with errors": (
            lambda: url("skills:scale-edit", Skill.objects.get(code="hand-hygiene").scale_id),
            _scale_form_with_errors,
        ),
        "new scale": (lambda: url("skills:scale-create"), None),
        "import": (lambda: url("skills:import"), None),
        "import with problems": (lambda: url("skills:import"), _import_with_problems),
        "import preview": (lambda: url("skills:import"), _import_preview),
    }
    path, then = steps[name]
    response = axe_page.goto(path())
    assert response is not None and response.status == 200
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    if then is not None:
        then(axe_page)
    axe_check(axe_page)
