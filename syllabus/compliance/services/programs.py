"""Writing programs: create, change (with a preview of who is affected), activate, archive, re-evaluate."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import Organization, User
from syllabus.audiences.models import Audience
from syllabus.audit.services import audit_record
from syllabus.catalog.models import Course
from syllabus.compliance import due_dates, evaluation, events, policy, standing
from syllabus.compliance.models import (
    Anchor,
    Assignment,
    DueRule,
    Program,
    ProgramCourse,
    ProgramStatus,
    Requirement,
)
from syllabus.core import clock
from syllabus.core.events import emit

NAME_REQUIRED = "Give the program a name."
NAME_TAKEN = "Another program of the organisation has this name."
CHOICE = "Choose one of the listed options."
AUDIENCE_REQUIRED = "Choose who the program applies to."
COURSES_REQUIRED = "Choose at least one course."
ONE_COURSE = "Choose exactly one course (or choose 'any one of several')."
COURSE_OTHER_ORG = "Choose courses of this organisation."
STATEMENT_REQUIRED = "Write the statement people acknowledge."
DUE_ON_REQUIRED = "Choose the due date."
DUE_ON_RANGE = "Choose a due date between {first} and {last}."
# A fixed due date this far around today at most (beyond it the date arithmetic of later cycles overflows).
DUE_ON_YEARS = 50
DUE_DAYS_REQUIRED = "Give a number of days between 0 and 3650."
SCORE_RANGE = "Give a score between 0 and 100, or leave it empty."
NUMBER_RANGE = "Give a whole number between {low} and {high}."
REMINDERS_INVALID = "List days before the due date as whole numbers between 1 and 365, separated by commas."
MEANING_REQUIRED = "Say what the signature means (for example, 'I have read and understood this training')."
NOT_DRAFT = "Only a draft program can be activated."
NOT_ACTIVE = "Only an active program can be archived."
ARCHIVED = "An archived program cannot be changed."

MAX_DAYS = 3650
PREVIEW_SAMPLE = 20

# Fields whose change can move someone's status: changing them bumps `Program.revision`.
STANDING_FIELDS = (
    "audience_id",
    "requirement",
    "course_ids",
    "min_score",
    "due_rule",
    "due_on",
    "due_days",
    "grace_days",
    "due_soon_days",
    "valid_months",
    "window_days",
    "anchor",
    "lookback_days",
    "require_signature",
)
OTHER_FIELDS = (
    "name",
    "description",
    "statement",
    "reminder_days",
    "remind_on_due",
    "overdue_every_days",
    "escalate_manager_days",
    "escalate_officer_days",
    "signature_meaning",
    "gating",
    "enroll",
    "owner_id",
)


def _deny() -> PermissionDenied:
    return PermissionDenied(NOT_ALLOWED)


def _int(data: dict[str, Any], name: str, low: int, high: int, *, required: bool = True) -> int | None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            raise ValidationError({name: NUMBER_RANGE.format(low=low, high=high)})
        return None
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise ValidationError({name: NUMBER_RANGE.format(low=low, high=high)}) from None
    if not low <= number <= high or isinstance(value, bool):
        raise ValidationError({name: NUMBER_RANGE.format(low=low, high=high)})
    return number


def _reminders(value: Any) -> list[int]:
    if value in (None, ""):
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValidationError({"reminder_days": REMINDERS_INVALID})
    out: set[int] = set()
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        try:
            day = int(text)
        except ValueError:
            raise ValidationError({"reminder_days": REMINDERS_INVALID}) from None
        if not 1 <= day <= 365 or isinstance(item, bool):
            raise ValidationError({"reminder_days": REMINDERS_INVALID})
        out.add(day)
    return sorted(out, reverse=True)


def _date(value: Any, name: str, message: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise ValidationError({name: message}) from None


def _due_on(value: Any) -> dt.date:
    day = _date(value, "due_on", DUE_ON_REQUIRED)
    today = clock.now().date()
    first = today.replace(year=today.year - DUE_ON_YEARS, day=min(today.day, 28))
    last = today.replace(year=today.year + DUE_ON_YEARS, day=min(today.day, 28))
    if not first <= day <= last:
        raise ValidationError({"due_on": DUE_ON_RANGE.format(first=first.isoformat(), last=last.isoformat())})
    return day


def clean_fields(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    """Validate a program's fields (from a form or the API). Raises ValidationError naming each bad field.

    `data` keys: the model's fields, with `audience_id`, `course_ids` (ordered) and `owner_id` for relations.
    """
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}

    def attempt(name: str, fn: Any) -> None:
        try:
            out[name] = fn()
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors.setdefault(key, messages[0])

    name = str(data.get("name") or "").strip()
    if not name or len(name) > 200:
        errors["name"] = NAME_REQUIRED
    out["name"] = name
    out["description"] = str(data.get("description") or "").strip()
    requirement = data.get("requirement") or Requirement.COURSE
    if requirement not in Requirement.values:
        errors["requirement"] = CHOICE
    out["requirement"] = requirement
    audience_id = data.get("audience_id")
    audience = (
        Audience.objects.filter(organization=organization, pk=int(str(audience_id))).first()
        if str(audience_id or "").isdigit()
        else None
    )
    if audience is None:
        errors["audience_id"] = AUDIENCE_REQUIRED
    out["audience_id"] = audience.pk if audience else None
    raw_courses = data.get("course_ids") or []
    try:
        course_ids = list(dict.fromkeys(int(x) for x in raw_courses))
    except (TypeError, ValueError):
        course_ids = []
        errors["course_ids"] = COURSE_OTHER_ORG
    if requirement == Requirement.ACKNOWLEDGEMENT:
        course_ids = []
        if not str(data.get("statement") or "").strip():
            errors["statement"] = STATEMENT_REQUIRED
    elif "course_ids" not in errors:
        found = set(Course.objects.filter(organization=organization, pk__in=course_ids).values_list("pk", flat=True))
        if not course_ids:
            errors["course_ids"] = COURSES_REQUIRED
        elif found != set(course_ids):
            errors["course_ids"] = COURSE_OTHER_ORG
        elif requirement == Requirement.COURSE and len(course_ids) != 1:
            errors["course_ids"] = ONE_COURSE
    out["course_ids"] = course_ids
    out["statement"] = str(data.get("statement") or "").strip()
    score = data.get("min_score")
    if score in (None, ""):
        out["min_score"] = None
    else:
        try:
            out["min_score"] = Decimal(str(score))
            if not Decimal(0) <= out["min_score"] <= Decimal(100):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors["min_score"] = SCORE_RANGE
    due_rule = data.get("due_rule") or DueRule.AFTER_ASSIGNMENT
    if due_rule not in DueRule.values:
        errors["due_rule"] = CHOICE
    out["due_rule"] = due_rule
    out["due_on"], out["due_days"] = None, None
    if due_rule == DueRule.FIXED:
        if data.get("due_on") in (None, ""):
            errors["due_on"] = DUE_ON_REQUIRED
        else:
            attempt("due_on", lambda: _due_on(data["due_on"]))
    elif due_rule in DueRule.values:
        attempt("due_days", lambda: _int(data, "due_days", 0, MAX_DAYS))
    attempt("grace_days", lambda: _int(data, "grace_days", 0, 365, required=False) or 0)
    attempt(
        "due_soon_days",
        lambda: (
            _int(data, "due_soon_days", 0, 365, required=False) if data.get("due_soon_days") not in (None, "") else 30
        ),
    )
    attempt("valid_months", lambda: _int(data, "valid_months", 1, 120, required=False))
    attempt("window_days", lambda: _int(data, "window_days", 0, 3650, required=False) or 0)
    anchor = data.get("anchor") or Anchor.COMPLETION
    if anchor not in Anchor.values:
        errors["anchor"] = CHOICE
    out["anchor"] = anchor
    attempt("lookback_days", lambda: _int(data, "lookback_days", 0, MAX_DAYS, required=False) or 0)
    attempt("reminder_days", lambda: _reminders(data.get("reminder_days")))
    out["remind_on_due"] = bool(data.get("remind_on_due", True))
    attempt(
        "overdue_every_days",
        lambda: (
            _int(data, "overdue_every_days", 0, 365, required=False)
            if data.get("overdue_every_days") not in (None, "")
            else 7
        ),
    )
    attempt("escalate_manager_days", lambda: _int(data, "escalate_manager_days", 0, 365, required=False))
    attempt("escalate_officer_days", lambda: _int(data, "escalate_officer_days", 0, 365, required=False))
    out["require_signature"] = bool(data.get("require_signature", False))
    out["signature_meaning"] = str(data.get("signature_meaning") or "").strip()[:300]
    if out["require_signature"] and not out["signature_meaning"]:
        errors["signature_meaning"] = MEANING_REQUIRED
    out["gating"] = bool(data.get("gating", False))
    out["enroll"] = bool(data.get("enroll", True))
    owner_id = data.get("owner_id")
    out["owner_id"] = int(str(owner_id)) if str(owner_id or "").isdigit() else None
    if not errors and out.get("valid_months") is None:
        out["window_days"] = 0
    if not errors:
        try:
            evaluation.schedule_of(Program(**{k: v for k, v in out.items() if k not in ("course_ids", "owner_id")}))
        except ValueError as error:
            field_name = "window_days" if "window" in str(error).lower() else "valid_months"
            errors[field_name] = str(error)
    if errors:
        raise ValidationError(errors)
    return out


def _snapshot(program: Program) -> dict[str, Any]:
    data = {name: getattr(program, name) for name in STANDING_FIELDS + OTHER_FIELDS if name != "course_ids"}
    data["course_ids"] = list(program.program_courses.order_by("position", "pk").values_list("course_id", flat=True))
    return data


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in data.items():
        if isinstance(value, dt.date | Decimal):
            out[key] = str(value)
        else:
            out[key] = value
    return out


def _set_courses(program: Program, course_ids: list[int]) -> None:
    ProgramCourse.objects.filter(program=program).delete()
    ProgramCourse.objects.bulk_create(
        [ProgramCourse(program=program, course_id=pk, position=index) for index, pk in enumerate(course_ids)]
    )


def program_create(*, organization: Organization, by: User, data: dict[str, Any]) -> Program:
    """A new program, as a draft: nobody is assigned until it is activated (`program_activate`)."""
    principal = principal_for(by, organization)
    if not policy.can_manage(principal):
        raise _deny()
    fields = clean_fields(organization, data)
    course_ids = fields.pop("course_ids")
    fields["owner_id"] = fields.get("owner_id") or by.pk
    try:
        with transaction.atomic():
            program = Program.objects.create(organization=organization, created_by=by, **fields)
            _set_courses(program, course_ids)
            audit_record(
                organization=organization,
                action="compliance.program_created",
                actor=by,
                target=program,
                after=_jsonable(_snapshot(program)),
            )
    except IntegrityError:
        raise ValidationError({"name": NAME_TAKEN}) from None
    return program


@dataclass
class Preview:
    """Who a change to a program affects, before it is saved."""

    joining: int = 0  # people who will be assigned
    leaving: int = 0  # people who will be unassigned
    status_changes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (before, after) -> people
    due_changes: int = 0
    unchanged: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)  # the first people affected, for the page

    @property
    def affected(self) -> int:
        return self.joining + self.leaving + sum(self.status_changes.values()) + self.due_changes

    def as_dict(self) -> dict[str, Any]:
        return {
            "joining": self.joining,
            "leaving": self.leaving,
            "status_changes": [
                {"from": before, "to": after, "count": count}
                for (before, after), count in sorted(self.status_changes.items())
            ],
            "due_changes": self.due_changes,
            "unchanged": self.unchanged,
            "affected": self.affected,
            "sample": self.sample,
        }


def program_preview(*, program: Program | None, organization: Organization, by: User, data: dict[str, Any]) -> Preview:
    """What saving `data` would do to the people in scope (nothing is written). For a new or draft program:
    who would be assigned and when they would be due."""
    principal = principal_for(by, organization)
    if not policy.can_manage(principal):
        raise _deny()
    fields = clean_fields(organization, data)
    course_ids = fields.pop("course_ids")
    candidate = Program(organization=organization, **fields)
    candidate.status = ProgramStatus.ACTIVE
    if program is not None:
        candidate.pk = program.pk
    rules = evaluation.ProgramRules(
        program=candidate,
        schedule=evaluation.schedule_of(candidate),
        zone=evaluation.zone_of(candidate),
        course_ids=course_ids,
        mode="all" if candidate.requirement == Requirement.ALL else "any",
        parts=frozenset({"ack"})
        if candidate.requirement == Requirement.ACKNOWLEDGEMENT
        else frozenset(f"course:{pk}" for pk in course_ids),
    )
    today = evaluation.program_today(candidate)
    in_scope = evaluation._scope_ids(candidate, None)
    current: dict[int, Assignment] = {}
    if program is not None and program.status == ProgramStatus.ACTIVE:
        current = {a.membership_id: a for a in Assignment.objects.filter(program=program, ended_at__isnull=True)}
    result = Preview()
    result.leaving = len(set(current) - in_scope)
    rows: list[dict[str, Any]] = []
    for membership_id in sorted(in_scope):
        existing = current.get(membership_id)
        rows.append(
            {
                "id": existing.pk if existing else -membership_id,
                "membership_id": membership_id,
                "assigned_on": existing.assigned_on if existing else today,
            }
        )
    names = _names([row["membership_id"] for row in rows[: PREVIEW_SAMPLE * 5]])
    for chunk_start in range(0, len(rows), evaluation.BATCH):
        chunk = rows[chunk_start : chunk_start + evaluation.BATCH]
        facts = evaluation.load_facts(rules, chunk, today)
        for row in chunk:
            item = standing.compute(facts[row["id"]], today)
            existing = current.get(row["membership_id"])
            if existing is None:
                result.joining += 1
                change = ("", item.code)
            elif existing.status != item.code:
                result.status_changes[(existing.status, item.code)] += 1
                change = (existing.status, item.code)
            elif existing.due_on != item.cycle.due_on:
                result.due_changes += 1
                change = (existing.status, item.code)
            else:
                result.unchanged += 1
                continue
            if len(result.sample) < PREVIEW_SAMPLE:
                result.sample.append(
                    {
                        "membership_id": row["membership_id"],
                        "name": names.get(row["membership_id"], ""),
                        "before": change[0],
                        "after": change[1],
                        "due_before": existing.due_on.isoformat() if existing else None,
                        "due_after": item.cycle.due_on.isoformat(),
                    }
                )
    return result


def _names(membership_ids: list[int]) -> dict[int, str]:
    from syllabus.accounts.models import Membership

    return {
        pk: name or email
        for pk, name, email in Membership.objects.filter(pk__in=membership_ids).values_list(
            "pk", "user__display_name", "user__email"
        )
    }


def program_update(*, program: Program, by: User, data: dict[str, Any]) -> Program:
    """Change a program. A change to who, what or when re-evaluates everyone in scope in the background
    (`tasks.evaluate_program(full=True)`); see `program_preview` for who it affects."""
    principal = principal_for(by, program.organization)
    if not policy.can_manage(principal) or program.organization_id != principal.organization.pk:  # type: ignore[union-attr]
        raise _deny()
    fields = clean_fields(program.organization, data)
    course_ids = fields.pop("course_ids")
    try:
        with transaction.atomic():
            # Compared with and written over the row as it is now, under its lock (the evaluation takes the same
            # one): an edit saved since this one's page was drawn is seen as a change (a rule put back bumps the
            # revision again), and nothing is written back from a stale copy — the revision and the evaluation's
            # stamps least of all (a revision that went back would make rows evaluated under other rules current).
            list(Program.objects.select_for_update().filter(pk=program.pk).values_list("pk", flat=True))
            program.refresh_from_db()
            if program.status == ProgramStatus.ARCHIVED:
                raise ValidationError(ARCHIVED)
            if "owner_id" not in data or fields.get("owner_id") is None:
                # Forms and the API do not send the owner: an edit keeps it.
                fields["owner_id"] = program.owner_id
            before = _snapshot(program)
            changed = [
                name
                for name in (*STANDING_FIELDS, *OTHER_FIELDS)
                if name != "course_ids" and getattr(program, name) != fields.get(name, getattr(program, name))
            ]
            if course_ids != before["course_ids"]:
                changed.append("course_ids")
            if not changed:
                return program
            for name, value in fields.items():
                setattr(program, name, value)
            if any(name in STANDING_FIELDS for name in changed):
                program.revision += 1
            program.save()
            if "course_ids" in changed:
                _set_courses(program, course_ids)
            after = _snapshot(program)
            audit_record(
                organization=program.organization,
                action="compliance.program_changed",
                actor=by,
                target=program,
                before=_jsonable({k: before[k] for k in changed}),
                after=_jsonable({k: after[k] for k in changed}),
            )
            emit(
                events.ProgramChanged(
                    organization_id=program.organization_id,
                    program_id=program.pk,
                    actor_id=by.pk,
                    fields=tuple(changed),
                )
            )
            if program.status == ProgramStatus.ACTIVE and any(name in STANDING_FIELDS for name in changed):
                _queue_evaluation(program.pk, full=True)
    except IntegrityError:
        raise ValidationError({"name": NAME_TAKEN}) from None
    return program


def program_activate(*, program: Program, by: User) -> Program:
    """Start the program: everyone in its audience is assigned (in the background), each with their due date."""
    principal = principal_for(by, program.organization)
    if not policy.can_manage(principal):
        raise _deny()
    with transaction.atomic():
        changed = Program.objects.filter(pk=program.pk, status=ProgramStatus.DRAFT).update(
            status=ProgramStatus.ACTIVE, activated_at=clock.now()
        )
        if not changed:
            raise ValidationError(NOT_DRAFT)
        program.refresh_from_db()
        audit_record(organization=program.organization, action="compliance.program_activated", actor=by, target=program)
        _queue_evaluation(program.pk, full=True)
    return program


def program_archive(*, program: Program, by: User) -> Program:
    """End the program: open assignments are closed (history, ledger and evidence stay)."""
    principal = principal_for(by, program.organization)
    if not policy.can_manage(principal):
        raise _deny()
    with transaction.atomic():
        changed = Program.objects.filter(pk=program.pk, status=ProgramStatus.ACTIVE).update(
            status=ProgramStatus.ARCHIVED
        )
        if not changed:
            raise ValidationError(NOT_ACTIVE)
        program.refresh_from_db()
        audit_record(organization=program.organization, action="compliance.program_archived", actor=by, target=program)
        _queue_evaluation(program.pk, full=True)
    return program


def program_evaluate(
    *, program: Program, by: User | None = None, membership_ids: list[int] | None = None, full: bool = False
) -> evaluation.EvaluationResult:
    """Evaluate now, in this process (tasks and tests; pages queue `tasks.evaluate_program`). With `by`, the
    permission is checked and the run audited."""
    if by is not None:
        principal = principal_for(by, program.organization)
        if not policy.can_manage(principal):
            raise _deny()
    result = evaluation.evaluate_program(program, membership_ids=membership_ids, full=full)
    if by is not None:
        audit_record(
            organization=program.organization,
            action="compliance.program_evaluated",
            actor=by,
            target=program,
            summary=result.as_dict(),
        )
    return result


def program_evaluate_queue(*, program: Program, by: User) -> None:
    """Re-evaluate everyone in the background (a large program takes longer than a page should wait). Audited
    when queued; the run itself writes the ledger."""
    principal = principal_for(by, program.organization)
    if not policy.can_manage(principal):
        raise _deny()
    with transaction.atomic():
        audit_record(
            organization=program.organization,
            action="compliance.program_evaluated",
            actor=by,
            target=program,
            summary={"queued": True},
        )
        _queue_evaluation(program.pk, full=True)


def _queue_evaluation(program_id: int, *, full: bool) -> None:
    from syllabus.compliance.tasks import evaluate_program

    transaction.on_commit(lambda: evaluate_program.delay(program_id, full=full))


def due_date_for(program: Program, *, assigned_on: dt.date, hire_date: dt.date | None) -> dt.date:
    """The first due date a person assigned on `assigned_on` gets (for pages that explain the rule)."""
    return due_dates.first_due(evaluation.schedule_of(program), assigned_on=assigned_on, hire_date=hire_date)
