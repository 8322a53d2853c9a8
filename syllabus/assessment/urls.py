"""Pages of assessment, one module per area: question banks (and import/export), quiz attempts and review,
grading (manual grading queue, overrides, regrade), assignments (the learner's submission; grading with rubrics and
guides, extensions), item statistics."""

from __future__ import annotations

from syllabus.assessment import (
    urls_assignment,
    urls_assignment_grading,
    urls_banks,
    urls_grading,
    urls_quiz,
    urls_statistics,
)

app_name = "assessment"
urlpatterns = [
    *urls_banks.urlpatterns,
    *urls_quiz.urlpatterns,
    *urls_grading.urlpatterns,
    *urls_assignment.urlpatterns,
    *urls_assignment_grading.urlpatterns,
    *urls_statistics.urlpatterns,
]
