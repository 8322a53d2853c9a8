"""`manage.py seed_demo`, the enrollment and progress parts: learners at every stage, idempotent, resettable."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db.models import Model

from syllabus.access.policy import principal_for
from syllabus.accounts.models import Membership, Organization
from syllabus.core import clock, demo
from syllabus.enrollment import policy
from syllabus.enrollment.models import (
    CourseGroup,
    CourseMessage,
    Enrollment,
    EnrollmentOptions,
    EnrollmentRule,
    GroupMember,
    Method,
    SelfEnrollment,
    Status,
)
from syllabus.progress import selectors_learner
from syllabus.progress.models import ActivityProgress, Completion, CompletionSettings, ExternalTraining

pytestmark = pytest.mark.django_db

MODELS: tuple[type[Model], ...] = (
    Enrollment,
    EnrollmentOptions,
    EnrollmentRule,
    CourseGroup,
    GroupMember,
    CourseMessage,
    ActivityProgress,
    Completion,
    CompletionSettings,
    ExternalTraining,
)
CHLOE = "chloe.adams@northwind.example"
AMELIA = "amelia.hughes@northwind.example"


@pytest.fixture(autouse=True)
def media_and_fast_hashing(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def steps_through_progress() -> Iterator[None]:
    """seed_demo with the steps up to enrollment's and progress' (each seed of the whole demo costs seconds more)."""
    with demo.only(*demo.through("progress")):
        yield


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MODELS}


def member(email: str) -> Membership:
    return Membership.objects.select_related("user", "organization").get(
        organization__slug="northwind", user__email=email
    )


def chloes(title: str) -> Enrollment:
    return Enrollment.objects.select_related("course").get(
        membership=member(CHLOE), course__title=title, status__in=("pending", "waitlisted", "active", "completed")
    )


def test_enrollment_and_progress_register_their_demo_steps_after_the_catalog():
    names = [step.name for step in demo.steps()]
    assert names.index("audiences") < names.index("catalog") < names.index("enrollment") < names.index("progress")


# Seeding takes seconds: one test checks the whole story, in sentence-named parts.


@pytest.mark.usefixtures("steps_through_progress")
def test_seed_demo_has_learners_at_every_stage():
    run()
    northwind = Organization.objects.get(slug="northwind")
    chloe_is_assigned_training_and_one_assignment_is_overdue()
    chloe_has_training_in_progress_with_activity_progress()
    chloe_has_completions_with_versions_a_score_and_one_expired()
    chloe_is_recommended_a_course_she_is_not_enrolled_in()
    chloe_has_external_training_approved_and_waiting_with_evidence()
    chloes_manager_sees_her_team_and_one_request_to_decide()
    some_people_have_not_started(northwind)
    a_course_is_full_with_a_waiting_list(northwind)
    an_audience_rule_enrolls_clinical_staff_due_in_30_days(northwind)
    the_induction_course_has_site_groups_and_a_message_went_to_participants(northwind)


def chloe_is_assigned_training_and_one_assignment_is_overdue() -> None:
    overdue = chloes("Information governance and data protection")
    assert overdue.method == Method.MANAGER and overdue.created_by == member(AMELIA).user
    assert overdue.status == Status.ACTIVE
    assert overdue.due_at is not None and overdue.due_at < clock.now() - dt.timedelta(days=6)
    assert overdue.created_at < overdue.due_at
    fire = chloes("Fire safety for clinical areas")
    assert fire.method == Method.AUDIENCE and fire.progress_percent == 0
    # The audience rule made it due in 30 days; the Fire safety compliance program (compliance/demo.py), which
    # Chloe is due soon in, set the earlier date it needs: the binding one.
    assert fire.due_at is not None and clock.now() < fire.due_at <= clock.now() + dt.timedelta(days=31)


def chloe_has_training_in_progress_with_activity_progress() -> None:
    for title in ("Information governance and data protection", "Safeguarding adults level 1"):
        enrollment = chloes(title)
        assert enrollment.status == Status.ACTIVE
        assert 0 < enrollment.progress_percent < 100
        rows = ActivityProgress.objects.filter(enrollment=enrollment)
        assert rows.filter(state="completed").exists()
        assert enrollment.last_activity_at is not None and enrollment.last_activity_uid is not None
        assert enrollment.time_spent_seconds > 0


def chloe_has_completions_with_versions_a_score_and_one_expired() -> None:
    now = clock.now()
    # Latest last: the certificates demo adds an earlier life support completion (a superseded certificate).
    lines = {
        c.title: c
        for c in Completion.objects.filter(membership=member(CHLOE), source="course").order_by("completed_at")
    }
    assert set(lines) == {"Welcome to Northwind Health", "Basic life support: adult awareness"}
    # Completed last year on 1.0; the enrollment has followed the course to 1.1 since.
    welcome = lines["Welcome to Northwind Health"]
    assert welcome.version_label == "1.0" and welcome.completed_at < now - dt.timedelta(days=300)
    version = chloes("Welcome to Northwind Health").version
    assert version is not None and version.label == "1.1"
    life_support = lines["Basic life support: adult awareness"]
    assert life_support.score == Decimal(88) and life_support.expires_at and life_support.expires_at > now
    for line in lines.values():
        enrollment = line.enrollment
        assert enrollment is not None and enrollment.status == Status.COMPLETED
        assert enrollment.completed_at == line.completed_at
        assert line.time_spent_seconds > 0 and line.version_label
    # Her colleague's hand hygiene, valid for a year, was completed 14 months ago.
    expired = Completion.objects.get(
        membership=member("rajesh.iyer@northwind.example"), title="Hand hygiene essentials"
    )
    assert expired.expires_at is not None and expired.expires_at < now
    assert Completion.objects.filter(score__isnull=False, source="course").count() >= 2


def chloe_is_recommended_a_course_she_is_not_enrolled_in() -> None:
    chloe = member(CHLOE)
    recommended = selectors_learner.recommendations(
        principal=principal_for(chloe.user, chloe.organization), organization=chloe.organization
    )
    assert "Hand hygiene essentials" in [item.title for item in recommended]


def chloe_has_external_training_approved_and_waiting_with_evidence() -> None:
    records = {x.status: x for x in ExternalTraining.objects.filter(membership=member(CHLOE))}
    assert set(records) == {"approved", "pending"}
    approved = records["approved"]
    assert approved.decided_by == member(AMELIA).user
    line = Completion.objects.get(external=approved)
    assert line.source == "external" and line.score == Decimal(86)
    for record in records.values():
        assert record.evidence_type == "application/pdf" and record.evidence_name.endswith(".pdf")
        with default_storage.open(record.evidence.name) as handle:
            assert handle.read(5) == b"%PDF-"


def chloes_manager_sees_her_team_and_one_request_to_decide() -> None:
    amelia = member(AMELIA)
    team = Enrollment.objects.filter(membership__manager=amelia)
    assert team.filter(status=Status.COMPLETED).exists()
    assert team.filter(status=Status.ACTIVE, progress_percent__gt=0).exists()
    assert team.filter(status=Status.ACTIVE, due_at__lt=clock.now()).count() >= 2
    (request,) = team.filter(status=Status.PENDING)
    assert request.membership.user.email == CHLOE and request.request_note
    assert EnrollmentOptions.objects.get(course=request.course).self_enrollment == SelfEnrollment.APPROVAL
    assert policy.can_decide(principal_for(amelia.user, amelia.organization), request)
    # The other requests for that course were decided: one approved, one declined with a reason.
    decided = Enrollment.objects.filter(course=request.course).exclude(status=Status.PENDING)
    assert sorted(decided.values_list("status", flat=True)) == [Status.ACTIVE, Status.DECLINED]
    assert decided.get(status=Status.DECLINED).reason


def some_people_have_not_started(northwind: Organization) -> None:
    not_started = Enrollment.objects.filter(organization=northwind, status=Status.ACTIVE, progress_percent=0)
    assert not_started.count() >= 10
    assert not ActivityProgress.objects.filter(enrollment__in=not_started).exists()
    welcome = Enrollment.objects.filter(organization=northwind, course__title="Welcome to Northwind Health")
    assert welcome.filter(status=Status.COMPLETED).count() >= 15
    assert welcome.filter(status=Status.ACTIVE, progress_percent__gt=0).count() >= 5


def a_course_is_full_with_a_waiting_list(northwind: Organization) -> None:
    options = EnrollmentOptions.objects.get(course__title="Basic life support: adult awareness")
    assert options.capacity == 6 and options.seats_taken == 6 and options.waitlist
    rows = Enrollment.objects.filter(course=options.course)
    assert rows.filter(status__in=(Status.ACTIVE, Status.COMPLETED)).count() == 6
    assert rows.filter(status=Status.WAITLISTED).count() == 3


def an_audience_rule_enrolls_clinical_staff_due_in_30_days(northwind: Organization) -> None:
    rule = EnrollmentRule.objects.select_related("audience", "course").get(organization=northwind)
    assert rule.audience.name == "Clinical staff" and rule.course.title == "Fire safety for clinical areas"
    assert rule.due_from == EnrollmentRule.DueFrom.ENROLLMENT and rule.due_days == 30
    enrolled = Enrollment.objects.filter(rule=rule)
    assert enrolled.count() == rule.audience.member_count > 5
    assert not enrolled.filter(due_at__isnull=True).exists()


def the_induction_course_has_site_groups_and_a_message_went_to_participants(northwind: Organization) -> None:
    groups = CourseGroup.objects.filter(course__title="Welcome to Northwind Health")
    assert sorted(groups.values_list("name", flat=True)) == ["Leeds", "London", "Manchester"]
    for group in groups:
        assert group.members.count() >= 5
    message = CourseMessage.objects.get(organization=northwind)
    assert message.recipients.count() == message.recipient_count == 4


@pytest.mark.usefixtures("steps_through_progress")
def test_seed_demo_twice_creates_nothing_more_and_reset_deletes_the_evidence_files(
    django_capture_on_commit_callbacks,
):
    # Every run's events are handled once it commits, as in a real `seed_demo` (quiz results reach progress so).
    with django_capture_on_commit_callbacks(execute=True):
        run()
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        assert "nothing changed" in run()
    assert counts() == before
    old_files = list(ExternalTraining.objects.values_list("evidence", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        run("--reset")
    assert counts() == before
    assert not any(default_storage.exists(name) for name in old_files)
    assert all(default_storage.exists(name) for name in ExternalTraining.objects.values_list("evidence", flat=True))


def test_seed_demo_leaves_unread_notifications_for_the_demo_learner_and_managers(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from syllabus.enrollment import notifying as enrollment_notifying
    from syllabus.notifications import selectors as notification_selectors
    from syllabus.notifications.models import Notification
    from syllabus.progress import notifying as progress_notifying

    # The seed's events are handled once it commits, by the real handlers.
    with django_capture_on_commit_callbacks(execute=True):
        run()
    chloe, amelia, grace = member(CHLOE), member(AMELIA), member("grace.mensah@northwind.example")

    def unread(person: Membership) -> dict[str, list[str]]:
        rows = notification_selectors.notification_list(
            user=person.user, organization=person.organization, unread_only=True
        )
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row.type_key, []).append(row.subject)
        return found

    # Chloe: the training assigned to her that she has not completed, and the external training approved.
    learner = unread(chloe)
    assert sorted(learner[enrollment_notifying.ASSIGNED]) == [
        "You have been enrolled in Fire safety for clinical areas",
        "You have been enrolled in Information governance and data protection",
        # The assessment demo's course: Chloe took one of its quizzes, she has not completed it.
        "You have been enrolled in Safety assessments",
    ]
    assert len(learner[progress_notifying.EXTERNAL_APPROVED]) == 1
    # Her manager: her request for a place and her external training, both still waiting.
    manager = unread(amelia)
    assert manager[enrollment_notifying.APPROVAL_REQUESTED] == [
        "Chloe Adams asks for a place in Giving and receiving feedback"
    ]
    assert len(manager[progress_notifying.EXTERNAL_SUBMITTED]) == 1
    # The manager of the sign-in table (Nursing): Harriet's request. The requests Grace decided tell her nothing.
    assert unread(grace)[enrollment_notifying.APPROVAL_REQUESTED] == [
        "Harriet Price asks for a place in Giving and receiving feedback"
    ]
    # Dated back to their occasion, not all "just now": Chloe's request two days ago, her information governance
    # assignment forty days ago (overdue since), the approval of her external training when it was decided.
    feedback = chloes("Giving and receiving feedback")
    (request,) = Notification.objects.filter(recipient=amelia.user, type_key=enrollment_notifying.APPROVAL_REQUESTED)
    assert request.created_at == feedback.created_at < clock.now() - dt.timedelta(days=1)
    governance = chloes("Information governance and data protection")
    (assigned,) = Notification.objects.filter(dedupe_key=f"enrollment:{governance.pk}:assigned")
    assert assigned.created_at == governance.created_at < clock.now() - dt.timedelta(days=39)
    assert assigned.body.endswith(": it is overdue.")
    approved = ExternalTraining.objects.get(membership=chloe, status="approved")
    (told_approved,) = Notification.objects.filter(dedupe_key=f"external:{approved.pk}:decided")
    assert told_approved.created_at == approved.decided_at
    (told_waiting,) = Notification.objects.filter(recipient=amelia.user, type_key=progress_notifying.EXTERNAL_SUBMITTED)
    assert told_waiting.created_at == ExternalTraining.objects.get(membership=chloe, status="pending").created_at
    # Nothing says "Due date: none"; the requests Grace decided no longer wait in her centre.
    assert not Notification.objects.filter(body__contains="none").exists()
    assert not Notification.objects.filter(
        recipient=grace.user, type_key=enrollment_notifying.APPROVAL_REQUESTED, read_at__isnull=True
    ).exclude(subject__startswith="Harriet Price")
    # Seeding again sends nothing twice, and dates nothing again.
    before = dict(Notification.objects.values_list("pk", "created_at"))
    with django_capture_on_commit_callbacks(execute=True):
        assert "nothing changed" in run()
    assert dict(Notification.objects.values_list("pk", "created_at")) == before
