"""The gradebook's write side: scores from activities, sync, setup, overrides and history, release, letters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.audit.models import AuditRecord
from syllabus.grades import services
from syllabus.grades.models import ChangeSource, CourseGrade, Grade, GradebookSettings, GradeChange, GradeItem
from syllabus.grades.services import grading, scales, setup
from tests.factories import MembershipFactory
from tests.grades.conftest import Gradebook

D = Decimal


def grade_of(gradebook: Gradebook, activity: Any, user: Any) -> Grade | None:
    return Grade.objects.filter(item=gradebook.item(activity), user=user).first()


def total_of(gradebook: Gradebook, user: Any) -> CourseGrade:
    return CourseGrade.objects.get(course=gradebook.course, user=user)


# --- scores from activities ---------------------------------------------------------------------------------------


def test_a_score_keeps_the_higher_unless_it_replaces(gradebook: Gradebook, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        gradebook.signal(gradebook.essay1, gradebook.learner, "70")
        gradebook.signal(gradebook.essay1, gradebook.learner, "60")  # a worse attempt: kept at 70
    grade = grade_of(gradebook, gradebook.essay1, gradebook.learner)
    assert grade is not None and (grade.raw, grade.final) == (D("70.00"), D("70.00"))
    with django_capture_on_commit_callbacks(execute=True):
        gradebook.signal(gradebook.essay1, gradebook.learner, "55", replace=True)  # a regrade replaces
    grade.refresh_from_db()
    assert grade.final == D("55.00")
    history = list(GradeChange.objects.filter(grade=grade).values_list("source", "old_final", "new_final"))
    assert history == [("activity", None, D("70.00")), ("activity", D("70.00"), D("55.00"))]
    assert total_of(gradebook, gradebook.learner).percent == D("55.00")


def test_a_fraction_score_is_read_as_a_percentage(gradebook: Gradebook, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        gradebook.signal(gradebook.essay2, gradebook.learner, "0.825", scale="fraction")
    grade = grade_of(gradebook, gradebook.essay2, gradebook.learner)
    assert grade is not None and grade.final == D("82.50")


def test_scores_of_people_not_enrolled_are_ignored(gradebook: Gradebook, django_capture_on_commit_callbacks) -> None:
    stranger = MembershipFactory(organization=gradebook.world.org).user
    with django_capture_on_commit_callbacks(execute=True):
        gradebook.signal(gradebook.essay1, stranger, "90")
        gradebook.signal(gradebook.essay1, gradebook.world.outsider.user, "90")
    assert not Grade.objects.filter(user__in=[stranger, gradebook.world.outsider.user]).exists()
    assert not CourseGrade.objects.filter(user=stranger).exists()


def test_an_override_wins_over_later_scores(gradebook: Gradebook, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        gradebook.signal(gradebook.essay1, gradebook.learner, "40")
    item = gradebook.item(gradebook.essay1)
    services.grade_override(by=gradebook.owner, item=item, user=gradebook.learner, percent="75", reason="Appeal")
    with django_capture_on_commit_callbacks(execute=True):
        gradebook.signal(gradebook.essay1, gradebook.learner, "90")
    grade = grade_of(gradebook, gradebook.essay1, gradebook.learner)
    assert grade is not None and (grade.raw, grade.override, grade.final) == (D("90.00"), D("75.00"), D("75.00"))
    assert total_of(gradebook, gradebook.learner).percent == D("75.00")


# --- sync -----------------------------------------------------------------------------------------------------------


def test_sync_adds_new_activities_at_the_end_retires_gone_ones_and_brings_them_back(
    gradebook: Gradebook, django_capture_on_commit_callbacks
) -> None:
    manual = services.item_create(by=gradebook.owner, course=gradebook.course, name="Oral exam")
    with django_capture_on_commit_callbacks(execute=True):
        gradebook.signal(gradebook.essay2, gradebook.learner, "80")
    essay3 = gradebook.add_activity("Essay 3")
    gradebook.add_activity("Reading", kind="page")  # not graded: no item
    gradebook.essay2.title = "Essay two"
    gradebook.essay2.save()
    with django_capture_on_commit_callbacks(execute=True):
        gradebook.publish()  # CoursePublished syncs
    names = list(GradeItem.objects.filter(course=gradebook.course).values_list("name", "retired"))
    assert names == [("Essay 1", False), ("Essay two", False), ("Oral exam", False), ("Essay 3", False)]
    assert gradebook.item(essay3).position > manual.position

    uid = gradebook.essay2.uid
    gradebook.essay2.delete()
    with django_capture_on_commit_callbacks(execute=True):
        gradebook.publish()
    retired = GradeItem.objects.get(course=gradebook.course, activity_uid=uid)
    assert retired.retired and retired.grades.get().final == D("80.00")  # grades kept
    assert total_of(gradebook, gradebook.learner).percent is None  # a retired item no longer counts

    # Idempotent: a second sync changes nothing.
    before = list(GradeItem.objects.filter(course=gradebook.course).values_list("pk", "position", "retired"))
    services.items_sync(course=gradebook.course)
    assert list(GradeItem.objects.filter(course=gradebook.course).values_list("pk", "position", "retired")) == before


def test_sync_when_stale_runs_once_per_version(gradebook: Gradebook, django_assert_num_queries) -> None:
    assert services.items_sync_if_stale(course=gradebook.course) is False  # synced on publish
    with django_assert_num_queries(1):
        assert services.items_sync_if_stale(course=gradebook.course) is False
    GradeItem.objects.filter(course=gradebook.course).delete()
    GradebookSettings.objects.filter(course=gradebook.course).update(synced_version=None)  # as before any sync
    assert services.items_sync_if_stale(course=gradebook.course) is True
    assert GradeItem.objects.filter(course=gradebook.course).count() == 2


# --- setup ------------------------------------------------------------------------------------------------------


def test_categories_weights_and_setup_changes_recompute_totals(
    gradebook: Gradebook, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        gradebook.signal(gradebook.essay1, gradebook.learner, "80")
        gradebook.signal(gradebook.essay2, gradebook.learner, "40")
    assert total_of(gradebook, gradebook.learner).percent == D("60.00")
    with django_capture_on_commit_callbacks(execute=True):
        category = services.category_create(by=gradebook.owner, course=gradebook.course, name="Essays", weight="2")
        services.item_update(by=gradebook.owner, item=gradebook.item(gradebook.essay1), category=category, weight="3")
        services.item_update(by=gradebook.owner, item=gradebook.item(gradebook.essay2), category=category.pk)
    # (80×3 + 40) / 4 = 70
    assert total_of(gradebook, gradebook.learner).percent == D("70.00")
    with django_capture_on_commit_callbacks(execute=True):
        services.category_update(by=gradebook.owner, category=category, drop_lowest=1)
    assert total_of(gradebook, gradebook.learner).percent == D("80.00")
    with django_capture_on_commit_callbacks(execute=True):
        services.settings_update(by=gradebook.owner, course=gradebook.course, pass_mark="85")
    assert total_of(gradebook, gradebook.learner).passed is False
    with django_capture_on_commit_callbacks(execute=True):
        services.category_delete(by=gradebook.owner, category=category)
    assert total_of(gradebook, gradebook.learner).percent == D("70.00")  # uncategorised, weights kept
    actions = set(AuditRecord.objects.filter(action__startswith="grades.").values_list("action", flat=True))
    assert {"grades.category_created", "grades.item_updated", "grades.settings_updated"} <= actions


def test_setup_refuses_bad_input_with_the_field_named(gradebook: Gradebook) -> None:
    with pytest.raises(ValidationError) as error:
        services.category_create(by=gradebook.owner, course=gradebook.course, name=" ", weight="-1", drop_lowest=999)
    assert error.value.message_dict == {
        "name": [setup.NAME_REQUIRED],
        "weight": [setup.WEIGHT_INVALID],
        "drop_lowest": [setup.DROP_INVALID],
    }
    with pytest.raises(ValidationError) as error:
        services.settings_update(by=gradebook.owner, course=gradebook.course, pass_mark="101", display="stars")
    assert set(error.value.message_dict) == {"pass_mark", "display"}
    with pytest.raises(ValidationError) as error:
        services.item_update(by=gradebook.owner, item=gradebook.item(gradebook.essay1), name="Mine", max_points="5")
    assert error.value.message_dict["name"] == [setup.ACTIVITY_ITEM_FIXED]
    with pytest.raises(ValidationError):
        services.item_delete(by=gradebook.owner, item=gradebook.item(gradebook.essay1))
    with pytest.raises(ValidationError):
        services.item_create(by=gradebook.owner, course=gradebook.course, name="Lab", max_points="0")


def test_items_reorder_needs_every_item_once(gradebook: Gradebook) -> None:
    first, second = (gradebook.item(gradebook.essay1), gradebook.item(gradebook.essay2))
    with pytest.raises(ValidationError):
        services.items_reorder(by=gradebook.owner, course=gradebook.course, item_ids=[first.pk, first.pk])
    services.items_reorder(by=gradebook.owner, course=gradebook.course, item_ids=[second.pk, first.pk])
    assert list(GradeItem.objects.filter(course=gradebook.course).values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]


def test_learners_and_other_organisations_cannot_set_up_or_grade(gradebook: Gradebook) -> None:
    item = gradebook.item(gradebook.essay1)
    for person in (gradebook.learner, gradebook.world.outsider.user):
        with pytest.raises(PermissionDenied):
            services.category_create(by=person, course=gradebook.course, name="Mine")
        with pytest.raises(PermissionDenied):
            services.grade_override(by=person, item=item, user=gradebook.learner, percent="100", reason="Me")
        with pytest.raises(PermissionDenied):
            services.grades_hide(by=person, item=item, user_ids=[gradebook.learner.pk], hidden=True)


# --- the team's grading -------------------------------------------------------------------------------------------


def test_override_needs_a_reason_keeps_history_and_is_audited(gradebook: Gradebook) -> None:
    item = gradebook.item(gradebook.essay1)
    with pytest.raises(ValidationError) as error:
        services.grade_override(by=gradebook.owner, item=item, user=gradebook.learner, percent="75", reason=" ")
    assert error.value.message_dict == {"reason": [grading.REASON_REQUIRED]}
    with pytest.raises(ValidationError) as error:
        services.grade_override(by=gradebook.owner, item=item, user=gradebook.learner, percent="100.001", reason="x")
    assert error.value.message_dict == {"percent": [grading.PERCENT_INVALID]}
    with pytest.raises(ValidationError):
        services.grade_override(by=gradebook.owner, item=item, user=gradebook.learner, percent="1", reason="x" * 2001)

    grade = services.grade_override(
        by=gradebook.owner, item=item, user=gradebook.learner, percent="75.5", reason="Marked on paper"
    )
    assert (grade.override, grade.final, grade.override_reason) == (D("75.50"), D("75.50"), "Marked on paper")
    assert grade.overridden_by == gradebook.owner
    grade = services.grade_override(by=gradebook.owner, item=item, user=gradebook.learner, percent=None, reason="")
    assert (grade.override, grade.final, grade.override_reason) == (None, None, "")
    history = list(grade.changes.values_list("source", "old_final", "new_final", "reason", "by"))
    assert history == [
        (ChangeSource.OVERRIDE, None, D("75.50"), "Marked on paper", gradebook.owner.pk),
        (ChangeSource.OVERRIDE, D("75.50"), None, "", gradebook.owner.pk),
    ]
    actions = list(
        AuditRecord.objects.filter(action__in=["grades.grade_overridden", "grades.override_cleared"])
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["grades.grade_overridden", "grades.override_cleared"]
    assert total_of(gradebook, gradebook.learner).percent is None


def test_override_of_someone_not_enrolled_is_refused(gradebook: Gradebook) -> None:
    stranger = MembershipFactory(organization=gradebook.world.org).user
    with pytest.raises(ValidationError) as error:
        services.grade_override(
            by=gradebook.owner, item=gradebook.item(gradebook.essay1), user=stranger, percent="50", reason="x"
        )
    assert error.value.message_dict == {"user": [grading.NOT_ENROLLED]}


def test_manual_entry_only_on_manual_items(gradebook: Gradebook) -> None:
    manual = services.item_create(by=gradebook.owner, course=gradebook.course, name="Oral exam", max_points="20")
    grade = services.grade_enter(
        by=gradebook.owner, item=manual, user=gradebook.learner, percent="85", feedback="Well argued."
    )
    assert (grade.raw, grade.final, grade.feedback) == (D("85.00"), D("85.00"), "Well argued.")
    total = total_of(gradebook, gradebook.learner)
    assert (total.percent, total.points, total.max_points) == (D("85.00"), D("17.00"), D("20.00"))
    assert grade.changes.get().source == ChangeSource.ENTERED
    with pytest.raises(ValidationError) as error:
        services.grade_enter(
            by=gradebook.owner, item=gradebook.item(gradebook.essay1), user=gradebook.learner, percent="5"
        )
    assert error.value.message_dict == {"item": [grading.NOT_MANUAL_ITEM]}


def test_hidden_grades_are_left_out_of_the_learners_total_until_released(
    gradebook: Gradebook, django_capture_on_commit_callbacks
) -> None:
    item1 = gradebook.item(gradebook.essay1)
    # Hidden before it exists: the grade arrives hidden.
    changed = services.grades_hide(by=gradebook.owner, item=item1, user_ids=[gradebook.learner.pk], hidden=True)
    assert changed == 1
    with django_capture_on_commit_callbacks(execute=True):
        gradebook.signal(gradebook.essay1, gradebook.learner, "90")
        gradebook.signal(gradebook.essay2, gradebook.learner, "50")
    total = total_of(gradebook, gradebook.learner)
    assert (total.percent, total.learner_percent) == (D("70.00"), D("50.00"))
    assert grade_of(gradebook, gradebook.essay1, gradebook.learner).hidden  # type: ignore[union-attr]
    services.grades_hide(by=gradebook.owner, item=item1, user_ids=[gradebook.learner.pk], hidden=False)
    total = total_of(gradebook, gradebook.learner)
    assert (total.percent, total.learner_percent) == (D("70.00"), None)
    assert AuditRecord.objects.filter(action="grades.grades_released").count() == 1
    # The learner's own view, computed now.
    assert services.course_total_for(course=gradebook.course, user_id=gradebook.learner.pk).percent == D("70.00")


def test_course_grades_refresh_covers_everyone_enrolled(gradebook: Gradebook) -> None:
    CourseGrade.objects.all().delete()
    assert services.course_grades_refresh(course=gradebook.course) == 2
    assert CourseGrade.objects.filter(course=gradebook.course, percent__isnull=True).count() == 2
    from syllabus.grades.tasks import recompute_course_grades

    assert recompute_course_grades(gradebook.course.pk) == 2  # idempotent
    assert recompute_course_grades(999_999) == 0


def test_settings_are_made_once(gradebook: Gradebook) -> None:
    first = services.settings_for(gradebook.course)
    assert services.settings_for(gradebook.course).pk == first.pk
    assert GradebookSettings.objects.filter(course=gradebook.course).count() == 1


# --- letters ------------------------------------------------------------------------------------------------------

BANDS = [{"letter": "A", "min": "90"}, {"letter": "B", "min": "75"}, {"letter": "F", "min": "0"}]


def test_letter_for_picks_the_first_band_reached() -> None:
    assert [services.letter_for(BANDS, D(v)) for v in ("100", "90", "89.99", "75", "0")] == ["A", "A", "B", "B", "F"]
    assert services.letter_for(BANDS, None) == ""


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ([{"letter": "A", "min": "90"}, {"letter": "B", "min": "10"}], scales.BAND_LAST),
        ([{"letter": "A", "min": "50"}, {"letter": "B", "min": "60"}, {"letter": "F", "min": "0"}], "Band 2: min"),
        ([{"letter": "A", "min": "50"}, {"letter": "A", "min": "0"}], "Band 2: the letter A is used twice."),
        ([{"letter": "TOOLONG", "min": "50"}, {"letter": "F", "min": "0"}], "Band 1: a letter"),
        ([{"letter": "A", "min": "150"}, {"letter": "F", "min": "0"}], "Band 1: the minimum"),
        ("A=90", scales.BANDS_NOT_LIST),
    ],
)
def test_letter_bands_are_validated(gradebook: Gradebook, bands: Any, message: str) -> None:
    admin = gradebook.world.org_admin.user
    with pytest.raises(ValidationError) as error:
        services.letter_scale_create(by=admin, organization=gradebook.world.org, name="Scale", bands=bands)
    assert any(m.startswith(message) for m in error.value.message_dict["bands"])


def test_one_default_scale_and_deleting_one_in_use_falls_back(gradebook: Gradebook) -> None:
    admin, org = gradebook.world.org_admin.user, gradebook.world.org
    first = services.letter_scale_create(by=admin, organization=org, name="Usual", bands=BANDS, is_default=True)
    second = services.letter_scale_create(by=admin, organization=org, name="Strict", bands=BANDS, is_default=True)
    first.refresh_from_db()
    assert not first.is_default and second.is_default
    settings = services.settings_update(by=gradebook.owner, course=gradebook.course, letter_scale=first.pk)
    assert services.scale_for(settings) == first
    services.letter_scale_delete(by=admin, scale=first)
    settings.refresh_from_db()
    assert settings.letter_scale is None and services.scale_for(settings) == second
    with pytest.raises(PermissionDenied):
        services.letter_scale_create(by=gradebook.owner, organization=org, name="Mine", bands=BANDS)
    with pytest.raises(ValidationError):  # another organisation's scale
        services.settings_update(by=gradebook.owner, course=gradebook.course, letter_scale=999_999)
