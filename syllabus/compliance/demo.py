"""The compliance app's part of `manage.py seed_demo`: two programs at Northwind Health with people in every status.

Catherine Doyle (compliance officer) runs both:

- **Anti-bribery 2026** — everyone in "People managers" acknowledges the anti-bribery statement within 30 days of
  being assigned; one-off. Eleanor Whitfield and Priya Raman have acknowledged it (compliant), Tomasz Kowalski's
  is due soon, Amelia Hughes' is overdue, Grace Mensah is exempt while on secondment (approved and signed by
  Catherine), and Liam O'Connor, overdue, is waiting for a decision on his exemption request. The managers
  assigned on the day of the seed are not yet due.
- **Fire safety** — everyone in "Clinical staff" completes "Fire safety for clinical areas" within 30 days of
  being assigned, every 12 months from the completion, recertification opening 60 days before expiry; completions
  count only once signed ("Part 11" signature), and overdue people are sent to "My compliance" at sign-in
  (gating). Lucy Fernandes and Zara Ahmed signed completions (compliant; Zara's recertification window is open),
  Rajesh Iyer's signed completion of last year has expired, Jack Thompson is overdue (gated), Kwame Asante was
  overdue until Catherine approved an extension (now due soon), and Harriet Adams has completed the course but not
  signed it yet, so she is due soon with "Sign your completion" waiting for her. The rest are not yet due.

The story happened over the last fourteen months, but the services only know "now". So the seed writes the facts
as they were — the assignments' `assigned_on`, transcript completions, acknowledgements, signatures, exemption
decisions, all dated in the past — and then lets `evaluation.evaluate_program(..., full=True)` derive every
status and replay the ledger from each assignment's first day, exactly as it would for any late-recorded facts.
Statuses are never written here. The signatures are built like `services.signatures.signature_create` builds
them (same payload, same hash, audited as "compliance.signed") without re-typing a password: the demo signs on
the people's behalf, on the day the story says.

The programs themselves are made through `services.programs` by Catherine (validated, audited). Idempotent: a
program that exists by name is left alone with everything under it. Registered in ComplianceConfig.ready()
(`demo.register_demo()`), after the progress step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from syllabus.accounts.models import Membership, Organization, User
from syllabus.audiences import services as audience_services
from syllabus.audiences.models import Audience
from syllabus.audit.services import audit_record
from syllabus.catalog.models import Course
from syllabus.compliance import due_dates, evaluation
from syllabus.compliance.models import (
    Assignment,
    Exemption,
    Program,
    ProgramAcknowledgement,
    Signature,
    StatusCode,
)
from syllabus.compliance.services import programs as program_services
from syllabus.compliance.services import signatures
from syllabus.compliance.services.completion_signing import completion_record
from syllabus.compliance.services.exemptions import approval_meaning, exemption_record
from syllabus.core import demo
from syllabus.core.demo import Organizations, Output
from syllabus.enrollment import services as enrollment_services
from syllabus.enrollment.models import Enrollment
from syllabus.enrollment.models import Status as EnrollmentStatus
from syllabus.progress.models import Completion

ORGANIZATION = "northwind"


def _email(name: str) -> str:
    return f"{name}@northwind.example"


CATHERINE = _email("catherine.doyle")  # compliance officer
# Anti-bribery: People managers.
ELEANOR, PRIYA = _email("eleanor.whitfield"), _email("priya.raman")
AMELIA, TOMASZ, GRACE, LIAM = (
    _email("amelia.hughes"),
    _email("tomasz.kowalski"),
    _email("grace.mensah"),
    _email("liam.oconnor"),
)
# Fire safety: Clinical staff.
HARRIET, RAJESH, ZARA = _email("harriet.price"), _email("rajesh.iyer"), _email("zara.ahmed")
LUCY, JACK, KWAME = _email("lucy.fernandes"), _email("jack.thompson"), _email("kwame.asante")

PEOPLE_MANAGERS = "People managers"  # the audiences demo's audiences
CLINICAL_STAFF = "Clinical staff"
FIRE_SAFETY_COURSE = "Fire safety for clinical areas"  # the catalog demo's course

ANTI_BRIBERY = "Anti-bribery 2026"
FIRE_SAFETY = "Fire safety"

STATEMENT = (
    "I have read Northwind Health's anti-bribery and corruption policy. I will not offer, give, ask for or accept "
    "any bribe, and I will record every gift or hospitality worth more than £50 in the register within five "
    "working days. I will report any suspicion of bribery to the compliance officer."
)
MEANING = "I completed this fire safety training and understand what I must do in a fire."

PROGRAMS: dict[str, dict[str, Any]] = {
    ANTI_BRIBERY: {
        "description": "The annual statement on bribery and corruption for everyone who manages staff or budgets.",
        "requirement": "acknowledgement",
        "statement": STATEMENT,
        "due_rule": "after_assignment",
        "due_days": 30,
        "due_soon_days": 14,
        "reminder_days": [14, 3],
        "escalate_manager_days": 7,
        "escalate_officer_days": 14,
        "enroll": False,
    },
    FIRE_SAFETY: {
        "description": "Fire safety for everyone working in clinical areas: yearly, signed, and required to work.",
        "requirement": "course",
        "due_rule": "after_assignment",
        "due_days": 30,
        "due_soon_days": 14,
        "valid_months": 12,
        "window_days": 60,
        "anchor": "completion",
        "reminder_days": [14, 3],
        "escalate_manager_days": 7,
        "escalate_officer_days": 21,
        "require_signature": True,
        "signature_meaning": MEANING,
        "gating": True,
        "enroll": True,
    },
}


@dataclass(frozen=True)
class Story:
    """`email` was assigned `assigned_days_ago`; `done_days_ago`: acknowledged / completed (None: not);
    `signed`: that completion was signed the same day (fire safety)."""

    email: str
    assigned_days_ago: int
    done_days_ago: int | None = None
    signed: bool = True


STORIES: dict[str, tuple[Story, ...]] = {
    ANTI_BRIBERY: (
        Story(ELEANOR, 60, 50),  # compliant
        Story(PRIYA, 45, 20),  # compliant
        Story(AMELIA, 40),  # overdue since 10 days
        Story(TOMASZ, 20),  # due in 10 days: due soon
        Story(GRACE, 40),  # exempt (approved below)
        Story(LIAM, 35),  # overdue, exemption request pending
    ),
    FIRE_SAFETY: (
        Story(RAJESH, 420, 395),  # expired 30 days ago
        Story(ZARA, 420, 330),  # compliant, recertification window open
        Story(LUCY, 60, 40),  # compliant
        Story(JACK, 50),  # overdue (gated)
        Story(KWAME, 50),  # overdue, then extended: due soon
        Story(HARRIET, 25, 2, signed=False),  # due soon, a completion waiting for her signature
    ),
}


@dataclass(frozen=True)
class Request:
    """An exemption or extension request of `email` in `program`, made `days_ago` by them; decided (approved by
    Catherine) `decided_days_ago` ago, or still pending (None)."""

    program: str
    email: str
    kind: str
    reason: str
    days_ago: int
    decided_days_ago: int | None
    ends_in_days: int | None = None  # exemption: last exempt day from today
    extend_in_days: int | None = None  # extension: the new due date from today
    note: str = ""


REQUESTS: tuple[Request, ...] = (
    Request(
        ANTI_BRIBERY,
        GRACE,
        Exemption.Kind.EXEMPTION,
        "I am seconded to the regional patient safety team for three months and have no budget or supplier "
        "contact at Northwind while I am away.",
        days_ago=30,
        decided_days_ago=28,
        ends_in_days=90,
        note="Approved for the secondment. Grace acknowledges the statement when she is back.",
    ),
    Request(
        ANTI_BRIBERY,
        LIAM,
        Exemption.Kind.EXEMPTION,
        "I leave Northwind at the end of next month and hand my budgets over to Priya this week.",
        days_ago=2,
        decided_days_ago=None,
    ),
    Request(
        FIRE_SAFETY,
        KWAME,
        Exemption.Kind.EXTENSION,
        "I was on sick leave for three weeks and the next classroom session with the practical is in ten days.",
        days_ago=6,
        decided_days_ago=4,
        extend_in_days=10,
        note="Extended to the practical session.",
    ),
)


class _Seeder:
    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.created = 0
        self.people = {
            m.user.email: m
            for m in Membership.objects.filter(organization=organization, is_active=True).select_related("user")
        }
        self.officer = self.people.get(CATHERINE)

    def ready(self) -> bool:
        audiences = set(
            Audience.objects.filter(
                organization=self.organization, name__in=(PEOPLE_MANAGERS, CLINICAL_STAFF)
            ).values_list("name", flat=True)
        )
        course = Course.objects.filter(
            organization=self.organization, title=FIRE_SAFETY_COURSE, published_version__isnull=False
        ).exists()
        return self.officer is not None and audiences == {PEOPLE_MANAGERS, CLINICAL_STAFF} and course

    # --- dates -------------------------------------------------------------------------------------------------

    def at(self, program: Program, days_ago: int, hour: int = 11) -> dt.datetime:
        """A moment `days_ago` in the organisation's day (11:00 local by default)."""
        zone = evaluation.zone_of(program)
        day = evaluation.program_today(program) - dt.timedelta(days=days_ago)
        return dt.datetime.combine(day, dt.time(hour), tzinfo=zone)

    # --- the story ---------------------------------------------------------------------------------------------

    def program(self, name: str) -> Program | None:
        assert self.officer is not None
        if Program.objects.filter(organization=self.organization, name=name).exists():
            return None
        audience = PEOPLE_MANAGERS if name == ANTI_BRIBERY else CLINICAL_STAFF
        data = dict(PROGRAMS[name], name=name, owner_id=self.officer.user_id)
        target = Audience.objects.get(organization=self.organization, name=audience)
        # Its members are materialised after the seed commits; the evaluation below needs them now.
        audience_services.audience_recompute(audience=target)
        data["audience_id"] = target.pk
        if name == FIRE_SAFETY:
            data["course_ids"] = [Course.objects.get(organization=self.organization, title=FIRE_SAFETY_COURSE).pk]
        program = program_services.program_create(organization=self.organization, by=self.officer.user, data=data)
        program = program_services.program_activate(program=program, by=self.officer.user)
        oldest = max(story.assigned_days_ago for story in STORIES[name])
        Program.objects.filter(pk=program.pk).update(activated_at=self.at(program, oldest, hour=9))
        program.refresh_from_db()
        self.created += 1
        return program

    def assignments(self, program: Program) -> dict[str, Assignment]:
        """The story's people, assigned on their day (the evaluation assigns everyone else today)."""
        schedule = evaluation.schedule_of(program)
        made: dict[str, Assignment] = {}
        for story in STORIES[program.name]:
            membership = self.people.get(story.email)
            if membership is None:
                continue
            assigned_at = self.at(program, story.assigned_days_ago, hour=9)
            assigned_on = assigned_at.date()
            made[story.email] = Assignment.objects.create(
                organization=self.organization,
                program=program,
                membership=membership,
                assigned_at=assigned_at,
                assigned_on=assigned_on,
                opened_on=assigned_on - dt.timedelta(days=program.lookback_days),
                due_on=due_dates.first_due(schedule, assigned_on=assigned_on, hire_date=membership.hire_date),
                # Provisional until the evaluation below replays the ledger (evaluated_revision 0: never evaluated).
                status=StatusCode.NOT_YET_DUE,
                status_since=assigned_on,
                evaluated_revision=0,
            )
            self.created += 1
        return made

    def acknowledgements(self, program: Program, assignments: dict[str, Assignment]) -> None:
        digest = hashlib.sha256(program.statement.encode()).hexdigest()
        for story in STORIES[program.name]:
            if story.done_days_ago is None or story.email not in assignments:
                continue
            assignment = assignments[story.email]
            ProgramAcknowledgement.objects.create(
                organization=self.organization,
                program=program,
                assignment=assignment,
                membership=assignment.membership,
                cycle=1,
                statement=program.statement,
                statement_digest=digest,
                acknowledged_at=self.at(program, story.done_days_ago, hour=10),
            )
            self.created += 1

    def completions(self, program: Program, assignments: dict[str, Assignment]) -> None:
        course = Course.objects.select_related("published_version").get(
            organization=self.organization, title=FIRE_SAFETY_COURSE
        )
        version = course.published_version
        for story in STORIES[program.name]:
            if story.done_days_ago is None or story.email not in assignments:
                continue
            membership = assignments[story.email].membership
            at = self.at(program, story.done_days_ago, hour=10)
            # Completed through their enrollment, as the course player would: the course page, the dashboard and
            # the transcript then tell the same story.
            enrollment = Enrollment.objects.filter(
                course=course, membership=membership, status=EnrollmentStatus.ACTIVE, completion__isnull=True
            ).first()
            if enrollment is not None and not enrollment_services.enrollment_mark_completed(
                enrollment_id=enrollment.pk, at=at
            ):
                enrollment = None
            completion = Completion.objects.create(
                organization=self.organization,
                membership=membership,
                enrollment=enrollment,
                course=course,
                version=version,
                title=course.title,
                version_label=version.label if version else "",
                completed_at=at,
                expires_at=at + dt.timedelta(days=365),
                time_spent_seconds=40 * 60,
            )
            # The transcript line is dated when the training was done, not when the seed ran.
            Completion.objects.filter(pk=completion.pk).update(created_at=at)
            self.created += 1
            if story.signed:
                completion.refresh_from_db()
                # The record `completion_sign` signs, so the pages' signature check holds.
                record = completion_record(completion, program, evaluation.zone_of(program))
                self.sign(
                    program,
                    signer=membership,
                    meaning=program.signature_meaning,
                    record_type="completion",
                    record_id=completion.pk,
                    record=record,
                    at=at + dt.timedelta(minutes=5),
                )

    def sign(
        self,
        program: Program,
        *,
        signer: Membership,
        meaning: str,
        record_type: str,
        record_id: int,
        record: dict[str, Any],
        at: dt.datetime,
    ) -> Signature:
        """A signature as `signature_create` stores it (same payload and hash), dated `at`; the demo skips the
        re-authentication (it knows no one's password at that moment)."""
        user: User = signer.user
        payload = {
            "record_type": record_type,
            "record_id": record_id,
            "record": record,
            "meaning": meaning,
            "signer": {"user_id": user.pk, "membership_id": signer.pk, "name": user.display_name or user.email},
            "signed_at": at.isoformat(),
            "method": Signature.Method.PASSWORD.value,
        }
        signature = Signature.objects.create(
            organization=self.organization,
            user=user,
            membership=signer,
            signer_name=user.display_name or user.email,
            meaning=meaning,
            signed_at=at,
            method=Signature.Method.PASSWORD,
            record_type=record_type,
            record_id=record_id,
            program=program,
            payload=json.loads(signatures.canonical(payload)),
            record_hash=signatures.digest(payload),
        )
        audit_record(
            organization=self.organization,
            action="compliance.signed",
            actor=user,
            target=signature,
            after={
                "record_type": record_type,
                "record_id": record_id,
                "program_id": program.pk,
                "meaning": meaning,
                "method": signature.method,
                "record_hash": signature.record_hash,
            },
            ip_address=None,
            user_agent=None,
        )
        self.created += 1
        return signature

    def requests(self, program: Program, assignments: dict[str, Assignment]) -> None:
        assert self.officer is not None
        today = evaluation.program_today(program)
        for item in REQUESTS:
            if item.program != program.name or item.email not in assignments:
                continue
            assignment = assignments[item.email]
            exemption = Exemption.objects.create(
                organization=self.organization,
                program=program,
                assignment=assignment,
                membership=assignment.membership,
                kind=item.kind,
                cycle=1,
                reason=item.reason,
                ends_on=today + dt.timedelta(days=item.ends_in_days) if item.ends_in_days is not None else None,
                extend_to=today + dt.timedelta(days=item.extend_in_days) if item.extend_in_days is not None else None,
                requested_by=assignment.membership.user,
                requested_at=self.at(program, item.days_ago, hour=14),
            )
            self.created += 1
            if item.decided_days_ago is None:
                continue
            decided_at = self.at(program, item.decided_days_ago, hour=16)
            # The record and meaning `exemption_decide` signs (read back: dates as the database returns them).
            exemption.refresh_from_db()
            exemption.decision_note = item.note
            record = exemption_record(exemption)
            meaning = approval_meaning(exemption)
            signature = self.sign(
                program,
                signer=self.officer,
                meaning=meaning,
                record_type="exemption",
                record_id=exemption.pk,
                record=record,
                at=decided_at,
            )
            Exemption.objects.filter(pk=exemption.pk).update(
                state=Exemption.State.APPROVED,
                decided_by=self.officer.user,
                decided_at=decided_at,
                decision_note=item.note,
                signature=signature,
            )

    def run(self) -> None:
        for name in (ANTI_BRIBERY, FIRE_SAFETY):
            program = self.program(name)
            if program is None:
                continue
            assignments = self.assignments(program)
            if program.requirement == "acknowledgement":
                self.acknowledgements(program, assignments)
            else:
                self.completions(program, assignments)
            self.requests(program, assignments)
            # Everyone else in the audience is assigned today; the story's people have their ledger replayed
            # from the day they were assigned.
            evaluation.evaluate_program(program, full=True)


def seed_compliance(organizations: Organizations, admin: Any, stdout: Output) -> int:
    """Northwind Health's two compliance programs with their people, facts and decisions; rows created."""
    organization = organizations.get(ORGANIZATION)
    if organization is None:
        return 0
    seeder = _Seeder(organization)
    if not seeder.ready():
        return 0
    seeder.run()
    for program in Program.objects.filter(organization=organization, name__in=(ANTI_BRIBERY, FIRE_SAFETY)):
        counts: dict[str, int] = {}
        for status in Assignment.objects.filter(program=program, ended_at__isnull=True).values_list(
            "status", flat=True
        ):
            counts[status] = counts.get(status, 0) + 1
        summary = ", ".join(f"{counts[code]} {StatusCode(code).label.lower()}" for code in sorted(counts))
        stdout.write(f"{organization.name}: compliance program {program.name}: {summary}")
    return seeder.created


def reset_compliance(organizations: Organizations) -> None:
    """Before `seed_demo --reset` deletes the demo organisations: their programs go first (a program's courses
    are RESTRICTed, and signatures are PROTECTed while an exemption or acknowledgement points at them)."""
    from syllabus.compliance.models import Exemption, Program, ProgramAcknowledgement, Signature

    ids = [org.pk for org in organizations.values() if org is not None]
    ProgramAcknowledgement.objects.filter(organization_id__in=ids).delete()
    Exemption.objects.filter(organization_id__in=ids).delete()
    Signature.objects.filter(organization_id__in=ids).delete()
    Program.objects.filter(organization_id__in=ids).delete()


def register_demo() -> None:
    demo.register("compliance", seed_compliance, reset=reset_compliance)
