"""Progress pages: the learner's dashboard, transcript and external training, and the player's heartbeat."""

from django.urls import URLPattern, URLResolver

from syllabus.progress import urls_course, urls_learner, urls_player

app_name = "progress"

urlpatterns: list[URLPattern | URLResolver] = [
    *urls_player.urlpatterns,
    *urls_learner.urlpatterns,
    *urls_course.urlpatterns,
]
