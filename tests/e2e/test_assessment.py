"""Assessment (issue #6) in a real browser with the CSP on: a learner takes a timed quiz of every question type by
keyboard alone and reads the review; the timer runs out and the attempt is submitted with what was saved in time;
an instructor grades an essay by keyboard and the learner sees the mark; an author writes a question, previews it
and imports a GIFT file after its dry run. Every assessment page passes axe-core, on a desktop and a phone.

The browser's clock is Playwright's (`page.clock`), paused once installed: attempt.js's countdown and its 20-second
autosave run only when a test moves that clock, so nothing waits on real time. The server's clock is real; a
deadline that has passed is set through the ORM from the test's thread, as a long wait would leave it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Locator, Page, expect

from syllabus.accounts.models import Membership
from syllabus.assessment import demo
from syllabus.assessment.models import AnswerState, Attempt, AttemptState, Question, QuestionAnswer
from syllabus.assessment.services import attempts as attempt_services
from syllabus.assessment.services.questions import version_as_question
from syllabus.assessment.views_quiz import SUBMITTED
from syllabus.catalog import learning
from syllabus.core import clock
from tests.assessment.conftest import make_quiz_world
from tests.conftest import World
from tests.e2e.assessment_builders import (
    EVERY_TYPE,
    GIFT_ERROR,
    GIFT_ERROR_LINE,
    GIFT_WITH_AN_ERROR,
    PASS_MARK,
    EveryTypeQuiz,
    quiz_of_every_type,
    quiz_with,
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
TAB_LIMIT = 120
AUTOSAVE_MS = 20_000


@pytest.fixture(autouse=True)
def fresh_outlines() -> Iterator[None]:
    # The player caches a version's outline by its id and publication time; ids are reused after each flush.
    learning.clear_outline_cache()
    yield
    learning.clear_outline_cache()


# --- keyboard helpers ---------------------------------------------------------------------------------------------


def _has_focus(target: Locator) -> bool:
    return bool(target.evaluate("el => el === document.activeElement"))


def _tab_to(page: Page, target: Locator, *, back: bool = False) -> None:
    """Press Tab (Shift+Tab with `back`) until `target` has the focus, as a keyboard user would."""
    if _has_focus(target):
        return
    key = "Shift+Tab" if back else "Tab"
    for _ in range(TAB_LIMIT):
        page.keyboard.press(key)
        if _has_focus(target):
            return
    pytest.fail(f"{TAB_LIMIT} presses of {key} never reached the control")


def _press(page: Page, target: Locator, key: str = "Enter") -> None:
    """Tab to `target` and press `key` on it."""
    _tab_to(page, target)
    page.keyboard.press(key)


def _choose_radio(page: Page, group: Locator, label: str) -> None:
    """Tab into a radio group that has no choice yet (its first radio is the Tab stop), then pick `label` with the
    arrow keys (Space for the first, which the arrows would skip)."""
    radios = group.get_by_role("radio")
    names = [str(name).strip() for name in radios.evaluate_all("rs => rs.map(r => r.labels[0].textContent)")]
    index = next(i for i, name in enumerate(names) if name.endswith(label))
    _tab_to(page, radios.first)
    if index == 0:
        page.keyboard.press("Space")
    for _ in range(index):
        page.keyboard.press("ArrowDown")
    expect(radios.nth(index)).to_be_checked()
    expect(radios.nth(index)).to_be_focused()


def _type_into(page: Page, field: Locator, text: str) -> None:
    """Tab to a text field or a select and type: a closed select picks the option its text starts with."""
    _tab_to(page, field)
    page.keyboard.type(text)


def _question(page: Page, number: int) -> Locator:
    return page.get_by_role("region", name=f"Question {number}", exact=True)


def _no_page_problems(page: Page) -> None:
    assert problems_of(page).csp_violations == []
    assert problems_of(page).page_errors == []


def _fits(page: Page) -> None:
    """The page does not scroll sideways (on a phone, its 375 px)."""
    width = int(page.evaluate("document.documentElement.scrollWidth"))
    viewport = page.viewport_size or PHONE
    assert width <= viewport["width"], f"{page.url} is {width} px wide in a {viewport['width']} px window"


def _wait_for_the_editor(editor: Locator) -> None:
    """Until Trix has taken over the <trix-editor> (its script is deferred), typing there goes nowhere."""
    expect(editor).to_have_attribute("contenteditable", "")


def _paused_clock(page: Page) -> None:
    """Put the page's timers under the test's control: they fire only when the test runs the clock."""
    page.clock.install()
    page.clock.pause_at(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=1))


def _answers(attempt: Attempt) -> dict[int, QuestionAnswer]:
    return {answer.slot: answer for answer in attempt.answers.select_related("question_version")}


# --- 1. a timed quiz of every type, by keyboard ---------------------------------------------------------------------


@pytest.fixture
def every_type(world: World) -> EveryTypeQuiz:
    return quiz_of_every_type(world)


def test_a_learner_takes_a_timed_quiz_of_every_type_by_keyboard_and_reads_the_review(
    world: World, every_type: EveryTypeQuiz, page: Page
) -> None:
    course = every_type.quiz_world.course
    sign_in(page, world.learner.user.email, PASSWORD)
    _paused_clock(page)
    page.goto(url("catalog:activity", course.pk, every_type.uid))
    expect(page.get_by_role("heading", level=1)).to_have_text("Fire quiz")
    expect(page.get_by_role("region", name="Rules")).to_contain_text("Time limit: 30 minutes.")
    _press(page, page.get_by_role("button", name="Start the quiz"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Attempt 1 page 1 of 3")
    attempt = Attempt.objects.get(course=course, user=world.learner.user)
    assert attempt.deadline is not None
    expect(page.locator("[data-quiz-timer-text]")).to_have_text(re.compile(r"^(30:00|29:5\d)$"))

    # Page 1: single (right), multiple (half right), true/false (wrong), short answer, numerical.
    _choose_radio(page, _question(page, 1), "North door")
    _press(page, _question(page, 2).get_by_role("checkbox", name="Heat"), "Space")
    expect(_question(page, 2).get_by_role("checkbox", name="Heat")).to_be_checked()
    _choose_radio(page, _question(page, 3), "False")
    _type_into(page, _question(page, 4).get_by_role("textbox", name="Answer"), "Madagascar")
    _type_into(page, _question(page, 5).get_by_role("textbox", name="Answer"), "7.1")
    # Back to question 4 with Shift+Tab, to put the better answer.
    short = _question(page, 4).get_by_role("textbox", name="Answer")
    _tab_to(page, short, back=True)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("zanzibar")

    # Autosave posts the page after 20 seconds of the page's clock, and says when.
    page.clock.run_for(AUTOSAVE_MS)
    expect(page.locator("[data-quiz-saved]")).to_have_text(re.compile(r"^Saved at \d\d:\d\d$"))
    saved = _answers(attempt)
    assert saved[4].response == {"text": "zanzibar"} and saved[4].state == AnswerState.SAVED
    assert saved[1].state == AnswerState.SAVED

    _press(page, page.get_by_role("button", name="Next page"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Attempt 1 page 2 of 3")
    nav = page.get_by_role("navigation", name="Questions")
    for number in range(1, 6):
        expect(nav.get_by_role("button", name=f"Question {number}: Answer saved")).to_be_visible()
    expect(nav.get_by_role("button", name="Question 6: Not yet answered")).to_be_visible()

    # Page 2: matching, ordering, select missing words, drag into text, cloze. A closed select picks the option
    # whose text starts with what is typed (a space would open its list instead: "a" is enough for "a blanket").
    matching = _question(page, 6)
    ordering = _question(page, 7)
    gaps = _question(page, 8)
    drag = _question(page, 9)
    cloze = _question(page, 10)
    right_order = ["Raise the alarm", "Leave the building", "Gather outside"]
    selects = [
        (matching.get_by_role("combobox", name="Wood fire"), "Water", "Water"),
        (matching.get_by_role("combobox", name="Electrical fire"), "CO2", "CO2"),
        *((ordering.get_by_role("combobox", name=f"Position of {item}"), str(position), str(position))
          for position, item in enumerate(right_order, start=1)),
        (gaps.get_by_role("combobox", name="Gap 1 of 3"), "heat", "heat"),
        (gaps.get_by_role("combobox", name="Gap 2 of 3"), "fuel", "fuel"),
        (gaps.get_by_role("combobox", name="Gap 3 of 3"), "a", "a blanket"),
        (drag.get_by_role("combobox", name="Gap 1 of 2"), "the", "the (once)"),
        (drag.get_by_role("combobox", name="Gap 2 of 2"), "my", "my"),
    ]  # fmt: skip
    for select, typed, chosen in selects:
        _type_into(page, select, typed)
        expect(select.locator("option:checked")).to_have_text(chosen)
    _type_into(page, cloze.get_by_role("textbox", name="Answer 1"), "Quimper")
    _type_into(page, cloze.get_by_role("textbox", name="Answer 2"), "4.75")
    _type_into(page, cloze.get_by_role("combobox", name="Answer 3"), "Crimson")
    expect(cloze.get_by_role("combobox", name="Answer 3").locator("option:checked")).to_have_text("Crimson")

    _press(page, page.get_by_role("button", name="Next page"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Attempt 1 page 3 of 3")

    # Page 3: calculated (its values drawn for this attempt are in the text), essay, description.
    room = _question(page, 11)
    sizes = re.search(r"A room is (\d+) m by (\d+) m", room.inner_text())
    assert sizes is not None
    _type_into(page, room.get_by_role("textbox", name="Answer"), str(int(sizes[1]) * int(sizes[2])))
    _type_into(page, _question(page, 12).get_by_role("textbox", name="Your answer"), "Down the north stairs.")
    expect(page.get_by_role("region", name="Information")).to_contain_text("Read the following questions carefully.")

    # Back one page: what was chosen there is as it was left, and said to be saved.
    _press(page, page.get_by_role("button", name="Previous page"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Attempt 1 page 2 of 3")
    expect(_question(page, 10).locator(".quiz-question-state")).to_have_text("Answer saved")
    expect(_question(page, 10).get_by_role("textbox", name="Answer 1")).to_have_value("Quimper")
    expect(nav.get_by_role("button", name="Question 11: Answer saved")).to_be_visible()
    expect(nav.get_by_role("button", name="Question 12: Answer saved")).to_be_visible()

    _press(page, page.get_by_role("button", name="Finish attempt…").first)
    expect(page).to_have_url(path_is("assessment:attempt-summary", attempt.public_id))
    expect(page.get_by_role("heading", level=1)).to_have_text("Summary of attempt 1")
    summary = page.get_by_role("table")
    expect(summary.get_by_role("row")).to_have_count(13)  # the header and the twelve numbered questions
    expect(summary.get_by_role("row", name="Question 12")).to_contain_text("Answer saved")
    expect(page.get_by_role("main").get_by_role("status")).to_have_count(0)  # nothing left unanswered

    _press(page, page.get_by_role("button", name="Submit all and finish"))
    expect(page).to_have_url(path_is("assessment:attempt-review", attempt.public_id))
    expect(page.get_by_role("heading", level=1)).to_have_text("Review of attempt 1")
    expect(page.locator(".messages")).to_contain_text(SUBMITTED)

    # 1 + 0.5 + 0 + 1 (case-insensitive) + 1 (within the tolerance) + 1 x 6 = 9.5 of 12; the essay waits.
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Waiting for grading")
    expect(facts).to_contain_text("9.5 / 12")
    expect(facts).not_to_contain_text("Grade")
    expected = {
        1: ("Correct", "Mark 1 "), 2: ("Partially correct", "Mark 0.5 "), 3: ("Incorrect", "Mark 0 "),
        4: ("Correct", "Mark 1 "), 5: ("Correct", "Mark 1 "), 6: ("Correct", "Mark 1 "), 7: ("Correct", "Mark 1 "),
        8: ("Correct", "Mark 1 "), 9: ("Correct", "Mark 1 "), 10: ("Correct", "Mark 1 "), 11: ("Correct", "Mark 1 "),
        12: ("Requires grading", ""),
    }  # fmt: skip
    for number, (state, mark) in expected.items():
        info = _question(page, number).locator(".quiz-question-info")
        expect(info.locator(".quiz-question-state")).to_have_text(state)
        expect(info).to_contain_text(f"{mark}· Marked out of 1" if mark else "Marked out of 1")
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.NEEDS_GRADING
    assert attempt.marks == Decimal("9.5") and attempt.max_marks == Decimal("12")

    # Once the essay is graded (full marks), the review has the grade: 10.5 / 12 = 87.5 %, above the pass mark.
    essay = _answers(attempt)[12]
    attempt_services.answer_grade(answer=essay, mark="1", comment="<p>Clear route.</p>", by=world.instructor.user)
    page.reload()
    expect(facts).to_contain_text("10.5 / 12")
    expect(facts).to_contain_text("87.5 % · Passed")
    _no_page_problems(page)


# --- 2. the timer -------------------------------------------------------------------------------------------------


def test_when_time_runs_out_the_page_submits_the_attempt_with_what_was_saved_in_time(world: World, page: Page) -> None:
    made = quiz_with(world, ["truefalse", "shortanswer"], time_limit_minutes=1)
    course = made.quiz_world.course
    sign_in(page, world.learner.user.email, PASSWORD)
    _paused_clock(page)
    page.goto(url("catalog:activity", course.pk, made.uid))
    _press(page, page.get_by_role("button", name="Start the quiz"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Attempt 1 page 1 of 2")
    attempt = Attempt.objects.get(course=course, user=world.learner.user)
    expect(page.locator("[data-quiz-timer-text]")).to_have_text(re.compile(r"^(1:00|0:5\d)$"))
    _choose_radio(page, _question(page, 1), "True")

    # Five seconds are left when the next page is drawn (its countdown starts from there)...
    Attempt.objects.filter(pk=attempt.pk).update(deadline=clock.now() + dt.timedelta(seconds=5))
    _press(page, page.get_by_role("button", name="Next page"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Attempt 1 page 2 of 2")
    timer = page.locator("[data-quiz-timer]")
    expect(timer.locator("[data-quiz-timer-text]")).to_have_text(re.compile(r"^0:0[0-5]$"))
    expect(timer).to_have_class(re.compile(r"\bquiz-timer-low\b"))
    _type_into(page, _question(page, 2).get_by_role("textbox", name="Answer"), "Zanzibar")

    # ...and they pass, on the server (its deadline, beyond the grace period) and on the page's clock, before the
    # answer of question 2 was saved: the countdown reaches zero and submits the page for the server to close.
    Attempt.objects.filter(pk=attempt.pk).update(deadline=clock.now() - dt.timedelta(minutes=1))
    page.clock.run_for(6_000)

    expect(page).to_have_url(path_is("assessment:attempt-review", attempt.public_id))
    expect(page.locator(".messages")).to_contain_text(attempt_services.TIME_UP)
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Finished · submitted when time ran out")
    expect(facts).to_contain_text("1 / 2")
    expect(_question(page, 1).locator(".quiz-question-state")).to_have_text("Correct")
    expect(_question(page, 2).locator(".quiz-question-state")).to_have_text("Not answered")
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FINISHED and attempt.submitted_late
    assert _answers(attempt)[2].response in ({}, None)
    _no_page_problems(page)


def test_a_learner_back_after_the_deadline_finds_the_attempt_submitted(world: World, page: Page) -> None:
    made = quiz_with(world, ["truefalse"], time_limit_minutes=10)
    attempt = made.quiz_world.start(made.quiz, now=clock.now())
    attempt_services.attempt_save(
        attempt=attempt, responses={1: {"answer": False}}, by=world.learner.user, now=clock.now()
    )
    Attempt.objects.filter(pk=attempt.pk).update(deadline=clock.now() - dt.timedelta(minutes=1))
    sign_in(page, world.learner.user.email, PASSWORD)

    page.goto(url("assessment:attempt", attempt.public_id))

    expect(page).to_have_url(path_is("assessment:attempt-review", attempt.public_id))
    expect(page.locator(".messages")).to_contain_text(attempt_services.TIME_UP)
    expect(page.locator("dl.facts")).to_contain_text("submitted when time ran out")
    expect(_question(page, 1).locator(".quiz-question-state")).to_have_text("Incorrect")
    page.goto(url("catalog:activity", made.quiz_world.course.pk, made.uid))
    expect(page.get_by_role("button", name="Start a new attempt")).to_be_visible()


# --- 3. grading an essay --------------------------------------------------------------------------------------------


def test_an_instructor_grades_an_essay_by_keyboard_and_the_learner_sees_the_mark(
    world: World, open_page: OpenPage
) -> None:
    made = quiz_with(world, ["truefalse", "essay"], pass_mark=PASS_MARK)
    course = made.quiz_world.course
    essay_text = "Leave by the north stairs, close the doors behind you and gather on the lawn."
    attempt = made.quiz_world.take(made.quiz, {1: {"answer": True}, 2: {"text": essay_text}}, now=clock.now())
    assert attempt.state == AttemptState.NEEDS_GRADING
    page = open_page()
    sign_in(page, world.instructor.user.email, PASSWORD)

    page.goto(url("assessment:grading", course.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text("Grading: Fire safety")
    group = page.get_by_role("region", name="Evacuation")
    expect(group.get_by_role("row", name=re.compile("Lena Learner"))).to_contain_text("Requires grading")
    _press(page, page.get_by_role("link", name="Start grading"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Grade: Evacuation")
    expect(page.get_by_role("region", name="The learner's response")).to_contain_text(essay_text)
    expect(page.get_by_role("region", name="Information for graders")).to_contain_text("Look for the route.")
    mark = page.get_by_role("textbox", name="Mark")
    _type_into(page, mark, "0.75")
    comment = page.locator("trix-editor")
    _wait_for_the_editor(comment)
    _tab_to(page, comment)
    page.keyboard.type("Good route; say where to gather.")
    expect(page.locator("textarea[data-richtext-source]")).to_have_value(re.compile("Good route; say where to gather."))
    _press(page, page.get_by_role("button", name="Save and next"))

    # Nothing else waits: back to the queue, which says so.
    expect(page).to_have_url(path_is("assessment:grading", course.pk))
    expect(page.locator(".messages")).to_contain_text("The grade is saved.")
    expect(page.locator(".messages")).to_contain_text("Nothing else waits for grading here.")
    expect(page.get_by_role("main")).to_contain_text("Nothing waits for grading.")
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FINISHED and attempt.marks == Decimal("1.75")
    _no_page_problems(page)

    learner_page = open_page()
    sign_in(learner_page, world.learner.user.email, PASSWORD)
    learner_page.goto(url("assessment:attempt-review", attempt.public_id))
    essay = _question(learner_page, 2)
    expect(essay.locator(".quiz-question-state")).to_have_text("Graded")
    expect(essay.locator(".quiz-question-info")).to_contain_text("Mark 0.75 · Marked out of 1")
    expect(essay.locator(".quiz-comment")).to_contain_text("Good route; say where to gather.")
    facts = learner_page.locator("dl.facts")
    expect(facts).to_contain_text("1.75 / 2")
    expect(facts).to_contain_text("87.5 % · Passed")
    _no_page_problems(learner_page)


# --- 4. writing and importing questions -----------------------------------------------------------------------------


def test_an_author_writes_a_multiple_choice_question_and_previews_it(world: World, page: Page) -> None:
    quiz_world = make_quiz_world(world)
    sign_in(page, world.instructor.user.email, PASSWORD)
    page.goto(url("assessment:course-bank", quiz_world.course.pk))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fire safety")
    expect(page.get_by_role("main")).to_contain_text("No question here yet.")

    page.get_by_text("New question", exact=True).click()
    page.get_by_role("link", name="Multiple choice (one answer)", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New question: Multiple choice (one answer)")
    page.get_by_role("textbox", name="Question name").fill("Exit route")
    text = page.locator("trix-editor").first
    _wait_for_the_editor(text)
    text.click()
    page.keyboard.type("Which way out in a fire?")
    first = page.get_by_role("group", name="Option 1", exact=True)
    first.get_by_role("textbox", name="Text").fill("The stairs")
    first.get_by_role("combobox", name="Grade").select_option(label="100%")
    first.get_by_role("textbox", name="Feedback").fill("Yes: never the lift.")
    second = page.get_by_role("group", name="Option 2", exact=True)
    second.get_by_role("textbox", name="Text").fill("The lift")
    # The whole sentence synced into the form before it is sent (unescaped, "fire?" matched "fir" too).
    synced = re.compile(re.escape("Which way out in a fire?"))
    expect(page.locator("textarea[data-richtext-source]").first).to_have_value(synced)
    page.get_by_role("button", name="Save and preview").click()

    # Saving validates the question and draws its preview: slower than the default wait on a loaded CI runner.
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview Exit route", timeout=20_000)
    expect(page.locator(".messages")).to_contain_text("The question Exit route was created.")
    question = Question.objects.get(bank=quiz_world.bank, qtype="single")
    expect(page).to_have_url(path_is("assessment:question-preview", question.pk))
    form = page.locator("form.question-preview")
    expect(form).to_contain_text("Which way out in a fire?")
    # Nothing of the grading shows before the check.
    expect(form).not_to_contain_text("never the lift")
    form.get_by_role("radio", name="The stairs").check()
    form.get_by_role("button", name="Check").click()

    result = page.get_by_role("status").filter(has_text="Mark")
    expect(result.get_by_role("heading", level=2)).to_have_text("Correct")
    expect(result).to_contain_text("Mark 1.00 out of 1 (fraction 1).")
    expect(result).to_contain_text("The right answer: The stairs")
    expect(page.locator("form.question-preview")).to_contain_text("Yes: never the lift.")
    # The check saved nothing: still one version, no attempt.
    assert question.versions.count() == 1 and not Attempt.objects.exists()
    _no_page_problems(page)


def test_an_author_imports_a_gift_file_after_a_dry_run_that_shows_the_broken_line(world: World, page: Page) -> None:
    quiz_world = make_quiz_world(world)
    quiz_world.make_question("truefalse", "Smoke", EVERY_TYPE["truefalse"][2], EVERY_TYPE["truefalse"][1])
    sign_in(page, world.instructor.user.email, PASSWORD)
    page.goto(url("assessment:bank", quiz_world.bank.pk))
    page.get_by_role("main").get_by_role("link", name="Import", exact=True).click()
    expect(page).to_have_url(path_is("assessment:bank-import", quiz_world.bank.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text("Import questions")

    page.get_by_role("button", name="File", exact=True).set_input_files(
        {"name": "quiz.gift", "mimeType": "text/plain", "buffer": GIFT_WITH_AN_ERROR}
    )
    page.get_by_role("combobox", name="Format").select_option("gift")
    page.get_by_role("button", name="Upload and check").click()

    dry_run = page.get_by_role("region", name="Dry run")
    expect(dry_run.get_by_role("status")).to_contain_text("quiz.gift read as GIFT.")
    # The broken question cannot even be read: it is a problem of the file, not a question with errors.
    expect(dry_run.get_by_role("status")).to_contain_text("2 can be imported, 0 with errors.")
    expect(dry_run.get_by_role("status")).to_contain_text("The file also has 1 problem, listed below")
    problems = dry_run.get_by_role("table", name="Problems of the file")
    expect(problems.get_by_role("row").nth(1)).to_contain_text(f"line {GIFT_ERROR_LINE}")
    expect(problems).to_contain_text(GIFT_ERROR)
    expect(dry_run.get_by_role("button", name="Import all")).to_be_disabled()
    assert Question.objects.filter(bank=quiz_world.bank).count() == 1  # a dry run saves nothing

    dry_run.get_by_role("button", name="Import the 2 valid ones").click()

    expect(page).to_have_url(path_is("assessment:bank", quiz_world.bank.pk))
    expect(page.locator(".messages")).to_contain_text("Imported 2 new question(s) and 0 new version(s); 1 left out.")
    questions = page.get_by_role("table", name="Questions")
    for name in ("Smoke", "Water", "Capital"):
        expect(questions.get_by_role("link", name=name, exact=True)).to_be_visible()
    assert sorted(Question.objects.filter(bank=quiz_world.bank).values_list("name", flat=True)) == [
        "Capital",
        "Smoke",
        "Water",
    ]
    _no_page_problems(page)


def test_every_question_type_passes_axe_while_answered_and_in_the_review_on_a_desktop_and_a_phone(
    world: World, every_type: EveryTypeQuiz, open_page: OpenPage
) -> None:
    """The pages of the quiz of every type (their selects, inline cloze fields, the review's marks, feedback and
    right answers), which the shared pages in scope do not all hold."""
    now = clock.now()
    attempt = every_type.quiz_world.start(every_type.quiz, now=now)
    responses = {
        slot: demo.response_for(
            answer.question_version.qtype,
            version_as_question(answer.question_version),
            answer.variant or {},
            demo.PARTIAL,
            essay=None,
        )
        for slot, answer in _answers(attempt).items()
    }
    saved = attempt_services.attempt_save(
        attempt=attempt,
        responses={slot: response for slot, response in responses.items() if response is not None},
        by=world.learner.user,
        now=now,
    )
    assert not saved.errors, saved.errors
    pages = [open_page(bypass_csp=True), open_page(phone=True, bypass_csp=True)]
    for page in pages:
        sign_in(page, world.learner.user.email, PASSWORD)
        for number in (1, 2, 3):
            page.goto(url("assessment:attempt", attempt.public_id) + f"?page={number}")
            expect(page.get_by_role("heading", level=1)).to_have_text(f"Attempt 1 page {number} of 3")
            axe_check(page)
            _fits(page)

    attempt_services.attempt_submit(attempt=attempt, by=world.learner.user, now=now)
    for page in pages:
        page.goto(url("assessment:attempt-review", attempt.public_id))
        expect(_question(page, 2).locator(".quiz-question-state")).to_have_text("Partially correct")
        expect(page.get_by_role("main")).to_contain_text("The correct answer is:")
        axe_check(page)
        _fits(page)


# --- 5. accessibility, on a desktop (test_admin.py, over PAGES_IN_SCOPE) and on a phone (here) ---------------------

# The assessment entries of PAGES_IN_SCOPE: test_admin.py runs axe over each on a desktop, test_shell.py loads
# each under the CSP; here each is checked on a phone.
ASSESSMENT_PAGES = (
    "question banks",
    "question bank of a course",
    "new multiple-choice question",
    "new question with errors",
    "question editor",
    "question preview",
    "question preview after a check",
    "question import",
    "question import dry run",
    "quiz in the player",
    "quiz attempt",
    "quiz attempt summary",
    "quiz attempt review",
    "quiz attempt review by the course team",
    "quiz results",
    "grading queue",
    "grading an answer",
    "quiz overrides",
    "regrade a question",
)


def test_every_assessment_page_is_in_scope_of_the_shared_browser_checks() -> None:
    assert set(ASSESSMENT_PAGES) <= set(PAGES_IN_SCOPE)


@pytest.mark.parametrize("name", ASSESSMENT_PAGES)
def test_assessment_page_passes_axe_and_fits_a_phone(
    world: World, two_org_person: Membership, open_page: OpenPage, name: str
) -> None:
    phone = open_page(phone=True, bypass_csp=True)
    open_page_in_scope(phone, name, world, two_org_person)

    axe_check(phone)
    _fits(phone)
