"""What the acknowledgement kind holds about a person, for core.privacy.

Acknowledgements are compliance records ("who confirmed which version of the policy, when"): an erasure keeps
them but unlinks the person (user and IP address removed). The pseudonymous subject id stays: it is the one the
audit trail uses, whose own name mapping the erasure deletes, so nothing left names the person.
"""

from __future__ import annotations

from typing import Any

from syllabus.accounts.models import Organization, User
from syllabus.catalog.activity_kinds.acknowledgement.models import Acknowledgement


def export_person(user: User, organization: Organization | None) -> dict[str, Any]:
    rows = Acknowledgement.objects.filter(user=user).select_related("course", "version")
    if organization is not None:
        rows = rows.filter(organization=organization)
    return {
        "acknowledgements": [
            {
                "course": row.course.title,
                "version": row.version.label,
                "activity_uid": str(row.activity_uid),
                "statement": row.statement,
                "document_digest": row.document_digest,
                "confirmed_at": row.confirmed_at.isoformat(),
                "ip_address": row.ip_address,
            }
            for row in rows.order_by("confirmed_at", "pk")
        ]
    }


def erase_person(user: User, by: Any) -> None:
    Acknowledgement.objects.filter(user=user).update(user=None, ip_address=None)


def has_learner_records(course_id: int) -> bool:
    return Acknowledgement.objects.filter(course_id=course_id).exists()
