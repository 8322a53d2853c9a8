"""Whether learners have records in a course: the registry `catalog.services.course_delete` asks.

A course may be deleted only while nobody has learned in it. The catalog does not know every app that keeps
learner records (acknowledgements, watched video, later enrollments, progress, attempts...), so each app
registers a checker in its AppConfig.ready():

    learner_records.register(has_acknowledgements)   # fn(course_id) -> bool

`exist(course_id)` is true as soon as one checker says so.
"""

from __future__ import annotations

from collections.abc import Callable

Checker = Callable[[int], bool]

_checkers: list[Checker] = []


def register(checker: Checker) -> None:
    """Add a checker; registering the same function again is a no-op (ready() may run more than once)."""
    if checker not in _checkers:
        _checkers.append(checker)


def unregister(checker: Checker) -> None:
    if checker in _checkers:
        _checkers.remove(checker)


def exist(course_id: int) -> bool:
    """True when any registered app holds a learner record in the course."""
    return any(checker(course_id) for checker in _checkers)
