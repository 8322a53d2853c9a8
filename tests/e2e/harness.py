"""Helpers for the browser tests: URL lookup, signing in, the organisation chooser and the axe-core check."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import pytest
from django.urls import reverse
from playwright.sync_api import ConsoleMessage, Page, expect

from syllabus.accounts.models import Membership
from tests.conftest import World
from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
# Long enough for a cold first page on a loaded CI machine; expect() retries until then and never sleeps.
TIMEOUT_MS = 10_000

AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_FAILING_IMPACTS = {"serious", "critical"}

# The live server must see each test's data, hence transactional (conftest.py puts back the built-in roles
# that the flush between transactional tests wipes).
BROWSER_TEST = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@dataclass
class PageProblems:
    """What the browser complained about while a page was open."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    @property
    def csp_violations(self) -> list[str]:
        return [message for message in self.console_errors if "Content Security Policy" in message]


# The `open_page` fixture: open_page(phone=False, bypass_csp=False) -> a new Page in a new browser context.
OpenPage = Callable[..., Page]

_problems: WeakKeyDictionary[Page, PageProblems] = WeakKeyDictionary()


def watch(page: Page) -> None:
    """Start recording the console errors and uncaught exceptions of `page`."""
    problems = _problems.setdefault(page, PageProblems())
    page.on("console", lambda message: _record_console(problems, message))
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))


def problems_of(page: Page) -> PageProblems:
    return _problems[page]


def _record_console(problems: PageProblems, message: ConsoleMessage) -> None:
    if message.type == "error":
        location = message.location.get("url", "")
        problems.console_errors.append(f"{message.text} ({location})" if location else message.text)


def url(name: str, *args: Any) -> str:
    """A path from a URL name: the tests follow the URLconf rather than hard-coding paths."""
    return reverse(name, args=args)


def path_is(name: str, *args: Any) -> re.Pattern[str]:
    """Matches a page URL whose path is exactly the named URL's (any query string): for expect(page).to_have_url."""
    return re.compile(rf"^https?://[^/]+{re.escape(url(name, *args))}(\?.*)?$")


def sign_in(page: Page, email: str, password: str) -> None:
    """Sign in through the real sign-in form."""
    page.goto(url("accounts:sign-in"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    # Wait for the page the form leads to (home, the chooser or the form again): the session cookie is set by
    # then, and the next goto cannot cut the sign-in short.
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def choose_organization(page: Page, name: str) -> None:
    """On the organisation chooser, pick `name` and wait until the header shows it."""
    expect(page.get_by_role("heading", level=1, name="Choose an organisation")).to_be_visible()
    page.get_by_role("button", name=name, exact=True).click()
    expect(page.locator(".site-header .brand")).to_have_text(name)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical WCAG 2.1 A/AA violations axe-core finds on the page as it is now.

    Needs a context with bypass_csp=True: the injected script is inline, which `script-src 'self'` refuses.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [item for item in results["violations"] if item.get("impact") in AXE_FAILING_IMPACTS]


# aria-describedby and friends pointing at a missing id fail silently (axe rates it minor at most): the help
# text or error is simply never read out. That is what happens when a template and Django disagree on ids.
_BROKEN_REFERENCES_JS = """() => {
  const broken = [];
  for (const el of document.querySelectorAll("[aria-describedby], [aria-labelledby], [aria-controls], label[for]")) {
    for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls", "for"]) {
      for (const id of (el.getAttribute(attr) || "").split(/\\s+/)) {
        if (id && !document.getElementById(id)) broken.push(`<${el.localName}> ${attr}="${id}"`);
      }
    }
  }
  return broken;
}"""


def broken_references(page: Page) -> list[str]:
    """Elements whose aria-describedby, aria-labelledby, aria-controls or label `for` names a missing id."""
    return list(page.evaluate(_BROKEN_REFERENCES_JS))


def axe_check(page: Page) -> None:
    """Fail the test if axe-core finds serious or critical WCAG 2.1 A/AA violations on the page.

    Also fails on ARIA and label references to ids that are not on the page.
    """
    violations = axe_violations(page)
    if violations:
        pytest.fail(f"axe found serious/critical violations on {page.url}:\n{format_violations(violations)}")
    broken = broken_references(page)
    if broken:
        pytest.fail(f"References to missing ids on {page.url}:\n" + "\n".join(broken))


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            summary = node.get("failureSummary", "").replace("\n", " ")
            lines.append(f"    {json.dumps(node['target'])}: {summary}")
    return "\n".join(lines)


# --- the pages in scope ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageInScope:
    """A page the browser tests visit: who looks at it, where it is, and what to do there first."""

    persona: str  # "anonymous", "platform_admin", "two_org_person" or a Membership attribute of World
    path: Callable[[World], str]
    then: Callable[[Page], None] | None = None
    status: int = 200


def _sign_in_with_a_wrong_password(page: Page) -> None:
    page.get_by_label("Email").fill("nobody@example.test")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()


def _submit_empty_person_form(page: Page) -> None:
    page.get_by_role("button", name="Add person").click()
    expect(page.locator("[aria-invalid=true]").first).to_be_visible()


def _submit_empty_verify_form(page: Page) -> None:
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was verified")


def _submit_nameless_template(page: Page) -> None:
    page.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("textbox", name="Name", exact=True)).to_have_attribute("aria-invalid", "true")


def _submit_empty_award_form(page: Page) -> None:
    # The organisation has no template yet: the page offers the ready-made designs first (opening it writes nothing).
    page.get_by_role("button", name="Add the ready-made designs and go on").click()
    page.get_by_role("button", name="Create the award").click()
    expect(page.locator("[aria-invalid=true]").first).to_be_visible()


def _quiz_pages(w: World) -> Any:
    """The course, bank, quiz and attempts the assessment pages show (tests/e2e/assessment_builders.py), made for
    the world on first use. Imported here, not at the top: the builders import the assessment services."""
    from tests.e2e.assessment_builders import quiz_pages

    return quiz_pages(w)


def _submit_an_empty_question(page: Page) -> None:
    page.get_by_role("button", name="Create the question").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()


def _check_the_right_option(page: Page) -> None:
    page.get_by_role("radio", name="North door").check()
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("main").get_by_role("status").first).to_contain_text("Correct")


def _dry_run_a_gift_file(page: Page) -> None:
    from tests.e2e.assessment_builders import GIFT_WITH_AN_ERROR

    page.get_by_role("button", name="File", exact=True).set_input_files(
        {"name": "quiz.gift", "mimeType": "text/plain", "buffer": GIFT_WITH_AN_ERROR}
    )
    page.get_by_role("combobox", name="Format").select_option("gift")
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("region", name="Dry run")).to_be_visible()


def _assessment_ii(w: World) -> Any:
    """The assignments, gradebook and item statistics the assessment II pages show, made for the world on first use
    (tests/e2e/assessment_ii_builders.py)."""
    from tests.e2e.assessment_ii_builders import assessment_ii_pages

    return assessment_ii_pages(w)


# Every server-rendered page of the foundation (the API docs are third-party and left out).
PAGES_IN_SCOPE: dict[str, PageInScope] = {
    "sign-in": PageInScope("anonymous", lambda w: url("accounts:sign-in")),
    "sign-in with an error": PageInScope(
        "anonymous", lambda w: url("accounts:sign-in"), _sign_in_with_a_wrong_password
    ),
    "choose organisation": PageInScope("two_org_person", lambda w: url("accounts:choose-organization")),
    "home": PageInScope("org_admin", lambda w: url("web:home")),
    "home of a learner": PageInScope("learner", lambda w: url("web:home")),
    "profile": PageInScope("org_admin", lambda w: url("accounts:profile")),
    "people list": PageInScope("org_admin", lambda w: url("accounts:people")),
    "person detail": PageInScope("org_admin", lambda w: url("accounts:person-detail", w.report.pk)),
    "person create form": PageInScope("org_admin", lambda w: url("accounts:person-create")),
    "person create form with errors": PageInScope(
        "org_admin", lambda w: url("accounts:person-create"), _submit_empty_person_form
    ),
    "organisation settings": PageInScope("org_admin", lambda w: url("accounts:org-settings")),
    "org units": PageInScope("org_admin", lambda w: url("accounts:org-units")),
    "job roles": PageInScope("org_admin", lambda w: url("accounts:job-roles")),
    "locations": PageInScope("org_admin", lambda w: url("accounts:locations")),
    "custom attributes": PageInScope("org_admin", lambda w: url("accounts:attributes")),
    "roles": PageInScope("org_admin", lambda w: url("access:roles")),
    "role create form": PageInScope("org_admin", lambda w: url("access:role-create")),
    "person roles": PageInScope("org_admin", lambda w: url("access:person-roles", w.instructor.pk)),
    "API tokens": PageInScope("org_admin", lambda w: url("accounts:tokens")),
    "platform organisations": PageInScope("platform_admin", lambda w: url("accounts:platform-organizations")),
    # Learning (issue #5): the pages that need no course; a course's pages have their own browser tests.
    "my learning": PageInScope("learner", lambda w: url("progress:dashboard")),
    "transcript": PageInScope("learner", lambda w: url("progress:transcript")),
    "external training": PageInScope("learner", lambda w: url("progress:external")),
    "my team": PageInScope("manager", lambda w: url("enrollment:team")),
    "assign training": PageInScope("manager", lambda w: url("enrollment:team-assign")),
    "approvals": PageInScope("manager", lambda w: url("enrollment:approvals")),
    # Notifications (issue #8): the person's own centre and preferences (the bell is in every page's header).
    "notifications": PageInScope("learner", lambda w: url("notifications:centre")),
    "notification preferences": PageInScope("learner", lambda w: url("notifications:preferences")),
    # Compliance (issue #9): the pages that need no program; programs have their own browser tests.
    "my compliance": PageInScope("learner", lambda w: url("compliance:mine")),
    "compliance programs": PageInScope("org_admin", lambda w: url("compliance:programs")),
    "new compliance program": PageInScope("org_admin", lambda w: url("compliance:program-new")),
    "compliance reports": PageInScope("org_admin", lambda w: url("compliance:dashboard")),
    "exemptions": PageInScope("manager", lambda w: url("compliance:exemptions")),
    # Certificates (issue #10): the pages that need no certificate; certificates have their own browser tests
    # (test_certificates.py). An id no certificate has answers the public "no certificate" page.
    "verify a badge": PageInScope("anonymous", lambda w: url("certificates:verify-upload")),
    "verify a badge with an error": PageInScope(
        "anonymous", lambda w: url("certificates:verify-upload"), _submit_empty_verify_form
    ),
    "verify an unknown certificate (404)": PageInScope(
        "anonymous", lambda w: url("certificates:verify", "6f1c2a9e-0d4b-4c8e-9a1f-3b7d5e2c8a40"), status=404
    ),
    "my certificates": PageInScope("learner", lambda w: url("certificates:mine")),
    "issued certificates": PageInScope("org_admin", lambda w: url("certificates:list")),
    "issued certificates of a team": PageInScope("manager", lambda w: url("certificates:list")),
    "certificate awards": PageInScope("org_admin", lambda w: url("certificates:awards")),
    "new certificate award": PageInScope("org_admin", lambda w: url("certificates:award-create")),
    "new certificate award with errors": PageInScope(
        "org_admin", lambda w: url("certificates:award-create"), _submit_empty_award_form
    ),
    "certificate templates": PageInScope("org_admin", lambda w: url("certificates:templates")),
    "new certificate template": PageInScope("org_admin", lambda w: url("certificates:template-create")),
    "new certificate template with errors": PageInScope(
        "org_admin", lambda w: url("certificates:template-create"), _submit_nameless_template
    ),
    "badge signing keys": PageInScope("org_admin", lambda w: url("certificates:keys")),
    # Assessment (issue #6): the question banks, the quiz a learner takes and its grading. The course, its bank, a
    # submitted attempt (its essay waiting) and one in progress are made on first use (_quiz_pages).
    "question banks": PageInScope("org_admin", lambda w: url("assessment:banks")),
    "question bank of a course": PageInScope("instructor", lambda w: url("assessment:bank", _quiz_pages(w).bank.pk)),
    "new multiple-choice question": PageInScope(
        "instructor", lambda w: url("assessment:question-create", _quiz_pages(w).bank.pk) + "?qtype=single"
    ),
    "new question with errors": PageInScope(
        "instructor",
        lambda w: url("assessment:question-create", _quiz_pages(w).bank.pk) + "?qtype=single",
        _submit_an_empty_question,
    ),
    "question editor": PageInScope("instructor", lambda w: url("assessment:question-edit", _quiz_pages(w).question.pk)),
    "question preview": PageInScope(
        "instructor", lambda w: url("assessment:question-preview", _quiz_pages(w).question.pk)
    ),
    "question preview after a check": PageInScope(
        "instructor",
        lambda w: url("assessment:question-preview", _quiz_pages(w).question.pk),
        _check_the_right_option,
    ),
    "question import": PageInScope("instructor", lambda w: url("assessment:bank-import", _quiz_pages(w).bank.pk)),
    "question import dry run": PageInScope(
        "instructor", lambda w: url("assessment:bank-import", _quiz_pages(w).bank.pk), _dry_run_a_gift_file
    ),
    "quiz in the player": PageInScope(
        "learner", lambda w: url("catalog:activity", _quiz_pages(w).course.pk, _quiz_pages(w).quiz_uid)
    ),
    "quiz attempt": PageInScope("learner", lambda w: url("assessment:attempt", _quiz_pages(w).running.public_id)),
    "quiz attempt summary": PageInScope(
        "learner", lambda w: url("assessment:attempt-summary", _quiz_pages(w).running.public_id)
    ),
    "quiz attempt review": PageInScope(
        "learner", lambda w: url("assessment:attempt-review", _quiz_pages(w).submitted.public_id)
    ),
    "quiz attempt review by the course team": PageInScope(
        "instructor", lambda w: url("assessment:attempt-review", _quiz_pages(w).submitted.public_id)
    ),
    "quiz results": PageInScope(
        "instructor", lambda w: url("assessment:quiz-results", _quiz_pages(w).course.pk, _quiz_pages(w).quiz_uid)
    ),
    "grading queue": PageInScope("instructor", lambda w: url("assessment:grading", _quiz_pages(w).course.pk)),
    "grading an answer": PageInScope(
        "instructor",
        lambda w: url("assessment:grade-answer", _quiz_pages(w).course.pk, _quiz_pages(w).essay_answer.pk),
    ),
    "quiz overrides": PageInScope(
        "instructor", lambda w: url("assessment:overrides", _quiz_pages(w).course.pk, _quiz_pages(w).quiz_uid)
    ),
    "regrade a question": PageInScope("instructor", lambda w: url("assessment:regrade", _quiz_pages(w).course.pk)),
    "not allowed (403)": PageInScope("learner", lambda w: url("accounts:people"), status=403),
    "not found (404)": PageInScope("org_admin", lambda w: url("accounts:person-detail", w.outsider.pk), status=404),
    # Assessment II (issue #7): assignments (the learner's and the grader's pages), the gradebook and item statistics.
    # A course with a graded, released assignment and a second one holding the learner's draft, its gradebook (a
    # category, a manual item with an override) and a quiz four people finished are made on first use.
    "assignment in the player with its released grade": PageInScope(
        "learner", lambda w: url("catalog:activity", _assessment_ii(w).course.pk, _assessment_ii(w).graded_uid)
    ),
    "assignment draft": PageInScope(
        "learner",
        lambda w: url("assessment:assignment-submission", _assessment_ii(w).course.pk, _assessment_ii(w).draft_uid),
    ),
    "assignment hand-in confirmation": PageInScope(
        "learner",
        lambda w: url("assessment:assignment-submit", _assessment_ii(w).course.pk, _assessment_ii(w).draft_uid),
    ),
    "assignment grading queue": PageInScope(
        "instructor", lambda w: url("assessment:assignment-grading", _assessment_ii(w).course.pk)
    ),
    "submissions of an assignment": PageInScope(
        "instructor",
        lambda w: url("assessment:assignment-submissions", _assessment_ii(w).course.pk, _assessment_ii(w).graded_uid),
    ),
    "grading an assignment submission": PageInScope(
        "instructor",
        lambda w: url("assessment:assignment-grade", _assessment_ii(w).course.pk, _assessment_ii(w).graded.pk),
    ),
    "assignment extensions": PageInScope(
        "instructor",
        lambda w: url("assessment:assignment-extensions", _assessment_ii(w).course.pk, _assessment_ii(w).graded_uid),
    ),
    "gradebook": PageInScope("instructor", lambda w: url("grades:gradebook", _assessment_ii(w).course.pk)),
    "gradebook grade": PageInScope(
        "instructor",
        lambda w: url("grades:grade", _assessment_ii(w).course.pk, _assessment_ii(w).item.pk, w.learner.user.pk),
    ),
    "gradebook grade of a manual item with an override": PageInScope(
        "instructor",
        lambda w: url("grades:grade", _assessment_ii(w).course.pk, _assessment_ii(w).manual.pk, w.engineer.user.pk),
    ),
    "gradebook setup": PageInScope("instructor", lambda w: url("grades:setup", _assessment_ii(w).course.pk)),
    "gradebook import": PageInScope("instructor", lambda w: url("grades:import", _assessment_ii(w).course.pk)),
    "letter scales": PageInScope("org_admin", lambda w: url("grades:scales")),
    "my grades in a course": PageInScope("learner", lambda w: url("grades:mine", _assessment_ii(w).course.pk)),
    "quiz statistics": PageInScope(
        "instructor",
        lambda w: url(
            "assessment:quiz-statistics", _assessment_ii(w).statistics.course.pk, _assessment_ii(w).statistics.quiz_uid
        ),
    ),
}


def sign_in_as(page: Page, persona: str, world: World, two_org_person: Membership) -> None:
    """Sign in as one of the personas named in PAGES_IN_SCOPE (nothing for "anonymous")."""
    if persona == "anonymous":
        return
    if persona == "platform_admin":
        email = world.platform_admin.email
    elif persona == "two_org_person":
        email = two_org_person.user.email
    else:
        email = getattr(world, persona).user.email
    sign_in(page, email, PASSWORD)


def open_page_in_scope(page: Page, name: str, world: World, two_org_person: Membership, *, sign: bool = True) -> None:
    """Go to the page in scope called `name` (signing in first unless `sign` is false) and get it ready."""
    spec = PAGES_IN_SCOPE[name]
    if sign:
        sign_in_as(page, spec.persona, world, two_org_person)
    response = page.goto(spec.path(world))
    assert response is not None
    assert response.status == spec.status, f"{name} ({page.url}) answered {response.status}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if spec.then is not None:
        spec.then(page)
