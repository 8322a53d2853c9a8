"""/api/v1/assessment/: one module per area (banks and questions, attempts, grading)."""

from __future__ import annotations

from syllabus.assessment import api_attempts, api_banks, api_grading

urlpatterns = [
    *api_banks.urlpatterns,
    *api_attempts.urlpatterns,
    *api_grading.urlpatterns,
]
