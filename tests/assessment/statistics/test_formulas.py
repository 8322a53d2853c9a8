"""Every formula of item_statistics.py against a fixture worked out by hand (no database).

Five attempts × three questions, each worth 1 mark:

    attempt  Q1  Q2  Q3  total
    A         1   1   1    3
    B         1   1   0    2
    C         1   0   1    2
    D         0   1   0    1
    E         0   0   0    0

Totals: mean 1.6, median 2, deviations 1.4 .4 .4 −.6 −1.6.
Σd² = 5.2, Σd³ = −1.44, Σd⁴ = 10.576; SD = sqrt(5.2/4) = 1.140175 (38.0058 % of 3).
m2 = 1.04, m3 = −.288, m4 = 2.1152; k2 = 5·1.04/4 = 1.3; k3 = 25·(−.288)/12 = −.6; skewness = −.6/1.3^1.5 = −.404796;
k4 = 25·(6·2.1152 − 12·1.0816)/24 = −.3; kurtosis = −.3/1.69 = −.177515.
Each question's marks have variance .3 (Σ = .9): alpha = 100·3/2·(1 − .9/1.3) = 46.1538 %;
error ratio = 100·sqrt(1 − .461538) = 73.3799 %; standard error = 73.3799 × 38.0058 / 100 = 27.8886 %.

Q1: x = 1 1 1 0 0 (mean .6), rest = 2 1 1 1 0 (mean 1, variance .5); C(x, rest) = (.4 + .6)/4 = .25;
    D = 100·.25/sqrt(.3·.5) = 64.5497; sorted: x 0 0 1 1 1, rest 0 1 1 1 2 → C_max = .25 → efficiency 100;
    C(x, total) = 2.2/4 = .55.
Q2: x = 1 1 0 1 0, rest = 2 1 2 0 0 (variance 1); C(x, rest) = 0 → D = 0, efficiency 0 (C_max = .5);
    C(x, total) = 1.2/4 = .3.
Q3: x = 1 0 1 0 0 (mean .4), rest = 2 2 1 1 0 (mean 1.2, variance .7); C(x, rest) = .6/4 = .15;
    D = 15/sqrt(.21) = 32.7327; sorted rest 0 1 1 2 2 → C_max = 1.6/4 = .4 → efficiency 37.5; C(x, total) = .45.
(.55 + .3 + .45 = 1.3 = V(total).) Effective weights: sqrt(.55), sqrt(.3), sqrt(.45) over their sum 1.960163 →
37.8347, 27.9428, 34.2226. Facility 60, 60, 40; SD of each 100·sqrt(.3) = 54.7723; intended weight 33.3333.
"""

from __future__ import annotations

import math

import pytest

from syllabus.assessment import item_statistics as stats
from syllabus.assessment.item_statistics import Answer

MARKS = {
    1: (1, 1, 1),
    2: (1, 1, 0),
    3: (1, 0, 1),
    4: (0, 1, 0),
    5: (0, 0, 0),
}


def fixture_answers(marks: dict[int, tuple[int, ...]] = MARKS) -> list[Answer]:
    return [
        Answer(attempt=attempt, slot=slot, question=10 + slot, version=100 + slot, mark=float(m), max_mark=1.0)
        for attempt, row in marks.items()
        for slot, m in enumerate(row, start=1)
    ]


def approx(value: float) -> object:
    return pytest.approx(value, abs=1e-4)


def test_the_quiz_figures_match_the_hand_computation() -> None:
    quiz, _rows = stats.compute(fixture_answers())
    assert quiz.attempts == 5
    assert quiz.max_marks == 3
    assert quiz.mean == approx(160 / 3)
    assert quiz.median == approx(200 / 3)
    assert quiz.sd == approx(38.0058)
    assert quiz.skewness == approx(-0.404796)
    assert quiz.kurtosis == approx(-0.177515)
    assert quiz.alpha == approx(46.1538)
    assert quiz.error_ratio == approx(73.3799)
    assert quiz.standard_error == approx(27.8886)
    # 0 %, 33 %, 67 % twice, 100 %: bands [0, 10), [30, 40), [60, 70), [90, 100].
    assert quiz.distribution == [1, 0, 0, 1, 0, 0, 2, 0, 0, 1]


def test_each_question_matches_the_hand_computation() -> None:
    guesses = {101: 0.5, 102: 1 / 3, 103: None}
    _quiz, rows = stats.compute(fixture_answers(), guesses=guesses)
    q1 = rows[0]
    assert [r.slot for r in rows] == [1, 2, 3] and not any(r.is_slot_total for r in rows)
    assert (q1.question, q1.version, q1.count) == (11, 101, 5)
    assert [r.facility for r in rows] == [approx(60), approx(60), approx(40)]
    assert [r.sd for r in rows] == [approx(54.7723)] * 3
    assert [r.intended_weight for r in rows] == [approx(100 / 3)] * 3
    assert [r.discrimination for r in rows] == [approx(64.5497), approx(0), approx(32.7327)]
    assert [r.discriminative_efficiency for r in rows] == [approx(100), approx(0), approx(37.5)]
    assert [r.effective_weight for r in rows] == [approx(37.8347), approx(27.9428), approx(34.2226)]
    assert [r.random_guess for r in rows] == [approx(50), approx(100 / 3), None]


def test_the_building_blocks() -> None:
    assert stats.median([3, 1, 2, 2]) == 2
    assert stats.median([5, 1, 3]) == 3
    assert stats.covariance([1, 1, 1, 0, 0], [2, 1, 1, 1, 0]) == approx(0.25)
    assert stats.variance([1.0]) is None
    assert stats.facility([0.5, 1.0], [1.0, 2.0]) == approx(50)
    assert stats.effective_weights([0.55, 0.3, 0.45]) == [approx(37.8347), approx(27.9428), approx(34.2226)]
    # A slot moving against the total has no effective weight; the others share 100.
    assert stats.effective_weights([0.25, -0.1, None, 0.25]) == [approx(50), None, None, approx(50)]
    assert stats.effective_weights([0.0, 0.0]) == [None, None]
    assert stats.error_ratio(46.1538) == approx(73.3799)
    assert stats.error_ratio(120.0) is None
    assert stats.standard_error(50.0, 20.0) == approx(10)
    assert stats.distribution([0, 9.99, 10, 99.9, 100, 130, -5]) == [3, 1, 0, 0, 0, 0, 0, 0, 0, 3]


def test_one_attempt_leaves_every_spread_undefined() -> None:
    quiz, rows = stats.compute(fixture_answers({1: (1, 0, 1)}))
    assert quiz.attempts == 1 and quiz.mean == approx(200 / 3) and quiz.median == approx(200 / 3)
    assert quiz.sd is None and quiz.skewness is None and quiz.kurtosis is None
    assert quiz.alpha is None and quiz.error_ratio is None and quiz.standard_error is None
    for row in rows:
        assert row.sd is None and row.discrimination is None and row.discriminative_efficiency is None
        assert row.effective_weight is None
    assert [r.facility for r in rows] == [approx(100), approx(0), approx(100)]


def test_everyone_right_gives_no_discrimination_and_no_shape_but_never_nan() -> None:
    quiz, rows = stats.compute(fixture_answers(dict.fromkeys(range(1, 5), (1, 1, 1))))
    assert quiz.sd == approx(0)
    assert quiz.skewness is None and quiz.kurtosis is None and quiz.alpha is None
    for row in rows:
        assert row.facility == approx(100) and row.sd == approx(0)
        assert row.discrimination is None and row.discriminative_efficiency is None and row.effective_weight is None
    for value in quiz.as_dict().values():
        assert not (isinstance(value, float) and math.isnan(value))


def test_two_and_three_attempts_stop_where_moodle_stops() -> None:
    two, _ = stats.compute(fixture_answers({1: (1, 1, 0), 2: (0, 0, 0)}))
    assert two.sd is not None and two.skewness is None and two.alpha is None
    three, _ = stats.compute(fixture_answers({1: (1, 1, 0), 2: (0, 0, 0), 3: (1, 0, 0)}))
    # Skewness and alpha from three attempts, kurtosis from four.
    assert three.skewness is not None and three.alpha is not None and three.kurtosis is None


def test_nothing_counted_gives_empty_figures() -> None:
    quiz, rows = stats.compute([])
    assert quiz.attempts == 0 and quiz.mean is None and rows == []


def test_a_random_slot_has_its_total_row_and_a_row_per_question_drawn() -> None:
    """Slot 3 drew question 13 in attempts A–C and question 14 in D–E (marks as in the fixture)."""
    answers = [
        a if a.slot != 3 or a.attempt <= 3 else Answer(a.attempt, 3, 14, 104, a.mark, a.max_mark)
        for a in fixture_answers()
    ]
    _quiz, rows = stats.compute(answers, guesses={103: 0.5, 104: 0.25})
    assert [(r.slot, r.question, r.is_slot_total, r.count) for r in rows] == [
        (1, 11, False, 5),
        (2, 12, False, 5),
        (3, 13, True, 5),
        (3, 13, False, 3),
        (3, 14, False, 2),
    ]
    total, drawn13, drawn14 = rows[2:]
    # The slot as a whole is the fixture's Q3.
    assert total.discrimination == approx(32.7327) and total.effective_weight == approx(34.2226)
    # Question 13: x = 1 0 1, rest = 2 2 1 → facility 66.67; C = (1/3·1 − 2/3·(2/3)... ) worked: x̄ = 2/3,
    # rest mean 5/3, deviations x (1/3, −2/3, 1/3), rest (1/3, 1/3, −2/3) → C = (1/9 − 2/9 − 2/9)/2 = −1/6;
    # V(x) = V(rest) = (1/9 + 4/9 + 1/9)/2 = 1/3 → D = −(1/6)/(1/3) = −50.
    assert drawn13.facility == approx(200 / 3)
    assert drawn13.discrimination == approx(-50)
    # Question 14 was wrong both times: no spread, no discrimination; only slots get an effective weight.
    assert drawn14.facility == approx(0) and drawn14.discrimination is None
    assert drawn13.effective_weight is None and drawn14.effective_weight is None
    # The slot's guess: the drawn questions' guesses weighted by how often each was drawn (3×50 + 2×25) / 5.
    assert total.random_guess == approx(40)


def test_descriptions_take_no_part_and_the_quiz_maximum_is_the_usual_one() -> None:
    answers = fixture_answers() + [Answer(n, 4, 99, 999, 0.0, 0.0) for n in MARKS]
    quiz, rows = stats.compute(answers)
    assert [r.slot for r in rows] == [1, 2, 3]
    assert quiz.alpha == approx(46.1538)
