"""The certificates others see (managers their scope, officers and auditors everyone): the list and its CSV
export, revoking one, drawing its PDF again."""

from __future__ import annotations

from django.urls import URLPattern, path

from syllabus.certificates import views_manage

urlpatterns: list[URLPattern] = [
    path("", views_manage.certificate_list, name="list"),
    path("export.csv", views_manage.certificate_export, name="export"),
    path("<uuid:public_id>/revoke/", views_manage.certificate_revoke, name="revoke"),
    path("<uuid:public_id>/rerender/", views_manage.certificate_rerender, name="rerender"),
]
