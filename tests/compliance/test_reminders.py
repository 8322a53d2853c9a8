"""Reminders and escalations: each step on its day, nothing twice, the right people, and nothing for those who
are compliant or exempt. Nights are run with `tasks.daily` (evaluation, then reminders) with the clock moved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.audiences import services as audience_services
from syllabus.compliance import evaluation, notifying, reminders, tasks
from syllabus.compliance.models import Assignment, Exemption, Program
from syllabus.compliance.reminders import Row, Rules, learner_step, manager_step
from syllabus.core import events as core_events
from syllabus.notifications.models import Notification
from tests.compliance.conftest import Builder, Clock, complete
from tests.conftest import World
from tests.factories import MembershipFactory

D = dt.date


@pytest.fixture(autouse=True)
def types_registered() -> Iterator[None]:
    notifying.connect()
    yield
    core_events.unsubscribe(notifying.events.ExemptionRequested, notifying.on_exemption_requested)
    core_events.unsubscribe(notifying.events.ExemptionDecided, notifying.on_exemption_decided)


def night(clock: Clock, day: dt.date) -> dict[str, int]:
    """The nightly job on `day`; returns what the reminders of the (only) program sent."""
    clock.to(day)
    out = tasks.daily()
    found = [value for key, value in out.items() if key.endswith(":reminders")]
    return found[0] if found else {}


def received(membership, type_key: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=membership.user, type_key=type_key).order_by("pk"))


def program_for(build: Builder, sales, course, **fields) -> Program:
    defaults = {
        "reminder_days": [14, 7],
        "overdue_every_days": 7,
        "escalate_manager_days": 7,
        "escalate_officer_days": 14,
    }
    defaults.update(fields)
    return build.program(sales, [course], **defaults)


# --- pure steps --------------------------------------------------------------------------------------------------


def row(**fields) -> Row:
    base = {
        "id": 1,
        "membership_id": 10,
        "cycle": 1,
        "status": "due_soon",
        "status_since": D(2026, 3, 2),
        "due_on": D(2026, 4, 1),
        "assigned_on": D(2026, 3, 2),
    }
    base.update(fields)
    return Row(**base)  # type: ignore[arg-type]


RULES = Rules(reminder_days=(14, 7), overdue_every_days=7, escalate_manager_days=7, escalate_officer_days=14)


def test_a_newcomer_hears_they_are_assigned_not_a_reminder_of_the_same_day() -> None:
    step = learner_step(RULES, row(due_on=D(2026, 3, 9)), D(2026, 3, 2))  # the 7-day reminder falls on day one
    assert step is not None and step.type == notifying.ASSIGNED and step.key == "compliance:1:assigned"
    assert learner_step(RULES, row(due_on=D(2026, 3, 9)), D(2026, 3, 3)) is not None  # caught up: assigned again
    assert learner_step(RULES, row(due_on=D(2026, 3, 9)), D(2026, 3, 5)) is None  # too late to say "assigned"


def test_a_reminder_dated_after_the_first_day_is_not_hidden_by_a_late_assigned_notice() -> None:
    tomorrow = row(due_on=D(2026, 3, 3))
    step = learner_step(RULES, tomorrow, D(2026, 3, 3))
    assert step is not None and step.type == notifying.DUE_TODAY


def test_someone_coming_back_is_not_told_they_are_assigned_but_gets_the_days_reminder() -> None:
    back = row(first_time=False, due_on=D(2026, 3, 9))
    step = learner_step(RULES, back, D(2026, 3, 2))
    assert step is not None and step.type == notifying.DUE_SOON and step.key == "compliance:1:1:due_soon:7"


def test_only_the_latest_missed_reminder_is_sent_and_not_forever() -> None:
    late = learner_step(RULES, row(), D(2026, 3, 26))  # 14 days before (18 March) and 7 (25 March) both passed
    assert late is not None and late.key == "compliance:1:1:due_soon:7" and late.days == 6
    assert learner_step(RULES, row(), D(2026, 3, 22)) is None  # 18 March + 4 days: beyond the catch-up


def test_overdue_reminders_repeat_with_their_number_and_days_overdue() -> None:
    overdue = row(status="overdue", status_since=D(2026, 4, 2))
    first = learner_step(RULES, overdue, D(2026, 4, 2))
    assert first is not None and (first.type, first.key, first.days) == (
        notifying.OVERDUE,
        "compliance:1:1:overdue:0",
        1,
    )
    assert learner_step(RULES, overdue, D(2026, 4, 6)) is None
    second = learner_step(RULES, overdue, D(2026, 4, 9))
    assert second is not None and (second.key, second.days) == ("compliance:1:1:overdue:1", 8)
    once = Rules(overdue_every_days=0)
    assert learner_step(once, overdue, D(2026, 4, 9)) is None


def test_an_expired_certification_has_its_own_wording() -> None:
    expired = row(status="expired", cycle=2, status_since=D(2027, 3, 3), first_time=False)
    step = learner_step(RULES, expired, D(2027, 3, 3))
    assert (
        step is not None and step.type == notifying.RECERTIFICATION_OVERDUE and step.key.startswith("compliance:1:2:")
    )


def test_escalation_to_the_manager_is_due_from_its_day_however_late() -> None:
    overdue = row(status="overdue", status_since=D(2026, 4, 2))
    assert manager_step(RULES, overdue, D(2026, 4, 7)) is None
    on_day = manager_step(RULES, overdue, D(2026, 4, 8))
    assert on_day is not None and on_day.days == 7 and on_day.key == "compliance:1:1:escalation:manager"
    assert manager_step(RULES, overdue, D(2026, 6, 1)) is not None  # the dedupe key keeps it to one notice
    assert manager_step(Rules(), overdue, D(2026, 6, 1)) is None  # no escalation set


def test_exempt_people_get_nothing() -> None:
    assert learner_step(RULES, row(status="exempt"), D(2026, 3, 25)) is None
    assert manager_step(RULES, row(status="exempt"), D(2026, 6, 1)) is None


def test_compliant_people_hear_only_inside_the_recertification_window() -> None:
    rules = Rules(reminder_days=(90, 30, 7), window_days=60)
    done = row(status="compliant", expires_on=D(2027, 3, 2), first_time=False)
    assert learner_step(rules, done, D(2026, 12, 2)) is None  # 90 days before: the window is not open yet
    opened = learner_step(rules, done, D(2027, 1, 1))
    assert opened is not None and opened.type == notifying.WINDOW_OPEN
    expiring = learner_step(rules, done, D(2027, 1, 31))
    assert expiring is not None and (expiring.type, expiring.days) == (notifying.EXPIRING, 30)
    assert learner_step(Rules(reminder_days=(30,)), done, D(2027, 1, 31)) is None  # no window: nothing to do yet


# --- through the nightly job -------------------------------------------------------------------------------------


def test_each_step_reaches_the_learner_on_its_day_and_only_once(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    program = program_for(build, sales, course, escalate_manager_days=None, escalate_officer_days=None)
    assert night(moved_clock, D(2026, 3, 2)) == {"assigned": 4}
    assert night(moved_clock, D(2026, 3, 2)) == {}  # the same night again: nothing twice
    assert night(moved_clock, D(2026, 3, 17)) == {}
    assert night(moved_clock, D(2026, 3, 18)) == {"due_soon": 4}
    assert night(moved_clock, D(2026, 3, 25)) == {"due_soon": 4}
    assert night(moved_clock, D(2026, 4, 1)) == {"due_today": 4}
    assert night(moved_clock, D(2026, 4, 2)) == {"overdue": 4}
    assert night(moved_clock, D(2026, 4, 2)) == {}
    assert night(moved_clock, D(2026, 4, 9)) == {"overdue": 4}

    lena = received(world.learner, notifying.DUE_SOON)
    assert [n.dedupe_key.rsplit(":", 2)[-2:] for n in lena] == [["due_soon", "14"], ["due_soon", "7"]]
    assert lena[0].subject == "Reminder: Anti-bribery 2026 is due on April 1, 2026"
    assert "Complete the course “Anti-bribery”." in lena[0].body
    assert lena[0].url == "/compliance/mine/"
    assigned = received(world.learner, notifying.ASSIGNED)[0]
    assert "due on April 1, 2026" in assigned.body
    overdue = received(world.learner, notifying.OVERDUE)
    assert ["overdue for 1 day(s)" in overdue[0].body, "overdue for 8 day(s)" in overdue[1].body] == [True, True]
    assert program.pk  # the program stays the only one: night() reads its reminders


def test_the_manager_is_told_after_the_set_days_overdue_once(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    program_for(build, sales, course)
    night(moved_clock, D(2026, 3, 2))
    assert "escalation_manager" not in night(moved_clock, D(2026, 4, 7))
    # Rita reports to Max, Ivan to Rita; Max and Lena have no manager.
    assert night(moved_clock, D(2026, 4, 8)) == {"escalation_manager": 2}
    assert night(moved_clock, D(2026, 4, 8)) == {}
    max_hears = received(world.manager, notifying.ESCALATION_MANAGER)
    rita_hears = received(world.report, notifying.ESCALATION_MANAGER)
    assert [n.subject for n in max_hears] == ["Rita Report is overdue with Anti-bribery 2026"]
    assert [n.subject for n in rita_hears] == ["Ivan Indirect is overdue with Anti-bribery 2026"]
    assert max_hears[0].about_id == world.report.user_id
    assert "overdue for 7 day(s)" in max_hears[0].body
    assert max_hears[0].url.startswith("/compliance/programs/")
    assert night(moved_clock, D(2026, 4, 20)).get("escalation_manager") is None  # once per cycle


def test_a_manager_who_left_is_skipped_for_the_next_one_up(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    program_for(build, sales, course)
    night(moved_clock, D(2026, 3, 2))
    # Rita's account is switched off (she stays in scope until the audience catches up): Ivan's line goes to Max.
    type(world.report.user).objects.filter(pk=world.report.user_id).update(is_active=False)
    night(moved_clock, D(2026, 4, 8))
    assert sorted(n.subject for n in received(world.manager, notifying.ESCALATION_MANAGER)) == [
        "Ivan Indirect is overdue with Anti-bribery 2026",
        "Rita Report is overdue with Anti-bribery 2026",
    ]


def test_officers_get_one_notice_per_program_and_day_with_the_counts(
    world: World, sales, course, build: Builder, moved_clock: Clock, officer
) -> None:
    program = program_for(build, sales, course)
    Program.objects.filter(pk=program.pk).update(owner=world.instructor.user)  # an owner who is not an officer
    night(moved_clock, D(2026, 3, 2))
    assert "escalation_officer" not in night(moved_clock, D(2026, 4, 14))
    # 14 days overdue on 15 April: the officer, the org admin (compliance.manage org-wide) and the owner hear.
    assert night(moved_clock, D(2026, 4, 15))["escalation_officer"] == 3
    assert night(moved_clock, D(2026, 4, 15)) == {}
    notice = received(officer, notifying.ESCALATION_OFFICER)
    assert len(notice) == 1
    assert notice[0].subject == "Anti-bribery 2026: 4 people overdue for 14 days or more"
    assert "4 of them reaching it since the last message. 4 people are overdue in all." in notice[0].body
    assert notice[0].url == f"/compliance/programs/{program.pk}/?status=overdue"
    assert received(world.org_admin, notifying.ESCALATION_OFFICER)
    assert received(world.instructor, notifying.ESCALATION_OFFICER)
    assert not received(world.manager, notifying.ESCALATION_OFFICER)
    # Nobody new reaches it the next days: no more notices.
    assert "escalation_officer" not in night(moved_clock, D(2026, 4, 16))
    assert "escalation_officer" not in night(moved_clock, D(2026, 4, 30))


def test_the_officers_notice_counts_only_the_newcomers_since_the_last_one(
    world: World, sales, course, build: Builder, moved_clock: Clock, officer
) -> None:
    program_for(build, sales, course)
    night(moved_clock, D(2026, 3, 2))
    night(moved_clock, D(2026, 4, 15))
    late = MembershipFactory(organization=world.org, org_unit=world.sales, user__display_name="Nina Newcomer")
    moved_clock.to(D(2026, 4, 16))
    audience_services.audience_recompute(audience=sales)
    night(moved_clock, D(2026, 4, 16))  # Nina is assigned, due 16 May
    assert "escalation_officer" not in night(moved_clock, D(2026, 5, 29))
    # Nina is overdue from 17 May: her 14th day overdue is 30 May.
    assert night(moved_clock, D(2026, 5, 30))["escalation_officer"] == 2
    latest = received(officer, notifying.ESCALATION_OFFICER)[-1]
    assert latest.subject == "Anti-bribery 2026: 5 people overdue for 14 days or more"
    assert "1 of them reaching it since the last message" in latest.body
    assert late.pk


def test_compliant_and_exempt_people_get_nothing(
    world: World, sales, course, build: Builder, moved_clock: Clock, officer
) -> None:
    program = program_for(build, sales, course)
    complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    rita = Assignment.objects.get(program=program, membership=world.report)
    Exemption.objects.create(
        organization=world.org,
        program=program,
        assignment=rita,
        membership=world.report,
        kind=Exemption.Kind.EXEMPTION,
        cycle=1,
        reason="On leave",
        state=Exemption.State.APPROVED,
        requested_by=world.report.user,
        requested_at=moved_clock.now,
        decided_by=officer.user,
        decided_at=moved_clock.now,
    )
    evaluation.evaluate_program(program, membership_ids=[world.report.pk])
    for day in (D(2026, 3, 2), D(2026, 3, 18), D(2026, 4, 1), D(2026, 4, 2), D(2026, 4, 8), D(2026, 4, 15)):
        night(moved_clock, day)
    assert not Notification.objects.filter(recipient=world.learner.user).exists()
    # Rita hears only as Ivan's manager, never for herself.
    assert set(Notification.objects.filter(recipient=world.report.user).values_list("type_key", flat=True)) == {
        notifying.ESCALATION_MANAGER
    }
    # Max (overdue) still hears; his escalation about Rita never comes.
    assert received(world.manager, notifying.OVERDUE)
    assert not received(world.manager, notifying.ESCALATION_MANAGER)


def test_recertification_window_expiry_and_the_next_cycle(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    program = program_for(build, sales, course, valid_months=12, window_days=60, reminder_days=[30])
    complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    night(moved_clock, D(2026, 3, 2))
    night(moved_clock, D(2027, 1, 1))
    opened = received(world.learner, notifying.WINDOW_OPEN)
    assert [n.subject for n in opened] == ["You can now recertify Anti-bribery 2026"]
    assert "valid until March 1, 2027" in opened[0].body
    night(moved_clock, D(2027, 1, 31))
    assert [n.subject for n in received(world.learner, notifying.EXPIRING)] == [
        "Anti-bribery 2026 expires in 30 day(s)"
    ]
    night(moved_clock, D(2027, 3, 2))  # cycle 2 is due the day cycle 1 expires
    assert [n.dedupe_key for n in received(world.learner, notifying.DUE_TODAY)][-1].endswith(":2:due_today")
    night(moved_clock, D(2027, 3, 3))
    expired = received(world.learner, notifying.RECERTIFICATION_OVERDUE)
    assert [n.subject for n in expired] == ["Anti-bribery 2026 expired: recertify now"]


def test_nothing_for_a_program_that_is_not_active(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    draft = build.program(sales, [course], activate=False)
    assert reminders.send_for_program(draft) == {}


def _people(world: World, sales, count: int, manager) -> None:
    for number in range(count):
        MembershipFactory(
            organization=world.org, org_unit=world.sales, manager=manager, user__display_name=f"Extra {number}"
        )
    audience_services.audience_recompute(audience=sales)


def _queries_of_a_busy_night(world: World, sales, course, build: Builder, clock: Clock, extra: int) -> int:
    """The queries (other than inserts) of one night's reminders with `extra` more people overdue."""
    _people(world, sales, extra, world.manager)
    program = program_for(build, sales, course, escalate_manager_days=14)
    night(clock, D(2026, 3, 2))
    clock.to(D(2026, 4, 16))
    evaluation.evaluate_program(program)
    # 16 April: the third overdue reminder, the managers' and the officers' escalations, all at once.
    with CaptureQueriesContext(connection) as queries:
        sent = reminders.send_for_program(program)
    assert sent["escalation_manager"] >= 2 + extra and sent["overdue"] >= 4 + extra
    # The notifications app inserts rows in chunks SQLite can bind (about 90 notices a statement): not ours to count.
    return sum(1 for query in queries.captured_queries if not query["sql"].startswith("INSERT"))


def test_the_number_of_queries_does_not_grow_with_the_people(
    world: World, sales, course, build: Builder, moved_clock: Clock, officer
) -> None:
    small = _queries_of_a_busy_night(world, sales, course, build, moved_clock, extra=2)
    Notification.objects.all().delete()
    Program.objects.all().delete()
    moved_clock.to(D(2026, 3, 2))
    audience_services.audience_recompute(audience=sales)
    large = _queries_of_a_busy_night(world, sales, course, build, moved_clock, extra=40)
    assert large == small
