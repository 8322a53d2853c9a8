"""The learners' catalog and course pages; see catalog/urls.py."""

from django.urls import URLPattern, URLResolver, path

from syllabus.catalog import views_browse

urlpatterns: list[URLPattern | URLResolver] = [
    path("catalog/", views_browse.catalog_browse, name="browse"),
    path("courses/<int:pk>/", views_browse.course_detail, name="course"),
    path("courses/<int:pk>/preview/", views_browse.course_preview, name="course-preview"),
    path("courses/<int:pk>/sections/<uuid:section>/", views_browse.course_section, name="course-section"),
]
