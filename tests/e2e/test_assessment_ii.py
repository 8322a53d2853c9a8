"""Assessment II (issue #7) in a real browser with the CSP on: a learner writes an assignment, attaches a file,
saves a draft and hands it in, by keyboard; an instructor grades it with the rubric by keyboard alone and releases
the grade, which the learner then reads with the rubric; the instructor filters and pages the gradebook and
overrides a grade with a reason; and reads a quiz's item statistics (table, charts and their text alternative).
Every new page passes axe-core on a phone here, and on a desktop in test_admin.py's sweep of PAGES_IN_SCOPE.

The server's clock is real (assessment_ii_builders.py sets the due dates from today); nothing waits on time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from syllabus.accounts.models import Membership
from syllabus.assessment.models.assignments import Submission, SubmissionState
from syllabus.assessment.views_assignment import FILE_ADDED, HANDED_IN, SAVED
from syllabus.assessment.views_assignment_grading import GRADE_SAVED_RELEASED
from syllabus.catalog import learning
from syllabus.grades import selectors as grade_selectors
from syllabus.grades.models import Grade
from tests.conftest import World
from tests.e2e.assessment_ii_builders import (
    FEEDBACK,
    STATISTICS_QUIZ,
    assignment_course,
    grade_and_release,
    hand_in,
    quiz_with_attempts,
)
from tests.e2e.harness import (
    BROWSER_TEST,
    PAGES_IN_SCOPE,
    PHONE,
    OpenPage,
    axe_check,
    open_page_in_scope,
    path_is,
    problems_of,
    sign_in,
    url,
)
from tests.factories import PASSWORD

pytestmark = BROWSER_TEST

# Far more presses than any page here needs to reach a control: the loop fails rather than hang on a keyboard trap.
TAB_LIMIT = 150
# Both canvases hold a Chart.js chart (vendored, loaded as a file under the CSP).
CHARTS_DRAWN = """() => {
  const canvases = [...document.querySelectorAll("canvas[data-statistics]")];
  return canvases.length === 2 && typeof window.Chart !== "undefined" && canvases.every((c) => Chart.getChart(c));
}"""
REPORT = "At 14:05 the fire door on ward 3 was wedged open. I closed it and told the ward manager."


@pytest.fixture(autouse=True)
def fresh_outlines() -> Iterator[None]:
    # The player caches a version's outline by its id and publication time; ids are reused after each flush.
    learning.clear_outline_cache()
    yield
    learning.clear_outline_cache()


# --- keyboard helpers ---------------------------------------------------------------------------------------------


def _has_focus(target: Locator) -> bool:
    return bool(target.evaluate("el => el === document.activeElement"))


def _tab_to(page: Page, target: Locator) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would."""
    target.wait_for()
    if _has_focus(target):
        return
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        if _has_focus(target):
            return
    pytest.fail(f"{TAB_LIMIT} presses of Tab never reached the control")


def _press(page: Page, target: Locator, key: str = "Enter") -> None:
    _tab_to(page, target)
    page.keyboard.press(key)


def _choose_level(page: Page, criterion: Locator, level: str) -> None:
    """Tab into a rubric criterion's radio group with no choice yet (its first level is the Tab stop), then pick
    `level` with the arrow keys (Space for the first, which the arrows would skip)."""
    radios = criterion.get_by_role("radio")
    names = [str(name) for name in radios.evaluate_all("rs => rs.map(r => r.labels[0].textContent)")]
    index = next(i for i, name in enumerate(names) if name.strip().startswith(level))
    _tab_to(page, radios.first)
    if index == 0:
        page.keyboard.press("Space")
    for _ in range(index):
        page.keyboard.press("ArrowDown")
    expect(radios.nth(index)).to_be_checked()
    expect(radios.nth(index)).to_be_focused()


def _no_page_problems(page: Page) -> None:
    assert problems_of(page).csp_violations == []
    assert problems_of(page).page_errors == []


def _duplicate_ids(page: Page) -> list[str]:
    """Ids used twice: a label or aria-describedby then names only the first element (axe rates it minor)."""
    return list(
        page.evaluate(
            """() => {
              const seen = new Map();
              for (const el of document.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) || 0) + 1);
              return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id} (${n} times)`);
            }"""
        )
    )


def _fits(page: Page) -> None:
    """The page does not scroll sideways (on a phone, its 375 px)."""
    width = int(page.evaluate("document.documentElement.scrollWidth"))
    viewport = page.viewport_size or PHONE
    assert width <= viewport["width"], f"{page.url} is {width} px wide in a {viewport['width']} px window"


# --- 1. handing in an assignment ------------------------------------------------------------------------------------


def test_a_learner_writes_attaches_a_file_saves_a_draft_and_hands_it_in_by_keyboard(world: World, page: Page) -> None:
    made = assignment_course(world)
    sign_in(page, world.learner.user.email, PASSWORD)
    page.goto(url("catalog:activity", made.course.pk, made.uid))
    expect(page.get_by_role("heading", level=1)).to_have_text("Incident report")
    expect(page.get_by_role("region", name="What to hand in, and when")).to_be_visible()
    expect(page.get_by_role("region", name="Your submission")).to_contain_text("Nothing handed in yet.")
    _press(page, page.get_by_role("link", name="Add submission"))

    expect(page).to_have_url(path_is("assessment:assignment-submission", made.course.pk, made.uid))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your submission: Incident report")
    _tab_to(page, page.get_by_role("textbox", name="Your text"))
    page.keyboard.type(REPORT)
    # The file field opens the system's file chooser from the keyboard (Space), as a click would.
    _tab_to(page, page.get_by_label("Add a file"))
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files({"name": "ward-log.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"})
    _press(page, page.get_by_role("button", name="Save draft"))

    messages = page.locator(".messages")
    expect(messages).to_contain_text(SAVED)
    expect(messages).to_contain_text(FILE_ADDED.format(name="ward-log.pdf"))
    expect(page.get_by_role("textbox", name="Your text")).to_have_value(REPORT)
    files = page.get_by_role("group", name="Files")
    expect(files.get_by_role("link", name="ward-log.pdf")).to_be_visible()
    expect(files.get_by_role("button", name="Remove ward-log.pdf")).to_be_visible()
    draft = Submission.objects.get(course=made.course, user=world.learner.user)
    assert draft.state == SubmissionState.DRAFT and draft.text == REPORT

    _press(page, page.get_by_role("button", name="Save and continue to hand in"))
    expect(page).to_have_url(path_is("assessment:assignment-submit", made.course.pk, made.uid))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hand in: Incident report")
    expect(page.get_by_role("article", name="Submission 1")).to_contain_text(REPORT)
    expect(page.get_by_role("article", name="Submission 1").get_by_role("link", name="ward-log.pdf")).to_be_visible()
    _press(page, page.get_by_role("checkbox", name="This is my own work, and I hand it in for grading."), "Space")
    _press(page, page.get_by_role("button", name="Hand in for grading"))

    expect(page).to_have_url(path_is("catalog:activity", made.course.pk, made.uid))
    expect(page.locator(".messages")).to_contain_text(HANDED_IN)
    mine = page.get_by_role("article", name="Submission 1")
    expect(mine.locator("dl")).to_contain_text("Handed in for grading")
    expect(mine).to_contain_text("ward-log.pdf")
    expect(page.get_by_role("link", name="Submit for grading")).to_have_count(0)
    draft.refresh_from_db()
    assert draft.state == SubmissionState.SUBMITTED and draft.submitted_at is not None and draft.late_seconds == 0
    _no_page_problems(page)


# --- 2. grading it with the rubric, by keyboard ---------------------------------------------------------------------


def test_an_instructor_grades_with_the_rubric_by_keyboard_and_the_learner_reads_grade_and_rubric(
    world: World, open_page: OpenPage
) -> None:
    made = assignment_course(world)
    submission = hand_in(made, REPORT)
    page = open_page()
    sign_in(page, world.instructor.user.email, PASSWORD)
    page.goto(url("assessment:assignment-grading", made.course.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text("Assignment grading: Incident reporting")
    expect(page.get_by_role("row", name=re.compile("Lena Learner"))).to_contain_text("Waiting for a grade")
    _press(page, page.get_by_role("link", name="Start grading"))

    expect(page).to_have_url(path_is("assessment:assignment-grade", made.course.pk, submission.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text("Grade: Incident report")
    expect(page.get_by_role("region", name="What the learner handed in")).to_contain_text(REPORT)
    form = page.get_by_role("form", name="Your grade")
    structure = form.get_by_role("group", name=re.compile("^Structure"))
    evidence = form.get_by_role("group", name=re.compile("^Evidence"))
    _choose_level(page, structure, "Clear")
    _tab_to(page, structure.get_by_role("textbox", name="Remark on “Structure” (optional)"))
    page.keyboard.type("Events in order, with times.")
    _choose_level(page, evidence, "Convincing")
    _tab_to(page, evidence.get_by_role("textbox", name="Remark on “Evidence” (optional)"))
    page.keyboard.type("The ward log backs every step.")
    # The running total follows the levels chosen (assignment_grading.js), and is announced (aria-live).
    expect(form.locator("output[data-total]")).to_have_text("15")
    editor = form.locator("trix-editor")
    expect(editor).to_have_attribute("contenteditable", "")  # Trix has taken over (its script is deferred)
    _tab_to(page, editor)
    page.keyboard.type(FEEDBACK)
    expect(form.locator("textarea[data-richtext-source], input[name=feedback]").first).to_have_value(
        re.compile(re.escape(FEEDBACK))
    )
    _press(page, form.get_by_role("button", name="Save and release"))

    expect(page.locator(".messages")).to_contain_text(GRADE_SAVED_RELEASED)
    expect(page.locator("dl.facts")).to_contain_text("15 / 15 (100%)")
    expect(page.locator("dl.facts")).to_contain_text("released")
    expect(page.get_by_role("button", name="Save and release")).to_have_count(0)
    grade = Submission.objects.get(pk=submission.pk).grade
    assert grade.released and grade.filling["c2"]["level"] == "c2-l3"
    _no_page_problems(page)

    learner = open_page()
    sign_in(learner, world.learner.user.email, PASSWORD)
    learner.goto(url("catalog:activity", made.course.pk, made.uid))
    result = learner.get_by_role("region", name="Grade")
    expect(result).to_contain_text("15 out of 15 (100 %) — passed")
    rubric = result.get_by_role("table", name="Rubric")
    expect(rubric.get_by_role("row", name=re.compile("^Structure"))).to_contain_text("Clear (5 / 5)")
    expect(rubric.get_by_role("row", name=re.compile("^Structure"))).to_contain_text("Events in order, with times.")
    expect(rubric.get_by_role("row", name=re.compile("^Evidence"))).to_contain_text("Convincing (10 / 10)")
    expect(result).to_contain_text(FEEDBACK)
    _no_page_problems(learner)


# --- 3. the gradebook -----------------------------------------------------------------------------------------------


def test_an_instructor_filters_and_pages_the_gradebook_and_overrides_a_grade_with_a_reason(
    world: World, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two people a page (the live server runs in this process), so three people make two pages.
    monkeypatch.setattr(grade_selectors, "ROWS_PER_PAGE", 2)
    made = assignment_course(world)
    made.enroll(world.engineer)
    made.enroll(world.report)
    grade_and_release(made, hand_in(made, REPORT, with_file=False))  # Lena: 10 / 15
    sign_in(page, world.instructor.user.email, PASSWORD)
    page.goto(url("grades:gradebook", made.course.pk))

    expect(page.get_by_role("heading", level=2, name="Gradebook")).to_be_visible()
    table = page.get_by_role("table", name="Grades in Incident reporting")
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text("3 people")
    expect(table.get_by_role("columnheader", name=re.compile("^Incident report"))).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(3)  # the header and two people
    pages = page.get_by_role("navigation", name="Pages", exact=True)
    expect(pages).to_contain_text("Page 1 of 2")
    pages.get_by_role("link", name="Next page").click()
    expect(pages).to_contain_text("Page 2 of 2")
    expect(table.get_by_role("row")).to_have_count(2)
    expect(table.get_by_role("rowheader", name=re.compile("Rita Report"))).to_be_visible()

    # Narrow to Lena (the filters form, by name) and open her grade.
    filters = page.get_by_role("search", name="Filter the gradebook")
    filters.get_by_role("textbox", name="Name or email").fill("Lena")
    filters.get_by_role("button", name="Show").click()
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text("1 person")
    row = table.get_by_role("row", name=re.compile("Lena Learner"))
    expect(row.locator("td.gb-total")).to_contain_text("66.67")
    row.get_by_role("link", name=re.compile("66.67")).click()

    expect(page.get_by_role("heading", level=2)).to_have_text("Incident report: Lena Learner")
    override = page.locator("form").filter(has=page.get_by_role("heading", name="Override the grade"))
    override.get_by_role("button", name="Override").click()
    expect(override.get_by_role("textbox", name=re.compile("^Reason"))).to_have_attribute("aria-invalid", "true")
    override.get_by_role("spinbutton", name="Grade (%)").fill("90")
    override.get_by_role("textbox", name=re.compile("^Reason")).fill("Re-marked after an appeal.")
    override.get_by_role("button", name="Override").click()

    expect(page.locator(".messages")).to_contain_text("The grade is overridden.")
    history = page.get_by_role("table", name="Changes of this grade, newest first")
    expect(history.get_by_role("row").nth(1)).to_contain_text("Re-marked after an appeal.")
    page.get_by_role("link", name="Back to the gradebook").click()
    expect(page).to_have_url(path_is("grades:gradebook", made.course.pk))
    row = page.get_by_role("table", name="Grades in Incident reporting").get_by_role("row", name=re.compile("Lena"))
    expect(row.locator("td.gb-total")).to_contain_text("90")
    expect(row).to_contain_text("overridden")
    grade = Grade.objects.get(user=world.learner.user, item__course=made.course)
    assert str(grade.override) in ("90", "90.00") and grade.override_reason == "Re-marked after an appeal."
    _no_page_problems(page)


# --- 4. item statistics ---------------------------------------------------------------------------------------------


def test_an_instructor_reads_the_item_statistics_of_a_quiz_with_charts_and_their_text_alternative(
    world: World, page: Page
) -> None:
    stats = quiz_with_attempts(world)
    sign_in(page, world.instructor.user.email, PASSWORD)
    page.goto(url("assessment:quiz-statistics", stats.course.pk, stats.quiz_uid))

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Statistics: {STATISTICS_QUIZ}")
    expect(page.get_by_role("main")).to_contain_text("From 4 attempts")
    summary = page.get_by_role("region", name="The quiz")
    expect(summary).to_contain_text("Mean score")
    expect(summary).to_contain_text("50.00 %")  # 3, 2, 1 and 0 of 3
    table = page.get_by_role("table", name=f"Statistics of each question of {STATISTICS_QUIZ}")
    expect(table.get_by_role("row")).to_have_count(4)  # the header and three questions
    # Facility: 3 of 4 right on question 1, 2 of 4 on question 2, 1 of 4 on question 3.
    for name, facility in (("Smoke", "75.00 %"), ("Exit", "50.00 %"), ("Assembly point", "25.00 %")):
        expect(table.get_by_role("row", name=re.compile(name))).to_contain_text(facility)

    charts = page.get_by_role("region", name="Charts")
    questions_chart = charts.get_by_role("img", name="Facility and discrimination of each question")
    histogram = charts.get_by_role("img", name="Scores of the attempts")
    expect(questions_chart).to_have_accessible_description("The figures of this chart are in the table of questions.")
    expect(histogram).to_have_accessible_description("How many attempts scored in each band of the quiz's marks")
    # Chart.js (vendored, under the CSP) drew both.
    page.wait_for_function(CHARTS_DRAWN)
    # The histogram's figures as a table, for anyone who cannot see the chart.
    _press(page, charts.get_by_text("The figures of this chart", exact=True))  # the <summary>, by keyboard
    figures = charts.get_by_role("table", name="How many attempts scored in each band of the quiz's marks")
    expect(figures).to_be_visible()
    assert sum(int(cell) for cell in figures.locator("tbody td").all_inner_texts()) == 4
    _no_page_problems(page)


# --- 5. accessibility on a phone ------------------------------------------------------------------------------------

# The assessment II entries of PAGES_IN_SCOPE: test_admin.py runs axe over each on a desktop; here each is checked on
# a phone (one sign-in per persona, to keep this quick).
ASSESSMENT_II_PAGES = (
    "assignment in the player with its released grade",
    "assignment draft",
    "assignment hand-in confirmation",
    "my grades in a course",
    "assignment grading queue",
    "submissions of an assignment",
    "grading an assignment submission",
    "assignment extensions",
    "gradebook",
    "gradebook grade",
    "gradebook grade of a manual item with an override",
    "gradebook setup",
    "gradebook import",
    "quiz statistics",
    "letter scales",
)


# The grade page of a manual item with an override holds three forms with fields of the same names (override, clear,
# enter): each form has its own ids, so each "Reason" label names its own field.
GRADE_PAGE = "gradebook grade of a manual item with an override"


def test_the_grade_page_gives_each_of_its_forms_own_field_ids(
    world: World, two_org_person: Membership, open_page: OpenPage
) -> None:
    page = open_page()
    open_page_in_scope(page, GRADE_PAGE, world, two_org_person)
    assert _duplicate_ids(page) == []
    clear = page.locator("form").filter(has=page.get_by_role("heading", name="Clear the override"))
    expect(clear.get_by_role("textbox", name="Reason")).to_have_count(1)


def test_every_assessment_ii_page_is_in_scope_of_the_shared_browser_checks() -> None:
    assert set(ASSESSMENT_II_PAGES) <= set(PAGES_IN_SCOPE)


def test_every_assessment_ii_page_passes_axe_and_fits_a_phone(
    world: World, two_org_person: Membership, open_page: OpenPage
) -> None:
    failures: dict[str, str] = {}
    signed: dict[str, Page] = {}
    for name in ASSESSMENT_II_PAGES:
        spec = PAGES_IN_SCOPE[name]
        phone = signed.get(spec.persona)
        if phone is None:
            phone = signed[spec.persona] = open_page(phone=True, bypass_csp=True)
            sign_in(phone, getattr(world, spec.persona).user.email, PASSWORD)
        response = phone.goto(spec.path(world))
        assert response is not None and response.status == spec.status, name
        expect(phone.get_by_role("heading", level=1)).to_be_visible()
        try:
            axe_check(phone)
            _fits(phone)
            assert _duplicate_ids(phone) == [], f"ids used twice on {phone.url}"
        except (AssertionError, pytest.fail.Exception) as problem:
            failures[name] = str(problem)
    assert not failures, "\n\n".join(f"{name}: {problem}" for name, problem in failures.items())
