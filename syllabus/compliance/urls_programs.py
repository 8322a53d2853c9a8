"""See compliance/urls.py. The officer's program pages: the list, the form and its preview, one program with its
people and actions, and one person's standing in a program."""

from __future__ import annotations

from django.urls import URLPattern, path

from syllabus.compliance import views_programs

PROGRAM = "programs/<int:pk>/"

urlpatterns: list[URLPattern] = [
    path("programs/", views_programs.program_list, name="programs"),
    path("programs/new/", views_programs.program_create, name="program-new"),
    path("programs/preview/", views_programs.program_preview, name="program-preview"),
    path(PROGRAM, views_programs.program_detail, name="program"),
    path(f"{PROGRAM}edit/", views_programs.program_edit, name="program-edit"),
    path(f"{PROGRAM}activate/", views_programs.program_activate, name="program-activate"),
    path(f"{PROGRAM}archive/", views_programs.program_archive, name="program-archive"),
    path(f"{PROGRAM}evaluate/", views_programs.program_evaluate, name="program-evaluate"),
    path(f"{PROGRAM}people/<int:membership_id>/", views_programs.program_person, name="program-person"),
]
