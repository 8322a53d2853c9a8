"""See assessment/urls.py. Question banks: the list, one bank with its categories and questions, the question
editor, preview, versions and usage, and import/export."""

from __future__ import annotations

from django.urls import URLPattern, path

from syllabus.assessment import views_banks, views_imports, views_questions

BANK = "banks/<int:pk>/"
CATEGORY = "categories/<int:pk>/"
QUESTION = "questions/<int:pk>/"

urlpatterns: list[URLPattern] = [
    path("banks/", views_banks.bank_list, name="banks"),
    path("banks/new/", views_banks.bank_create, name="bank-create"),
    path("courses/<int:course_pk>/bank/", views_banks.course_bank, name="course-bank"),
    path(BANK, views_banks.bank_detail, name="bank"),
    path(f"{BANK}edit/", views_banks.bank_edit, name="bank-edit"),
    path(f"{BANK}move/", views_banks.questions_move, name="questions-move"),
    path(f"{BANK}categories/new/", views_banks.category_create, name="category-create"),
    path(f"{BANK}questions/new/", views_questions.question_create, name="question-create"),
    path(f"{BANK}import/", views_imports.bank_import, name="bank-import"),
    path(f"{BANK}export/", views_imports.bank_export, name="bank-export"),
    path(f"{CATEGORY}edit/", views_banks.category_edit, name="category-edit"),
    path(f"{CATEGORY}delete/", views_banks.category_delete, name="category-delete"),
    path(f"{QUESTION}edit/", views_questions.question_edit, name="question-edit"),
    path(f"{QUESTION}preview/", views_questions.question_preview, name="question-preview"),
    path(f"{QUESTION}versions/", views_questions.question_versions, name="question-versions"),
    path(f"{QUESTION}usage/", views_questions.question_usage, name="question-usage"),
    path(f"{QUESTION}copy/", views_banks.question_copy, name="question-copy"),
    path(f"{QUESTION}hide/", views_banks.question_hide, name="question-hide"),
    path(f"{QUESTION}delete/", views_banks.question_delete, name="question-delete"),
]
