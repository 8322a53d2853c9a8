"""Every write about enrollments: enrolling (self, request, assignment, bulk), approvals, the waiting list,
withdrawal, due dates, options, audience rules, groups and messages to participants.

Permission rules live in `enrollment.policy`; this module asks it. Seats are counted with conditional UPDATEs on
`EnrollmentOptions.seats_taken` (SQLite ignores `select_for_update`), so two people can never take the last
place at once, on either database.
"""

from __future__ import annotations

from syllabus.enrollment.services.common import (  # noqa: F401
    ALREADY_ENROLLED,
    ALREADY_YOU,
    ARCHIVED,
    BODY_REQUIRED,
    BULK_BATCH,
    CAPACITY_NEGATIVE,
    CLOSED_NOW,
    CLOSED_TO_SELF,
    DUE_DAYS_RANGE,
    DUE_DAYS_REQUIRED,
    DUE_IN_PAST,
    FULL,
    GROUP_EXISTS,
    GROUP_NAME_REQUIRED,
    KEY_ATTEMPTS,
    KEY_LOCK_SECONDS,
    KEY_LOCKED,
    KEY_REQUIRED,
    KEY_TOO_LONG,
    KEY_WRONG,
    MAX_DUE_DAYS,
    NO_RECIPIENTS,
    NOT_LIVE,
    NOT_MEMBER,
    NOT_OPEN_YET,
    NOT_PARTICIPANT,
    NOT_PENDING,
    NOT_PUBLISHED,
    NOT_VISIBLE,
    OTHER_COURSE,
    REASON_REQUIRED,
    RULE_EXISTS,
    SUBJECT_ONE_LINE,
    SUBJECT_REQUIRED,
    WINDOW_ORDER,
    due_at_end_of_day,
    options_for,
)
from syllabus.enrollment.services.enrolling import (  # noqa: F401
    BulkResult,
    SelfEnrollmentCheck,
    enrollment_approve,
    enrollment_create,
    enrollment_decline,
    enrollment_due_set,
    enrollment_end,
    enrollment_self,
    enrollment_withdraw,
    enrollments_bulk_create,
    self_enrollment_check,
    waitlist_promote,
)
from syllabus.enrollment.services.groups import (  # noqa: F401
    course_message_send,
    group_create,
    group_delete,
    group_members_change,
    group_update,
)
from syllabus.enrollment.services.options import (  # noqa: F401
    OPTION_FIELDS,
    options_update,
)
from syllabus.enrollment.services.renewal import enrollments_due_align, enrollments_renew  # noqa: F401
from syllabus.enrollment.services.rules import (  # noqa: F401
    LEFT_AUDIENCE,
    RULE_APPLY_ATTEMPTS,
    RULE_AUDIENCE_OTHER_ORG,
    RULE_CHOICE,
    VERSION_NOT_OLDER,
    VersionLearners,
    audience_changed,
    can_migrate_versions,
    enrollments_migrate_version,
    follow_minor_version,
    learners_on_older_versions,
    progress_summary_replace,
    rule_apply,
    rule_apply_leavers,
    rule_create,
    rule_delete,
    rule_update,
)
from syllabus.enrollment.services.summary import (  # noqa: F401
    enrollment_mark_completed,
    enrollment_progress_cleared,
    progress_summary_record,
)
