"""See compliance/urls.py. Exemptions and extensions: the queue, asking, one request, deciding, withdrawing,
revoking."""

from __future__ import annotations

from django.urls import URLPattern, path

from syllabus.compliance import views_exemptions

urlpatterns: list[URLPattern] = [
    path("exemptions/", views_exemptions.exemption_list, name="exemptions"),
    path("exemptions/new/", views_exemptions.exemption_new, name="exemption-new"),
    path("exemptions/<int:pk>/", views_exemptions.exemption_detail, name="exemption"),
    path("exemptions/<int:pk>/decide/", views_exemptions.exemption_decide, name="exemption-decide"),
    path("exemptions/<int:pk>/withdraw/", views_exemptions.exemption_withdraw, name="exemption-withdraw"),
    path("exemptions/<int:pk>/revoke/", views_exemptions.exemption_revoke, name="exemption-revoke"),
]
