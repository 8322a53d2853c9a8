"""The awards pages (`certificate.manage`): the list, the form (create, edit), delete, and issuing certificates to
people who completed before the award existed."""

from __future__ import annotations

from django.urls import URLPattern, path

from syllabus.certificates import views_awards

urlpatterns: list[URLPattern] = [
    path("awards/", views_awards.award_list, name="awards"),
    path("awards/new/", views_awards.award_create, name="award-create"),
    path("awards/<int:pk>/", views_awards.award_edit, name="award-edit"),
    path("awards/<int:pk>/delete/", views_awards.award_delete, name="award-delete"),
    path("awards/<int:pk>/backfill/", views_awards.award_backfill, name="award-backfill"),
]
