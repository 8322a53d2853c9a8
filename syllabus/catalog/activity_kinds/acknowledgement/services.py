"""Recording a learner's acknowledgement of a policy (the acknowledgement kind's only write)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from syllabus.accounts.models import User
from syllabus.audit.services import audit_record, subject_for_user
from syllabus.catalog.activity_kinds.acknowledgement.models import Acknowledgement
from syllabus.catalog.models import Course, CourseVersion
from syllabus.core import request_context


def document_digest(config: Mapping[str, Any]) -> str:
    """sha256 of what the learner is asked to confirm: the policy text as published and the PDF's own digest."""
    digest = hashlib.sha256()
    digest.update(str(config.get("body", "")).encode("utf-8"))
    digest.update(b"\x00")
    digest.update(str(config.get("asset_sha256", "")).encode("ascii", "ignore"))
    digest.update(b"\x00")
    digest.update(str(config.get("statement", "")).encode("utf-8"))
    return digest.hexdigest()


def acknowledgement_record(
    *, user: User, course: Course, version: CourseVersion, activity: Mapping[str, Any]
) -> tuple[Acknowledgement, bool]:
    """Record that `user` confirmed the acknowledgement `activity` (a snapshot entry of `version`).

    Idempotent: confirming again returns the first record (and False). Audited as "activity.acknowledged" in the
    organisation's hash-chained trail, in the same transaction.
    """
    config = activity.get("config") or {}
    activity_uid = uuid.UUID(str(activity["uid"]))
    context = request_context.current()
    with transaction.atomic():
        existing = Acknowledgement.objects.filter(user=user, version=version, activity_uid=activity_uid).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                record = Acknowledgement.objects.create(
                    organization_id=course.organization_id,
                    user=user,
                    subject=subject_for_user(user),
                    course=course,
                    version=version,
                    activity_uid=activity_uid,
                    statement=str(config.get("statement", ""))[:500],
                    document_digest=document_digest(config),
                    confirmed_at=timezone.now(),
                    ip_address=context.ip_address if context else None,
                )
        except IntegrityError:
            return Acknowledgement.objects.get(user=user, version=version, activity_uid=activity_uid), False
        audit_record(
            organization=course.organization,
            action="activity.acknowledged",
            actor=user,
            target=record,
            after={
                "course": course.pk,
                "version": version.pk,
                "activity_uid": str(activity_uid),
                "document_digest": record.document_digest,
            },
        )
    return record, True
