"""Awards: what earns a certificate (one course, or one compliance program), with which template, whether an
Open Badge is issued too, and when holders are reminded before expiry.

- `award_create` / `award_update`: validated here (the page and the API refuse the same things with the same
  words, each on the field it names), audited.
- `award_delete`: an award that issued nothing is deleted; one that issued certificates is only disabled, so the
  certificates keep what earned them.
- `award_backfill_preview` / `award_backfill`: people who earned the award before it existed (their latest course
  completion is still valid, or their current program cycle is satisfied) get their certificate now, through the
  same issuing functions as the automatic path. Idempotent: a second run issues nothing.

All of it needs `certificate.manage` (policy.can_manage).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields, replace
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import Organization, User
from syllabus.audit.services import audit_record
from syllabus.catalog.models import Course
from syllabus.certificates import policy
from syllabus.certificates.models import Award, Certificate, Source, Template
from syllabus.certificates.services import issuing
from syllabus.compliance.models import Assignment, Program, ProgramStatus, StatusCode
from syllabus.core import clock
from syllabus.progress.models import Completion

logger = logging.getLogger(__name__)

AUDIT_ACTIONS: tuple[tuple[str, Any], ...] = (
    ("certificate.award_created", _("Certificate award created")),
    ("certificate.award_changed", _("Certificate award changed")),
    ("certificate.award_deleted", _("Certificate award deleted")),
    ("certificate.award_backfilled", _("Certificates issued for earlier completions")),
)

SOURCE_CHOICE = "Choose whether a course or a compliance program earns the certificate."
COURSE_REQUIRED = "Choose the course whose completion earns the certificate."
COURSE_NOT_AVAILABLE = "Choose one of the organisation's published courses."
COURSE_TAKEN = "This course already earns a certificate: change that award instead."
PROGRAM_REQUIRED = "Choose the compliance program whose cycles earn the certificate."
PROGRAM_NOT_AVAILABLE = "Choose one of the organisation's active compliance programs."
PROGRAM_TAKEN = "This compliance program already earns a certificate: change that award instead."
SOURCE_LOCKED = (
    "This award has issued certificates, so what earns it cannot change. Disable it and create another award."
)
TEMPLATE_NOT_AVAILABLE = "Choose one of the organisation's templates (not an archived one)."
NO_TEMPLATE = "The organisation has no certificate template yet: create one first."
REMIND_DAYS_RANGE = "Give each reminder as a whole number of days between {low} and {high}."
REMIND_DAYS_TOO_MANY = "Give at most {limit} reminders."
TOO_LONG = "Keep this under {limit} characters."
BACKFILL_DISABLED = "Enable the award before issuing certificates for earlier completions."

REMIND_DAYS_LOW = 1
REMIND_DAYS_HIGH = 365
REMIND_DAYS_MAX = 5
NAME_LIMIT = 200
TEXT_LIMIT = 5000


@dataclass(frozen=True)
class AwardFields:
    """An award's editable fields, as the page's form and the API's serializer hand them over."""

    source: str = Source.COURSE
    course_id: int | None = None
    program_id: int | None = None
    template_id: int | None = None  # None: the organisation's default template
    enabled: bool = True
    issue_badge: bool = True
    achievement_name: str = ""
    achievement_description: str = ""
    criteria: str = ""
    remind_days: tuple[int, ...] = ()

    @classmethod
    def of(cls, award: Award) -> AwardFields:
        """The fields of a saved award (the base a partial change is applied to)."""
        return cls(
            source=award.source,
            course_id=award.course_id,
            program_id=award.program_id,
            template_id=award.template_id,
            enabled=award.enabled,
            issue_badge=award.issue_badge,
            achievement_name=award.achievement_name,
            achievement_description=award.achievement_description,
            criteria=award.criteria,
            remind_days=tuple(award.remind_days or ()),
        )

    def changed(self, **values: Any) -> AwardFields:
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in values.items() if k in known})


@dataclass(frozen=True)
class BackfillResult:
    issued: int  # certificates issued now
    skipped: int  # people found but not issued one (left meanwhile, or issued by another run)


def _require_manage(organization: Organization, by: User) -> None:
    if not policy.can_manage(principal_for(by, organization)):
        raise PermissionDenied(NOT_ALLOWED)


def available_courses(organization: Organization) -> QuerySet[Course]:
    """The courses an award may be created for: published and not archived."""
    return Course.objects.filter(
        organization=organization, published_version__isnull=False, archived_at__isnull=True
    ).order_by("title", "pk")


def available_programs(organization: Organization) -> QuerySet[Program]:
    """The compliance programs an award may be created for: active ones (a draft is completed by nobody)."""
    return Program.objects.filter(organization=organization, status=ProgramStatus.ACTIVE).order_by("name", "pk")


def available_templates(organization: Organization) -> QuerySet[Template]:
    return Template.objects.filter(organization=organization, archived=False).order_by("-is_default", "name", "pk")


def templates_ensure(*, organization: Organization, by: User) -> list[Template]:
    """The organisation's usable templates; the built-in defaults are created first when it has none at all, so
    the first award can be made without designing a template."""
    _require_manage(organization, by)
    found = list(available_templates(organization))
    if found or Template.objects.filter(organization=organization).exists():
        return found
    # Imported here: default_templates draws on the rendering code, which the pages of awards do not need.
    from syllabus.certificates.default_templates import template_create_defaults

    template_create_defaults(organization, by)
    return list(available_templates(organization))


def parse_remind_days(values: Any) -> tuple[int, ...]:
    """Days before expiry (whole numbers 1..365, at most 5), largest first, each once. `values`: a list of
    numbers, or text such as "30, 7". Raises ValidationError({"remind_days": ...}) naming the problem."""
    if values is None or values == "":
        return ()
    if isinstance(values, str):
        items: list[Any] = [part.strip() for part in values.replace(";", ",").split(",") if part.strip()]
    elif isinstance(values, (list, tuple)):
        items = list(values)
    else:
        raise ValidationError({"remind_days": REMIND_DAYS_RANGE.format(low=REMIND_DAYS_LOW, high=REMIND_DAYS_HIGH)})
    days: set[int] = set()
    for item in items:
        if isinstance(item, bool):
            number = None
        elif isinstance(item, int):
            number = item
        elif isinstance(item, str) and item.isascii() and item.isdigit() and len(item) <= 4:
            number = int(item)
        else:
            number = None
        if number is None or not REMIND_DAYS_LOW <= number <= REMIND_DAYS_HIGH:
            raise ValidationError({"remind_days": REMIND_DAYS_RANGE.format(low=REMIND_DAYS_LOW, high=REMIND_DAYS_HIGH)})
        days.add(number)
    if len(days) > REMIND_DAYS_MAX:
        raise ValidationError({"remind_days": REMIND_DAYS_TOO_MANY.format(limit=REMIND_DAYS_MAX)})
    return tuple(sorted(days, reverse=True))


def _clean(organization: Organization, data: AwardFields, award: Award | None) -> dict[str, Any]:
    """The model's values of `data`, or every problem at once, each on its field."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    locked = award is not None and award.certificates.exists()
    others = Award.objects.exclude(pk=award.pk) if award is not None else Award.objects.all()
    if data.source not in Source.values:
        errors.setdefault("source", []).append(SOURCE_CHOICE)
    elif data.source == Source.COURSE:
        out.update(source=Source.COURSE, program_id=None)
        if data.course_id is None:
            errors.setdefault("course_id", []).append(COURSE_REQUIRED)
        elif award is not None and award.course_id == data.course_id:
            # Unchanged: an award stays valid when its course is archived later.
            out["course_id"] = data.course_id
        elif not available_courses(organization).filter(pk=data.course_id).exists():
            errors.setdefault("course_id", []).append(COURSE_NOT_AVAILABLE)
        elif others.filter(course_id=data.course_id).exists():
            errors.setdefault("course_id", []).append(COURSE_TAKEN)
        else:
            out["course_id"] = data.course_id
    else:
        out.update(source=Source.PROGRAM, course_id=None)
        if data.program_id is None:
            errors.setdefault("program_id", []).append(PROGRAM_REQUIRED)
        elif award is not None and award.program_id == data.program_id:
            out["program_id"] = data.program_id
        elif not available_programs(organization).filter(pk=data.program_id).exists():
            errors.setdefault("program_id", []).append(PROGRAM_NOT_AVAILABLE)
        elif others.filter(program_id=data.program_id).exists():
            errors.setdefault("program_id", []).append(PROGRAM_TAKEN)
        else:
            out["program_id"] = data.program_id
    source = (out.get("source"), out.get("course_id"), out.get("program_id"))
    if (
        locked
        and award is not None
        and "source" not in errors
        and source
        != (
            award.source,
            award.course_id,
            award.program_id,
        )
    ):
        field = "course_id" if data.source == Source.COURSE else "program_id"
        errors[field] = [SOURCE_LOCKED]
    if data.template_id is None:
        default = available_templates(organization).first()
        if default is None:
            errors.setdefault("template_id", []).append(NO_TEMPLATE)
        else:
            out["template_id"] = default.pk
    elif award is not None and award.template_id == data.template_id:
        out["template_id"] = data.template_id
    elif not available_templates(organization).filter(pk=data.template_id).exists():
        errors.setdefault("template_id", []).append(TEMPLATE_NOT_AVAILABLE)
    else:
        out["template_id"] = data.template_id
    for name, limit in (
        ("achievement_name", NAME_LIMIT),
        ("achievement_description", TEXT_LIMIT),
        ("criteria", TEXT_LIMIT),
    ):
        text = str(getattr(data, name) or "").strip()
        if len(text) > limit:
            errors.setdefault(name, []).append(TOO_LONG.format(limit=limit))
        out[name] = text
    try:
        out["remind_days"] = list(parse_remind_days(list(data.remind_days)))
    except ValidationError as exc:
        errors.setdefault("remind_days", []).extend(exc.message_dict["remind_days"])
    out["enabled"] = bool(data.enabled)
    out["issue_badge"] = bool(data.issue_badge)
    if errors:
        raise ValidationError(errors)
    return out


def _snapshot(award: Award) -> dict[str, Any]:
    return {
        "source": award.source,
        "course": award.course_id,
        "program": award.program_id,
        "template": award.template_id,
        "enabled": award.enabled,
        "issue_badge": award.issue_badge,
        "remind_days": list(award.remind_days or []),
        "achievement_name": award.achievement_name,
    }


def _taken(data: dict[str, Any]) -> ValidationError:
    if data.get("source") == Source.PROGRAM:
        return ValidationError({"program_id": PROGRAM_TAKEN})
    return ValidationError({"course_id": COURSE_TAKEN})


def award_create(*, organization: Organization, by: User, data: AwardFields) -> Award:
    """A new award: from now on, completing its course (or a cycle of its program) issues a certificate."""
    _require_manage(organization, by)
    values = _clean(organization, data, None)
    try:
        with transaction.atomic():
            award = Award.objects.create(organization=organization, created_by=by, **values)
            audit_record(
                organization=organization,
                action="certificate.award_created",
                actor=by,
                target=award,
                after=_snapshot(award),
            )
    except IntegrityError:
        # Two officers creating the same award at once: the unique index keeps one.
        raise _taken(values) from None
    return award


def award_update(*, award: Award, by: User, data: AwardFields) -> Award:
    """Change an award. What earns it is fixed once it has issued certificates (SOURCE_LOCKED)."""
    organization = award.organization
    _require_manage(organization, by)
    values = _clean(organization, data, award)
    before = _snapshot(award)
    try:
        with transaction.atomic():
            Award.objects.filter(pk=award.pk).update(**values)
            award.refresh_from_db()
            after = _snapshot(award)
            if after != before:
                audit_record(
                    organization=organization,
                    action="certificate.award_changed",
                    actor=by,
                    target=award,
                    before=before,
                    after=after,
                )
    except IntegrityError:
        raise _taken(values) from None
    return award


def award_delete(*, award: Award, by: User) -> bool:
    """Delete an award that issued nothing (True); one that did is disabled instead (False), so its certificates
    keep what earned them and nothing new is issued."""
    organization = award.organization
    _require_manage(organization, by)
    with transaction.atomic():
        if not Certificate.objects.filter(award=award).exists():
            audit_record(
                organization=organization,
                action="certificate.award_deleted",
                actor=by,
                target=award,
                before=_snapshot(award),
            )
            Award.objects.filter(pk=award.pk).delete()
            return True
        if award.enabled:
            before = _snapshot(award)
            Award.objects.filter(pk=award.pk).update(enabled=False)
            award.refresh_from_db()
            audit_record(
                organization=organization,
                action="certificate.award_changed",
                actor=by,
                target=award,
                before=before,
                after=_snapshot(award),
            )
    return False


# --- people who earned it before the award existed -------------------------------------------------------------------


def _course_candidates(award: Award) -> QuerySet[Completion]:
    """Each active person's latest completion of the course, when it has not expired and earned no certificate of
    this award yet."""
    course_id = award.course_id or 0
    latest = (
        Completion.objects.filter(membership_id=OuterRef("membership_id"), course_id=course_id)
        .order_by("-completed_at", "-pk")
        .values("pk")[:1]
    )
    issued = Certificate.objects.filter(award=award, completion_id=OuterRef("pk"))
    return (
        Completion.objects.filter(
            organization_id=award.organization_id, course_id=course_id, membership__is_active=True
        )
        .filter(pk=Subquery(latest))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=clock.now()))
        .exclude(Exists(issued))
        .order_by("pk")
    )


def _program_candidates(award: Award) -> QuerySet[Assignment]:
    """Open assignments of the program whose current cycle is satisfied and earned no certificate of this award."""
    issued = Certificate.objects.filter(award=award, assignment_id=OuterRef("pk"), cycle=OuterRef("cycle"))
    return (
        Assignment.objects.filter(
            organization_id=award.organization_id,
            program_id=award.program_id or 0,
            ended_at__isnull=True,
            status=StatusCode.COMPLIANT,
            completed_on__isnull=False,
            membership__is_active=True,
        )
        .exclude(Exists(issued))
        .order_by("pk")
    )


def award_backfill_preview(*, award: Award) -> int:
    """How many people `award_backfill` would issue a certificate to now (one query)."""
    if award.source == Source.COURSE:
        return _course_candidates(award).count()
    return _program_candidates(award).count()


def award_backfill(*, award: Award, by: User) -> BackfillResult:
    """Issue the award's certificate to everyone who already earned it (see `award_backfill_preview`).

    Each certificate is issued in its own transaction by the issuing service (idempotent per completion and per
    program cycle), so an interrupted run is completed by running it again.
    """
    organization = award.organization
    _require_manage(organization, by)
    if not award.enabled:
        raise ValidationError(BACKFILL_DISABLED)
    issued = skipped = 0
    if award.source == Source.COURSE:
        for completion_id in list(_course_candidates(award).values_list("pk", flat=True)):
            certificate = issuing.issue_for_course_completion(completion_id)
            issued, skipped = (issued + 1, skipped) if certificate is not None else (issued, skipped + 1)
    else:
        rows = list(
            _program_candidates(award).values(
                "pk", "membership_id", "cycle", "completed_on", "expires_on", "completion_id"
            )
        )
        for row in rows:
            certificate = issuing.issue_for_program_cycle(
                assignment_id=row["pk"],
                program_id=award.program_id or 0,
                membership_id=row["membership_id"],
                cycle=row["cycle"],
                completed_on=row["completed_on"] or clock.today(),
                expires_on=row["expires_on"],
                completion_id=row["completion_id"],
            )
            issued, skipped = (issued + 1, skipped) if certificate is not None else (issued, skipped + 1)
    if issued or skipped:
        # A run that found nobody changed nothing: no record.
        audit_record(
            organization=organization,
            action="certificate.award_backfilled",
            actor=by,
            target=award,
            summary={"issued": issued, "skipped": skipped},
        )
    return BackfillResult(issued=issued, skipped=skipped)


def award_catch_up(*, award: Award) -> int:
    """Issue what the completion events should have issued and did not — the broker was down when a completion
    committed, or the task failed — to people who earned the award since it was created. Earlier completions are
    the backfill's, which an officer chooses to run. Nightly (tasks.daily); idempotent; returns how many were issued.
    """
    if not award.enabled:
        return 0
    issued = 0
    if award.source == Source.COURSE:
        candidates = _course_candidates(award).filter(completed_at__gte=award.created_at)
        for completion_id in list(candidates.values_list("pk", flat=True)):
            issued += issuing.issue_for_course_completion(completion_id) is not None
        return issued
    since = award.created_at.date()
    rows = list(
        _program_candidates(award)
        .filter(completed_on__gte=since)
        .values("pk", "membership_id", "cycle", "completed_on", "expires_on", "completion_id")
    )
    for row in rows:
        certificate = issuing.issue_for_program_cycle(
            assignment_id=row["pk"],
            program_id=award.program_id or 0,
            membership_id=row["membership_id"],
            cycle=row["cycle"],
            completed_on=row["completed_on"] or clock.today(),  # never None: the candidates are completed
            expires_on=row["expires_on"],
            completion_id=row["completion_id"],
        )
        issued += certificate is not None
    return issued
