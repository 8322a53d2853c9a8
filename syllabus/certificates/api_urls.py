"""/api/v1/certificates/: one module per area (certificates, templates, awards, badges and verification)."""

from __future__ import annotations

from syllabus.certificates import api_awards, api_badges, api_certificates, api_templates

urlpatterns = [
    *api_certificates.urlpatterns,
    *api_templates.urlpatterns,
    *api_awards.urlpatterns,
    *api_badges.urlpatterns,
]
