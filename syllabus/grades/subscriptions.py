"""What the gradebook listens to: activity scores (catalog.events.ActivitySignalled carrying a score) and new
course versions (their graded activities become grade items)."""

from __future__ import annotations


def connect() -> None:
    """Filled in by the gradebook's services (see README)."""
