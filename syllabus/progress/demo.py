"""The progress app's part of `manage.py seed_demo`: how far Northwind Health's people are, so every page that
shows progress has something true to show.

Runs after the enrollment demo (`syllabus.enrollment.demo`) and works on its enrollments:
- completion settings: hand hygiene, information governance and fire safety are valid for a year; basic life
  support also needs a final score of 80 %;
- learners at every stage: completed (some with a score, one whose completion has expired, induction
  completions on version 1.0 of a course now at 1.1), in progress (the first activities done), not started;
- Chloe Adams' external training: one approved by her manager (on her transcript), one waiting for approval,
  both with a PDF certificate as evidence.

Progress is made the way learners make it: each activity's completion signal goes through
`services.signal_record`, which completes the activity, updates the enrollment's summary and completes the
course when its criteria are met. The services only know "now", so a completion meant for last year is made now
and its dates moved back with a plain UPDATE afterwards (with the time spent a learner would have taken).

The notifications of the external training (Amelia's "waiting for your approval", Chloe's "approved") are sent
after the seed commits; a last step, also after commit, dates them back to the submission and the decision.

Idempotent: an enrollment that has a completion, or any activity progress, is left alone; external training is
looked up by person and title. Registered in ProgressConfig.ready(), with a reset that deletes evidence files.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image, ImageDraw, ImageFont

from syllabus.accounts.models import Membership, Organization
from syllabus.catalog import versions
from syllabus.catalog.events import ActivitySignalled
from syllabus.catalog.models import Course, CourseVersion
from syllabus.core import clock, demo
from syllabus.core.demo import Organizations, Output
from syllabus.enrollment.models import LEARNING_STATES, Enrollment, Status
from syllabus.notifications.models import Notification
from syllabus.progress import services
from syllabus.progress.models import ActivityProgress, Completion, CompletionSettings, ExternalTraining

ORGANIZATION = "northwind"
# The dedupe keys of progress's notifications (`progress.notifying`): "external:<id>:<occasion>".
OCCASION_KEY = re.compile(r"external:(?P<pk>\d+):(?P<occasion>\w+)")


def _email(name: str) -> str:
    return f"{name}@northwind.example"


SOPHIE, MARCUS = _email("sophie.turner"), _email("marcus.reid")  # course owners
AMELIA = _email("amelia.hughes")  # Chloe's manager
CHLOE = _email("chloe.adams")

# Course titles of the catalog's demo (syllabus.catalog.demo.courses).
WELCOME = "Welcome to Northwind Health"
HAND_HYGIENE = "Hand hygiene essentials"
FIRE_SAFETY = "Fire safety for clinical areas"
INFORMATION_GOVERNANCE = "Information governance and data protection"
SAFEGUARDING = "Safeguarding adults level 1"
LIFE_SUPPORT = "Basic life support: adult awareness"

YEAR = 365
# (course, owner who sets it, rule, minimum score, valid for days)
SETTINGS: tuple[tuple[str, str, str, Decimal | None, int | None], ...] = (
    (HAND_HYGIENE, SOPHIE, CompletionSettings.Rule.ALL_REQUIRED, None, YEAR),
    (INFORMATION_GOVERNANCE, SOPHIE, CompletionSettings.Rule.ALL_REQUIRED, None, YEAR),
    (LIFE_SUPPORT, SOPHIE, CompletionSettings.Rule.MIN_SCORE, Decimal(80), YEAR),
    (FIRE_SAFETY, MARCUS, CompletionSettings.Rule.ALL_REQUIRED, None, YEAR),
)


@dataclass(frozen=True)
class Done:
    """`email` completed `course` `days_ago`, with a final `score` (percent) where the course has one."""

    email: str
    course: str
    days_ago: int
    score: int | None = None


@dataclass(frozen=True)
class Started:
    """`email` has completed the first `activities` of `course`, the last one `days_ago`."""

    email: str
    course: str
    activities: int
    days_ago: int


COMPLETED: tuple[Done, ...] = (
    Done(CHLOE, WELCOME, 330),  # on version 1.0
    Done(CHLOE, LIFE_SUPPORT, 90, score=88),
    Done(_email("megan.walsh"), LIFE_SUPPORT, 200, score=94),
    Done(_email("rajesh.iyer"), HAND_HYGIENE, 420),  # valid for a year: expired
    Done(_email("zara.ahmed"), HAND_HYGIENE, 60),
    Done(_email("lucy.fernandes"), HAND_HYGIENE, 5),
    Done(_email("rajesh.iyer"), INFORMATION_GOVERNANCE, 20),
    Done(_email("isabella.rossi"), SAFEGUARDING, 10),
    Done(_email("noah.campbell"), SAFEGUARDING, 4),
)

IN_PROGRESS: tuple[Started, ...] = (
    Started(CHLOE, INFORMATION_GOVERNANCE, 2, 3),  # overdue since last week
    Started(CHLOE, SAFEGUARDING, 1, 1),
    Started(_email("zara.ahmed"), INFORMATION_GOVERNANCE, 3, 6),
    Started(_email("harriet.price"), SAFEGUARDING, 2, 8),
    Started(_email("jack.thompson"), HAND_HYGIENE, 1, 2),
    Started(_email("rajesh.iyer"), LIFE_SUPPORT, 2, 4),
    Started(_email("kwame.asante"), FIRE_SAFETY, 1, 0),
)

# Everyone else on the induction course, in email order: two in four have completed it over the past year, one in
# four is part-way through, one in four has not started.
WELCOME_CYCLE = 4
# Completions older than this were made on the course's previous version (the induction moved to 1.1 recently).
PREVIOUS_VERSION_DAYS = 30


@dataclass(frozen=True)
class External:
    title: str
    provider: str
    completed_days_ago: int
    hours: Decimal
    score: Decimal | None
    notes: str
    certificate: str  # evidence file name
    approved_days_ago: int | None  # None: still waiting for approval


CHLOE_EXTERNAL: tuple[External, ...] = (
    External(
        title="Advanced Life Support (ALS) provider course",
        provider="Resuscitation Council UK",
        completed_days_ago=200,
        hours=Decimal(16),
        score=Decimal(86),
        notes="Two-day course at Manchester Royal Infirmary: cardiac arrest simulations and the ALS algorithm.",
        certificate="ALS provider certificate.pdf",
        approved_days_ago=195,
    ),
    External(
        title="Tissue viability study day",
        provider="Royal College of Nursing",
        completed_days_ago=12,
        hours=Decimal("6.5"),
        score=None,
        notes="Pressure ulcer prevention, wound assessment and dressing choice. Paid for by the ward's study budget.",
        certificate="Certificate of attendance.pdf",
        approved_days_ago=None,
    ),
)


def certificate_pdf(*, person: str, title: str, provider: str, day: dt.date) -> bytes:
    """A one-page certificate, drawn rather than stored, so the demo ships no binary files of its own."""
    image = Image.new("RGB", (1240, 877), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 1210, 847), outline=(11, 83, 148), width=8)
    lines = (
        (110, provider, 40),
        (230, "Certificate", 72),
        (360, "This is to certify that", 34),
        (430, person, 56),
        (530, "completed", 34),
        (600, title, 40),
        (720, day.strftime("%d %B %Y"), 34),
    )
    for top, text, size in lines:
        font = ImageFont.load_default(size=size)
        width = draw.textlength(text, font=font)
        draw.text(((1240 - width) / 2, top), text, font=font, fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=150)
    return out.getvalue()


class _Seeder:
    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.created = 0
        self.now = clock.now()
        self.people = {
            m.user.email: m
            for m in Membership.objects.filter(organization=organization, is_active=True).select_related("user")
        }
        self.courses = {
            c.title: c for c in Course.objects.filter(organization=organization, published_version__isnull=False)
        }

    def ago(self, days: int, hours: int = 0) -> dt.datetime:
        return self.now - dt.timedelta(days=days, hours=hours)

    def enrollment(self, email: str, title: str) -> Enrollment | None:
        if email not in self.people or title not in self.courses:
            return None
        return (
            Enrollment.objects.filter(
                membership=self.people[email], course=self.courses[title], status__in=LEARNING_STATES
            )
            .select_related("organization", "membership")
            .first()
        )

    def untouched(self, enrollment: Enrollment | None) -> bool:
        """Not progressed yet (by an earlier run, or by the person)."""
        return (
            enrollment is not None
            and enrollment.status == Status.ACTIVE
            and enrollment.version_id is not None
            and not ActivityProgress.objects.filter(enrollment=enrollment).exists()
        )

    # --- completion settings --------------------------------------------------------------------------------------

    def settings(self) -> None:
        for title, owner, rule, min_score, valid_for_days in SETTINGS:
            course = self.courses.get(title)
            if course is None or CompletionSettings.objects.filter(course=course).exists():
                continue
            services.completion_settings_update(
                course=course,
                by=self.people[owner].user,
                rule=rule,
                min_score=min_score,
                valid_for_days=valid_for_days,
            )
            self.created += 1

    # --- progress ----------------------------------------------------------------------------------------------------

    def _activities(self, version_id: int) -> list[tuple[str, str, str, int]]:
        """(uid, kind, signal that completes it, minutes) per activity of the version, in outline order."""
        wanted = services.requirements(version_id)
        snapshot = CourseVersion.objects.filter(pk=version_id).values_list("snapshot", flat=True).first() or {}
        found = {str(a["uid"]): a for a in versions.activities(snapshot)}
        return [
            (
                uid,
                str(found[uid].get("kind", "")),
                sorted(wanted.rule_signals[uid])[0],
                int(found[uid].get("duration_minutes") or 5),
            )
            for uid in wanted.activity_uids
            if wanted.rule_signals.get(uid) and uid in found
        ]

    def _signal(self, enrollment: Enrollment, activity: tuple[str, str, str, int], at: dt.datetime, data: Any) -> None:
        assert enrollment.course_id is not None and enrollment.version_id is not None
        uid, kind, signal, _minutes = activity
        services.signal_record(
            ActivitySignalled(
                organization_id=enrollment.organization_id,
                course_id=enrollment.course_id,
                version_id=enrollment.version_id,
                activity_uid=uuid.UUID(uid),
                kind=kind,
                signal=signal,
                user_id=enrollment.membership.user_id,
                at=at,
                data=data,
            )
        )

    def progress(self, enrollment: Enrollment, *, count: int | None, last: dt.datetime, score: int | None) -> int:
        """Signal the first `count` activities (None: all), an hour apart, ending at `last`. Returns the seconds
        a learner would have spent on them, which are recorded on the activity rows."""
        assert enrollment.version_id is not None
        activities = self._activities(enrollment.version_id)
        chosen = activities if count is None else activities[: min(count, len(activities) - 1)]
        spent = 0
        for index, activity in enumerate(chosen):
            uid, minutes = activity[0], activity[3]
            at = last - dt.timedelta(hours=len(chosen) - 1 - index)
            final = index == len(chosen) - 1
            data = {"score": str(score), "scale": "percent"} if final and score is not None else {}
            self._signal(enrollment, activity, at, data)
            # Somewhat more or less than the author's estimate, the same on every run.
            seconds = minutes * 60 * (8 + (index * 3 + enrollment.pk) % 5) // 10
            ActivityProgress.objects.filter(enrollment=enrollment, activity_uid=uid).update(time_spent_seconds=seconds)
            spent += seconds
        Enrollment.objects.filter(pk=enrollment.pk).update(time_spent_seconds=spent)
        self.created += len(chosen)
        return spent

    def complete(self, enrollment: Enrollment, *, days_ago: int, score: int | None = None) -> None:
        at = self.ago(days_ago)
        spent = self.progress(enrollment, count=None, last=at, score=score)
        completion = Completion.objects.filter(enrollment=enrollment).first()
        if completion is None:  # criteria not met (a course whose kinds send no signals): leave it in progress
            return
        self.created += 1
        valid_for = services.settings_for(enrollment.course_id or 0).valid_for_days
        changes: dict[str, Any] = {
            "completed_at": at,
            "expires_at": at + dt.timedelta(days=valid_for) if valid_for else None,
            "time_spent_seconds": spent,
        }
        if days_ago > PREVIOUS_VERSION_DAYS and enrollment.course_id and enrollment.version_id:
            first = (
                CourseVersion.objects.filter(course_id=enrollment.course_id)
                .exclude(pk=enrollment.version_id)
                .order_by("major", "minor")
                .first()
            )
            if first is not None:
                # Completed before the current (minor) version came out; the learner has followed it since.
                changes.update(version=first, version_label=first.label)
        Completion.objects.filter(pk=completion.pk).update(**changes)
        Enrollment.objects.filter(pk=enrollment.pk).update(completed_at=at, status_changed_at=at, last_activity_at=at)

    def completions(self) -> None:
        for done in COMPLETED:
            enrollment = self.enrollment(done.email, done.course)
            if self.untouched(enrollment):
                assert enrollment is not None
                self.complete(enrollment, days_ago=done.days_ago, score=done.score)

    def started(self) -> None:
        for item in IN_PROGRESS:
            enrollment = self.enrollment(item.email, item.course)
            if self.untouched(enrollment):
                assert enrollment is not None
                self.progress(enrollment, count=item.activities, last=self.ago(item.days_ago, hours=2), score=None)

    def welcome(self) -> None:
        """The induction course, beyond the people above: most have completed it, some are on it, some not yet."""
        course = self.courses.get(WELCOME)
        if course is None:
            return
        named = {done.email for done in COMPLETED if done.course == WELCOME}
        # Every learning enrollment, completed ones too, so each person keeps their place in the cycle on a rerun.
        rows = (
            Enrollment.objects.filter(course=course, status__in=LEARNING_STATES)
            .exclude(membership__user__email__in=named)
            .select_related("organization", "membership__user")
            .order_by("membership__user__email")
        )
        for index, enrollment in enumerate(rows):
            if not self.untouched(enrollment):
                continue
            stage = index % WELCOME_CYCLE
            if stage in (0, 1):
                self.complete(enrollment, days_ago=15 + (index * 53) % 350)
            elif stage == 2:
                self.progress(enrollment, count=2, last=self.ago(1 + index % 20, hours=3), score=None)

    # --- external training -----------------------------------------------------------------------------------------

    def external(self) -> None:
        membership = self.people.get(CHLOE)
        manager = self.people.get(AMELIA)
        if membership is None or manager is None:
            return
        done = set(ExternalTraining.objects.filter(membership=membership).values_list("title", flat=True))
        stored: list[str] = []
        try:
            for item in CHLOE_EXTERNAL:
                if item.title in done:
                    continue
                day = clock.today() - dt.timedelta(days=item.completed_days_ago)
                pdf = certificate_pdf(
                    person=membership.user.display_name, title=item.title, provider=item.provider, day=day
                )
                record = services.external_submit(
                    membership=membership,
                    by=membership.user,
                    title=item.title,
                    provider=item.provider,
                    completed_on=day,
                    hours=item.hours,
                    score=item.score,
                    description=item.notes,
                    evidence=SimpleUploadedFile(item.certificate, pdf, content_type="application/pdf"),
                )
                stored.append(record.evidence.name)
                submitted = self.ago(item.completed_days_ago - 2)
                ExternalTraining.objects.filter(pk=record.pk).update(created_at=submitted)
                self.created += 1
                if item.approved_days_ago is not None:
                    services.external_approve(record=record, by=manager.user)
                    ExternalTraining.objects.filter(pk=record.pk).update(decided_at=self.ago(item.approved_days_ago))
                    Completion.objects.filter(external=record).update(created_at=self.ago(item.approved_days_ago))
                    self.created += 1
        except BaseException:
            # The rows roll back with the seed's transaction; the stored files would stay behind without this.
            for name in stored:
                default_storage.delete(name)
            raise


def seed_progress(organizations: Organizations, admin: Any, stdout: Output) -> int:
    """Northwind Health's completion settings, progress, completions and external training; rows created."""
    organization = organizations.get(ORGANIZATION)
    if organization is None:
        return 0
    seeder = _Seeder(organization)
    seeder.settings()
    seeder.completions()
    seeder.started()
    seeder.welcome()
    seeder.external()
    completions = Completion.objects.filter(organization=organization)
    stdout.write(
        f"{organization.name}: {completions.count()} transcript lines "
        f"({completions.filter(expires_at__lt=seeder.now).count()} expired), "
        f"{ExternalTraining.objects.filter(organization=organization, status='pending').count()} external training "
        "waiting for approval"
    )
    # After the notifications of the seed's events: those handlers were queued on commit before this one.
    transaction.on_commit(functools.partial(date_notifications, organization.pk, seeder.now))
    return seeder.created


def date_notifications(organization_id: int, since: dt.datetime) -> int:
    """Date the external training notifications sent since `since` back to the submission ("external:<id>:
    submitted") or the decision ("external:<id>:decided"). One read of each table and one UPDATE; notifications
    of earlier seeds are older than `since` and left alone. Returns how many were dated."""
    fresh: list[tuple[Notification, int, str]] = []
    for notification in Notification.objects.filter(
        organization_id=organization_id, dedupe_key__startswith="external:", created_at__gte=since
    ).only("pk", "dedupe_key", "created_at"):
        match = OCCASION_KEY.fullmatch(notification.dedupe_key)
        if match:
            fresh.append((notification, int(match["pk"]), match["occasion"]))
    moments = {
        pk: (created_at, decided_at or created_at)
        for pk, created_at, decided_at in ExternalTraining.objects.filter(
            pk__in={pk for _n, pk, _o in fresh}
        ).values_list("pk", "created_at", "decided_at")
    }
    dated = []
    for notification, pk, occasion in fresh:
        if pk in moments:
            submitted, decided = moments[pk]
            notification.created_at = decided if occasion == "decided" else submitted
            dated.append(notification)
    Notification.objects.bulk_update(dated, ["created_at"])
    return len(dated)


def reset_progress(organizations: Organizations) -> None:
    """Evidence files are in storage, not in the rows the organisations' deletion cascades to: delete them after
    the reset commits."""
    names = list(
        ExternalTraining.objects.filter(organization__in=list(organizations.values()))
        .exclude(evidence="")
        .values_list("evidence", flat=True)
    )
    if names:
        transaction.on_commit(functools.partial(_delete_files, names))


def _delete_files(names: list[str]) -> None:
    for name in set(names):
        default_storage.delete(name)


def register_demo() -> None:
    demo.register("progress", seed_progress, reset=reset_progress)
