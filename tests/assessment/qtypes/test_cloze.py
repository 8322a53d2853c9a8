"""Cloze (embedded answers): Moodle's markup as Moodle's documentation writes it, grading, hostile responses, HTML."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from syllabus.assessment.question_types import base
from syllabus.assessment.question_types import matching_text as mt
from syllabus.assessment.question_types.cloze import markup
from syllabus.assessment.question_types.cloze import qtype as cloze
from syllabus.catalog.richtext import sanitize_html

QTYPE = base.get("cloze")

# The example of Moodle's documentation ("Embedded Answers (Cloze) question type"), as its editor saves it.
MOODLE_EXAMPLE = sanitize_html(
    "<p>This question consists of some text with an answer embedded right here {1:MULTICHOICE:Wrong answer#Feedback "
    "for this wrong answer~Another wrong answer#Feedback for the other wrong answer~=Correct answer#Feedback for "
    "correct answer~%50%Answer that gives half the credit#Feedback for half credit answer} and right after that you "
    "will have to deal with this short answer {1:SHORTANSWER:Wrong answer#Feedback for this wrong answer~=Correct "
    "answer#Feedback for correct answer~%50%Answer that gives half the credit#Feedback for half credit answer} and "
    "finally we have a floating point number {2:NUMERICAL:=23.8:0.1#Feedback for correct answer 23.8~%50%23.8:2#"
    "Feedback for half credit answer in the nearby region of the correct answer}.</p>"
    "<p>Note that addresses like www.moodle.org and smileys :-) all work as normal:</p>"
    "<ol><li>How good is this? {:MULTICHOICE:=Yes#Correct~No#We have a different opinion}</li>"
    "<li>What grade would you give it? {3:NUMERICAL:=3:2}</li></ol><p>Good luck!</p>"
)

# Moodle's documentation, "Format": cities and states, and a short answer with a catch-all.
CITIES = sanitize_html(
    "<p>Match the following cities with the correct state:</p><ul>"
    "<li>San Francisco: {1:MULTICHOICE:=California#OK~Arizona#Wrong}</li>"
    "<li>Tucson: {1:MULTICHOICE:%0%California#Wrong~=Arizona#OK}</li>"
    "<li>Los Angeles: {1:MULTICHOICE:=California#OK~Arizona#Wrong}</li>"
    "<li>Phoenix: {1:MULTICHOICE:%0%California#Wrong~=Arizona#OK}</li></ul>"
    "<p>The capital of France is {1:SHORTANSWER:%100%Paris#Congratulations!~%50%Marseille#No, that is the second "
    "largest city in France (after Paris).~*#Wrong answer. The capital of France is Paris, of course.}.</p>"
)


def question(text: str) -> base.Question:
    return base.Question("cloze", "Cloze", text, "", Decimal(1), QTYPE.clean({}, text=text))


def problems(text: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        QTYPE.clean({}, text=text)
    assert list(caught.value.message_dict) == ["text"]
    return caught.value.message_dict["text"]


def answers_of(part: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(a.get("text", a.get("value")), a.get("tolerance"), a["fraction"], a["feedback"]) for a in part["answers"]]


def choice(q: base.Question, index: int, text: str) -> str:
    part = q.data["parts"][index - 1]
    return next(a["id"] for a in part["answers"] if a["text"] == text)


def graded(q: base.Question, parts: dict[str, dict[str, Any]]) -> base.Grade:
    variant = QTYPE.start(q, random.Random(1))
    return QTYPE.grade(q, variant, QTYPE.clean_response(q, variant, {"parts": parts}))


# --- parsing ------------------------------------------------------------------------------------------------------
def test_moodles_documented_example_parses_into_its_parts() -> None:
    parts = QTYPE.clean({}, text=MOODLE_EXAMPLE)["parts"]
    assert [(p["index"], p["kind"], p["display"], p["weight"]) for p in parts] == [
        (1, "single", "select", 1),
        (2, "shortanswer", "inline", 1),
        (3, "numerical", "inline", 2),
        (4, "single", "select", 1),
        (5, "numerical", "inline", 3),
    ]
    assert answers_of(parts[0]) == [
        ("Wrong answer", None, "0", "Feedback for this wrong answer"),
        ("Another wrong answer", None, "0", "Feedback for the other wrong answer"),
        ("Correct answer", None, "1", "Feedback for correct answer"),
        ("Answer that gives half the credit", None, "0.5", "Feedback for half credit answer"),
    ]
    assert answers_of(parts[2]) == [
        ("23.8", "0.1", "1", "Feedback for correct answer 23.8"),
        ("23.8", "2", "0.5", "Feedback for half credit answer in the nearby region of the correct answer"),
    ]
    assert answers_of(parts[4]) == [("3", "2", "1", "")]
    assert parts[0]["shuffle"] is False and "shuffle" not in parts[1]


def test_the_text_is_stored_with_its_markup() -> None:
    data = QTYPE.clean({}, text=MOODLE_EXAMPLE)
    assert QTYPE.clean_text(MOODLE_EXAMPLE, data) == MOODLE_EXAMPLE


def test_cleaning_twice_gives_the_same_opaque_ids() -> None:
    first = QTYPE.clean({}, text=CITIES)
    assert QTYPE.clean({"parts": "ignored"}, text=CITIES) == first
    ids = [a["id"] for p in first["parts"] for a in p["answers"]]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"c[0-9a-f]{10}", i) for i in ids)


@pytest.mark.parametrize(
    ("name", "kind", "display", "shuffle"),
    [
        ("SHORTANSWER", "shortanswer", "inline", None),
        ("SA", "shortanswer", "inline", None),
        ("MW", "shortanswer", "inline", None),
        ("SHORTANSWER_C", "shortanswer_c", "inline", None),
        ("SAC", "shortanswer_c", "inline", None),
        ("MWC", "shortanswer_c", "inline", None),
        ("NUMERICAL", "numerical", "inline", None),
        ("NM", "numerical", "inline", None),
        ("MULTICHOICE", "single", "select", False),
        ("MC", "single", "select", False),
        ("MULTICHOICE_S", "single", "select", True),
        ("MCS", "single", "select", True),
        ("MULTICHOICE_V", "single", "radio_vertical", False),
        ("MCV", "single", "radio_vertical", False),
        ("MCVS", "single", "radio_vertical", True),
        ("MULTICHOICE_H", "single", "radio_horizontal", False),
        ("MCH", "single", "radio_horizontal", False),
        ("MULTICHOICE_HS", "single", "radio_horizontal", True),
        ("mc", "single", "select", False),
    ],
)
def test_every_moodle_type_name_is_understood(name: str, kind: str, display: str, shuffle: bool | None) -> None:
    part = QTYPE.clean({}, text=f"<p>{{2:{name}:=1~2}}</p>")["parts"][0]
    assert (part["kind"], part["display"], part["weight"], part.get("shuffle")) == (kind, display, 2, shuffle)


def test_escapes_stand_for_the_character_itself() -> None:
    text = r"<p>{1:SHORTANSWER:=a\}b\#c\~d\/e\"f\\g#It is \#1~%50%x\*y}</p>"
    answers = QTYPE.clean({}, text=text)["parts"][0]["answers"]
    assert [(a["text"], a["feedback"]) for a in answers] == [('a}b#c~d/e"f\\g', "It is #1"), ("x\\*y", "")]
    q = question(text)
    assert graded(q, {"1": {"text": 'a}b#c~d/e"f\\g'}}).fraction == 1
    assert graded(q, {"1": {"text": "x*y"}}).fraction == Decimal("0.5")
    assert graded(q, {"1": {"text": "xzy"}}).fraction == 0


def test_html_in_answers_is_read_as_its_text() -> None:
    text = "<p>{1:SA:=<b>AT&amp;T</b>#<em>Yes</em>~It&#39;s#No} and {1:MCV:=&lt;b&gt;~i}</p>"
    parts = QTYPE.clean({}, text=text)["parts"]
    assert answers_of(parts[0]) == [("AT&T", None, "1", "<em>Yes</em>"), ("It's", None, "0", "No")]
    assert parts[1]["answers"][0]["text"] == "<b>"


def test_feedback_html_is_sanitised() -> None:
    feedback = QTYPE.clean({}, text="<p>{1:SA:=x#<b>ok</b><img src=x onerror=alert(1)>}</p>")["parts"][0]
    assert feedback["answers"][0]["feedback"] == "<b>ok</b>"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<p>No gaps here {not markup}.</p>", markup.NO_PARTS),
        ("", markup.NO_PARTS),
        ("<p>{1:SA:=Paris</p>", markup.PART_UNCLOSED.format(n=1, type="SA")),
        ("<p>{1:SA:=Paris and {2:SA:=Lyon}</p>", markup.PART_UNCLOSED.format(n=1, type="SA")),
        ("<p>{1:MULTIRESPONSE:=a~=b}</p>", markup.PART_MULTIRESPONSE.format(n=1, type="MULTIRESPONSE")),
        ("<p>{1:MRH:=a~=b}</p>", markup.PART_MULTIRESPONSE.format(n=1, type="MRH")),
        ("<p>{1:ESSAY:=a}</p>", markup.PART_UNKNOWN_TYPE.format(n=1, type="ESSAY")),
        ("<p>{0:SA:=a}</p>", markup.PART_WEIGHT.format(n=1, type="SA", limit=1000)),
        ("<p>{5000:SA:=a}</p>", markup.PART_WEIGHT.format(n=1, type="SA", limit=1000)),
        ("<p>{1:SA:}</p>", markup.PART_EMPTY_ANSWER.format(n=1, type="SA", m=1)),
        ("<p>{1:SA:=a~}</p>", markup.PART_EMPTY_ANSWER.format(n=1, type="SA", m=2)),
        ("<p>{1:SA:=a~#just feedback}</p>", markup.PART_EMPTY_ANSWER.format(n=1, type="SA", m=2)),
        ("<p>{1:SA:=a~%150%b}</p>", markup.PART_PERCENT.format(n=1, type="SA", m=2)),
        ("<p>{1:SA:=a~%-50%b}</p>", markup.PART_PERCENT.format(n=1, type="SA", m=2)),
        ("<p>{1:SA:=a~%half%b}</p>", markup.PART_PERCENT.format(n=1, type="SA", m=2)),
        ("<p>{1:NM:=twelve}</p>", markup.PART_NUMBER.format(n=1, type="NM", m=1)),
        ("<p>{1:NM:=12:-1}</p>", markup.PART_TOLERANCE.format(n=1, type="NM", m=1)),
        ("<p>{1:NM:=12:x}</p>", markup.PART_TOLERANCE.format(n=1, type="NM", m=1)),
        ("<p>{1:SA:%50%a~b}</p>", markup.PART_FULL_MARKS.format(n=1, type="SA")),
        ("<p>{1:SA:=" + "x" * 256 + "}</p>", markup.PART_ANSWER_TOO_LONG.format(n=1, type="SA", m=1, limit=255)),
        ('<p><a title="{1:SA:=Paris}" href="https://x.test/">link</a></p>', markup.PART_IN_TAG.format(n=1, type="SA")),
        ("<p>{1:SA:=Paris</p><p>Lyon}</p>", markup.PART_SPANS_TAGS.format(n=1, type="SA")),
        ("<p>{1:SA:=<b>Paris}</b></p>", markup.PART_SPANS_TAGS.format(n=1, type="SA")),
    ],
)
def test_markup_problems_name_the_part_and_what_is_wrong(text: str, message: str) -> None:
    assert message in problems(text)


def test_every_problem_is_reported_at_once_with_its_part_number() -> None:
    assert problems("<p>{1:SA:=ok} {1:SA:%50%a} {1:XX:=b} {1:NM:=1:2}</p>") == [
        markup.PART_FULL_MARKS.format(n=2, type="SA"),
        markup.PART_UNKNOWN_TYPE.format(n=3, type="XX"),
    ]


def test_too_many_parts_or_answers_are_refused() -> None:
    assert problems("<p>" + "{1:SA:=a} " * 101 + "</p>") == [markup.TOO_MANY_PARTS.format(limit=100)]
    many = "~".join(f"x{n}" for n in range(51))
    assert problems(f"<p>{{1:MC:={many}}}</p>") == [markup.PART_TOO_MANY_ANSWERS.format(n=1, type="MC", limit=50)]


def test_text_that_only_looks_like_markup_is_left_alone() -> None:
    parts = QTYPE.clean({}, text="<p>Sets {a, b}, times 10:30, a < b, smileys :-) and {1:SA:=x}</p>")["parts"]
    assert len(parts) == 1


# --- variants -----------------------------------------------------------------------------------------------------
def test_only_shuffled_choice_parts_are_shuffled_and_only_when_the_quiz_shuffles() -> None:
    q = question("<p>{1:MCS:=a~b~c~d~e~f} {1:MC:=a~b~c~d~e~f} {1:SA:=x}</p>")
    authored = [[a["id"] for a in p["answers"]] for p in q.data["parts"][:2]]
    orders = [QTYPE.start(q, random.Random(seed))["orders"] for seed in range(20)]
    assert all(set(o) == {"1", "2"} for o in orders)
    assert any(o["1"] != authored[0] for o in orders)
    assert all(sorted(o["1"]) == sorted(authored[0]) for o in orders)
    assert all(o["2"] == authored[1] for o in orders)
    assert QTYPE.start(q, random.Random(3), shuffle=False)["orders"]["1"] == authored[0]
    assert QTYPE.start(q, random.Random(3)) == QTYPE.start(q, random.Random(3))


# --- grading ------------------------------------------------------------------------------------------------------
def test_the_grade_is_the_weighted_mean_of_the_parts() -> None:
    q = question(MOODLE_EXAMPLE)
    result = graded(
        q,
        {
            "1": {"choice": choice(q, 1, "Answer that gives half the credit")},  # 0.5 × 1
            "2": {"text": "correct ANSWER"},  # 1 × 1
            "3": {"value": "25"},  # 0.5 × 2
            "4": {"choice": choice(q, 4, "Yes")},  # 1 × 1
            "5": {"value": "5.5"},  # 0 × 3
        },
    )
    assert result == base.Grade(
        Decimal("0.4375"),
        "partial",
        (
            "Feedback for half credit answer",
            "Feedback for correct answer",
            "Feedback for half credit answer in the nearby region of the correct answer",
            "Correct",
        ),
    )


def test_all_parts_right_is_full_marks_and_unanswered_parts_count_as_wrong() -> None:
    q = question(CITIES)
    right = {str(n): {"choice": choice(q, n, state)} for n, state in ((1, "California"), (2, "Arizona"))}
    right |= {"3": {"choice": choice(q, 3, "California")}, "4": {"choice": choice(q, 4, "Arizona")}}
    assert graded(q, {**right, "5": {"text": "paris"}}).fraction == 1
    assert graded(q, {**right, "5": {"text": "Marseille"}}).fraction == Decimal("0.9")
    assert graded(q, {"5": {"text": "Lyon"}}) == base.Grade(
        Decimal(0), "wrong", ("Wrong answer. The capital of France is Paris, of course.",)
    )
    assert QTYPE.grade(q, {}, {}) == base.Grade(Decimal(0), "gave_up")
    assert graded(q, {"1": right["1"]}).fraction == Decimal("0.2")


def test_fractions_are_rounded_to_the_seven_places_an_answer_stores() -> None:
    q = question("<p>{1:SA:=a} {1:SA:=b} {1:SA:=c}</p>")
    assert graded(q, {"1": {"text": "a"}}).fraction == Decimal("0.3333333")


def test_case_sensitive_parts_and_numerical_tolerance() -> None:
    q = question("<p>{1:SAC:=pH~%50%ph} {1:NM:=3.14:0.01~%50%3:0.5~*#Far}</p>")
    assert graded(q, {"1": {"text": "pH"}, "2": {"value": "3.15"}}).fraction == 1
    assert graded(q, {"1": {"text": "PH"}, "2": {"value": "2.5"}}).fraction == Decimal("0.25")
    assert graded(q, {"2": {"value": "-1e3"}}) == base.Grade(Decimal(0), "wrong", ("Far",))


# --- responses ----------------------------------------------------------------------------------------------------
def test_the_form_post_becomes_the_response() -> None:
    q = question(MOODLE_EXAMPLE)
    variant = QTYPE.start(q, random.Random(1))
    yes = choice(q, 4, "Yes")
    post = QueryDict(f"q1-part-1=&q1-part-2=+Correct++answer&q1-part-3=23,8&q1-part-4={yes}&q1-part-9=x")
    raw = QTYPE.response_from_form(q, variant, post, "q1-")
    assert QTYPE.clean_response(q, variant, raw) == {
        "parts": {"2": {"text": "Correct answer"}, "3": {"value": "23.8"}, "4": {"choice": yes}}
    }
    assert QTYPE.clean_response(q, variant, QTYPE.response_from_form(q, variant, QueryDict(""), "q1-")) == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"parts": ["Paris"]}, cloze.PARTS_NOT_AN_OBJECT),
        ({"parts": {"9": {"text": "x"}}}, cloze.UNKNOWN_PART.format(key="9")),
        ({"parts": {"__proto__": {"text": "x"}}}, cloze.UNKNOWN_PART.format(key="__proto__")),
        ({"parts": {"1": "Correct answer"}}, cloze.PART_NOT_AN_OBJECT.format(n=1)),
        ({"parts": {"1": {"choice": "c0000000000"}}}, cloze.PART_PROBLEM.format(n=1, message=cloze.UNKNOWN_CHOICE)),
        ({"parts": {"1": {"choice": ["x"]}}}, cloze.PART_PROBLEM.format(n=1, message=cloze.UNKNOWN_CHOICE)),
        ({"parts": {"2": {"text": ["x"]}}}, cloze.PART_PROBLEM.format(n=2, message=mt.RESPONSE_NOT_TEXT)),
        (
            {"parts": {"2": {"text": "x" * 1001}}},
            cloze.PART_PROBLEM.format(n=2, message=mt.RESPONSE_TOO_LONG.format(limit=1000)),
        ),
        ({"parts": {"3": {"value": "twenty"}}}, cloze.PART_PROBLEM.format(n=3, message=mt.NOT_A_NUMBER)),
        ({"parts": {"3": {"value": "1,500"}}}, cloze.PART_PROBLEM.format(n=3, message=mt.THOUSANDS_SEPARATOR)),
        ({"parts": {"3": {"value": "23.8 m"}}}, cloze.PART_PROBLEM.format(n=3, message=mt.NUMBER_ONLY)),
    ],
)
def test_hostile_responses_are_refused_naming_the_answer(raw: Any, message: str) -> None:
    q = question(MOODLE_EXAMPLE)
    with pytest.raises(ValidationError) as caught:
        QTYPE.clean_response(q, {}, raw)
    assert caught.value.message_dict == {"parts": [message]}


def test_part_numbers_may_be_given_as_integers() -> None:
    q = question(CITIES)
    assert QTYPE.clean_response(q, {}, {"parts": {5: {"text": "Paris"}}}) == {"parts": {"5": {"text": "Paris"}}}


def test_a_response_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        QTYPE.clean_response(question(CITIES), {}, ["x"])
    assert caught.value.message_dict == {"response": [base.NOT_AN_OBJECT]}


def test_right_answer_and_summary_name_each_answer() -> None:
    q = question(MOODLE_EXAMPLE)
    assert QTYPE.right_answer(q, {}) == (
        "Answer 1: Correct answer; Answer 2: Correct answer; Answer 3: 23.8; Answer 4: Yes; Answer 5: 3"
    )
    response = {"parts": {"1": {"choice": choice(q, 1, "Wrong answer")}, "3": {"value": "24"}}}
    assert QTYPE.summarise_response(q, {}, response) == (
        "Answer 1: Wrong answer; Answer 2: —; Answer 3: 24; Answer 4: —; Answer 5: —"
    )
    assert "Feedback for correct answer 23.8" in QTYPE.search_text(q)


# --- the learner's view -------------------------------------------------------------------------------------------
SECRET_TEXT = sanitize_html(
    "<p>The capital is {1:SHORTANSWER:=Paris#Bravo~%50%Lyon#Close}, the number is {2:NUMERICAL:=42:1#Deep}, "
    "the state is {1:MULTICHOICE_V:=Arizona#Sunny~California#Golden} and {1:MCH:Wrong#Nope~=Right#Yes}.</p>"
)


def render(q: base.Question, response: dict[str, Any], review: base.Review = base.NO_REVIEW, **kw: Any) -> str:
    variant = QTYPE.start(q, random.Random(5))
    grade = QTYPE.grade(q, variant, response) if review != base.NO_REVIEW else None
    ctx = base.RenderContext(
        question=q,
        variant=variant,
        response=response,
        prefix="q4-",
        label_id="q4-label",
        review=review,
        grade=grade,
        **kw,
    )
    return str(QTYPE.render(ctx))


def test_before_grading_the_html_holds_fields_but_no_answer_feedback_or_correctness() -> None:
    q = question(SECRET_TEXT)
    html = render(q, {"parts": {"1": {"text": "Rome"}}})
    assert html.startswith('<div class="qtype qtype-cloze qtype-text" role="group" aria-labelledby="q4-label">')
    assert "<p>The capital is <span" in html and "</span>, the number is <span" in html
    assert 'name="q4-part-1"' in html and 'value="Rome"' in html and 'name="q4-part-2"' in html
    assert html.count('type="radio"') == 4 and html.count('role="radiogroup"') == 2
    for number in (1, 2):
        assert f'<label class="visually-hidden" for="q4-part-{number}">Answer {number}</label>' in html
    assert 'aria-label="Answer 3"' in html and 'aria-label="Answer 4"' in html
    for secret in ("Paris", "Lyon", "42", "Bravo", "Close", "Deep", "Sunny", "Golden", "Nope", "Yes", "correct", "{"):
        assert secret not in html, secret
    assert QTYPE.renders_text is True  # type: ignore[attr-defined]


def test_after_grading_each_answer_shows_its_outcome_feedback_and_right_answer() -> None:
    q = question(SECRET_TEXT)
    response = {"parts": {"1": {"text": "lyon"}, "2": {"value": "41.5"}, "3": {"choice": choice(q, 3, "California")}}}
    html = render(q, response, base.FULL_REVIEW)
    assert 'aria-describedby="q4-part-1-review"' in html
    assert "Partially correct" in html and "Close" in html and "The correct answer is: Paris" in html
    assert "Correct" in html and "Deep" in html and "The correct answer is: 42" in html
    assert "Incorrect" in html and "Golden" in html and "The correct answer is: Arizona" in html
    assert "Not answered" in html and "The correct answer is: Right" in html
    marks_only = render(q, response, base.Review(correctness=True))
    assert "Partially correct" in marks_only and "Close" not in marks_only and "Paris" not in marks_only


def test_a_readonly_view_disables_every_field_and_escapes_responses() -> None:
    q = question(SECRET_TEXT)
    html = render(q, {"parts": {"1": {"text": '"><script>x</script>'}}}, readonly=True)
    assert html.count(" disabled") == 6 and "<script>" not in html


def test_the_chosen_option_is_selected_in_a_select() -> None:
    q = question(MOODLE_EXAMPLE)
    yes = choice(q, 4, "Yes")
    html = render(q, {"parts": {"4": {"choice": yes}}})
    assert f'<option value="{yes}" selected>Yes</option>' in html


def test_the_author_part_explains_the_markup_and_lists_the_parts() -> None:
    html = str(QTYPE.render_author(data=QTYPE.clean({}, text=MOODLE_EXAMPLE), prefix="f-"))
    assert "{1:SHORTANSWER:=Paris#Well done" in html and "<code>\\} \\# \\~ \\/ \\\\</code>" in html
    assert "<td>23.8 ± 0.1 (100%); 23.8 ± 2 (50%)</td>" in html
    assert QTYPE.data_from_form(QueryDict("x=1"), prefix="f-") == {}


# --- through the bank service -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_cloze_question_saved_through_the_service_keeps_its_markup(quiz_world: Any) -> None:
    saved = quiz_world.make_question("cloze", data={}, text=MOODLE_EXAMPLE)
    version = saved.latest
    assert version.text == MOODLE_EXAMPLE
    assert [p["kind"] for p in version.data["parts"]] == ["single", "shortanswer", "numerical", "single", "numerical"]


@pytest.mark.django_db
def test_the_service_reports_markup_problems_on_the_text_field(quiz_world: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        quiz_world.make_question("cloze", data={}, text="<p>{1:SA:=Paris</p>")
    assert caught.value.message_dict["text"] == [markup.PART_UNCLOSED.format(n=1, type="SA")]


# --- regressions ------------------------------------------------------------------------------------------------


def test_the_stored_text_and_feedback_are_sanitised_again_when_rendered() -> None:
    # The pieces of the text and a part's feedback were marked safe as stored: only sanitize_html's output may be.
    clean = question("<p>The capital of France is {1:SHORTANSWER:=Paris#Right}.</p>")
    [part] = clean.data["parts"]
    hostile = {**part, "answers": [{**part["answers"][0], "feedback": "<b>OK</b><img src=x onerror=alert(1)>"}]}
    text = '<p onmouseover="alert(1)">The capital <script>alert(2)</script>is {1:SHORTANSWER:=Paris#Right}.</p>'
    q = base.Question("cloze", "Cloze", text, "", Decimal(1), {"parts": [hostile]})
    response = {"parts": {"1": {"text": "Paris"}}}
    grade = QTYPE.grade(q, {}, response)
    ctx = base.RenderContext(q, {}, response, "q1-", "q1-label", review=base.FULL_REVIEW, grade=grade)
    html = str(QTYPE.render(ctx))
    assert "<b>OK</b>" in html and "The capital is" in html
    assert "script" not in html and "onmouseover" not in html and "onerror" not in html
