"""The learner's side of compliance: "My compliance" (what I must do, by when, and why my status is what it is),
acknowledging a statement, signing a completion, and the signature's manifestation afterwards.

Everything here is about the signed-in person's own assignments: another person's assignment, completion or
signature is not found (404), whoever asks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
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
from syllabus.accounts.security import two_factor
from syllabus.compliance import due_dates, evaluation
from syllabus.compliance.models import (
    Assignment,
    ClosedCycle,
    Exemption,
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


def valid_until(expires_on: dt.date | None) -> dt.date | None:
    """The last valid day of a completion expiring on `expires_on`: the pages always say "valid until" that day."""
    return expires_on - dt.timedelta(days=1) if expires_on else None


def renewal_open(assignment: Assignment, program: Program, today: dt.date) -> bool:
    """Compliant, and the recertification window has opened: renewing now is what to do."""
    if assignment.status != StatusCode.COMPLIANT or not (program.recurs and program.window_days):
        return False
    if assignment.expires_on is None:
        return False
    return due_dates.window_opens(evaluation.schedule_of(program), expires_on=assignment.expires_on) <= today


def explain(assignment: Assignment, program: Program, today: dt.date | None = None) -> str:
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
            if today is not None and opens <= today:
                text += " " + _("Renewal open — complete it again by %(day)s.") % {"day": day(assignment.status_until)}
            else:
                text += " " + _("You can renew it from %(day)s.") % {"day": day(opens)}
        return text
    if status == StatusCode.EXPIRED:
        expired = assignment.original_due_on or assignment.due_on
        return _("Your previous completion was valid until %(last)s; renewing it has been overdue since %(since)s.") % {
            "last": day(valid_until(expired)),
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
    pending: Exemption | None = None  # the person's request waiting for a decision
    pending_url: str = ""
    withdraw_url: str = ""
    renewal_open: bool = False
    valid_until: dt.date | None = None
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


def pending_requests(assignment_ids: list[int]) -> dict[int, Exemption]:
    """The request waiting for a decision on each assignment, the oldest first (one query for them all)."""
    found: dict[int, Exemption] = {}
    for exemption in Exemption.objects.filter(assignment_id__in=assignment_ids, state=Exemption.State.PENDING).order_by(
        "requested_at", "pk"
    ):
        found.setdefault(exemption.assignment_id, exemption)
    return found


def build_rows(membership: Membership, today_of: Any = evaluation.program_today) -> list[Row]:
    assignments = my_assignments(membership)
    signable = completion_signing.signable_completions(assignments)
    signatures = latest_signatures(membership, [a.program_id for a in assignments])
    pending = pending_requests([a.pk for a in assignments])
    exemption_base = _link("compliance:exemption-new")
    rows: list[Row] = []
    for assignment in assignments:
        program = assignment.program
        today = today_of(program)
        row = Row(
            assignment=assignment,
            program=program,
            status_label=str(StatusCode(assignment.status).label),
            explanation=explain(assignment, program, today),
            is_late=assignment.status in (StatusCode.OVERDUE, StatusCode.EXPIRED),
            renewal_open=renewal_open(assignment, program, today),
            valid_until=assignment.status_until or valid_until(assignment.expires_on),
        )
        # Something to do: not yet satisfied, or satisfied and the renewal window is open.
        to_do = acknowledgements.acknowledgement_cycle(assignment, program, today) is not None
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
        row.pending = pending.get(assignment.pk)
        if row.pending is not None:
            row.pending_url = _link("compliance:exemption", row.pending.pk) or ""
            row.withdraw_url = _link("compliance:exemption-withdraw", row.pending.pk) or ""
        elif exemption_base and assignment.status not in (StatusCode.COMPLIANT, StatusCode.EXEMPT):
            # Nothing to ask for while compliant or exempt; one request at a time.
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
    history = [
        (cycle, valid_until(cycle.expires_on))
        for cycle in ClosedCycle.objects.filter(membership=membership, completed_on__isnull=False)
        .select_related("program")
        .order_by("-completed_on", "-pk")[:HISTORY_SIZE]
    ]
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

    def __init__(self, *args: Any, with_code: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_code:
            # No authenticator app: the code field would only confuse. The password is the way to sign.
            del self.fields["code"]
            self.fields["password"].help_text = _("Type the password you sign in with.")

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
            self.fields.pop("code", None)


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
    form = AcknowledgeForm(
        request.POST if request.method == "POST" else None,
        signed=program.require_signature,
        with_code=program.require_signature and two_factor.has_authenticator(_user(request)),
    )
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
        "explanation": explain(assignment, program, today),
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
    form = CredentialsForm(
        request.POST if request.method == "POST" else None, with_code=two_factor.has_authenticator(_user(request))
    )
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
        "score": _score(completion.score),
        "form": form,
        "meaning": program.signature_meaning or _(completion_signing.DEFAULT_MEANING),
        "can_sign": can_sign(_user(request)),
        "security_url": _link("accounts:security"),
    }
    return render(request, "compliance/learner/sign.html", context, status=400 if form.errors else 200)


def _iso_day(value: Any) -> dt.date | None:
    """The signed record's day (ISO text in the payload), as a date the template formats in the reader's words."""
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _score(value: Any) -> str:
    """The signed record's score ("85.50", "0.00") as people write it ("85.5", "0"); "" when there was none."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)).normalize():f}"
    except ArithmeticError:
        return str(value)


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
        "completed_on": _iso_day(record.get("completed_on")),
        "score": _score(record.get("score")),
        "is_acknowledgement": found.record_type == "acknowledgement",
        "statement": ProgramAcknowledgement.objects.filter(signature=found).values_list("statement", flat=True).first()
        if found.record_type == "acknowledgement"
        else "",
    }
    return render(request, "compliance/learner/signature.html", context)
