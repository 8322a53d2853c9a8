"""The player's side of progress: resume, heartbeat and the outline's sections; see progress/urls.py."""

from django.urls import URLPattern, URLResolver, path

from syllabus.progress import views_player

urlpatterns: list[URLPattern | URLResolver] = [
    path("learn/courses/<int:pk>/resume/", views_player.resume, name="resume"),
    path("learn/courses/<int:pk>/heartbeat/", views_player.heartbeat, name="heartbeat"),
    path("learn/courses/<int:pk>/outline/<uuid:section>/", views_player.outline_section, name="outline-section"),
]
