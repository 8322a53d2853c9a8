"""The grading pages of a course's team: a quiz's results (and CSV), the manual grading queue (of the course, or of
one quiz) and the page grading one answer, per-person overrides of a quiz, and regrading a question."""

from __future__ import annotations

from django.urls import URLPattern, path

from syllabus.assessment import views_grading

urlpatterns: list[URLPattern] = [
    path("courses/<int:course_id>/quizzes/<uuid:uid>/results/", views_grading.quiz_results, name="quiz-results"),
    path(
        "courses/<int:course_id>/quizzes/<uuid:uid>/results.csv",
        views_grading.quiz_results_export,
        name="quiz-results-export",
    ),
    path("courses/<int:course_id>/grading/", views_grading.grading_queue, name="grading"),
    path("courses/<int:course_id>/quizzes/<uuid:uid>/grading/", views_grading.grading_queue, name="grading"),
    path("courses/<int:course_id>/grading/answers/<int:answer_id>/", views_grading.grade_answer, name="grade-answer"),
    path("courses/<int:course_id>/quizzes/<uuid:uid>/overrides/", views_grading.overrides, name="overrides"),
    path(
        "courses/<int:course_id>/quizzes/<uuid:uid>/overrides/<int:pk>/remove/",
        views_grading.override_remove,
        name="override-remove",
    ),
    path("courses/<int:course_id>/regrade/", views_grading.regrade, name="regrade"),
]
