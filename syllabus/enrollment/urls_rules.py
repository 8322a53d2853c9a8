"""See enrollment/urls.py. The enrollment rules of one course, and moving its learners between versions."""

from django.urls import URLPattern, URLResolver, path

from syllabus.enrollment import views_rules

urlpatterns: list[URLPattern | URLResolver] = [
    path("courses/<int:pk>/enrollment-rules/", views_rules.rule_list, name="rules"),
    path("courses/<int:pk>/enrollment-rules/new/", views_rules.rule_create, name="rule-create"),
    path("courses/<int:pk>/enrollment-rules/<int:rule_id>/edit/", views_rules.rule_edit, name="rule-edit"),
    path("courses/<int:pk>/enrollment-rules/<int:rule_id>/delete/", views_rules.rule_delete, name="rule-delete"),
    path("courses/<int:pk>/enrollment-rules/versions/", views_rules.versions_migrate, name="rules-migrate"),
]
