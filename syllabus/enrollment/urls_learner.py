"""The learner's own enrollment actions (from a course's page); see enrollment/urls.py."""

from django.urls import URLPattern, URLResolver, path

from syllabus.enrollment import views_learner

urlpatterns: list[URLPattern | URLResolver] = [
    path("courses/<int:pk>/enroll/", views_learner.enroll, name="enroll"),
    path("courses/<int:pk>/leave/", views_learner.leave, name="leave"),
]
