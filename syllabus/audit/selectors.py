"""Reads of the audit trail for pages, the API, CSV exports and privacy exports, with constant query counts.

Records hold pseudonymous subject ids; `audit_rows` resolves a page of records to names (one query for the
subjects, one for the personal parts), and shows "Erased person" where the subject row is gone.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from syllabus.accounts.models import Organization, User
from syllabus.audit import actions
from syllabus.audit.models import AuditAnchor, AuditChain, AuditPersonal, AuditRecord, AuditSubject


@dataclass(frozen=True)
class AuditFilter:
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # inclusive
    actor: str = ""  # name or email contains
    action: str = ""
    target_type: str = ""
    text: str = ""  # anywhere: action, target, names, emails, changed values, IP address


def _matching_subjects(term: str) -> QuerySet[AuditSubject, Any]:
    return AuditSubject.objects.filter(Q(display_name__icontains=term) | Q(email__icontains=term)).values("subject_id")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_record_list(
    *, organization: Organization | None, platform: bool = False, filters: AuditFilter | None = None
) -> QuerySet[AuditRecord]:
    """Records of `organization`'s chain, newest first; `platform=True` for the platform chain instead
    (the caller checks that only platform admins ask for it)."""
    if platform:
        qs = AuditRecord.objects.filter(organization__isnull=True)
    elif organization is None:
        return AuditRecord.objects.none()
    else:
        qs = AuditRecord.objects.filter(organization=organization)
    filters = filters or AuditFilter()
    if filters.date_from:
        qs = qs.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.target_type:
        qs = qs.filter(target_type=filters.target_type)
    if filters.actor:
        qs = qs.filter(actor_subject__in=_matching_subjects(filters.actor))
    if filters.text:
        term = filters.text.strip()
        subjects = _matching_subjects(term)
        parts = AuditPersonal.objects.annotate(text=Cast("data", TextField())).filter(text__icontains=term)
        qs = qs.annotate(before_text=Cast("before", TextField()), after_text=Cast("after", TextField())).filter(
            Q(action__icontains=term)
            | Q(target_type__icontains=term)
            | Q(target_id=term)
            | Q(actor_subject__in=subjects)
            | Q(target_subject__in=subjects)
            | Q(before_text__icontains=term)
            | Q(after_text__icontains=term)
            | Q(pk__in=parts.values("record_id"))
        )
    return qs.order_by("-seq")


def action_choices(*, organization: Organization | None, platform: bool = False) -> list[tuple[str, str]]:
    """Known actions plus any other action code this chain holds (one DISTINCT query)."""
    known = dict(actions.choices())
    qs = (
        AuditRecord.objects.filter(organization__isnull=True)
        if platform
        else AuditRecord.objects.filter(organization=organization)
    )
    for code in qs.order_by().values_list("action", flat=True).distinct():
        known.setdefault(code, actions.label(code))
    return sorted(known.items(), key=lambda item: item[1])


@lru_cache(maxsize=256)
def target_type_label(target_type: str) -> str:
    """ "accounts.membership" -> "Membership" (the model's verbose name), or the code if no such model."""
    if not target_type:
        return ""
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return target_type
    return str(model._meta.verbose_name).capitalize()


def target_type_choices() -> list[tuple[str, str]]:
    """Target types of the models Syllabus audits today (by label)."""
    types = (
        "accounts.organization",
        "accounts.membership",
        "accounts.user",
        "accounts.orgunit",
        "accounts.jobrole",
        "accounts.location",
        "accounts.attributedefinition",
        "accounts.apitoken",
        "accounts.importjob",
        "access.role",
    )
    return sorted(((code, target_type_label(code)) for code in types), key=lambda item: item[1])


# --- resolving records for people -------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class AuditRow:
    """A record as people read it: names instead of subject ids, personal parts merged back in."""

    record: AuditRecord
    action_label: str
    actor: str
    actor_detail: str  # their email, when known
    target_type_label: str
    target: str
    ip_address: str
    user_agent: str
    before: dict[str, Any]
    after: dict[str, Any]
    summary: dict[str, Any] | None
    changes: list[Change] = field(default_factory=list)


def _display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    keys = list(dict.fromkeys([*before, *after]))
    return [Change(key, _display(before.get(key)), _display(after.get(key))) for key in keys]


def _subject_name(subject: AuditSubject | None, subject_id: uuid.UUID | None, *, none: str) -> tuple[str, str]:
    if subject_id is None:
        return none, ""
    if subject is None:
        return _("Erased person"), ""
    return subject.display_name or subject.email, subject.email


def audit_rows(records: Sequence[AuditRecord], *, only_subjects: Iterable[uuid.UUID] | None = None) -> list[AuditRow]:
    """Resolve records for display or export with two queries, whatever their number.

    `only_subjects` keeps personal parts of those people only (a person's own export must not carry other
    people's personal data).
    """
    subject_ids = {s for r in records for s in (r.actor_subject, r.target_subject) if s is not None}
    subjects = {s.subject_id: s for s in AuditSubject.objects.filter(subject_id__in=subject_ids)}
    parts_qs = AuditPersonal.objects.filter(record__in=[r.pk for r in records])
    if only_subjects is not None:
        parts_qs = parts_qs.filter(subject_id__in=list(only_subjects))
    parts: dict[int, list[AuditPersonal]] = {}
    for part in parts_qs:
        parts.setdefault(part.record_id, []).append(part)
    rows = []
    for record in records:
        before, after = dict(record.before or {}), dict(record.after or {})
        ip_address, user_agent = "", ""
        for part in parts.get(record.pk, []):
            before.update(part.data.get("before") or {})
            after.update(part.data.get("after") or {})
            ip_address = ip_address or part.data.get("ip_address") or ""
            user_agent = user_agent or part.data.get("user_agent") or ""
        actor, actor_detail = _subject_name(
            subjects.get(record.actor_subject) if record.actor_subject else None,
            record.actor_subject,
            none=_("System"),
        )
        if record.target_subject is not None:
            target, _email = _subject_name(subjects.get(record.target_subject), record.target_subject, none="")
        else:
            target = f"#{record.target_id}" if record.target_id else "—"
        rows.append(
            AuditRow(
                record=record,
                action_label=actions.label(record.action),
                actor=actor,
                actor_detail=actor_detail,
                target_type_label=target_type_label(record.target_type),
                target=target,
                ip_address=ip_address,
                user_agent=user_agent,
                before=before,
                after=after,
                summary=record.summary,
                changes=_changes(before, after),
            )
        )
    return rows


# --- chains and anchors -----------------------------------------------------------------------------------


def audit_chain_get(*, organization: Organization | None, platform: bool = False) -> AuditChain | None:
    if not platform and organization is None:
        return None
    key = AuditChain.key_for(None if platform else organization.pk)  # type: ignore[union-attr]
    return AuditChain.objects.filter(key=key).first()


def audit_anchor_list(*, chain: AuditChain | None, limit: int = 10) -> list[AuditAnchor]:
    if chain is None:
        return []
    return list(AuditAnchor.objects.filter(chain=chain).order_by("-seq")[:limit])


# --- privacy export of the audit app ----------------------------------------------------------------------


def person_audit_export(user: User, organization: Organization | None) -> dict[str, Any]:
    """The audit records by or about a person (in `organization`, or all), with their own personal data only."""
    subject_ids = list(
        AuditSubject.objects.filter(Q(user=user) | Q(user=None, email__iexact=user.email)).values_list(
            "subject_id", flat=True
        )
    )
    qs = AuditRecord.objects.filter(Q(actor_subject__in=subject_ids) | Q(target_subject__in=subject_ids))
    if organization is not None:
        qs = qs.filter(organization=organization)
    records = list(qs.order_by("created_at", "pk"))
    mine = set(subject_ids)
    return {
        "records": [
            {
                "time": row.record.created_at.isoformat(),
                "action": row.record.action,
                "action_label": row.action_label,
                "as": "actor" if row.record.actor_subject in mine else "subject",
                "target_type": row.record.target_type,
                "target_id": row.record.target_id,
                "before": row.before or None,
                "after": row.after or None,
                "summary": row.summary,
                "ip_address": row.ip_address or None,
                "user_agent": row.user_agent or None,
            }
            for row in audit_rows(records, only_subjects=mine)
        ]
    }
