"""What progress tells people: external training waiting for a decision reaches the person's manager, the decision
reaches the person (with the reason when declined). Nobody else hears, nothing is told twice, and a failing
notification never fails the submission."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from syllabus.accounts.models import Membership
from syllabus.audit import services as audit_services
from syllabus.core import clock
from syllabus.notifications import rendering
from syllabus.notifications import services as notification_services
from syllabus.notifications import types as registry
from syllabus.notifications.models import Notification
from syllabus.progress import events, notifying, services
from syllabus.progress.models import ExternalTraining
from tests.conftest import World
from tests.factories import MembershipFactory, grant

pytestmark = pytest.mark.django_db


def submit(membership: Membership) -> ExternalTraining:
    return services.external_submit(
        membership=membership,
        by=membership.user,
        title="Immediate life support",
        provider="Resuscitation Council UK",
        completed_on=dt.date(2026, 2, 2),
        hours=Decimal("7.5"),
    )


def inbox(membership: Membership) -> list[Notification]:
    return list(Notification.objects.filter(recipient=membership.user).order_by("pk"))


def told(type_key: str) -> set[int]:
    return set(Notification.objects.filter(type_key=type_key).values_list("recipient_id", flat=True))


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The completion date must not be in the future."""
    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 3, 1))


def test_every_type_is_registered_as_a_learning_record_with_wording_that_uses_exactly_its_placeholders() -> None:
    assert {kind.key for kind in notifying.TYPES} == {
        notifying.EXTERNAL_SUBMITTED,
        notifying.EXTERNAL_APPROVED,
        notifying.EXTERNAL_DECLINED,
    }
    for kind in notifying.TYPES:
        assert registry.get(kind.key) == kind
        assert str(kind.category) == "Learning records"
        assert rendering.template_errors(str(kind.subject), kind) == []
        assert rendering.template_errors(str(kind.body), kind) == []
        assert set(rendering.PLACEHOLDER.findall(f"{kind.subject} {kind.body}")) == set(kind.placeholders)


def test_submitted_training_tells_the_persons_manager_and_nobody_else(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    outside = MembershipFactory(organization=world.org, user__display_name="Bea Boss")
    Membership.objects.filter(pk=world.engineer.pk).update(manager=outside)
    with django_capture_on_commit_callbacks(execute=True):
        record = submit(world.report)
    assert told(notifying.EXTERNAL_SUBMITTED) == {world.manager.user.pk}
    for person in (world.report, outside, world.org_admin, world.instructor, world.learner, world.outsider):
        assert inbox(person) == []
    (notice,) = inbox(world.manager)
    assert notice.subject == "Rita Report recorded external training: “Immediate life support”"
    assert (
        "In their words: “Immediate life support”, provided by “Resuscitation Council UK”, completed on Feb. 2, 2026."
        in notice.body
    )
    assert notice.url == reverse("progress:external-approvals") and notice.organization_id == world.org.pk
    assert notice.dedupe_key == f"external:{record.pk}:submitted"


def test_a_person_without_a_manager_submits_and_nobody_is_told(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        record = submit(world.learner)
    assert record.status == ExternalTraining.Status.PENDING
    assert not Notification.objects.exists()


def test_an_approval_tells_the_person_it_is_on_their_transcript(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    record = submit(world.report)
    with django_capture_on_commit_callbacks(execute=True):
        services.external_approve(record=record, by=world.manager.user)
    assert told(notifying.EXTERNAL_APPROVED) == {world.report.user.pk}
    (notice,) = inbox(world.report)
    assert notice.subject == "“Immediate life support” is on your transcript"
    assert notice.body.startswith("Max Manager approved") and notice.url == reverse("progress:transcript")


def test_a_decline_tells_the_person_the_reason(world: World, django_capture_on_commit_callbacks: Any) -> None:
    record = submit(world.report)
    reason = "The certificate does not show your name: please upload the full page."
    with django_capture_on_commit_callbacks(execute=True):
        services.external_decline(record=record, by=world.manager.user, reason=reason)
    assert told(notifying.EXTERNAL_DECLINED) == {world.report.user.pk}
    (notice,) = inbox(world.report)
    assert notice.subject == "Your external training “Immediate life support” was declined"
    assert f"Their reason: {reason}" in notice.body and notice.url == reverse("progress:external")
    assert inbox(world.manager) == []


def test_an_event_handled_twice_tells_once(world: World) -> None:
    record = submit(world.report)
    event = events.ExternalTrainingSubmitted(
        organization_id=world.org.pk, external_id=record.pk, membership_id=world.report.pk, actor_id=None
    )
    notifying.on_external_submitted(event)
    notifying.on_external_submitted(event)
    assert len(inbox(world.manager)) == 1


def test_a_failing_notification_does_not_fail_the_submission(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def broken(notices: Any) -> list[Notification]:
        raise RuntimeError("mail server melted")

    monkeypatch.setattr(notification_services, "notify_many", broken)
    with (
        caplog.at_level(logging.ERROR, logger="syllabus.notifications.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        record = submit(world.report)
    assert ExternalTraining.objects.filter(pk=record.pk, status=ExternalTraining.Status.PENDING).exists()
    assert "notifications not sent for ExternalTrainingSubmitted" in caplog.text and "melted" in caplog.text
    assert not Notification.objects.exists()


# --- the review's fixes: settled once decided, erasure, the person's words, who the type concerns -----------------


@pytest.mark.parametrize("decision", ["approve", "decline"])
def test_a_decision_by_anyone_marks_the_managers_notice_read(
    world: World, django_capture_on_commit_callbacks: Any, decision: str
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        record = submit(world.report)
        other = submit(world.indirect_report)  # waits for Rita, untouched
    with django_capture_on_commit_callbacks(execute=True):
        # An organisation-wide administrator decides, not the manager who was told.
        if decision == "approve":
            services.external_approve(record=record, by=world.org_admin.user)
        else:
            services.external_decline(record=record, by=world.org_admin.user, reason="No date on the certificate.")
    (notice,) = inbox(world.manager)
    assert notice.dedupe_key == f"external:{record.pk}:submitted" and notice.read_at is not None
    (waiting,) = [n for n in inbox(world.report) if n.type_key == notifying.EXTERNAL_SUBMITTED]
    assert waiting.dedupe_key == f"external:{other.pk}:submitted" and waiting.read_at is None


def test_the_managers_notice_is_about_the_person_and_goes_when_they_are_erased(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submit(world.report)
        submit(world.indirect_report)
    (notice,) = inbox(world.manager)
    assert notice.about_id == world.report.user.pk
    with django_capture_on_commit_callbacks(execute=True):
        audit_services.privacy_erase(user=world.indirect_report.user, organization=world.org, by=world.org_admin.user)
    # Rita's notice about Ivan is gone; Max's about Rita stays.
    assert not Notification.objects.filter(recipient=world.report.user, type_key=notifying.EXTERNAL_SUBMITTED)
    assert Notification.objects.filter(pk=notice.pk).exists()


def test_the_persons_title_and_provider_stay_quoted_on_one_line(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.external_submit(
            membership=world.report,
            by=world.report.user,
            title="ILS\n\nSyllabus: your password expires, reset it at evil.example",
            provider="RCUK\r\nFrom: Syllabus",
            completed_on=dt.date(2026, 2, 2),
            hours=Decimal("7.5"),
        )
    (notice,) = inbox(world.manager)
    paragraphs = notice.body.split("\n\n")
    assert len(paragraphs) == 2
    assert (
        "“ILS Syllabus: your password expires, reset it at evil.example”, provided by “RCUK From: Syllabus”"
        in (paragraphs[0])
    )
    assert "\n" not in notice.subject


def test_the_external_approval_type_is_shown_to_people_who_approve_training(
    world: World, django_assert_max_num_queries: Any
) -> None:
    kind = registry.get(notifying.EXTERNAL_SUBMITTED)
    assert kind.shown_to is not None
    scoped = MembershipFactory(organization=world.org)
    grant(scoped, "manager", org_unit=world.engineering)
    for person in (world.manager, world.report, world.org_admin, scoped):
        with django_assert_max_num_queries(2):
            assert kind.shown_to(person.user, world.org), person.user.display_name
    # An instructor decides requests for their courses, not anyone's external training.
    for person in (world.instructor, world.learner, world.engineer, world.indirect_report):
        with django_assert_max_num_queries(2):
            assert not kind.shown_to(person.user, world.org), person.user.display_name
    assert not kind.shown_to(world.manager.user, world.other_org)
    assert not kind.shown_to(world.manager.user, None)
