"""The certificates app's part of `manage.py seed_demo`: Northwind Health's certificates, in every state.

Catherine Doyle (compliance officer) sets it up as she would on the awards page: the built-in templates, and
three awards — completing "Basic life support: adult awareness" or "Hand hygiene essentials" (both valid for a
year), and each cycle of the yearly "Fire safety" compliance program. Then every completion that earned one gets
its certificate, through the same issuing service as a live completion (signed Open Badge included), oldest first:

- valid: Chloe Adams' life support (her dashboard shows it), Zara Ahmed's and Lucy Fernandes' hand hygiene, and
  their Fire safety certificates;
- expired: Rajesh Iyer's hand hygiene (completed ~14 months ago, valid for 12) and his Fire safety cycle of
  ~13 months ago (he has not recertified);
- superseded: Chloe's earlier life support certificate — she completed the course 15 months ago and again 3 months
  ago, a few days before it expired (that earlier completion is added to her transcript here);
- revoked: Megan Walsh's life support certificate, by Catherine, with a reason.

The issuing service only knows "now", so what it dates by the clock is dated back afterwards with plain UPDATEs:
a superseded certificate's state changed when its successor was issued, and each "certificate is ready"
notification (sent after the seed commits) is dated to its certificate's issue. The PDFs are drawn here, directly
(`rendering.render_and_store`): the demo runs without a worker.

Idempotent: awards are looked up by course and program, issuing is idempotent per completion and program cycle,
and Megan's certificate is revoked only while it is valid. `reset` deletes the certificates' PDF files (after the
reset commits) and the rows whose protected references would stop the organisation's deletion.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from syllabus.accounts.models import Membership, Organization
from syllabus.catalog.models import Course
from syllabus.certificates import notifying, privacy
from syllabus.certificates.models import Award, Certificate, Source
from syllabus.certificates.services import issuing
from syllabus.compliance.models import Assignment, ClosedCycle, Program
from syllabus.core import clock, demo
from syllabus.core.demo import Organizations, Output
from syllabus.notifications.models import Notification
from syllabus.progress.models import Completion

ORGANIZATION = "northwind"


def _email(name: str) -> str:
    return f"{name}@northwind.example"


CATHERINE = _email("catherine.doyle")  # compliance officer
CHLOE = _email("chloe.adams")  # the demo learner
MEGAN = _email("megan.walsh")
RAJESH = _email("rajesh.iyer")

# Titles of the catalog's demo courses and the compliance demo's program.
LIFE_SUPPORT = "Basic life support: adult awareness"
HAND_HYGIENE = "Hand hygiene essentials"
FIRE_SAFETY = "Fire safety"


@dataclass(frozen=True)
class AwardStory:
    course: str | None
    program: str | None
    achievement: str
    criteria: str
    remind_days: tuple[int, ...]


AWARDS: tuple[AwardStory, ...] = (
    AwardStory(
        course=LIFE_SUPPORT,
        program=None,
        achievement="Basic Life Support — adult awareness",
        criteria="Completed the basic life support course with a final assessment score of 80% or more.",
        remind_days=(30, 7),
    ),
    AwardStory(
        course=HAND_HYGIENE,
        program=None,
        achievement="Hand hygiene essentials",
        criteria="Completed every activity of the hand hygiene essentials course.",
        remind_days=(),  # the default reminders (30 and 7 days before expiry)
    ),
    AwardStory(
        course=None,
        program=FIRE_SAFETY,
        achievement="Fire safety for clinical areas — annual certification",
        criteria="Completed and signed the yearly fire safety training for clinical areas.",
        remind_days=(60, 30, 7),
    ),
)

# Chloe's first life support completion: fifteen months ago; her current one (progress's demo) is three months old.
CHLOE_EARLIER_DAYS_AGO = 450
CHLOE_EARLIER_SCORE = Decimal(82)
REVOKE_REASON = (
    "Issued in error: the practical part of the final assessment was not observed by a qualified assessor. "
    "Megan will repeat the practical session, and a new certificate will be issued when she passes it."
)


@dataclass(frozen=True)
class _Cycle:
    """A satisfied program cycle of one person (closed, or their assignment's current one)."""

    completed_on: dt.date
    assignment_id: int
    membership_id: int
    number: int
    expires_on: dt.date | None
    completion_id: int | None


class _Seeder:
    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.created = 0
        self.now = clock.now()
        self.people = {
            m.user.email: m
            for m in Membership.objects.filter(organization=organization, is_active=True).select_related("user")
        }
        self.officer = self.people.get(CATHERINE)

    # --- set-up ------------------------------------------------------------------------------------------------

    def awards(self) -> list[tuple[AwardStory, Award]]:
        from syllabus.certificates.services import awards as award_services

        assert self.officer is not None
        by = self.officer.user
        made = []
        for story in AWARDS:
            course = program = None
            if story.course is not None:
                course = Course.objects.filter(
                    organization=self.organization, title=story.course, published_version__isnull=False
                ).first()
                if course is None:
                    continue
                award = Award.objects.filter(course=course).first()
            else:
                program = Program.objects.filter(organization=self.organization, name=story.program).first()
                if program is None:
                    continue
                award = Award.objects.filter(program=program).first()
            if award is None:
                templates = award_services.templates_ensure(organization=self.organization, by=by)
                award = award_services.award_create(
                    organization=self.organization,
                    by=by,
                    data=award_services.AwardFields(
                        source=Source.COURSE if course is not None else Source.PROGRAM,
                        course_id=course.pk if course is not None else None,
                        program_id=program.pk if program is not None else None,
                        template_id=templates[0].pk if templates else None,
                        achievement_name=story.achievement,
                        criteria=story.criteria,
                        remind_days=story.remind_days,
                    ),
                )
                self.created += 1
            made.append((story, award))
        return made

    def chloe_earlier_completion(self) -> None:
        """Chloe's first life support completion, before the one progress's demo made (her certificate of it
        is the superseded one)."""
        chloe = self.people.get(CHLOE)
        course = Course.objects.filter(organization=self.organization, title=LIFE_SUPPORT).first()
        if chloe is None or course is None:
            return
        latest = Completion.objects.filter(membership=chloe, course=course).order_by("-completed_at").first()
        if latest is None or Completion.objects.filter(membership=chloe, course=course).count() > 1:
            return
        at = self.now - dt.timedelta(days=CHLOE_EARLIER_DAYS_AGO)
        completion = Completion.objects.create(
            organization=self.organization,
            membership=chloe,
            course=course,
            version=latest.version,
            title=latest.title,
            version_label=latest.version_label,
            completed_at=at,
            expires_at=at + dt.timedelta(days=365),
            score=CHLOE_EARLIER_SCORE,
            time_spent_seconds=latest.time_spent_seconds,
        )
        # The transcript line is dated when the training was done, not when the seed ran.
        Completion.objects.filter(pk=completion.pk).update(created_at=at)
        self.created += 1

    # --- issuing -----------------------------------------------------------------------------------------------

    def issue_course(self, award: Award) -> None:
        assert award.course_id is not None
        completions = Completion.objects.filter(
            organization=self.organization, course_id=award.course_id, membership__is_active=True
        ).order_by("completed_at", "pk")
        for completion in completions:
            if Certificate.objects.filter(award=award, completion=completion).exists():
                continue
            if issuing.issue_for_course_completion(completion.pk) is not None:
                self.created += 1

    def issue_program(self, award: Award) -> None:
        """A certificate for every satisfied cycle: the closed ones and the current ones, oldest first."""
        assert award.program_id is not None
        cycles = [
            _Cycle(c.completed_on, c.assignment_id, c.membership_id, c.number, c.expires_on, c.completion_id)
            for c in ClosedCycle.objects.filter(program_id=award.program_id, completed_on__isnull=False)
            if c.completed_on is not None
        ] + [
            _Cycle(a.completed_on, a.pk, a.membership_id, a.cycle, a.expires_on, a.completion_id)
            for a in Assignment.objects.filter(
                program_id=award.program_id, ended_at__isnull=True, completed_on__isnull=False
            )
            if a.completed_on is not None
        ]
        for cycle in sorted(cycles, key=lambda c: (c.completed_on, c.assignment_id, c.number)):
            if Certificate.objects.filter(award=award, assignment_id=cycle.assignment_id, cycle=cycle.number).exists():
                continue
            certificate = issuing.issue_for_program_cycle(
                assignment_id=cycle.assignment_id,
                program_id=award.program_id,
                membership_id=cycle.membership_id,
                cycle=cycle.number,
                completed_on=cycle.completed_on,
                expires_on=cycle.expires_on,
                completion_id=cycle.completion_id,
            )
            if certificate is not None:
                self.created += 1

    def revoke(self, award: Award) -> None:
        megan = self.people.get(MEGAN)
        if megan is None or self.officer is None:
            return
        certificate = Certificate.objects.filter(award=award, membership=megan, state=Certificate.State.VALID).first()
        if certificate is not None:
            issuing.certificate_revoke(certificate=certificate, by=self.officer.user, reason=REVOKE_REASON)

    def date_superseded(self) -> None:
        """A superseded certificate's state changed when its successor was issued (the service wrote "now")."""
        for old in Certificate.objects.filter(
            organization=self.organization, state=Certificate.State.SUPERSEDED, superseded_by__isnull=False
        ).select_related("superseded_by"):
            assert old.superseded_by is not None
            if old.state_changed_at != old.superseded_by.issued_at:
                Certificate.objects.filter(pk=old.pk).update(state_changed_at=old.superseded_by.issued_at)

    def draw(self, stored: list[str]) -> None:
        """Draw the PDFs still pending (no worker runs during the seed), noting each file stored in `stored`."""
        from syllabus.certificates import rendering

        for pk in Certificate.objects.filter(
            organization=self.organization, render_state=Certificate.RenderState.PENDING
        ).values_list("pk", flat=True):
            rendering.render_and_store(pk)
            name = Certificate.objects.filter(pk=pk).values_list("pdf", flat=True).first()
            if name:
                stored.append(name)

    def run(self) -> None:
        awards = self.awards()
        self.chloe_earlier_completion()
        for story, award in awards:
            if award.source == Source.COURSE:
                self.issue_course(award)
            else:
                self.issue_program(award)
            if story.course == LIFE_SUPPORT:
                self.revoke(award)
        self.date_superseded()


def seed_certificates(organizations: Organizations, admin: Any, stdout: Output) -> int:
    """Northwind Health's awards and certificates (valid, expired, superseded, revoked), PDFs drawn; rows created."""
    organization = organizations.get(ORGANIZATION)
    if organization is None:
        return 0
    seeder = _Seeder(organization)
    if seeder.officer is None:
        return 0
    seeder.run()
    stored: list[str] = []
    try:
        seeder.draw(stored)
    except BaseException:
        # The rows roll back with the seed's transaction; the stored files would stay behind without this.
        privacy.delete_files(stored)
        raise
    states: dict[str, int] = {}
    for certificate in Certificate.objects.filter(organization=organization).only("state", "expires_at"):
        status = certificate.status_on(seeder.now)
        states[status] = states.get(status, 0) + 1
    summary = ", ".join(f"{states[status]} {status}" for status in sorted(states))
    stdout.write(f"{organization.name}: {sum(states.values())} certificates ({summary})")
    # After the "certificate is ready" notifications of the seed's events: those handlers were queued on commit
    # before this one.
    transaction.on_commit(functools.partial(date_notifications, organization.pk, seeder.now))
    return seeder.created


def date_notifications(organization_id: int, since: dt.datetime) -> int:
    """Date the "certificate is ready" notifications sent since `since` back to their certificate's issue.
    One read of each table and one UPDATE; returns how many were dated."""
    fresh = list(
        Notification.objects.filter(
            organization_id=organization_id, type_key=notifying.ISSUED, created_at__gte=since
        ).only("pk", "dedupe_key", "created_at")
    )
    ids = {}
    for notification in fresh:
        parts = notification.dedupe_key.split(":")
        if len(parts) == 3 and parts[1].isdigit():
            ids[notification.pk] = int(parts[1])
    issued = dict(Certificate.objects.filter(pk__in=set(ids.values())).values_list("pk", "issued_at"))
    dated = []
    for notification in fresh:
        moment = issued.get(ids.get(notification.pk, 0))
        if moment is not None:
            notification.created_at = moment
            dated.append(notification)
    Notification.objects.bulk_update(dated, ["created_at"])
    return len(dated)


def reset_certificates(organizations: Organizations) -> None:
    """Before `seed_demo --reset` deletes the demo organisations: their certificates go first (they protect the
    signing keys), then the awards (they protect the templates); the PDF files after the reset commits."""
    ids = [org.pk for org in organizations.values() if org is not None]
    certificates = Certificate.objects.filter(organization_id__in=ids)
    names = [name for name in certificates.exclude(pdf="").values_list("pdf", flat=True) if name]
    certificates.delete()
    Award.objects.filter(organization_id__in=ids).delete()
    if names:
        transaction.on_commit(functools.partial(privacy.delete_files, names))


def register_demo() -> None:
    demo.register("certificates", seed_certificates, reset=reset_certificates)
