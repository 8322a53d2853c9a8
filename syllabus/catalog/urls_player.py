"""The learner's activity player, its preview, completion signals and course files; see catalog/urls.py."""

from django.urls import URLPattern, URLResolver, path

from syllabus.catalog import views_player

ACTIVITY = "courses/<int:pk>/activities/<uuid:uid>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path(ACTIVITY, views_player.activity, name="activity"),
    path(f"{ACTIVITY}signal/", views_player.activity_signal, name="activity-signal"),
    path(f"{ACTIVITY}open/", views_player.activity_open, name="activity-open"),
    path("courses/<int:pk>/preview/activities/<uuid:uid>/", views_player.activity_preview, name="activity-preview"),
    path("courses/<int:pk>/assets/<int:asset_id>/<str:name>", views_player.asset, name="asset"),
    path("courses/<int:pk>/richtext/images/", views_player.richtext_upload, name="richtext-upload"),
]
