"""/api/v1/compliance/: one module per area (programs and assignments, the learner's side, reports, exemptions)."""

from __future__ import annotations

from syllabus.compliance import api_exemptions, api_learner, api_programs, api_reports

urlpatterns = [
    *api_programs.urlpatterns,
    *api_learner.urlpatterns,
    *api_reports.urlpatterns,
    *api_exemptions.urlpatterns,
]
