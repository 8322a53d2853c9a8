"""The item statistics page of a quiz (with its CSV: `?format=csv`)."""

from __future__ import annotations

from django.urls import URLPattern, path

from syllabus.assessment import views_statistics

urlpatterns: list[URLPattern] = [
    path(
        "courses/<int:course_id>/quizzes/<uuid:uid>/statistics/",
        views_statistics.quiz_statistics,
        name="quiz-statistics",
    ),
]
