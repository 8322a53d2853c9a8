"""Background work of enrollment: audience rules (set-based) and messages to participants. Thin and idempotent."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task
def apply_rule(rule_id: int) -> dict[str, int]:
    from syllabus.enrollment import services
    from syllabus.enrollment.models import EnrollmentRule

    rule = EnrollmentRule.objects.filter(pk=rule_id).first()
    if rule is None:
        return {}
    return services.rule_apply(rule=rule).as_dict()


@shared_task
def audience_changed(audience_id: int, joined: list[int], left: list[int]) -> None:
    from syllabus.enrollment import services

    services.audience_changed(audience_id=audience_id, joined=joined, left=left)


@shared_task
def send_course_message(message_id: int) -> int:
    from syllabus.enrollment import messaging

    return messaging.deliver(message_id)


@shared_task
def apply_all_rules() -> dict[str, Any]:
    """Nightly catch-up: a rule whose queued run was lost (broker down) still enrolls everyone."""
    from syllabus.enrollment import services
    from syllabus.enrollment.models import EnrollmentRule

    total = 0
    for rule in EnrollmentRule.objects.filter(is_active=True):
        total += len(services.rule_apply(rule=rule).created)
    return {"created": total}
