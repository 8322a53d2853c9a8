"""A learner taking a quiz: start, the attempt's pages, autosave, summary, submit and review (views_quiz.py)."""

from __future__ import annotations

from django.urls import URLPattern, path

from syllabus.assessment import views_quiz

ATTEMPT = "attempts/<uuid:public_id>/"

urlpatterns: list[URLPattern] = [
    path("courses/<int:pk>/quizzes/<uuid:uid>/start/", views_quiz.attempt_start, name="attempt-start"),
    path(ATTEMPT, views_quiz.attempt, name="attempt"),
    path(f"{ATTEMPT}save/", views_quiz.attempt_save, name="attempt-save"),
    path(f"{ATTEMPT}summary/", views_quiz.attempt_summary, name="attempt-summary"),
    path(f"{ATTEMPT}submit/", views_quiz.attempt_submit, name="attempt-submit"),
    path(f"{ATTEMPT}review/", views_quiz.attempt_review, name="attempt-review"),
]
