"""The skills framework's pages."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from syllabus.skills import views

app_name = "skills"

urlpatterns: list[URLPattern | URLResolver] = [
    path("skills/", views.framework, name="framework"),
    path("skills/new/", views.skill_create, name="create"),
    path("skills/import/", views.skill_import, name="import"),
    path("skills/export.csv", views.skill_export, name="export"),
    path("skills/scales/", views.scale_list, name="scales"),
    path("skills/scales/new/", views.scale_create, name="scale-create"),
    path("skills/scales/default/", views.scale_create_default, name="scale-default"),
    path("skills/scales/<int:pk>/edit/", views.scale_edit, name="scale-edit"),
    path("skills/scales/<int:pk>/delete/", views.scale_delete, name="scale-delete"),
    path("skills/<int:pk>/", views.skill_detail, name="detail"),
    path("skills/<int:pk>/edit/", views.skill_edit, name="edit"),
    path("skills/<int:pk>/deactivate/", views.skill_deactivate, name="deactivate"),
    path("skills/<int:pk>/reactivate/", views.skill_reactivate, name="reactivate"),
    path("skills/<int:pk>/delete/", views.skill_delete, name="delete"),
]
