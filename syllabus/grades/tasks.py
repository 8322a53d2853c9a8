"""Background work of the gradebook."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="grades.recompute_course_grades", ignore_result=True)
def recompute_course_grades(course_id: int) -> int:
    """Recompute every course grade of a course after its gradebook's setup changed (idempotent: it writes the
    totals from the grades as they are; a course deleted meanwhile is skipped)."""
    from syllabus.catalog.models import Course
    from syllabus.grades.services import course_grades_refresh

    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        return 0
    return course_grades_refresh(course=course)


@shared_task(name="grades.prune_import_stashes", ignore_result=True)
def prune_import_stashes() -> int:
    """Nightly: delete grade files checked by an import's dry run a day ago and never applied."""
    from syllabus.grades.housekeeping import import_stashes_prune

    return import_stashes_prune()
