"""The learner's side of compliance: "My compliance" (what I must do, by when, and why my status is what it is),
acknowledging a statement, signing a completion, and the signature's manifestation afterwards.

Everything here is about the signed-in person's own assignments: another person's assignment, completion or
signature is not found (404), whoever asks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Membership, Organization, User
from syllabus.compliance import due_dates, evaluation
from syllabus.compliance.models import (
    Assignment,
    ClosedCycle,
    Program,
    ProgramAcknowledgement,
    ProgramCourse,
    Requirement,
    Signature,
    StatusCode,
)
from syllabus.compliance.services import acknowledgements, completion_signing
from syllabus.compliance.services.signatures import Credentials, can_sign
from syllabus.progress.models import Completion

# Most urgent first: what is late, then what is coming, then what is done.
URGENCY = {
    StatusCode.OVERDUE: 0,
    StatusCode.EXPIRED: 1,
    StatusCode.DUE_SOON: 2,
    StatusCode.NOT_YET_DUE: 3,
    StatusCode.COMPLIANT: 4,
    StatusCode.EXEMPT: 5,
}
HISTORY_SIZE = 50


def day(value: dt.date | None) -> str:
    """A date in the person's own words ("2 March 2026", month names translated)."""
    return formats.date_format(value, "j F Y") if value else ""


def explain(assignment: Assignment, program: Program) -> str:
    """Why the status is what it is, in translated words built from the assignment's fields (the English
    `Standing.explanation()` is for logs and exports)."""
    status = assignment.status
    if status == StatusCode.EXEMPT:
        if assignment.status_until:
            return _("Exempt until %(day)s.") % {"day": day(assignment.status_until)}
        return _("Exempt, with no end date.")
    if status == StatusCode.COMPLIANT:
        if assignment.status_until:
            text = _("Compliant until %(day)s.") % {"day": day(assignment.status_until)}
        else:
            text = _("Compliant; this does not expire.")
        if program.recurs and program.window_days and assignment.expires_on:
            opens = due_dates.window_opens(evaluation.schedule_of(program), expires_on=assignment.expires_on)
            text += " " + _("You can renew it from %(day)s.") % {"day": day(opens)}
        return text
    if status == StatusCode.EXPIRED:
        expired = assignment.original_due_on or assignment.due_on
        return _("Your previous completion expired on %(expired)s; renewing it has been overdue since %(since)s.") % {
            "expired": day(expired),
            "since": day(assignment.status_since),
        }
    if status == StatusCode.OVERDUE:
        return _("Overdue since %(since)s (it was due %(due)s).") % {
            "since": day(assignment.status_since),
            "due": day(assignment.due_on),
        }
    if assignment.status_until and assignment.status_until != assignment.due_on:
        return _("Due %(due)s (with a grace period until %(until)s).") % {
            "due": day(assignment.due_on),
            "until": day(assignment.status_until),
        }
    return _("Due %(due)s.") % {"due": day(assignment.due_on)}


def _link(name: str, *args: Any) -> str | None:
    """A page of another area that may not be there yet (the link is then left out)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _membership(principal: Principal) -> Membership:
    if principal.membership is None:
        raise PermissionDenied(NOT_ALLOWED)
    return principal.membership


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@dataclass
class CourseLink:
    title: str
    url: str


@dataclass
class SignItem:
    completion: Completion
    url: str
    completed_on: dt.date


@dataclass
class Row:
    assignment: Assignment
    program: Program
    status_label: str
    explanation: str
    courses: list[CourseLink] = field(default_factory=list)
    acknowledge_url: str = ""
    sign: list[SignItem] = field(default_factory=list)
    exemption_url: str = ""
    signature: Signature | None = None
    signature_url: str = ""
    is_late: bool = False
    show_courses: bool = False


def my_assignments(membership: Membership) -> list[Assignment]:
    """The person's open assignments in active programs, with what the page shows (constant queries)."""
    courses = ProgramCourse.objects.select_related("course").order_by("position", "pk")
    return list(
        Assignment.objects.filter(
            organization_id=membership.organization_id,
            membership=membership,
            ended_at__isnull=True,
            program__status="active",
        )
        .select_related("program", "program__organization")
        .prefetch_related(Prefetch("program__program_courses", queryset=courses))
    )


def latest_signatures(membership: Membership, program_ids: list[int]) -> dict[int, Signature]:
    """The person's most recent signature in each program (acknowledgement or completion)."""
    found: dict[int, Signature] = {}
    for signature in Signature.objects.filter(
        membership=membership, program_id__in=program_ids, record_type__in=("acknowledgement", "completion")
    ).order_by("-signed_at", "-pk"):
        assert signature.program_id is not None
        found.setdefault(signature.program_id, signature)
    return found


def build_rows(membership: Membership, today_of: Any = evaluation.program_today) -> list[Row]:
    assignments = my_assignments(membership)
    signable = completion_signing.signable_completions(assignments)
    signatures = latest_signatures(membership, [a.program_id for a in assignments])
    exemption_base = _link("compliance:exemption-new")
    rows: list[Row] = []
    for assignment in assignments:
        program = assignment.program
        row = Row(
            assignment=assignment,
            program=program,
            status_label=str(StatusCode(assignment.status).label),
            explanation=explain(assignment, program),
            is_late=assignment.status in (StatusCode.OVERDUE, StatusCode.EXPIRED),
        )
        # Something to do: not yet satisfied, or satisfied and the renewal window is open.
        to_do = acknowledgements.acknowledgement_cycle(assignment, program, today_of(program)) is not None
        if program.requirement == Requirement.ACKNOWLEDGEMENT:
            if to_do:
                row.acknowledge_url = reverse("compliance:my-acknowledge", args=[assignment.pk])
        else:
            row.show_courses = to_do
            row.courses = [
                CourseLink(pc.course.title, reverse("catalog:course", args=[pc.course_id]))
                for pc in program.program_courses.all()
            ]
        row.sign = [
            SignItem(
                completion=completion,
                url=reverse("compliance:my-sign", args=[assignment.pk, completion.pk]),
                completed_on=completion_signing.completion_day(completion, program),
            )
            for completion in signable.get(assignment.pk, [])
        ]
        if exemption_base and assignment.status != StatusCode.EXEMPT:
            row.exemption_url = f"{exemption_base}?{urlencode({'assignment': assignment.pk})}"
        row.signature = signatures.get(program.pk)
        if row.signature is not None:
            row.signature_url = reverse("compliance:my-signature", args=[row.signature.pk])
        rows.append(row)
    rows.sort(key=lambda r: (URGENCY.get(r.assignment.status, 9), r.assignment.due_on, r.program.name))  # type: ignore[call-overload]
    return rows


@require_GET
@organization_view
def mine(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    membership = _membership(principal)
    rows = build_rows(membership)
    history = list(
        ClosedCycle.objects.filter(membership=membership, completed_on__isnull=False)
        .select_related("program")
        .order_by("-completed_on", "-pk")[:HISTORY_SIZE]
    )
    context = {
        "late": [row for row in rows if row.is_late],
        "rows": [row for row in rows if not row.is_late],
        "history": history,
        "can_sign": can_sign(_user(request)),
        "security_url": _link("accounts:security"),
    }
    return render(request, "compliance/learner/mine.html", context)


# --- signing and acknowledging ----------------------------------------------------------------------------------


class CredentialsForm(forms.Form):
    """The signer proves it is them again: their password, or a code from their authenticator app."""

    password = forms.CharField(
        label=gettext_lazy("Your password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=gettext_lazy("Or a code from your authenticator app"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("Six digits. Use either your password or a code."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
    )

    def credentials(self) -> Credentials:
        return Credentials(password=self.cleaned_data.get("password") or "", code=self.cleaned_data.get("code") or "")

    def add_errors_of(self, error: ValidationError) -> None:
        """Put a service's errors on the fields they name (`password`, `code`), the rest above the form."""
        if hasattr(error, "error_dict"):
            for name, messages_ in error.message_dict.items():
                self.add_error(name if name in self.fields else None, [_(m) for m in messages_])
        else:
            self.add_error(None, [_(m) for m in error.messages])


class AcknowledgeForm(CredentialsForm):
    agree = forms.BooleanField(
        label=gettext_lazy("I have read and understood this statement."),
        required=True,
        error_messages={"required": gettext_lazy("Tick the box to confirm you have read the statement.")},
    )

    def __init__(self, *args: Any, signed: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not signed:
            del self.fields["password"]
            del self.fields["code"]


def _own_assignment(organization: Organization, membership: Membership, pk: int) -> Assignment:
    assignment = (
        Assignment.objects.filter(organization=organization, membership=membership, pk=pk)
        .select_related("program", "program__organization", "membership__user")
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


@require_http_methods(["GET", "POST"])
@organization_view
def acknowledge(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    membership = _membership(principal)
    assignment = _own_assignment(organization, membership, pk)
    program = assignment.program
    if program.requirement != Requirement.ACKNOWLEDGEMENT:
        raise Http404
    form = AcknowledgeForm(request.POST if request.method == "POST" else None, signed=program.require_signature)
    if request.method == "POST" and form.is_valid():
        try:
            acknowledgement = acknowledgements.acknowledgement_create(
                assignment=assignment,
                by=_user(request),
                request=request,
                credentials=form.credentials() if program.require_signature else None,
            )
        except ValidationError as error:
            form.add_errors_of(error)
        else:
            if acknowledgement.signature_id:
                messages.success(request, _("Signed. Your acknowledgement is recorded."))
                return redirect("compliance:my-signature", acknowledgement.signature_id)
            messages.success(request, _("Thank you. Your acknowledgement is recorded."))
            return redirect("compliance:mine")
    today = evaluation.program_today(program)
    already = acknowledgements.acknowledgement_cycle(assignment, program, today) is None
    context = {
        "assignment": assignment,
        "program": program,
        "form": form,
        "already": already,
        "signed": program.require_signature,
        "meaning": program.signature_meaning or _(acknowledgements.DEFAULT_ACK_MEANING),
        "can_sign": can_sign(_user(request)),
        "security_url": _link("accounts:security"),
        "explanation": explain(assignment, program),
        "status_label": StatusCode(assignment.status).label,
    }
    return render(request, "compliance/learner/acknowledge.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@organization_view
def sign(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, completion_pk: int
) -> HttpResponse:
    membership = _membership(principal)
    assignment = _own_assignment(organization, membership, pk)
    program = assignment.program
    completion = Completion.objects.filter(organization=organization, membership=membership, pk=completion_pk).first()
    if completion is None or not program.require_signature:
        raise Http404
    form = CredentialsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            signature = completion_signing.completion_sign(
                assignment=assignment,
                completion=completion,
                by=_user(request),
                request=request,
                credentials=form.credentials(),
            )
        except ValidationError as error:
            form.add_errors_of(error)
        else:
            messages.success(
                request, _("Signed. Your completion now counts for %(program)s.") % {"program": program.name}
            )
            return redirect("compliance:my-signature", signature.pk)
    elif request.method == "GET":
        signable = completion_signing.signable_completions([assignment]).get(assignment.pk, [])
        if completion not in signable:
            raise Http404
    context = {
        "assignment": assignment,
        "program": program,
        "completion": completion,
        "completed_on": completion_signing.completion_day(completion, program),
        "form": form,
        "meaning": program.signature_meaning or _(completion_signing.DEFAULT_MEANING),
        "can_sign": can_sign(_user(request)),
        "security_url": _link("accounts:security"),
    }
    return render(request, "compliance/learner/sign.html", context, status=400 if form.errors else 200)


@require_GET
@organization_view
def signature(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """The manifestation of one of my signatures: printed name, meaning, date and time, method, and the hash."""
    membership = _membership(principal)
    found = (
        Signature.objects.filter(organization=organization, membership=membership, pk=pk)
        .select_related("program")
        .first()
    )
    if found is None:
        raise Http404
    record = found.payload.get("record", {}) if isinstance(found.payload, dict) else {}
    context = {
        "signature": found,
        "record": record,
        "is_acknowledgement": found.record_type == "acknowledgement",
        "statement": ProgramAcknowledgement.objects.filter(signature=found).values_list("statement", flat=True).first()
        if found.record_type == "acknowledgement"
        else "",
    }
    return render(request, "compliance/learner/signature.html", context)
