"""Quiz attempts are learner records: a course in which someone attempted a quiz cannot be deleted (the catalog
asks every app through `catalog.learner_records`; registered in AssessmentConfig.ready()).

The course team's preview attempts do not count: they are the team trying its own quiz, and go with the course.
"""

from __future__ import annotations

from syllabus.assessment.models import Attempt


def has_quiz_attempts(course_id: int) -> bool:
    return Attempt.objects.filter(course_id=course_id, preview=False).exists()
