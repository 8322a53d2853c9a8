"""The gradebook's writes (see the app's README): setup, grade items and their sync from the published version,
grades (activity scores, manual entries, overrides, release), course totals, letter scales, import and export.

Every function is keyword-only, owns its transaction, checks permission through `grades.policy` when a person
acts (`by`), writes the audit trail and a `GradeChange` for every change of a grade's final or override.
"""

from __future__ import annotations

from syllabus.grades.exports import export_csv, export_xlsx
from syllabus.grades.imports import ImportPreview, ImportResult, import_apply, import_preview
from syllabus.grades.services.grading import (
    course_grades_refresh,
    course_total_for,
    grade_enter,
    grade_override,
    grades_hide,
    score_record,
)
from syllabus.grades.services.scales import (
    letter_for,
    letter_scale_create,
    letter_scale_delete,
    letter_scale_update,
    scale_for,
)
from syllabus.grades.services.setup import (
    category_create,
    category_delete,
    category_update,
    item_create,
    item_delete,
    item_update,
    items_reorder,
    items_sync,
    items_sync_if_stale,
    settings_for,
    settings_update,
)

__all__ = [
    "ImportPreview",
    "ImportResult",
    "category_create",
    "category_delete",
    "category_update",
    "course_grades_refresh",
    "course_total_for",
    "export_csv",
    "export_xlsx",
    "grade_enter",
    "grade_override",
    "grades_hide",
    "import_apply",
    "import_preview",
    "item_create",
    "item_delete",
    "item_update",
    "items_reorder",
    "items_sync",
    "items_sync_if_stale",
    "letter_for",
    "letter_scale_create",
    "letter_scale_delete",
    "letter_scale_update",
    "scale_for",
    "score_record",
    "settings_for",
    "settings_update",
]
