"""Pages of compliance, one module per area: programs (officers), the learner's items and signing, reports and
evidence, exemptions."""

from __future__ import annotations

from syllabus.compliance import urls_exemptions, urls_learner, urls_programs, urls_reports

app_name = "compliance"
urlpatterns = [
    *urls_programs.urlpatterns,
    *urls_learner.urlpatterns,
    *urls_reports.urlpatterns,
    *urls_exemptions.urlpatterns,
]
