"""A learner handing in an assignment: the draft, the confirmation, another try, files (views_assignment.py)."""

from __future__ import annotations

from django.urls import URLPattern, path

from syllabus.assessment import views_assignment

ASSIGNMENT = "courses/<int:course_id>/assignments/<uuid:uid>/"

urlpatterns: list[URLPattern] = [
    path(f"{ASSIGNMENT}submission/", views_assignment.submission_edit, name="assignment-submission"),
    path(f"{ASSIGNMENT}submit/", views_assignment.submission_submit, name="assignment-submit"),
    path(f"{ASSIGNMENT}reopen-request/", views_assignment.reopen_request, name="assignment-reopen-request"),
    path(f"{ASSIGNMENT}files/<int:file_id>/", views_assignment.submission_file, name="assignment-file"),
]
