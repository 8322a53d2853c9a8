"""What the gradebook listens to: activity scores (catalog.events.ActivitySignalled carrying a score) and new
course versions (their graded activities become grade items)."""

from __future__ import annotations

from syllabus.catalog.events import ActivitySignalled, CoursePublished
from syllabus.core.events import subscribe


def on_activity_signalled(event: ActivitySignalled) -> None:
    if "score" not in event.data:
        return
    from syllabus.grades import services

    services.score_record(
        course_id=event.course_id, activity_uid=event.activity_uid, user_id=event.user_id, data=event.data
    )


def on_course_published(event: CoursePublished) -> None:
    from syllabus.catalog.models import Course
    from syllabus.grades import services

    course = Course.objects.filter(pk=event.course_id).first()
    if course is not None:
        services.items_sync(course=course)


def connect() -> None:
    subscribe(ActivitySignalled, on_activity_signalled)
    subscribe(CoursePublished, on_course_published)
