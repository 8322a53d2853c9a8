"""The compliance officer's program pages: the list, the program form with its preview of who is affected, one
program with its people, and one person's page explaining why they stand where they stand.

Who sees what (`compliance.policy`): the list and a program's page need `can_view_reports` (officers, auditors,
and managers, who see only their people through `people_q`); creating, editing, previewing, activating,
archiving and re-evaluating need `can_manage`. A person's page is for whoever `can_see_person` — the person
included. Another organisation's program or person is not found (404); without the right, forbidden (403).

Views are thin: they parse, authorise, call one service or read, and hand ready-made words to the templates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.policy import NOT_ALLOWED, Principal, principal_for
from syllabus.accounts.models import Membership, Organization, OrgUnit, User
from syllabus.compliance import due_dates, evaluation, policy, services
from syllabus.compliance.forms_programs import LATE, PeopleFilterForm, ProgramForm, error_summary
from syllabus.compliance.models import (
    IN_GOOD_STANDING,
    Anchor,
    Assignment,
    ClosedCycle,
    DueRule,
    Exemption,
    Program,
    ProgramAcknowledgement,
    ProgramStatus,
    Requirement,
    Signature,
    StatusChange,
    StatusCode,
)
from syllabus.compliance.services.completion_signing import completion_day, signable_completions
from syllabus.core.tenancy import current_organization
from syllabus.progress.models import Completion

View = Callable[..., HttpResponse]
PAGE_SIZE = 25
# Shown in this order everywhere (the counts, the filter): the worst first.
STATUS_ORDER = (
    StatusCode.OVERDUE,
    StatusCode.EXPIRED,
    StatusCode.DUE_SOON,
    StatusCode.NOT_YET_DUE,
    StatusCode.COMPLIANT,
    StatusCode.EXEMPT,
)
NEW_PROGRAM_INITIAL: dict[str, Any] = {
    "requirement": Requirement.COURSE,
    "due_rule": DueRule.AFTER_ASSIGNMENT,
    "due_days": 30,
    "grace_days": 0,
    "due_soon_days": 30,
    "window_days": 0,
    "anchor": Anchor.COMPLETION,
    "lookback_days": 0,
    "remind_on_due": True,
    "overdue_every_days": 7,
    "enroll": True,
}


def compliance_view(view: View) -> View:
    """Signed in and acting in an organisation; passes the organisation and the principal on."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = current_organization(request)
        if organization is None:
            return redirect(f"{reverse('accounts:choose-organization')}?{urlencode({'next': request.path})}")
        principal = principal_for(request.user, organization)
        return view(request, organization, principal, *args, **kwargs)

    return wrapper


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(NOT_ALLOWED)


def _program_or_404(organization: Organization, pk: int) -> Program:
    program = Program.objects.for_organization(organization).select_related("audience", "organization").filter(pk=pk)
    found = program.first()
    if found is None:
        raise Http404
    return found


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def _day(day: dt.date | None) -> str:
    return date_format(day, "j F Y") if day else ""


def valid_until(expires_on: dt.date | None) -> dt.date | None:
    """The last valid day of a completion that expires on `expires_on` (the first day it no longer counts). The
    pages say "valid until <last valid day>" everywhere, never the expiry day itself, so no two dates a day apart
    stand side by side."""
    return expires_on - dt.timedelta(days=1) if expires_on else None


def renewal_open(program: Program, assignment: Assignment, today: dt.date) -> bool:
    """A compliant person whose recertification window has opened: they may (and should) renew now."""
    if assignment.status != StatusCode.COMPLIANT:
        return False
    opens = window_opens(program, assignment)
    return opens is not None and opens <= today


# --- words about a program (templates only display) -----------------------------------------------------------------


def due_words(program: Program) -> str:
    if program.due_rule == DueRule.FIXED:
        text = _("Due on %(day)s") % {"day": _day(program.due_on)}
    elif program.due_rule == DueRule.AFTER_HIRE:
        days = program.due_days or 0
        text = ngettext(
            "Due %(days)s day after the person's hire date", "Due %(days)s days after the person's hire date", days
        ) % {"days": days}
    else:
        days = program.due_days or 0
        text = ngettext("Due %(days)s day after assignment", "Due %(days)s days after assignment", days) % {
            "days": days
        }
    if program.grace_days:
        text += ngettext(", with %(days)s day of grace", ", with %(days)s days of grace", program.grace_days) % {
            "days": program.grace_days
        }
    return text


def recurrence_words(program: Program) -> str:
    if program.valid_months is None:
        return _("One-off: a completion never expires")
    text = ngettext("valid %(months)s month", "valid %(months)s months", program.valid_months) % {
        "months": program.valid_months
    }
    if program.window_days:
        text += ngettext(
            ", recertification opens %(days)s day before expiry",
            ", recertification opens %(days)s days before expiry",
            program.window_days,
        ) % {"days": program.window_days}
    if program.anchor == Anchor.DUE_DATE:
        text += _(", the next cycle counted from the previous due date")
    else:
        text += _(", the next cycle counted from the completion")
    return text[0].upper() + text[1:]


def requirement_words(program: Program, titles: list[str]) -> str:
    joined = ", ".join(titles)
    if program.requirement == Requirement.ACKNOWLEDGEMENT:
        text = _("Acknowledge a statement")
    elif program.requirement == Requirement.ALL:
        text = _("Complete all of: %(courses)s") % {"courses": joined}
    elif program.requirement == Requirement.ANY:
        text = _("Complete any one of: %(courses)s") % {"courses": joined}
    else:
        text = _("Complete %(courses)s") % {"courses": joined}
    if program.min_score is not None:
        text += _(" with a score of at least %(score)s%%") % {"score": f"{program.min_score.normalize():f}"}
    return text


def reminder_words(program: Program) -> str:
    parts: list[str] = []
    if program.reminder_days:
        days = ", ".join(str(day) for day in program.reminder_days)
        parts.append(_("Reminders %(days)s days before the due date") % {"days": days})
    if program.remind_on_due:
        parts.append(_("on the due date"))
    if program.overdue_every_days:
        parts.append(
            ngettext(
                "every %(days)s day while overdue", "every %(days)s days while overdue", program.overdue_every_days
            )
            % {"days": program.overdue_every_days}
        )
    if program.escalate_manager_days is not None:
        parts.append(_("the manager is told after %(days)s days overdue") % {"days": program.escalate_manager_days})
    if program.escalate_officer_days is not None:
        parts.append(
            _("compliance officers are told after %(days)s days overdue") % {"days": program.escalate_officer_days}
        )
    if not parts:
        return _("No reminders")
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def summary_lines(program: Program, titles: list[str]) -> list[tuple[str, str]]:
    """The program's rules as (term, sentence) pairs."""
    lines = [
        (_("Applies to"), program.audience.name),
        (_("Satisfied by"), requirement_words(program, titles)),
        (_("Due"), due_words(program)),
        (_("Recurrence"), recurrence_words(program)),
    ]
    if program.lookback_days:
        lines.append(
            (
                _("Training done before"),
                ngettext(
                    "Completions up to %(days)s day before the assignment count",
                    "Completions up to %(days)s days before the assignment count",
                    program.lookback_days,
                )
                % {"days": program.lookback_days},
            )
        )
    lines.append((_("Reminders"), reminder_words(program)))
    if program.require_signature:
        lines.append((_("Signature"), _("Required: “%(meaning)s”") % {"meaning": program.signature_meaning}))
    if program.gating:
        lines.append((_("At sign-in"), _("Overdue and expired people are sent to their compliance training")))
    return lines


def _titles(program: Program) -> list[str]:
    return [pc.course.title for pc in program.program_courses.select_related("course").order_by("position", "pk")]


# --- the list -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramRow:
    program: Program
    requirement: str
    in_scope: int
    good: int
    overdue: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.good / self.in_scope) if self.in_scope else None


def _visible_programs(organization: Organization, principal: Principal) -> QuerySet[Program]:
    programs = Program.objects.for_organization(organization)
    if not policy.can_manage(principal):
        # Drafts are the officers' work in progress: nobody is assigned yet.
        programs = programs.exclude(status=ProgramStatus.DRAFT)
    return programs  # type: ignore[no-any-return]


@compliance_view
@require_GET
def program_list(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require(policy.can_view_reports(principal))
    programs = list(
        _visible_programs(organization, principal)
        .select_related("audience")
        .prefetch_related("program_courses__course")
        .order_by("name", "pk")
    )
    # One grouped query over the open assignments, limited to the people this principal sees.
    figures = {
        row["program_id"]: row
        for row in Assignment.objects.filter(
            policy.people_q(principal),
            organization=organization,
            ended_at__isnull=True,
            program__in=[p.pk for p in programs],
        )
        .values("program_id")
        .annotate(
            in_scope=Count("pk"),
            good=Count("pk", filter=Q(status__in=IN_GOOD_STANDING)),
            overdue=Count("pk", filter=Q(status__in=(StatusCode.OVERDUE, StatusCode.EXPIRED))),
        )
        .order_by()
    }
    rows = []
    for program in programs:
        row = figures.get(program.pk, {})
        titles = [pc.course.title for pc in program.program_courses.all()]
        rows.append(
            ProgramRow(
                program=program,
                requirement=requirement_words(program, titles),
                in_scope=row.get("in_scope", 0),
                good=row.get("good", 0),
                overdue=row.get("overdue", 0),
            )
        )
    context = {
        "rows": rows,
        "can_manage": policy.can_manage(principal),
        "sees_everyone": policy.sees_everyone(principal),
    }
    return render(request, "compliance/programs/list.html", context)


# --- the form and its preview ---------------------------------------------------------------------------------------


def _preview_context(
    request: HttpRequest, organization: Organization, program: Program | None, form: ProgramForm
) -> dict[str, Any]:
    """The preview of the form's data (or why there is none)."""
    if not form.is_valid():
        return {"preview": None, "preview_invalid": True, "preview_errors": error_summary(form)}
    preview = services.program_preview(
        program=program, organization=organization, by=_user(request), data=form.data_for_service
    )
    labels = dict(StatusCode.choices)
    changes = [
        {"from": str(labels.get(before, "")), "to": str(labels.get(after, after)), "count": count}
        for (before, after), count in sorted(preview.status_changes.items())
    ]
    sample = [
        {
            "name": row["name"],
            "before": str(labels.get(row["before"], "")) if row["before"] else "",
            "after": str(labels.get(row["after"], row["after"])),
            "due_before": _day(dt.date.fromisoformat(row["due_before"])) if row["due_before"] else "",
            "due_after": _day(dt.date.fromisoformat(row["due_after"])) if row["due_after"] else "",
        }
        for row in preview.sample
    ]
    # Status changes matter most: they come first (the sort is stable, so the service's order holds otherwise).
    sample.sort(key=lambda row: row["before"] == row["after"])
    return {
        "program": program,
        "preview": preview,
        "preview_changes": changes,
        "preview_sample": sample,
        "preview_is_new": program is None or program.status != ProgramStatus.ACTIVE,
    }


def _form_page(
    request: HttpRequest,
    organization: Organization,
    program: Program | None,
    form: ProgramForm,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "program": program,
        "error_summary": error_summary(form) if form.is_bound and form.errors else [],
        "preview_url": reverse("compliance:program-preview"),
        "has_audiences": form.fields["audience_id"].queryset.exists(),  # type: ignore[attr-defined]
        **(extra or {}),
    }
    return render(request, "compliance/programs/form.html", context)


def _save_or_preview(request: HttpRequest, organization: Organization, program: Program | None) -> HttpResponse:
    initial = ProgramForm.initial_for(program) if program else NEW_PROGRAM_INITIAL
    form = ProgramForm(request.POST or None, organization=organization, initial=initial)
    if request.method != "POST":
        return _form_page(request, organization, program, form)
    if request.POST.get("action") == "preview":
        # Without JavaScript the Preview button posts the whole form here: the page comes back with the preview.
        return _form_page(request, organization, program, form, _preview_context(request, organization, program, form))
    if form.is_valid():
        try:
            if program is None:
                saved = services.program_create(
                    organization=organization, by=_user(request), data=form.data_for_service
                )
                messages.success(
                    request,
                    _("The program %(name)s was created as a draft. Activate it to assign people.")
                    % {"name": saved.name},
                )
            else:
                saved = services.program_update(program=program, by=_user(request), data=form.data_for_service)
                messages.success(request, _("The program %(name)s was saved.") % {"name": saved.name})
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            return redirect("compliance:program", pk=saved.pk)
    return _form_page(request, organization, program, form)


@compliance_view
@require_http_methods(["GET", "POST"])
def program_create(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require(policy.can_manage(principal))
    return _save_or_preview(request, organization, None)


@compliance_view
@require_http_methods(["GET", "POST"])
def program_edit(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    program = _program_or_404(organization, pk)
    _require(policy.can_manage(principal))
    if program.status == ProgramStatus.ARCHIVED:
        messages.error(request, _("An archived program cannot be changed."))
        return redirect("compliance:program", pk=program.pk)
    return _save_or_preview(request, organization, program)


@compliance_view
@require_POST
def program_preview(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    """The preview fragment (htmx) of the form as it stands: who joins, leaves, changes status or due date."""
    program = None
    if request.POST.get("program"):
        try:
            program = _program_or_404(organization, int(request.POST["program"]))
        except ValueError as exc:
            raise Http404 from exc
    _require(policy.can_manage(principal))
    form = ProgramForm(request.POST, organization=organization)
    context = _preview_context(request, organization, program, form)
    if not _is_htmx(request):
        return _form_page(request, organization, program, form, context)
    context["form"] = form
    response = render(request, "compliance/programs/_preview.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- one program ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCount:
    code: str
    label: str
    count: int
    url: str


@compliance_view
@require_GET
def program_detail(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    program = _program_or_404(organization, pk)
    _require(policy.can_view_reports(principal))
    if program.status == ProgramStatus.DRAFT and not policy.can_manage(principal):
        raise Http404
    scope = Assignment.objects.filter(policy.people_q(principal), program=program, ended_at__isnull=True)
    totals = scope.aggregate(
        total=Count("pk"), **{code.value: Count("pk", filter=Q(status=code)) for code in STATUS_ORDER}
    )
    base_url = reverse("compliance:program", args=[program.pk])
    counts = [
        StatusCount(code, str(code.label), totals[code.value] or 0, f"{base_url}?{urlencode({'status': code.value})}")
        for code in STATUS_ORDER
    ]
    units_q = OrgUnit.objects.filter(organization=organization)
    if not policy.sees_everyone(principal):
        # A manager picks among the units of the people they see, not the whole organisation's tree.
        units_q = units_q.filter(pk__in=scope.values("membership__org_unit_id"))
    units = list(units_q.only("pk", "name", "path").order_by("path"))
    filters = PeopleFilterForm(request.GET or None, units=units)
    people = scope.select_related("membership__user", "membership__org_unit").order_by(
        "membership__user__display_name", "pk"
    )
    if filters.is_valid():
        wanted = filters.cleaned_data
        statuses = filters.statuses()
        if statuses:
            people = people.filter(status__in=statuses)
        if wanted.get("unit"):
            unit = next((u for u in units if u.pk == wanted["unit"]), None)
            if unit is not None:
                people = people.filter(OrgUnit.subtree_q(unit.path, prefix="membership__org_unit__"))
        if wanted.get("q"):
            term = wanted["q"].strip()
            people = people.filter(
                Q(membership__user__display_name__icontains=term) | Q(membership__user__email__icontains=term)
            )
    chosen = (filters.cleaned_data.get("status") or []) if filters.is_valid() else []
    current_status = chosen[0] if len(chosen) == 1 else ""
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    can_manage = policy.can_manage(principal)
    context: dict[str, Any] = {
        "program": program,
        "summary": summary_lines(program, _titles(program)),
        "statement": program.statement if program.requirement == Requirement.ACKNOWLEDGEMENT else "",
        "total": totals["total"] or 0,
        "good": sum(totals[code.value] or 0 for code in IN_GOOD_STANDING),
        "counts": counts,
        "filters": filters,
        "current_status": current_status,
        "page_obj": page,
        "people": person_rows(program, list(page.object_list)),
        "can_manage": can_manage,
        "can_edit": can_manage and program.status != ProgramStatus.ARCHIVED,
        "can_activate": can_manage and program.status == ProgramStatus.DRAFT,
        "can_archive": can_manage and program.status == ProgramStatus.ACTIVE,
        "can_evaluate": can_manage and program.status == ProgramStatus.ACTIVE,
        "sees_everyone": policy.sees_everyone(principal),
        "filtered": bool(request.GET.get("status") or request.GET.get("unit") or request.GET.get("q")),
        "late_url": f"{base_url}?{urlencode({'status': LATE})}",
        "late_count": sum(totals[code.value] or 0 for code in (StatusCode.OVERDUE, StatusCode.EXPIRED)),
    }
    return render(request, "compliance/programs/detail.html", context)


@dataclass(frozen=True)
class PersonRow:
    """One line of a program's people table, with its words ready."""

    assignment: Assignment
    label: str
    due_text: str  # the due date, or "Valid until …" for a compliant person
    waiting_signature: bool  # a qualifying completion waits for the person's signature
    renewal_open: bool


def person_rows(program: Program, assignments: list[Assignment]) -> list[PersonRow]:
    """The rows of one page of people (three queries for the waiting signatures, whatever the page size)."""
    for assignment in assignments:
        assignment.program = program  # spares signable_completions a query per row
    waiting = signable_completions(assignments) if program.require_signature else {}
    today = evaluation.program_today(program)
    rows = []
    for assignment in assignments:
        until = assignment.status_until or valid_until(assignment.expires_on)
        if assignment.status == StatusCode.COMPLIANT:
            due_text = _("Valid until %(day)s") % {"day": _day(until)} if until else _("Does not expire")
        else:
            due_text = _day(assignment.due_on)
        rows.append(
            PersonRow(
                assignment=assignment,
                label=str(StatusCode(assignment.status).label),
                due_text=due_text,
                waiting_signature=assignment.pk in waiting,
                renewal_open=renewal_open(program, assignment, today),
            )
        )
    return rows


def _action(request: HttpRequest, program: Program, run: Callable[[Program, User], str]) -> HttpResponse:
    try:
        text = run(program, _user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, text)
    return redirect("compliance:program", pk=program.pk)


@compliance_view
@require_POST
def program_activate(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    def run(program: Program, by: User) -> str:
        services.program_activate(program=program, by=by)
        return _("The program is active. Everyone in %(audience)s is being assigned in the background.") % {
            "audience": program.audience.name
        }

    program = _program_or_404(organization, pk)
    _require(policy.can_manage(principal))
    return _action(request, program, run)


@compliance_view
@require_POST
def program_archive(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    def run(program: Program, by: User) -> str:
        services.program_archive(program=program, by=by)
        return _("The program is archived. Its history and evidence are kept.")

    program = _program_or_404(organization, pk)
    _require(policy.can_manage(principal))
    return _action(request, program, run)


# Above this many people, "Re-evaluate now" is queued for the worker rather than run in the request.
INLINE_EVALUATION_LIMIT = 2000


@compliance_view
@require_POST
def program_evaluate(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    def run(program: Program, by: User) -> str:
        if program.status != ProgramStatus.ACTIVE:
            raise ValidationError(_("Only an active program can be re-evaluated."))
        # Through the service (permission-checked and audited). A program of a few thousand people is evaluated
        # here, so the officer sees the outcome on the page that follows; a larger one goes to the worker.
        if program.assignments.filter(ended_at__isnull=True).count() > INLINE_EVALUATION_LIMIT:
            services.program_evaluate_queue(program=program, by=by)
            return _("Re-evaluation started in the background; the figures update when it is done.")
        result = services.program_evaluate(program=program, by=by, full=True)
        evaluated = ngettext("Re-evaluated %(count)s person.", "Re-evaluated %(count)s people.", result.evaluated) % {
            "count": result.evaluated
        }
        changed = ngettext("%(count)s status changed.", "%(count)s statuses changed.", result.changed) % {
            "count": result.changed
        }
        return f"{evaluated} {changed}"

    program = _program_or_404(organization, pk)
    _require(policy.can_manage(principal))
    return _action(request, program, run)


# --- one person -----------------------------------------------------------------------------------------------------


def standing_words(program: Program, assignment: Assignment, today: dt.date | None = None) -> str:
    """Why the person stands where they stand, in the reader's language (standing.explanation is English-only)."""
    code = assignment.status
    if not assignment.is_open:
        return _("No longer assigned since %(day)s (%(reason)s)") % {
            "day": _day(assignment.ended_at.date() if assignment.ended_at else None),
            "reason": assignment.end_reason or _("left the audience"),
        }
    if code == StatusCode.EXEMPT:
        if assignment.status_until:
            return _("Exempt until %(day)s") % {"day": _day(assignment.status_until)}
        return _("Exempt (no end date)")
    if code == StatusCode.COMPLIANT:
        if assignment.status_until:
            text = _("Compliant until %(day)s") % {"day": _day(assignment.status_until)}
        else:
            text = _("Compliant (does not expire)")
        window = window_opens(program, assignment)
        if window and today is not None and window <= today:
            # Renewal is the thing to do now: say so, with the last day it can be done without a gap.
            text += _("; renewal open — complete it again by %(day)s") % {"day": _day(assignment.status_until)}
        elif window:
            text += _("; recertification opens %(day)s") % {"day": _day(window)}
        return text
    if code == StatusCode.EXPIRED:
        return _("Expired: the last completion was valid until %(last)s; recertification overdue since %(since)s") % {
            "last": _day(valid_until(assignment.original_due_on or assignment.due_on)),
            "since": _day(assignment.status_since),
        }
    if code == StatusCode.OVERDUE:
        return _("Overdue since %(since)s (due %(due)s)") % {
            "since": _day(assignment.status_since),
            "due": _day(assignment.due_on),
        }
    if assignment.status_until and assignment.status_until != assignment.due_on:
        return _("Due %(due)s (with grace until %(until)s)") % {
            "due": _day(assignment.due_on),
            "until": _day(assignment.status_until),
        }
    return _("Due %(due)s") % {"due": _day(assignment.due_on)}


def window_opens(program: Program, assignment: Assignment) -> dt.date | None:
    if not program.recurs or not program.window_days or assignment.expires_on is None:
        return None
    return due_dates.window_opens(evaluation.schedule_of(program), expires_on=assignment.expires_on)


def _score(score: Decimal | None) -> str:
    return f"{score.normalize():f}%" if score is not None else ""


def reason_words(reason: str) -> str:
    """The ledger's reason codes (written by `evaluation`) in the reader's words."""
    words = {
        "assigned": _("Assigned"),
        "completed": _("Completed"),
        "exempted": _("Exemption in force"),
        "new_cycle": _("New cycle"),
        "time": _("Time passed"),
        "recorded": _("Re-evaluated"),
        "unassigned": _("Left the program's scope"),
    }
    return str(words.get(reason, reason))


def _ids(refs: list[str], prefix: str) -> list[int]:
    return [
        int(ref.split(":", 1)[1]) for ref in refs if ref.startswith(prefix + ":") and ref.split(":", 1)[1].isdigit()
    ]


@compliance_view
@require_GET
def program_person(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, membership_id: int
) -> HttpResponse:
    program = _program_or_404(organization, pk)
    person = (
        Membership.objects.for_organization(organization)
        .select_related("user", "org_unit", "manager__user")
        .filter(pk=membership_id)
        .first()
    )
    if person is None:
        raise Http404
    _require(policy.can_see_person(principal, person))
    assignments = list(Assignment.objects.filter(program=program, membership=person).order_by("-assigned_at", "-pk"))
    if not assignments:
        raise Http404
    # The open assignment, or the last one when the person has left the program's scope.
    assignment = next((a for a in assignments if a.is_open), assignments[0])
    completion_ids = _ids(assignment.satisfied_by, "completion")
    completions = list(Completion.objects.filter(pk__in=completion_ids, membership=person).select_related("course"))
    acknowledgement = (
        ProgramAcknowledgement.objects.filter(pk=assignment.acknowledgement_id, membership=person).first()
        if assignment.acknowledgement_id
        else None
    )
    # Signatures of what satisfied this cycle: the completions (signed for this program) and the acknowledgement.
    signature_q = Q(record_type="completion", record_id__in=completion_ids)
    if acknowledgement is not None:
        signature_q |= Q(record_type="acknowledgement", record_id=acknowledgement.pk)
    signatures = list(
        Signature.objects.filter(signature_q, program=program, membership=person).order_by("signed_at", "pk")
        if completion_ids or acknowledgement
        else []
    )
    labels = dict(StatusCode.choices)
    assignment_ids = [a.pk for a in assignments]
    closed = list(ClosedCycle.objects.filter(assignment_id__in=assignment_ids).order_by("assignment_id", "number"))
    ledger = [
        (row, str(labels.get(row.status, row.status)), reason_words(row.reason))
        for row in StatusChange.objects.filter(assignment_id__in=assignment_ids).order_by(
            "effective_on", "recorded_at", "pk"
        )
    ]
    exemptions = list(
        Exemption.objects.filter(assignment_id__in=assignment_ids)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at", "-pk")
    )
    # Nothing to ask for while compliant or exempt (an extension of a satisfied cycle makes no sense).
    may_request = (
        assignment.is_open
        and assignment.status not in (StatusCode.COMPLIANT, StatusCode.EXEMPT)
        and policy.can_request_exemption(principal, person)
    )
    assignment.program = program  # spares signable_completions a query
    waiting = [
        (completion, completion_day(completion, program))
        for completion in signable_completions([assignment]).get(assignment.pk, [])
    ]
    # With signatures required, a completion counts from the day it is signed: say so beside the completion date.
    counted_signature = next((sig for sig in signatures if sig.record_type == "completion"), None)
    today = evaluation.program_today(program)
    context: dict[str, Any] = {
        "program": program,
        "person": person,
        "assignment": assignment,
        "status_label": str(labels.get(assignment.status, assignment.status))
        if assignment.is_open
        else _("No longer assigned"),
        "explanation": standing_words(program, assignment, today),
        "window_opens": window_opens(program, assignment),
        "renewal_open": renewal_open(program, assignment, today),
        "valid_until": valid_until(assignment.expires_on),
        "signed_on": counted_signature.signed_at if counted_signature else None,
        "waiting_signature": waiting,
        "completions": [(c, _score(c.score)) for c in completions],
        "acknowledgement": acknowledgement,
        "signatures": signatures,
        "closed": [(cycle, valid_until(cycle.expires_on)) for cycle in closed],
        "ledger": ledger,
        "exemptions": exemptions,
        "may_request": may_request,
        "sees_program": policy.can_view_reports(principal)
        and (program.status != ProgramStatus.DRAFT or policy.can_manage(principal)),
    }
    return render(request, "compliance/programs/person.html", context)
