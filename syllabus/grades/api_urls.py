"""/api/v1/grades/: the gradebook's REST API (see api.py and docs/api_grades.md)."""

from __future__ import annotations

from syllabus.grades import api

urlpatterns = [*api.urlpatterns]
