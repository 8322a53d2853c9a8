"""What audiences hold about one person, for the privacy registry (core.privacy): export and erasure (GDPR).

A person's stays in audiences (which audience, joined, left) are personal data and are exported. Erasure keeps the
stays — "who was in this audience on date X" stays answerable for compliance, now about a pseudonymised
membership — and closes the open ones, since an erased person is no longer an active member of anything.
"""

from __future__ import annotations

from typing import Any

from syllabus.accounts.models import Organization, User
from syllabus.audiences.models import Audience, AudienceMembership
from syllabus.core import clock


def export_person(user: User, organization: Organization | None) -> dict[str, Any]:
    stays = AudienceMembership.objects.filter(membership__user=user).select_related("audience__organization")
    if organization is not None:
        stays = stays.filter(membership__organization=organization)
    return {
        "audience_stays": [
            {
                "organization": stay.audience.organization.name,
                "audience": stay.audience.name,
                "joined_at": stay.joined_at.isoformat(),
                "left_at": stay.left_at.isoformat() if stay.left_at else None,
            }
            for stay in stays.order_by("audience__organization__name", "audience__name", "joined_at")
        ]
    }


def erase_person(user: User, by: Any) -> None:
    open_stays = AudienceMembership.objects.filter(membership__user=user, left_at__isnull=True)
    audience_ids = list(open_stays.values_list("audience_id", flat=True).distinct())
    open_stays.update(left_at=clock.now())
    for audience in Audience.objects.filter(pk__in=audience_ids):
        count = AudienceMembership.objects.filter(audience=audience, left_at__isnull=True).count()
        Audience.objects.filter(pk=audience.pk).update(member_count=count)
