"""The gradebook's pages (being written)."""

from __future__ import annotations

from typing import Any

app_name = "grades"
urlpatterns: list[Any] = []
