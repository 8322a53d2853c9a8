"""The gradebook's part of a person's export and erasure."""

from __future__ import annotations

from decimal import Decimal

from syllabus.grades import privacy, services
from syllabus.grades.models import Grade, GradeChange
from tests.grades.conftest import Gradebook


def test_export_and_erasure_keep_grades_and_clear_what_was_written_about_the_person(gradebook: Gradebook) -> None:
    item = gradebook.item(gradebook.essay1)
    services.grade_override(by=gradebook.owner, item=item, user=gradebook.learner, percent="60", reason="On sick leave")
    manual = services.item_create(by=gradebook.owner, course=gradebook.course, name="Oral")
    services.grade_enter(by=gradebook.owner, item=manual, user=gradebook.learner, percent="70", feedback="Shy.")
    exported = privacy.export_person(gradebook.learner, gradebook.world.org)
    assert {g["item"]: g["grade_percent"] for g in exported["grades"]} == {"Essay 1": "60.00", "Oral": "70.00"}
    assert exported["grades"][0]["history"][0]["reason"] == "On sick leave"
    assert exported["course_totals"][0]["percent"] == "65.00"
    assert privacy.export_person(gradebook.learner, gradebook.world.other_org)["grades"] == []

    privacy.erase_person(gradebook.learner, gradebook.world.org_admin.user)
    grades = Grade.objects.filter(user=gradebook.learner)
    assert sorted(g.final for g in grades) == [Decimal("60.00"), Decimal("70.00")]
    assert {(g.feedback, g.override_reason) for g in grades} == {("", "")}
    assert not GradeChange.objects.filter(grade__user=gradebook.learner).exclude(reason="").exists()
