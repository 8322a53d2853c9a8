"""Review R1, grading: the late penalty read under the submission's lock, hostile numbers and text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from syllabus.assessment import rubric_scoring as rs
from syllabus.assessment.models import Submission
from syllabus.assessment.selectors_assignments import settings_for_submission
from syllabus.assessment.services import assignment_grading as svc
from tests.assessment.assignment_grading.conftest import DAY, DUE, AssignmentWorld, rubric_grading

pytestmark = pytest.mark.django_db

PENALTY = {"percent_per_day": "10", "max_percent": "50"}


def save(aw: AssignmentWorld, sub: Any, **kw: Any) -> Any:
    kw.setdefault("filling", {})
    kw.setdefault("points", None)
    kw.setdefault("feedback", "")
    return svc.grade_save(by=aw.owner, submission=sub, settings=settings_for_submission(sub), **kw)


def test_a_grade_takes_the_lateness_as_it_is_now_not_as_the_page_loaded_it(aw: AssignmentWorld) -> None:
    uid = aw.publish(due_at=DUE, late_penalty=PENALTY)
    sub = aw.submit(uid, late_seconds=2 * DAY)
    stale = Submission.objects.get(pk=sub.pk)
    # An extension lifted the lateness while the grader had the page open.
    Submission.objects.filter(pk=sub.pk).update(late_seconds=0)
    grade = save(aw, stale, points="80")
    assert (grade.penalty_points, grade.points) == (Decimal(0), Decimal(80))


def test_a_submission_reopened_meanwhile_is_still_graded_but_a_draft_is_not(aw: AssignmentWorld) -> None:
    uid = aw.publish()
    sub = aw.submit(uid)
    stale = Submission.objects.get(pk=sub.pk)
    Submission.objects.filter(pk=sub.pk).update(state="draft")
    with pytest.raises(ValidationError) as caught:
        save(aw, stale, points="80")
    assert svc.NOT_HANDED_IN in caught.value.messages


@pytest.mark.parametrize("points", ["NaN", "Infinity", "-Infinity", "1e999", "-1", "100.001", True, [1], {"a": 1}])
def test_hostile_points_are_refused_with_the_range(aw: AssignmentWorld, points: Any) -> None:
    uid = aw.publish()
    with pytest.raises(ValidationError) as caught:
        save(aw, aw.submit(uid), points=points)
    assert "points" in caught.value.message_dict


def test_nul_bytes_in_remarks_feedback_and_reasons_are_dropped(aw: AssignmentWorld) -> None:
    uid = aw.publish(grading=rubric_grading(), resubmission="on_request")
    sub = aw.submit(uid)
    grade = save(
        aw, sub, feedback="<p>Go\x00od</p>",
        filling={"c1": {"level": "c1-l2", "remark": "Cl\x00ear"}, "c2": {"level": "c2-l1", "remark": ""}},
    )  # fmt: skip
    assert grade.filling["c1"]["remark"] == "Clear" and "\x00" not in grade.feedback
    with pytest.raises(ValidationError) as caught:
        svc.submission_reopen(by=aw.owner, submission=sub, reason="\x00")  # only NUL is no reason
    assert svc.REASON_REQUIRED in caught.value.messages
    assert svc.submission_reopen(by=aw.owner, submission=sub, reason="Re\x00do").state == "reopened"


def test_unknown_criteria_and_levels_name_what_is_wrong() -> None:
    score = rs.score_rubric(rubric_grading()["rubric"], {"c1": "nope", "c2": "c2-l1", "zz": "x"})
    assert score.errors["c1"] == rs.LEVEL_UNKNOWN.format(criterion="Structure")
    assert score.errors["filling"] == rs.UNKNOWN_CRITERION.format(id="zz", method="rubric")
