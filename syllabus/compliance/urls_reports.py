"""Report pages: the dashboard, point-in-time answers and the evidence pack."""

from __future__ import annotations

from django.urls import URLPattern, path

from syllabus.compliance import views_reports

urlpatterns: list[URLPattern] = [
    path("reports/", views_reports.dashboard, name="dashboard"),
    path("reports/at/", views_reports.point_in_time, name="point-in-time"),
    path("reports/evidence/", views_reports.evidence_pack, name="evidence"),
]
