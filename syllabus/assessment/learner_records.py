"""Quiz attempts are learner records: a course in which someone attempted a quiz cannot be deleted (the catalog
asks every app through `catalog.learner_records`; registered in AssessmentConfig.ready()).

The course team's preview attempts do not count: they are the team trying its own quiz, and go with the course.
Assignment submissions are learner records too (`has_assignment_submissions`; `has_learner_records` asks both).
"""

from __future__ import annotations

from syllabus.assessment.models import Attempt
from syllabus.assessment.models.assignments import Submission


def has_quiz_attempts(course_id: int) -> bool:
    return Attempt.objects.filter(course_id=course_id, preview=False).exists()


def has_assignment_submissions(course_id: int) -> bool:
    return Submission.objects.filter(course_id=course_id).exists()


def has_learner_records(course_id: int) -> bool:
    """Quiz attempts or assignment submissions: what AssessmentConfig.ready() registers with the catalog."""
    return has_quiz_attempts(course_id) or has_assignment_submissions(course_id)
