"""See progress/urls.py. The course team's completion settings."""

from django.urls import URLPattern, URLResolver, path

from syllabus.progress import views_course

urlpatterns: list[URLPattern | URLResolver] = [
    path("courses/<int:pk>/completion/", views_course.completion_settings, name="completion-settings"),
]
