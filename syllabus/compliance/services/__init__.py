"""Every write about compliance, one keyword-only function per use case (see the README's public surface).

Permission rules live in `compliance.policy`; statuses are written only by `compliance.evaluation`.
"""

from __future__ import annotations

from syllabus.compliance.services.programs import (  # noqa: F401
    ARCHIVED,
    AUDIENCE_REQUIRED,
    COURSES_REQUIRED,
    MAX_DAYS,
    NAME_TAKEN,
    NOT_ACTIVE,
    NOT_DRAFT,
    Preview,
    clean_fields,
    due_date_for,
    program_activate,
    program_archive,
    program_create,
    program_evaluate,
    program_evaluate_queue,
    program_preview,
    program_update,
)
