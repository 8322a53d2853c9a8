"""The catalog's pages: learners' catalog and course pages, the activity player, authoring and review."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from syllabus.catalog import urls_authoring, urls_browse, urls_player

app_name = "catalog"

urlpatterns: list[URLPattern | URLResolver] = [
    *urls_browse.urlpatterns,
    *urls_player.urlpatterns,
    *urls_authoring.urlpatterns,
]
