"""The evidence pack of a program for an auditor: every person's assignments and cycles over a date range as a
streamed CSV, and a PDF summary with the counts and the program's rules.

- CSV: one line per cycle of an assignment that overlaps the range (a person who left and came back has two
  assignments). Read with `.iterator(chunk_size=BATCH)` and, for each batch of assignments, a constant number of
  queries for the cycles, completions, acknowledgements, exemptions, signatures, the ledger and the audit entries
  behind them. Memory stays flat: each batch is written, hashed and handed to the response before the next is read.
- The request is recorded in the audit trail (`compliance.evidence_requested`: who, which program, which range)
  before the first byte is sent, so a download abandoned half-way still leaves a trace. The SHA-256 of the exact
  bytes sent is computed while streaming, and the export is recorded again (`compliance.evidence_exported`, with
  the hash and the number of rows) when the stream ends — so an auditor can show that the file they hold is the
  one the system produced. A stream the client abandons (`GeneratorExit`) records nothing more.
- Exemption reasons may say why someone cannot train (health, family): the CSV carries their SHA-256
  (`exemption_reason_sha256`), enough to match a reason held elsewhere, never the words. Decision and revocation
  notes are the officers' and are kept.
- PDF: drawn by WeasyPrint like transcripts (`progress.transcripts`): system fonts, nothing fetched.

Only people who see everyone (`policy.sees_everyone`: compliance officers, auditors) may export a pack.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import User
from syllabus.audit.models import AuditRecord
from syllabus.audit.services import audit_record
from syllabus.compliance import evaluation, policy, reports
from syllabus.compliance.models import (
    Assignment,
    ClosedCycle,
    DueRule,
    Exemption,
    Program,
    ProgramAcknowledgement,
    Requirement,
    Signature,
    StatusChange,
    StatusCode,
)
from syllabus.core import clock
from syllabus.progress.models import Completion
from syllabus.progress.transcripts import PDF_FONTS
from syllabus.skills.framework_csv import escape_cell

AUDIT_ACTIONS = (
    ("compliance.evidence_requested", gettext_lazy("Compliance evidence pack requested")),
    ("compliance.evidence_exported", gettext_lazy("Compliance evidence pack exported")),
)

BATCH = 2000
RANGE_BACKWARDS = "The end of the range is before its start."
RANGE_TOO_LONG = "The range can be at most ten years."
MAX_RANGE_DAYS = 3660
NO_FETCH = "The evidence PDF loads no external resource."
# Audit targets whose entries are listed beside a row (see `syllabus.audit.services.target_of`).
TARGET_EXEMPTION = "compliance.exemption"
TARGET_SIGNATURE = "compliance.signature"
TARGET_ACK = "compliance.programacknowledgement"
TARGET_ASSIGNMENT = "compliance.assignment"
TARGET_COMPLETION = "progress.completion"  # completion signing is audited on the completion


def columns() -> list[str]:
    return [
        _("Name"),
        _("Email"),
        _("Employee id"),
        _("Org unit"),
        _("Assignment"),
        _("Assigned on"),
        _("Unassigned on"),
        _("Cycle"),
        _("Cycle opened on"),
        _("Due on"),
        _("Original due date (before an extension)"),
        _("Completed on"),
        _("Completed with"),
        _("Version"),
        _("Score (%)"),
        _("Acknowledged at"),
        _("Expires on"),
        _("Cycle outcome"),
        _("Status at the end of the range"),
        _("Exemptions and extensions"),
        # A machine-readable name: it holds hashes, matched by tools rather than read.
        "exemption_reason_sha256",
        _("Signatures"),
        _("Audit record ids"),
    ]


def require_export(*, program: Program, by: User) -> None:
    if not policy.sees_everyone(principal_for(by, program.organization)):
        raise PermissionDenied(NOT_ALLOWED)


def check_range(start: dt.date, end: dt.date) -> str | None:
    """The message for an unusable range, or None."""
    if end < start:
        return RANGE_BACKWARDS
    if (end - start).days > MAX_RANGE_DAYS:
        return RANGE_TOO_LONG
    return None


# --- rows --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cycle:
    number: int
    opened_on: dt.date
    due_on: dt.date
    original_due_on: dt.date | None
    completed_on: dt.date | None
    satisfied_by: tuple[str, ...]
    expires_on: dt.date | None
    end: dt.date | None  # the day it closed (None: still the current cycle)
    outcome: str


def _refs(satisfied_by: Iterable[str], prefix: str) -> list[int]:
    return [int(ref.split(":", 1)[1]) for ref in satisfied_by if ref.startswith(prefix + ":")]


def _day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


# The columns read of each assignment, as plain tuples (no model objects: at 100,000 rows building an Assignment,
# Membership, User and OrgUnit per row, with every datetime column parsed, was most of the export's time).
ASSIGNMENT_COLUMNS = (
    "pk",
    "membership_id",
    "membership__user__display_name",
    "membership__user__email",
    "membership__employee_id",
    "membership__org_unit__name",
    "assigned_on",
    "ended_at",
    "cycle",
    "opened_on",
    "due_on",
    "original_due_on",
    "completed_on",
    "satisfied_by",
    "expires_on",
)
AssignmentRow = tuple[Any, ...]
CLOSED_COLUMNS = (
    "assignment_id",
    "number",
    "opened_on",
    "due_on",
    "original_due_on",
    "completed_on",
    "satisfied_by",
    "expires_on",
    "closed_on",
    "outcome",
)
# First characters of the cells `escape_cell` changes (formula-like, or an apostrophe it must double): the others
# are written as they are without calling it.
ESCAPE_FIRST = frozenset("=+-@\t\r'")


def _assignments(program: Program, start: dt.date, end: dt.date) -> Iterator[list[AssignmentRow]]:
    zone = evaluation.zone_of(program)
    starts_at = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    qs = (
        Assignment.objects.filter(program=program, assigned_on__lte=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=starts_at))
        .order_by("membership__user__display_name", "membership_id", "pk")
        .values_list(*ASSIGNMENT_COLUMNS)
    )
    batch: list[AssignmentRow] = []
    for row in qs.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _cycles(
    assignment: AssignmentRow, closed: list[tuple[Any, ...]], zone_day: dt.date | None, outcomes: dict[str, str]
) -> list[Cycle]:
    out = [
        Cycle(
            number,
            opened_on,
            due_on,
            original_due_on,
            completed_on,
            tuple(satisfied_by or ()),
            expires_on,
            closed_on,
            outcomes.get(outcome, outcome),
        )
        for (
            _id,
            number,
            opened_on,
            due_on,
            original_due_on,
            completed_on,
            satisfied_by,
            expires_on,
            closed_on,
            outcome,
        ) in closed
    ]
    # An unassigned person's current cycle is also closed ("unassigned"): list it once.
    cycle = assignment[8]
    if not any(c.number == cycle for c in out):
        out.append(
            Cycle(
                cycle,
                assignment[9],
                assignment[10],
                assignment[11],
                assignment[12],
                tuple(assignment[13] or ()),
                assignment[14],
                zone_day,
                "",
            )
        )
    return out


def _outcomes() -> dict[str, str]:
    return {str(code): str(label) for code, label in ClosedCycle.Outcome.choices}


def _overlaps(assigned_on: dt.date, cycle: Cycle, start: dt.date, end: dt.date) -> bool:
    begins = max(cycle.opened_on, assigned_on)
    return begins <= end and (cycle.end is None or cycle.end >= start)


def _exemption_text(e: dict[str, Any], kinds: dict[str, str], states: dict[str, str]) -> str:
    return ", ".join(
        part
        for part in (
            str(kinds.get(e["kind"], e["kind"])),
            str(states.get(e["state"], e["state"])),
            _("until %(day)s") % {"day": _day(e["ends_on"])} if e["ends_on"] else "",
            _("new due date %(day)s") % {"day": _day(e["extend_to"])} if e["extend_to"] else "",
            _("requested %(at)s") % {"at": _day(e["requested_at"])},
            _("decided by %(name)s at %(at)s")
            % {
                "name": e["decided_by__display_name"] or e["decided_by__email"] or "",
                "at": _day(e["decided_at"]),
            }
            if e["decided_at"]
            else "",
            _("note: %(note)s") % {"note": e["decision_note"]} if e["decision_note"] else "",
            _("revoked at %(at)s: %(reason)s") % {"at": _day(e["revoked_at"]), "reason": e["revoke_reason"]}
            if e["revoked_at"]
            else "",
        )
        if part
    )


def reason_sha256(reason: str) -> str:
    """The SHA-256 of an exemption's reason (UTF-8, as typed): the CSV's stand-in for the words."""
    return hashlib.sha256((reason or "").encode()).hexdigest()


def _batch_rows(program: Program, batch: list[AssignmentRow], start: dt.date, end: dt.date) -> Iterator[list[str]]:
    """The CSV lines of one batch of assignments, from a constant number of queries."""
    zone = evaluation.zone_of(program)
    ids = [a[0] for a in batch]
    membership_ids = sorted({a[1] for a in batch})
    closed: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for closed_cycle in (
        ClosedCycle.objects.filter(assignment_id__in=ids)
        .order_by("assignment_id", "number")
        .values_list(*CLOSED_COLUMNS)
    ):
        closed[closed_cycle[0]].append(closed_cycle)
    ended_on = {a[0]: a[7].astimezone(zone).date() for a in batch if a[7] is not None}
    cycles: dict[int, list[Cycle]] = {}
    refs: list[str] = []
    outcomes = _outcomes()
    for a in batch:
        found = [
            c for c in _cycles(a, closed.get(a[0], []), ended_on.get(a[0]), outcomes) if _overlaps(a[6], c, start, end)
        ]
        cycles[a[0]] = found
        for c in found:
            refs.extend(c.satisfied_by)
    completions = (
        {
            row["pk"]: row
            for row in Completion.objects.filter(pk__in=_refs(refs, "completion")).values(
                "pk", "title", "version_label", "score", "completed_at"
            )
        }
        if refs
        else {}
    )
    ack_ids = _refs(refs, "ack")
    acks = (
        dict(ProgramAcknowledgement.objects.filter(pk__in=ack_ids).values_list("pk", "acknowledged_at"))
        if ack_ids
        else {}
    )
    # The status that held at the end of the range: the last ledger row on or before it.
    status_at_end: dict[int, str] = {}
    for assignment_id, status in (
        StatusChange.objects.filter(assignment_id__in=ids, effective_on__lte=end)
        .order_by("assignment_id", "effective_on", "pk")
        .values_list("assignment_id", "status")
    ):
        status_at_end[assignment_id] = status
    exemptions: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for exemption in Exemption.objects.filter(assignment_id__in=ids).values(
        "pk",
        "assignment_id",
        "cycle",
        "kind",
        "state",
        "reason",
        "ends_on",
        "extend_to",
        "requested_at",
        "decided_at",
        "decided_by__display_name",
        "decided_by__email",
        "decision_note",
        "revoked_at",
        "revoke_reason",
        "signature_id",
    ):
        exemptions[(exemption["assignment_id"], exemption["cycle"])].append(dict(exemption))
    signatures: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    # The person signs their completions and acknowledgements; an officer signs the approval of an exemption.
    signed_by_person = Q(membership_id__in=membership_ids, record_type__in=["completion", "acknowledgement"])
    exemption_ids = [row["pk"] for found in exemptions.values() for row in found]
    signed_approvals = Q(record_type="exemption", record_id__in=exemption_ids)
    for signature in Signature.objects.filter(signed_by_person | signed_approvals, program=program).values(
        "pk", "record_type", "record_id", "signer_name", "meaning", "signed_at", "method", "record_hash"
    ):
        signatures[(signature["record_type"], signature["record_id"])].append(dict(signature))
    targets: dict[str, set[str]] = defaultdict(set)
    targets[TARGET_ASSIGNMENT].update(str(pk) for pk in ids)
    for found_exemptions in exemptions.values():
        targets[TARGET_EXEMPTION].update(str(row["pk"]) for row in found_exemptions)
    for found_signatures in signatures.values():
        targets[TARGET_SIGNATURE].update(str(row["pk"]) for row in found_signatures)
    targets[TARGET_ACK].update(str(pk) for pk in acks)
    targets[TARGET_COMPLETION].update(str(pk) for pk in completions)
    audit: dict[tuple[str, str], list[int]] = defaultdict(list)
    wanted = Q(pk__in=[])
    for target_type, target_ids in targets.items():
        if target_ids:
            wanted |= Q(target_type=target_type, target_id__in=sorted(target_ids))
    for target_type, target_id, pk in (
        AuditRecord.objects.filter(wanted, organization_id=program.organization_id)
        .order_by("seq")
        .values_list("target_type", "target_id", "pk")
    ):
        audit[(target_type, target_id)].append(pk)
    kinds = {str(code): str(label) for code, label in Exemption.Kind.choices}
    states = {str(code): str(label) for code, label in Exemption.State.choices}
    statuses = {str(code): str(label) for code, label in StatusCode.choices}
    for assignment in batch:
        pk = assignment[0]
        ended = ended_on.get(pk)
        person = [
            assignment[2],
            assignment[3],
            assignment[4],
            assignment[5] or "",
            str(pk),
            assignment[6].isoformat(),
            ended.isoformat() if ended else "",
        ]
        at_end = status_at_end.get(pk, "")
        at_end_label = statuses.get(at_end, at_end)
        assignment_audit = audit.get((TARGET_ASSIGNMENT, str(pk)), [])
        for cycle in cycles[pk]:
            if cycle.satisfied_by:
                completion_ids = _refs(cycle.satisfied_by, "completion")
                cycle_acks = _refs(cycle.satisfied_by, "ack")
            else:
                completion_ids = cycle_acks = []
            done = [completions[c] for c in completion_ids if c in completions]
            cycle_exemptions = exemptions.get((pk, cycle.number), [])
            signed = (
                [
                    *(s for c in completion_ids for s in signatures.get(("completion", c), [])),
                    *(s for a in cycle_acks for s in signatures.get(("acknowledgement", a), [])),
                    *(s for e in cycle_exemptions for s in signatures.get(("exemption", e["pk"]), [])),
                ]
                if signatures
                else []
            )
            audit_ids = (
                [
                    *assignment_audit,
                    *(i for e in cycle_exemptions for i in audit.get((TARGET_EXEMPTION, str(e["pk"])), [])),
                    *(i for s in signed for i in audit.get((TARGET_SIGNATURE, str(s["pk"])), [])),
                    *(i for a in cycle_acks for i in audit.get((TARGET_ACK, str(a)), [])),
                    *(i for c in completion_ids for i in audit.get((TARGET_COMPLETION, str(c)), [])),
                ]
                if audit
                else []
            )
            yield [
                *person,
                str(cycle.number),
                cycle.opened_on.isoformat(),
                cycle.due_on.isoformat(),
                _day(cycle.original_due_on),
                _day(cycle.completed_on),
                "; ".join(c["title"] for c in done),
                "; ".join(c["version_label"] for c in done if c["version_label"]),
                "; ".join(str(c["score"]) for c in done if c["score"] is not None),
                "; ".join(_day(acks[a]) for a in cycle_acks if a in acks),
                _day(cycle.expires_on),
                cycle.outcome,
                at_end_label,
                " | ".join(_exemption_text(e, kinds, states) for e in cycle_exemptions),
                " | ".join(reason_sha256(e["reason"]) for e in cycle_exemptions),
                " | ".join(
                    f"{s['signer_name']}, {s['meaning']}, {_day(s['signed_at'])}, {s['method']}, "
                    f"sha256:{s['record_hash']}"
                    for s in signed
                ),
                " ".join(str(i) for i in audit_ids),
            ]


def evidence_rows(*, program: Program, start: dt.date, end: dt.date) -> Iterator[list[str]]:
    """Every line of the pack (without the header), batch by batch."""
    for batch in _assignments(program, start, end):
        yield from _batch_rows(program, batch, start, end)


def evidence_csv(
    *,
    program: Program,
    start: dt.date,
    end: dt.date,
    by: User,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Iterator[bytes]:
    """The pack as CSV bytes, for a `StreamingHttpResponse`. Checks permission now (not when the stream is read);
    the audit record is written after the last byte (see the module docstring).

    `ip_address` / `user_agent`: the request's, captured by the caller, since the stream is read after the view
    has returned (and the request context with it)."""
    require_export(program=program, by=by)
    message = check_range(start, end)
    if message:
        raise ValueError(message)
    # Written now, while the view runs: the end-of-stream record below never comes if the client goes away.
    audit_record(
        organization=program.organization,
        action="compliance.evidence_requested",
        actor=by,
        target=program,
        summary={"format": "csv", "program_id": program.pk, "from": start.isoformat(), "to": end.isoformat()},
        ip_address=ip_address,
        user_agent=user_agent,
    )
    return _stream(program, start, end, by, ip_address, user_agent)


def _stream(
    program: Program, start: dt.date, end: dt.date, by: User, ip_address: str | None, user_agent: str
) -> Iterator[bytes]:
    digest = hashlib.sha256()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = 0

    def flush() -> bytes:
        data = buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        digest.update(data)
        return data

    first = ESCAPE_FIRST
    try:
        writer.writerow([escape_cell(c) for c in columns()])
        yield flush()
        for batch in _assignments(program, start, end):
            rows = [
                [escape_cell(cell) if cell and cell[0] in first else cell for cell in row]
                for row in _batch_rows(program, batch, start, end)
            ]
            writer.writerows(rows)
            count += len(rows)
            yield flush()
    except GeneratorExit:
        # The client went away: the request is on record already; no hash of a file nobody received.
        return
    audit_record(
        organization=program.organization,
        action="compliance.evidence_exported",
        actor=by,
        target=program,
        summary={
            "format": "csv",
            "program_id": program.pk,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "rows": count,
            "sha256": digest.hexdigest(),
        },
        ip_address=ip_address,
        user_agent=user_agent,
    )


# --- the summary -----------------------------------------------------------------------------------------------


def _long_day(day: dt.date) -> str:
    return formats.date_format(day, "j F Y")


def rules_in_words(program: Program) -> list[str]:
    """The program's rules as sentences, for the PDF: what (with the course names), when, recurrence, grace,
    reminders and escalations, signatures and gating."""
    titles = list(program.program_courses.order_by("position", "pk").values_list("course__title", flat=True))
    lines = [str(program.get_requirement_display())]
    if titles:
        lines.append(_("Courses: %(titles)s") % {"titles": "; ".join(titles)})
    if program.requirement == Requirement.ACKNOWLEDGEMENT and program.statement:
        lines.append(_("Statement to acknowledge: “%(statement)s”") % {"statement": program.statement})
    if program.min_score is not None:
        lines.append(_("Minimum score: %(score)s%%") % {"score": program.min_score})
    if program.due_rule == DueRule.FIXED and program.due_on:
        lines.append(_("Due on %(day)s") % {"day": _long_day(program.due_on)})
    elif program.due_rule == DueRule.AFTER_HIRE:
        lines.append(_("Due %(days)s days after the person's hire date") % {"days": program.due_days})
    else:
        lines.append(_("Due %(days)s days after the person is assigned") % {"days": program.due_days})
    if program.grace_days:
        lines.append(_("Grace period: %(days)s days") % {"days": program.grace_days})
    else:
        lines.append(_("No grace period: overdue the day after the due date"))
    if program.valid_months:
        lines.append(_("Valid for %(months)s months") % {"months": program.valid_months})
        if program.window_days:
            lines.append(_("Recertification opens %(days)s days before expiry") % {"days": program.window_days})
        lines.append(_("The next cycle is counted from: %(anchor)s") % {"anchor": program.get_anchor_display().lower()})
    else:
        lines.append(_("Done once (no recertification)"))
    if program.lookback_days:
        lines.append(_("Completions up to %(days)s days before the assignment count") % {"days": program.lookback_days})
    reminders = []
    if program.reminder_days:
        days = ", ".join(str(day) for day in sorted(program.reminder_days, reverse=True))
        reminders.append(_("%(days)s days before the due date") % {"days": days})
    if program.remind_on_due:
        reminders.append(_("on the due date"))
    if program.overdue_every_days:
        reminders.append(_("every %(days)s days while overdue") % {"days": program.overdue_every_days})
    lines.append(_("Reminders: %(when)s") % {"when": "; ".join(reminders)} if reminders else _("Reminders: none"))
    if program.escalate_manager_days:
        lines.append(
            _("Escalated to the person's manager after %(days)s days overdue") % {"days": program.escalate_manager_days}
        )
    if program.escalate_officer_days:
        lines.append(
            _("Escalated to the compliance officers after %(days)s days overdue")
            % {"days": program.escalate_officer_days}
        )
    if program.require_signature:
        lines.append(_("Completions are signed electronically: “%(meaning)s”") % {"meaning": program.signature_meaning})
    else:
        lines.append(_("No electronic signature required"))
    if program.gating:
        lines.append(_("Overdue or expired people are sent to their compliance training when they sign in"))
    return lines


@dataclass
class Summary:
    program: Program
    start: dt.date
    end: dt.date
    at_end: dict[str, int]  # status -> people, at the end of the range (from the ledger)
    total: int
    good: int
    assignments: int
    exemptions_approved: int
    signatures: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.good / self.total, 1) if self.total else None


def evidence_summary(*, program: Program, start: dt.date, end: dt.date) -> Summary:
    held = reports.ledger_on(program=program, on=end)
    counts = dict.fromkeys(reports.IN_SCOPE, 0)
    for status, number in held.values("status").annotate(n=Count("pk")).order_by().values_list("status", "n"):
        counts[status] = number
    zone = evaluation.zone_of(program)
    starts_at = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    ends_at = reports.end_of_day(program, end)
    return Summary(
        program=program,
        start=start,
        end=end,
        at_end=counts,
        total=sum(counts.values()),
        good=sum(counts[code] for code in reports.GOOD),
        assignments=Assignment.objects.filter(program=program, assigned_on__lte=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=starts_at))
        .count(),
        exemptions_approved=Exemption.objects.filter(
            program=program, state=Exemption.State.APPROVED, decided_at__gte=starts_at, decided_at__lte=ends_at
        ).count(),
        signatures=Signature.objects.filter(program=program, signed_at__gte=starts_at, signed_at__lte=ends_at).count(),
    )


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(NO_FETCH)


def evidence_pdf(*, program: Program, start: dt.date, end: dt.date, by: User) -> bytes:
    """The summary as a PDF (counts at the end of the range and the program's rules); recorded in the audit trail
    with its SHA-256."""
    require_export(program=program, by=by)
    message = check_range(start, end)
    if message:
        raise ValueError(message)
    import weasyprint  # imported here: loading Pango costs time that only PDF requests should pay

    summary = evidence_summary(program=program, start=start, end=end)
    statuses = dict(reports_status_labels())
    html = render_to_string(
        "compliance/reports/evidence_pdf.html",
        {
            "summary": summary,
            "counts": [(statuses[code], number) for code, number in summary.at_end.items()],
            "rules": rules_in_words(program),
            "organization_name": program.organization.name,
            "generated_at": clock.now(),
            "generated_by": by.display_name or by.email,
            "time_zone": timezone.get_current_timezone_name(),
            "fonts": PDF_FONTS,
        },
    )
    data = bytes(weasyprint.HTML(string=html, url_fetcher=_refuse_fetch).write_pdf())
    audit_record(
        organization=program.organization,
        action="compliance.evidence_exported",
        actor=by,
        target=program,
        summary={
            "format": "pdf",
            "program_id": program.pk,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "rows": summary.total,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    )
    return data


def reports_status_labels() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in StatusCode.choices if code != StatusCode.UNASSIGNED]


def filename(program: Program, start: dt.date, end: dt.date, extension: str) -> str:
    """evidence-fire-safety-2026-01-01-2026-03-31.csv (ASCII)."""
    return f"evidence-{slugify(program.name) or 'program'}-{start.isoformat()}-{end.isoformat()}.{extension}"
