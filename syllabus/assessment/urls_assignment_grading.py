"""The assignment grading pages of a course's team: the grading queue (the course's, or one assignment's with
"Release selected grades"), grading one submission, reopening it, downloading its files, and extensions."""

from __future__ import annotations

from django.urls import URLPattern, path

from syllabus.assessment import views_assignment_grading as views

urlpatterns: list[URLPattern] = [
    path("courses/<int:course_id>/assignments/grading/", views.grading_queue, name="assignment-grading"),
    path(
        "courses/<int:course_id>/assignments/<uuid:uid>/submissions/",
        views.grading_queue,
        name="assignment-submissions",
    ),
    path("courses/<int:course_id>/assignments/<uuid:uid>/release/", views.release, name="assignment-release"),
    path(
        "courses/<int:course_id>/assignments/submissions/<int:submission_id>/grade/",
        views.grade_submission,
        name="assignment-grade",
    ),
    path(
        "courses/<int:course_id>/assignments/submissions/<int:submission_id>/reopen/",
        views.reopen,
        name="assignment-reopen",
    ),
    path("courses/<int:course_id>/assignments/files/<int:file_id>/", views.download, name="assignment-team-file"),
    path("courses/<int:course_id>/assignments/<uuid:uid>/extensions/", views.extensions, name="assignment-extensions"),
    path(
        "courses/<int:course_id>/assignments/<uuid:uid>/extensions/<int:pk>/remove/",
        views.extension_remove,
        name="assignment-extension-remove",
    ),
]
