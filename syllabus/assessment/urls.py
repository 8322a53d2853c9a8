"""Pages of assessment, one module per area: question banks (and import/export), quiz attempts and review,
grading (manual grading queue, overrides, regrade)."""

from __future__ import annotations

from syllabus.assessment import urls_banks, urls_grading, urls_quiz

app_name = "assessment"
urlpatterns = [
    *urls_banks.urlpatterns,
    *urls_quiz.urlpatterns,
    *urls_grading.urlpatterns,
]
