"""/api/v1/assessment/: one module per area (banks and questions, attempts, grading, assignments,
item statistics)."""

from __future__ import annotations

from syllabus.assessment import (
    api_assignment_grading,
    api_assignments,
    api_attempts,
    api_banks,
    api_grading,
    api_statistics,
)

urlpatterns = [
    *api_banks.urlpatterns,
    *api_attempts.urlpatterns,
    *api_grading.urlpatterns,
    *api_assignment_grading.urlpatterns,
    *api_assignments.urlpatterns,
    *api_statistics.urlpatterns,
]
