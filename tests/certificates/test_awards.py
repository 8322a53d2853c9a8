"""Awards: creating and changing what earns a certificate (every refusal on its field, hostile input included),
deleting (or disabling once used), and issuing certificates to people who completed before the award existed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.audit.models import AuditRecord
from syllabus.catalog.models import Course
from syllabus.certificates.models import Award, Certificate, Template
from syllabus.certificates.services import awards as services
from syllabus.compliance.models import Assignment
from tests.certificates.conftest import NOW, finish, make_course
from tests.certificates.people_fixtures import issue
from tests.conftest import World
from tests.factories import CourseFactory, MembershipFactory

pytestmark = pytest.mark.django_db

Fields = services.AwardFields


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- creating and changing ------------------------------------------------------------------------------------------


def test_an_officer_creates_a_course_award_audited(world: World, officer, course, template) -> None:
    award = services.award_create(
        organization=world.org,
        by=officer.user,
        data=Fields(course_id=course.pk, remind_days=(7, 30, 7), achievement_name="  Anti-bribery champion "),
    )
    assert award.course_id == course.pk and award.template_id == template.pk  # the default template
    assert award.remind_days == [30, 7] and award.achievement_name == "Anti-bribery champion"
    assert award.enabled and award.issue_badge
    record = AuditRecord.objects.get(action="certificate.award_created")
    assert record.after["course"] == course.pk


def test_only_certificate_managers_create_awards(world: World, course, template) -> None:
    for person in (world.learner, world.manager, world.instructor):
        with pytest.raises(PermissionDenied):
            services.award_create(organization=world.org, by=person.user, data=Fields(course_id=course.pk))
    # An admin of another organisation, writing into ours.
    with pytest.raises(PermissionDenied):
        services.award_create(organization=world.org, by=world.outsider.user, data=Fields(course_id=course.pk))
    assert not Award.objects.exists()


def test_every_refusal_names_its_field_and_nothing_is_saved(world: World, officer, template) -> None:
    foreign = CourseFactory(organization=world.other_org, title="Theirs")
    draft = CourseFactory(organization=world.org, title="Never published")
    archived = Template.objects.create(organization=world.org, name="Old", html="<p>x</p>", archived=True)
    with pytest.raises(ValidationError) as exc:
        services.award_create(
            organization=world.org,
            by=officer.user,
            data=Fields(
                course_id=foreign.pk,
                template_id=archived.pk,
                remind_days=(0, 400),
                achievement_name="x" * 201,
                criteria="y" * 5001,
            ),
        )
    errors = errors_of(exc)
    assert errors["course_id"] == [services.COURSE_NOT_AVAILABLE]
    assert errors["template_id"] == [services.TEMPLATE_NOT_AVAILABLE]
    assert errors["remind_days"] == [services.REMIND_DAYS_RANGE.format(low=1, high=365)]
    assert errors["achievement_name"] == [services.TOO_LONG.format(limit=200)]
    assert errors["criteria"] == [services.TOO_LONG.format(limit=5000)]
    with pytest.raises(ValidationError) as exc:
        services.award_create(organization=world.org, by=officer.user, data=Fields(course_id=draft.pk))
    assert errors_of(exc) == {"course_id": [services.COURSE_NOT_AVAILABLE]}
    with pytest.raises(ValidationError) as exc:
        services.award_create(organization=world.org, by=officer.user, data=Fields(source="program"))
    assert errors_of(exc) == {"program_id": [services.PROGRAM_REQUIRED]}
    with pytest.raises(ValidationError) as exc:
        services.award_create(organization=world.org, by=officer.user, data=Fields(source="<script>"))
    assert errors_of(exc)["source"] == [services.SOURCE_CHOICE]
    assert not Award.objects.exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("30, 7", (30, 7)),
        ("7;30 , 7", (30, 7)),
        ("", ()),
        ([1, 365], (365, 1)),
    ],
)
def test_reminder_days_parse_from_text_or_a_list(given, expected) -> None:  # type: ignore[no-untyped-def]
    assert services.parse_remind_days(given) == expected


@pytest.mark.parametrize(
    "given",
    ["30, x", "0", "366", "-1", "1e3", "١٢", "7.5", [True], [None], [7.0], "1,2,3,4,5,6", {"a": 1}, "99999999999"],
)
def test_reminder_days_refuse_anything_else(given) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        services.parse_remind_days(given)
    assert list(exc.value.message_dict) == ["remind_days"]


def test_one_award_per_course_and_what_earns_it_is_fixed_once_used(world: World, officer, award, moved_clock) -> None:
    with pytest.raises(ValidationError) as exc:
        services.award_create(organization=world.org, by=officer.user, data=Fields(course_id=award.course_id))
    assert errors_of(exc) == {"course_id": [services.COURSE_TAKEN]}
    other = make_course(world, "Fire safety")
    # Unused: the course may change.
    services.award_update(award=award, by=officer.user, data=Fields.of(award).changed(course_id=other.pk))
    assert award.course_id == other.pk
    issue(world.learner, award)
    with pytest.raises(ValidationError) as exc:
        services.award_update(
            award=award, by=officer.user, data=Fields.of(award).changed(course_id=make_course(world, "Third").pk)
        )
    assert errors_of(exc) == {"course_id": [services.SOURCE_LOCKED]}
    # The rest may change; the audit says what did.
    services.award_update(award=award, by=officer.user, data=Fields.of(award).changed(remind_days=(14,)))
    record = AuditRecord.objects.filter(action="certificate.award_changed").order_by("pk").last()
    assert record.before["remind_days"] == [] and record.after["remind_days"] == [14]


def test_an_award_keeps_its_course_when_the_course_is_archived_later(world: World, officer, award) -> None:
    Course.objects.filter(pk=award.course_id).update(archived_at=NOW)
    services.award_update(award=award, by=officer.user, data=Fields.of(award).changed(issue_badge=False))
    assert not award.issue_badge


def test_an_unused_award_is_deleted_and_a_used_one_disabled(world: World, officer, award, moved_clock) -> None:
    second = Award.objects.create(
        organization=world.org, source="course", course=make_course(world, "Spare"), template=award.template
    )
    assert services.award_delete(award=second, by=officer.user) is True
    assert not Award.objects.filter(pk=second.pk).exists()
    certificate = issue(world.learner, award)
    assert services.award_delete(award=award, by=officer.user) is False
    award.refresh_from_db()
    assert not award.enabled
    assert Certificate.objects.get(pk=certificate.pk).award_id == award.pk
    assert AuditRecord.objects.filter(action="certificate.award_deleted").count() == 1
    with pytest.raises(PermissionDenied):
        services.award_delete(award=award, by=world.learner.user)


def test_the_first_award_of_an_organisation_without_templates_gets_the_defaults(world: World, officer) -> None:
    assert not Template.objects.filter(organization=world.org).exists()
    templates = services.templates_ensure(organization=world.org, by=officer.user)
    assert templates and all(t.organization_id == world.org.pk for t in templates)
    again = services.templates_ensure(organization=world.org, by=officer.user)
    assert [t.pk for t in again] == [t.pk for t in templates]
    with pytest.raises(PermissionDenied):
        services.templates_ensure(organization=world.org, by=world.learner.user)


# --- earlier completions --------------------------------------------------------------------------------------------


def test_backfill_issues_the_latest_unexpired_completion_of_each_active_person_once(
    world: World, officer, award, moved_clock
) -> None:
    course = award.course
    finish(world.learner, course, NOW - dt.timedelta(days=300))
    latest = finish(world.learner, course, NOW - dt.timedelta(days=10))
    finish(world.report, course, NOW - dt.timedelta(days=20), expires=NOW - dt.timedelta(days=1))  # expired
    gone = MembershipFactory(organization=world.org, org_unit=world.sales, is_active=False)
    finish(gone, course, NOW - dt.timedelta(days=5))
    finish(world.engineer, course, NOW - dt.timedelta(days=5), expires=NOW + dt.timedelta(days=30))
    finish(world.outsider, CourseFactory(organization=world.other_org), NOW)  # another organisation's

    assert services.award_backfill_preview(award=award) == 2
    result = services.award_backfill(award=award, by=officer.user)
    assert result == services.BackfillResult(issued=2, skipped=0)
    lena = Certificate.objects.get(membership=world.learner)
    assert lena.completion_id == latest.pk and lena.issued_at == latest.completed_at
    assert Certificate.objects.get(membership=world.engineer).expires_at == NOW + dt.timedelta(days=30)
    # Idempotent: nothing left to issue, a second run issues nothing.
    assert services.award_backfill_preview(award=award) == 0
    assert services.award_backfill(award=award, by=officer.user).issued == 0
    assert Certificate.objects.count() == 2
    assert AuditRecord.objects.get(action="certificate.award_backfilled").summary["issued"] == 2


def test_backfill_needs_an_enabled_award_and_the_right(world: World, officer, award, moved_clock) -> None:
    finish(world.learner, award.course, NOW)
    with pytest.raises(PermissionDenied):
        services.award_backfill(award=award, by=world.manager.user)
    Award.objects.filter(pk=award.pk).update(enabled=False)
    award.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.award_backfill(award=award, by=officer.user)
    assert exc.value.messages == [services.BACKFILL_DISABLED]
    assert not Certificate.objects.exists()


def test_backfill_of_a_program_issues_for_satisfied_current_cycles(
    world: World, officer, sales, course, build, template, moved_clock
) -> None:
    program = build.program(sales, [course], valid_months=12)
    finish(world.learner, course, NOW)
    from syllabus.compliance import evaluation

    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    assert Assignment.objects.get(program=program, membership=world.learner).status == "compliant"
    award = services.award_create(
        organization=world.org, by=officer.user, data=Fields(source="program", program_id=program.pk)
    )
    assert services.award_backfill_preview(award=award) == 1
    assert services.award_backfill(award=award, by=officer.user).issued == 1
    certificate = Certificate.objects.get()
    assert certificate.membership_id == world.learner.pk and certificate.program_id == program.pk
    assert certificate.expires_at is not None and certificate.expires_at.date() == dt.date(2027, 3, 2)
    assert services.award_backfill(award=award, by=officer.user).issued == 0
