"""Writing programs through `services.programs`: validation messages per field, permissions from the attacker's
side, and the life cycle draft → active → archived."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.audit.models import AuditRecord
from syllabus.compliance import due_dates, services
from syllabus.compliance.models import Assignment, Program
from syllabus.compliance.services import programs
from tests.compliance.conftest import Builder, make_course
from tests.conftest import World


def errors_of(build: Builder, data: dict) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        services.program_create(organization=build.world.org, by=build.officer.user, data=data)
    return {key: messages[0] for key, messages in caught.value.message_dict.items()}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "  "}, "name", programs.NAME_REQUIRED),
        ({"requirement": "magic"}, "requirement", programs.CHOICE),
        ({"audience_id": ""}, "audience_id", programs.AUDIENCE_REQUIRED),
        ({"course_ids": []}, "course_ids", programs.COURSES_REQUIRED),
        ({"course_ids": ["x"]}, "course_ids", programs.COURSE_OTHER_ORG),
        ({"requirement": "acknowledgement", "statement": ""}, "statement", programs.STATEMENT_REQUIRED),
        ({"min_score": "101"}, "min_score", programs.SCORE_RANGE),
        ({"min_score": "abc"}, "min_score", programs.SCORE_RANGE),
        ({"due_rule": "fixed"}, "due_on", programs.DUE_ON_REQUIRED),
        ({"due_rule": "fixed", "due_on": "31/03/2026"}, "due_on", programs.DUE_ON_REQUIRED),
        ({"due_rule": "whenever"}, "due_rule", programs.CHOICE),
        ({"due_days": ""}, "due_days", programs.NUMBER_RANGE.format(low=0, high=3650)),
        ({"due_days": "-1"}, "due_days", programs.NUMBER_RANGE.format(low=0, high=3650)),
        ({"grace_days": "400"}, "grace_days", programs.NUMBER_RANGE.format(low=0, high=365)),
        ({"valid_months": "0"}, "valid_months", programs.NUMBER_RANGE.format(low=1, high=120)),
        ({"anchor": "moon"}, "anchor", programs.CHOICE),
        ({"reminder_days": "7, soon"}, "reminder_days", programs.REMINDERS_INVALID),
        ({"reminder_days": [0]}, "reminder_days", programs.REMINDERS_INVALID),
        ({"require_signature": True}, "signature_meaning", programs.MEANING_REQUIRED),
        ({"escalate_manager_days": "x"}, "escalate_manager_days", programs.NUMBER_RANGE.format(low=0, high=365)),
    ],
)
def test_each_bad_field_gets_its_own_message(
    world: World, sales, course, build: Builder, overrides: dict, field: str, message: str
) -> None:
    assert errors_of(build, build.data(sales, [course], **overrides)) == {field: message}


def test_one_course_means_exactly_one(world: World, sales, course, build: Builder) -> None:
    other = make_course(world, "Fire safety")
    assert errors_of(build, build.data(sales, [course, other])) == {"course_ids": programs.ONE_COURSE}


def test_a_window_longer_than_the_validity_is_refused_with_the_schedule_message(
    world: World, sales, course, build: Builder
) -> None:
    errors = errors_of(build, build.data(sales, [course], valid_months=1, window_days=28))
    assert errors == {"window_days": due_dates.WINDOW_DAYS_TOO_LONG.format(months=1, shortest=28, most=27, value=28)}


def test_another_organisations_audience_and_courses_are_refused(world: World, sales, course, build: Builder) -> None:
    from tests.factories import CourseFactory

    foreign = CourseFactory(organization=world.other_org, title="Theirs")
    errors = errors_of(build, build.data(sales, [foreign]))
    assert errors == {"course_ids": programs.COURSE_OTHER_ORG}
    with pytest.raises(ValidationError) as caught:
        services.program_create(
            organization=world.other_org, by=world.outsider.user, data=build.data(sales, [foreign], name="Theirs")
        )
    assert caught.value.message_dict["audience_id"] == [programs.AUDIENCE_REQUIRED]


def test_names_are_unique_in_the_organisation(world: World, sales, course, build: Builder) -> None:
    build.program(sales, [course], activate=False)
    assert errors_of(build, build.data(sales, [course])) == {"name": programs.NAME_TAKEN}


def test_a_valid_program_is_created_as_a_draft_owned_by_its_author_and_audited(
    world: World, sales, course, build: Builder
) -> None:
    program = build.program(sales, [course], activate=False, reminder_days="7, 30,7", valid_months="12")
    assert (program.status, program.owner_id, program.revision) == ("draft", build.officer.user.pk, 1)
    assert program.reminder_days == [30, 7] and program.valid_months == 12
    assert list(program.program_courses.values_list("course_id", flat=True)) == [course.pk]
    assert not Assignment.objects.filter(program=program).exists()
    assert AuditRecord.objects.filter(action="compliance.program_created").count() == 1


# --- permissions, from the attacker's side --------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["learner", "manager", "instructor", "outsider"])
def test_people_without_the_right_cannot_create_change_activate_or_archive(
    world: World, sales, course, build: Builder, persona: str
) -> None:
    intruder = getattr(world, persona).user
    program = build.program(sales, [course], activate=False)
    with pytest.raises(PermissionDenied):
        services.program_create(organization=world.org, by=intruder, data=build.data(sales, [course], name="Mine"))
    with pytest.raises(PermissionDenied):
        services.program_update(program=program, by=intruder, data=build.data(sales, [course], name="Renamed"))
    with pytest.raises(PermissionDenied):
        services.program_activate(program=program, by=intruder)
    with pytest.raises(PermissionDenied):
        services.program_preview(program=program, organization=world.org, by=intruder, data=build.data(sales, [course]))
    with pytest.raises(PermissionDenied):
        services.program_evaluate(program=program, by=intruder)
    services.program_activate(program=program, by=build.officer.user)
    with pytest.raises(PermissionDenied):
        services.program_archive(program=program, by=intruder)
    program.refresh_from_db()
    assert (program.name, program.status) == ("Anti-bribery 2026", "active")
    assert Program.objects.count() == 1


# --- life cycle -----------------------------------------------------------------------------------------------------


def test_only_a_draft_is_activated_and_only_an_active_program_archived(
    world: World, sales, course, build: Builder
) -> None:
    program = build.program(sales, [course], activate=False)
    with pytest.raises(ValidationError, match=programs.NOT_ACTIVE):
        services.program_archive(program=program, by=build.officer.user)
    services.program_activate(program=program, by=build.officer.user)
    with pytest.raises(ValidationError, match=programs.NOT_DRAFT):
        services.program_activate(program=program, by=build.officer.user)
    services.program_archive(program=program, by=build.officer.user)
    with pytest.raises(ValidationError, match=programs.ARCHIVED):
        services.program_update(program=program, by=build.officer.user, data=build.data(sales, [course], name="x"))


def test_activation_queues_the_evaluation_that_assigns_everyone(
    world: World, sales, course, build: Builder, moved_clock, django_capture_on_commit_callbacks
) -> None:
    program = build.program(sales, [course], activate=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.program_activate(program=program, by=build.officer.user)
    assert Assignment.objects.filter(program=program, ended_at__isnull=True).count() == 4
    assert set(Assignment.objects.values_list("due_on", flat=True)) == {dt.date(2026, 4, 1)}


def test_re_evaluating_by_hand_is_audited_with_its_figures(
    world: World, sales, course, build: Builder, moved_clock
) -> None:
    program = build.program(sales, [course])
    result = services.program_evaluate(program=program, by=build.officer.user, full=True)
    entry = AuditRecord.objects.get(action="compliance.program_evaluated")
    assert entry.summary == result.as_dict() and result.ledger_rows == 0
