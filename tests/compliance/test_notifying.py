"""Compliance's notification types and who they reach: wording with samples, escalation recipients (the manager
up the line, the officers), and the exemption events (requested → officers; decided → the person and who asked)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from syllabus.accounts.models import Membership
from syllabus.compliance import events, notifying
from syllabus.compliance.models import Assignment, Exemption, Program
from syllabus.core import events as core_events
from syllabus.core.events import emit
from syllabus.notifications import rendering
from syllabus.notifications import types as registry
from syllabus.notifications.models import Notification
from tests.compliance.conftest import Builder, Clock
from tests.conftest import World
from tests.factories import MembershipFactory, grant


@pytest.fixture(autouse=True)
def connected() -> Iterator[None]:
    notifying.connect()
    yield
    core_events.unsubscribe(events.ExemptionRequested, notifying.on_exemption_requested)
    core_events.unsubscribe(events.ExemptionDecided, notifying.on_exemption_decided)


# --- the types ---------------------------------------------------------------------------------------------------


def test_every_type_is_registered_and_renders_its_samples_completely() -> None:
    assert len(notifying.TYPES) == 13
    for kind in notifying.TYPES:
        assert registry.get(kind.key) is kind
        assert kind.key.startswith("compliance.")
        rendered = rendering.render(
            subject=kind.subject,
            body=kind.body,
            context=rendering.sample_context(kind),
            language="en",
            time_zone="UTC",
        )
        assert "{{" not in rendered.subject + rendered.body, kind.key
        # Every placeholder declared is used, so the organisation's preview shows all of them.
        for name in kind.placeholders:
            assert "{{ " + name + " }}" in str(kind.subject) + str(kind.body), (kind.key, name)


def test_escalations_may_be_made_mandatory_by_an_organisation_decisions_may_not() -> None:
    flags = {kind.key: kind.org_mandatory_allowed for kind in notifying.TYPES}
    assert flags[notifying.ESCALATION_MANAGER] and flags[notifying.ESCALATION_OFFICER]
    assert flags[notifying.OVERDUE] and flags[notifying.ASSIGNED]
    assert not flags[notifying.EXEMPTION_APPROVED]


def test_escalation_types_are_shown_only_to_the_people_they_concern(world: World, officer: Membership) -> None:
    assert notifying.manages_people(world.manager.user, world.org)
    assert not notifying.manages_people(world.learner.user, world.org)
    assert notifying.runs_compliance(officer.user, world.org)
    assert notifying.runs_compliance(world.org_admin.user, world.org)
    assert not notifying.runs_compliance(world.manager.user, world.org)
    assert not notifying.runs_compliance(world.outsider.user, world.org)


def test_what_to_do_is_one_sentence_for_each_kind_of_program(world: World) -> None:
    course = Program(name="P", requirement="course")
    assert notifying.next_step_sentence(course, ["Fire safety"], "en") == "Complete the course “Fire safety”."
    any_of = Program(name="P", requirement="any")
    assert notifying.next_step_sentence(any_of, ["A", "B"], "en") == "Complete one of these courses: “A”, “B”."
    all_of = Program(name="P", requirement="all", require_signature=True)
    assert notifying.next_step_sentence(all_of, ["A", "B"], "en") == (
        "Complete each of these courses: “A”, “B”. Then sign your completion on your compliance page."
    )
    ack = Program(name="P", requirement="acknowledgement")
    assert notifying.next_step_sentence(ack, [], "en") == "Read and acknowledge the statement on your compliance page."


# --- recipients --------------------------------------------------------------------------------------------------


def test_the_nearest_active_manager_is_found_for_many_people_at_once(
    world: World, django_assert_max_num_queries
) -> None:
    people = {
        world.report.pk: world.report.manager_id,
        world.indirect_report.pk: world.indirect_report.manager_id,
        world.learner.pk: None,
    }
    with django_assert_max_num_queries(1):
        found = notifying.nearest_managers(world.org.pk, people)
    assert found == {world.report.pk: world.manager.user_id, world.indirect_report.pk: world.report.user_id}
    # Rita left: Ivan's line goes up to Max (one more query for the next level).
    Membership.objects.filter(pk=world.report.pk).update(is_active=False)
    with django_assert_max_num_queries(2):
        found = notifying.nearest_managers(world.org.pk, {world.indirect_report.pk: world.report.pk})
    assert found == {world.indirect_report.pk: world.manager.user_id}


def test_a_reporting_loop_or_another_organisations_manager_tells_nobody(world: World) -> None:
    Membership.objects.filter(pk=world.manager.pk).update(manager=world.report, is_active=False)
    Membership.objects.filter(pk=world.report.pk).update(is_active=False)
    assert notifying.nearest_managers(world.org.pk, {world.indirect_report.pk: world.report.pk}) == {}
    assert notifying.nearest_managers(world.org.pk, {world.learner.pk: world.outsider.pk}) == {}


def test_officers_are_the_active_members_managing_compliance_organisation_wide(
    world: World, officer: Membership
) -> None:
    unit_officer = MembershipFactory(organization=world.org, org_unit=world.sales)
    grant(unit_officer, "compliance_officer", org_unit=world.sales)  # only a subtree: not an officer of the org
    gone = MembershipFactory(organization=world.org, org_unit=world.hq, is_active=False)
    grant(gone, "compliance_officer")
    assert notifying.officer_user_ids(world.org.pk) == {officer.user_id, world.org_admin.user_id}


# --- exemptions ----------------------------------------------------------------------------------------------------


def _exemption(world: World, program: Program, clock: Clock, **fields) -> Exemption:
    assignment = Assignment.objects.get(program=program, membership=world.report)
    values = {
        "organization": world.org,
        "program": program,
        "assignment": assignment,
        "membership": world.report,
        "kind": Exemption.Kind.EXTENSION,
        "cycle": 1,
        "reason": "On parental leave\nuntil the end of April.",
        "extend_to": dt.date(2026, 5, 15),
        "requested_by": world.manager.user,
        "requested_at": clock.now,
    }
    values.update(fields)
    return Exemption.objects.create(**values)


def _requested(exemption: Exemption, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        emit(
            events.ExemptionRequested(
                organization_id=exemption.organization_id,
                exemption_id=exemption.pk,
                program_id=exemption.program_id,
                membership_id=exemption.membership_id,
                actor_id=exemption.requested_by_id,
            )
        )


def _decided(exemption: Exemption, state: str, actor, django_capture_on_commit_callbacks, note: str = "") -> None:
    Exemption.objects.filter(pk=exemption.pk).update(state=state, decided_by=actor, decision_note=note)
    with django_capture_on_commit_callbacks(execute=True):
        emit(
            events.ExemptionDecided(
                organization_id=exemption.organization_id,
                exemption_id=exemption.pk,
                program_id=exemption.program_id,
                membership_id=exemption.membership_id,
                actor_id=actor.pk,
                approved=state == Exemption.State.APPROVED,
            )
        )


def test_a_request_reaches_the_officers_who_may_decide_it_with_the_reason_quoted(
    world: World, build: Builder, sales, course, moved_clock: Clock, officer, django_capture_on_commit_callbacks
) -> None:
    exemption = _exemption(world, build.program(sales, [course]), moved_clock)
    _requested(exemption, django_capture_on_commit_callbacks)
    notices = Notification.objects.filter(type_key=notifying.EXEMPTION_REQUESTED)
    assert sorted(n.recipient_id for n in notices) == sorted([officer.user_id, world.org_admin.user_id])
    notice = notices.get(recipient=officer.user)
    assert notice.subject == ("Max Manager asks for an extension of the due date to May 15, 2026 (Anti-bribery 2026)")
    assert "for Rita Report in Anti-bribery 2026" in notice.body
    assert "Their reason: “On parental leave until the end of April.”" in notice.body  # one line, quoted
    assert notice.url == f"/compliance/exemptions/{exemption.pk}/"
    assert notice.about_id == world.report.user_id
    _requested(exemption, django_capture_on_commit_callbacks)  # handled twice: nobody told twice
    assert Notification.objects.filter(type_key=notifying.EXEMPTION_REQUESTED).count() == 2


def test_an_officer_asking_about_themselves_is_not_asked_to_decide(
    world: World, build: Builder, sales, course, moved_clock: Clock, officer, django_capture_on_commit_callbacks
) -> None:
    exemption = _exemption(world, build.program(sales, [course]), moved_clock, requested_by=officer.user)
    _requested(exemption, django_capture_on_commit_callbacks)
    recipients = Notification.objects.filter(type_key=notifying.EXEMPTION_REQUESTED).values_list(
        "recipient_id", flat=True
    )
    assert list(recipients) == [world.org_admin.user_id]


def test_an_approval_tells_the_person_and_who_asked_and_settles_the_officers_notices(
    world: World, build: Builder, sales, course, moved_clock: Clock, officer, django_capture_on_commit_callbacks
) -> None:
    exemption = _exemption(
        world, build.program(sales, [course]), moved_clock, kind=Exemption.Kind.EXEMPTION, extend_to=None
    )
    _requested(exemption, django_capture_on_commit_callbacks)
    _decided(exemption, Exemption.State.APPROVED, officer.user, django_capture_on_commit_callbacks)
    approved = Notification.objects.filter(type_key=notifying.EXEMPTION_APPROVED)
    assert sorted(n.recipient_id for n in approved) == sorted([world.report.user_id, world.manager.user_id])
    rita = approved.get(recipient=world.report.user)
    assert rita.subject == "Approved: an exemption with no end date (Anti-bribery 2026)"
    assert rita.body == "Carla Compliance approved an exemption with no end date for Rita Report in Anti-bribery 2026."
    assert rita.url == "/compliance/mine/"
    assert not Notification.objects.filter(type_key=notifying.EXEMPTION_REQUESTED, read_at__isnull=True).exists()


def test_a_decline_gives_the_officers_reason(
    world: World, build: Builder, sales, course, moved_clock: Clock, officer, django_capture_on_commit_callbacks
) -> None:
    exemption = _exemption(world, build.program(sales, [course]), moved_clock, ends_on=dt.date(2026, 6, 30))
    _decided(
        exemption, Exemption.State.DECLINED, officer.user, django_capture_on_commit_callbacks, note="Applies to all."
    )
    declined = Notification.objects.get(type_key=notifying.EXEMPTION_DECLINED, recipient=world.report.user)
    assert declined.body.endswith("Their reason: Applies to all.")


def test_a_withdrawal_tells_nobody_and_a_revocation_tells_the_person(
    world: World, build: Builder, sales, course, moved_clock: Clock, officer, django_capture_on_commit_callbacks
) -> None:
    program = build.program(sales, [course])
    exemption = _exemption(world, program, moved_clock, requested_by=world.report.user)
    _requested(exemption, django_capture_on_commit_callbacks)
    _decided(exemption, Exemption.State.WITHDRAWN, world.report.user, django_capture_on_commit_callbacks)
    assert not Notification.objects.filter(recipient=world.report.user).exists()
    assert not Notification.objects.filter(type_key=notifying.EXEMPTION_REQUESTED, read_at__isnull=True).exists()
    other = _exemption(world, program, moved_clock, requested_by=world.report.user, kind="exemption")
    _decided(other, Exemption.State.REVOKED, officer.user, django_capture_on_commit_callbacks)
    revoked = Notification.objects.get(type_key=notifying.EXEMPTION_REVOKED)
    assert revoked.recipient_id == world.report.user_id
    assert revoked.subject.startswith("Revoked: an exemption")


def test_a_handler_never_raises_into_the_action(world: World) -> None:
    notifying.on_exemption_requested(
        events.ExemptionRequested(
            organization_id=world.org.pk, exemption_id=0, program_id=0, membership_id=0, actor_id=None
        )
    )
    assert not Notification.objects.exists()
