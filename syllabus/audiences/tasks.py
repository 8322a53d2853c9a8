"""Background recomputes of audiences: thin, idempotent wrappers around the services.

Running one twice is harmless: a recompute only records the difference between the rules and the stays.
"""

from __future__ import annotations

from celery import shared_task

from syllabus.accounts.models import Organization
from syllabus.audiences import services
from syllabus.audiences.models import Audience


def _summary(results: list[services.RecomputeResult]) -> dict[str, int]:
    return {
        "audiences": len(results),
        "joined": sum(len(result.joined) for result in results),
        "left": sum(len(result.left) for result in results),
    }


@shared_task(name="syllabus.audiences.tasks.recompute_audience", ignore_result=True)
def recompute_audience(audience_id: int) -> dict[str, int]:
    """An audience whose rules changed, then every audience that includes it."""
    audience = Audience.objects.select_related("organization").filter(pk=audience_id).first()
    if audience is None:
        return _summary([])
    results = services.audiences_recompute(organization=audience.organization, audience_ids=[audience_id])
    return _summary(results)


@shared_task(name="syllabus.audiences.tasks.recompute_for_people", ignore_result=True)
def recompute_for_people(organization_id: int, membership_ids: list[int]) -> dict[str, int]:
    """Every audience of the organisation, for these people only (their HR data changed)."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return _summary([])
    return _summary(services.audiences_recompute(organization=organization, membership_ids=membership_ids))


@shared_task(name="syllabus.audiences.tasks.recompute_organization", ignore_result=True)
def recompute_organization(organization_id: int, only: str = "all") -> dict[str, int]:
    """Audiences of one organisation, for everyone: `only` is "all", "org_unit" or "time_based"."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return _summary([])
    audience_ids = None
    if only == "org_unit":
        audience_ids = services.org_unit_audience_ids(organization_id)
    elif only == "time_based":
        audience_ids = services.time_based_audience_ids(organization_id)
    if audience_ids == []:
        return _summary([])
    return _summary(services.audiences_recompute(organization=organization, audience_ids=audience_ids))


# Beat runs this nightly (settings.CELERY_BEAT_SCHEDULE): "hired within 30 days" changes with the date alone.
@shared_task(name="syllabus.audiences.tasks.recompute_time_based", ignore_result=True)
def recompute_time_based() -> dict[str, int]:
    """Every time-based audience of every active organisation, and the audiences that include them."""
    totals = {"audiences": 0, "joined": 0, "left": 0}
    organization_ids = (
        Audience.objects.filter(is_time_based=True, organization__is_active=True)
        .order_by()
        .values_list("organization_id", flat=True)
        .distinct()
    )
    for organization_id in list(organization_ids):
        for key, value in recompute_organization(organization_id, "time_based").items():
            totals[key] += value
    return totals
