"""Rubric, marking-guide and points scoring, against hand-computed examples (no database)."""

from __future__ import annotations

from decimal import Decimal

from syllabus.assessment import rubric_scoring as rs
from tests.assessment.assignment_grading.conftest import GUIDE, RUBRIC


def test_a_rubric_scores_the_chosen_levels_out_of_the_highest_levels() -> None:
    score = rs.score_rubric(RUBRIC, {"c1": {"level": "c1-l2", "remark": " Tidy "}, "c2": {"level": "c2-l2"}})
    assert score.valid
    # 5 + 7.5 out of 10 + 7.5
    assert (score.raw_points, score.max_points) == (Decimal("12.5"), Decimal("17.5"))
    assert score.filling == {"c1": {"level": "c1-l2", "remark": "Tidy"}, "c2": {"level": "c2-l2", "remark": ""}}


def test_a_rubric_accepts_bare_level_ids() -> None:
    score = rs.score_rubric(RUBRIC, {"c1": "c1-l3", "c2": "c2-l1"})
    assert score.valid and score.raw_points == Decimal(12)


def test_every_rubric_criterion_needs_a_level_and_errors_name_it() -> None:
    score = rs.score_rubric(RUBRIC, {"c1": {"level": "c1-l1"}})
    assert score.errors == {"c2": rs.LEVEL_REQUIRED.format(criterion="Evidence")}
    bad = rs.score_rubric(RUBRIC, {"c1": {"level": "c2-l1"}, "c2": {"level": "c2-l1"}})
    assert bad.errors == {"c1": rs.LEVEL_UNKNOWN.format(criterion="Structure")}


def test_a_rubric_refuses_long_remarks_unknown_criteria_and_non_objects() -> None:
    long = rs.score_rubric(RUBRIC, {"c1": {"level": "c1-l1", "remark": "x" * 5001}, "c2": "c2-l1"})
    assert long.errors == {"c1": rs.REMARK_TOO_LONG.format(criterion="Structure", limit="5,000")}
    ok = rs.score_rubric(RUBRIC, {"c1": {"level": "c1-l1", "remark": "x" * 5000}, "c2": "c2-l1"})
    assert ok.valid
    assert "filling" in rs.score_rubric(RUBRIC, {"c1": "c1-l1", "c2": "c2-l1", "c9": "x"}).errors
    assert rs.score_rubric(RUBRIC, ["c1-l1"]).errors == {"filling": rs.FILLING_NOT_OBJECT}
    assert "filling" in rs.score_rubric({"criteria": []}, {}).errors


def test_a_guide_sums_marks_with_two_places_at_most() -> None:
    score = rs.score_guide(GUIDE, {"g1": {"mark": "7.25", "comment": "Good"}, "g2": {"mark": 5}})
    assert score.valid
    assert (score.raw_points, score.max_points) == (Decimal("12.25"), Decimal(15))
    assert score.filling == {"g1": {"mark": "7.25", "comment": "Good"}, "g2": {"mark": "5", "comment": ""}}


def test_a_guide_refuses_marks_out_of_range_or_too_precise_or_missing() -> None:
    score = rs.score_guide(GUIDE, {"g1": {"mark": "10.5"}, "g2": {"mark": "1.255"}})
    assert score.errors == {
        "g1": rs.MARK_RANGE.format(criterion="Analysis", max="10"),
        "g2": rs.MARK_RANGE.format(criterion="Style", max="5"),
    }
    for hostile in ("-1", "NaN", "1e999", True, "ten", [1]):
        assert "g1" in rs.score_guide(GUIDE, {"g1": {"mark": hostile}, "g2": {"mark": "1"}}).errors, hostile
    assert rs.score_guide(GUIDE, {"g1": {"mark": "1"}}).errors == {"g2": rs.MARK_REQUIRED.format(criterion="Style")}


def test_points_run_from_zero_to_the_maximum() -> None:
    assert rs.score_points(Decimal(20), "17.5").raw_points == Decimal("17.5")
    assert rs.score_points(Decimal(20), "20").valid
    assert rs.score_points(Decimal(20), "").errors == {"points": rs.POINTS_REQUIRED}
    for bad in ("20.01", "-0.5", "1.234", "inf", None if False else "abc"):
        assert rs.score_points(Decimal(20), bad).errors == {"points": rs.POINTS_RANGE.format(max="20")}, bad


def test_score_dispatches_by_method() -> None:
    assert rs.score(method="rubric", definition=RUBRIC, filling={"c1": "c1-l3", "c2": "c2-l2"}, points=None,
                    max_points=Decimal(100)).raw_points == Decimal("17.5")  # fmt: skip
    assert rs.score(method="points", definition={}, filling={}, points="3", max_points=Decimal(5)).raw_points == 3
    assert not rs.score(method="magic", definition={}, filling={}, points="3", max_points=Decimal(5)).valid
